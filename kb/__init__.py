"""kb: a postmortem knowledge base for machine-learning projects after they ship."""

__version__ = "0.1.0"
