"""kb's benchmark suite: `python bench/run.py [--scale small|large]` (see bench/README.md)."""
