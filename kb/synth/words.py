"""Vocabulary the generator draws from: plausible teams, people, domains and system codenames.

Codenames are made of consonant-vowel syllables ending in a, o or u, so the porter stemmer leaves
them whole: a search for one finds exactly the incidents whose text names it, which the benchmark
uses to check kb's search against ripgrep's.
"""

from __future__ import annotations

import random

TEAMS: tuple[str, ...] = (
    "customer-analytics",
    "risk-modelling",
    "pricing-science",
    "search-relevance",
    "fraud-ops",
    "supply-chain-ml",
    "marketing-science",
    "care-automation",
    "growth-data",
    "credit-decisioning",
    "forecasting",
    "trust-and-safety",
    "logistics-ai",
    "hr-analytics",
    "platform-ml",
)

PEOPLE: tuple[str, ...] = (
    "Ada Brennan",
    "Bilal Chaudry",
    "Carmen Ortiz",
    "Dmitri Volkov",
    "Esi Mensah",
    "Farah Haddad",
    "Gustav Lind",
    "Hana Kobayashi",
    "Ines Duarte",
    "Jonas Weber",
    "Kavya Rao",
    "Liam O'Connor",
    "Mei Lin",
    "Nils Berg",
    "Oluwaseun Adeyemi",
    "Priya Natarajan",
    "Quentin Marchand",
    "Rosa Ferreira",
    "Sami Korhonen",
    "Tamar Levi",
    "Uma Shankar",
    "Victor Nguyen",
    "Wen Zhao",
    "Yara Haddad",
    "Zoe Fischer",
)

BUSINESS_OWNERS: tuple[str, ...] = (
    "Head of Retention",
    "VP Risk",
    "Director of Pricing",
    "Head of Customer Care",
    "COO",
    "Head of Fraud",
    "VP Marketing",
    "Head of Supply Chain",
    "CFO",
    "Head of Growth",
)

# (domain, what the model does, the decision it should change, the success metric)
DOMAINS: tuple[tuple[str, str, str, str], ...] = (
    ("Churn", "propensity scorer", "which customers the retention team calls each week", "calls saved per agent"),
    ("Fraud", "transaction classifier", "which payments are held for manual review", "fraud loss per 1k orders"),
    ("Demand", "forecaster", "how much stock each warehouse orders", "stock-outs per week"),
    ("Lead", "scoring model", "which leads sales follows up first", "conversion of top-decile leads"),
    ("Credit", "default predictor", "who is offered credit and at what limit", "default rate at fixed approval"),
    ("Pricing", "elasticity model", "the weekly price changes per category", "gross margin per category"),
    ("Ticket", "routing classifier", "which queue a support ticket lands in", "first-contact resolution"),
    ("Search", "ranking model", "the order of results on the search page", "clicks on the first result"),
    ("Recommendation", "engine", "what the home page shows each visitor", "revenue per session"),
    ("Inventory", "anomaly detector", "which stock counts are audited", "shrinkage found per audit"),
    ("Claims", "triage model", "which insurance claims an adjuster sees first", "days to settle"),
    ("Marketing", "uplift model", "who receives a discount offer", "incremental orders per offer"),
    ("Routing", "ETA predictor", "the delivery promise shown at checkout", "late deliveries"),
    ("Hiring", "screening model", "which applications a recruiter reads", "hires per recruiter hour"),
    ("Maintenance", "failure predictor", "which machines are serviced this week", "unplanned downtime hours"),
)

VENDORS: tuple[str, ...] = ("", "", "", "", "AcmeML", "VisionAPI Inc", "ScoreCloud", "LLM Provider X")

_CONSONANTS = "bdkmnprtvz"
_VOWELS = "aou"


def codenames(rng: random.Random, n: int) -> list[str]:
    """`n` distinct three-syllable nonce words (e.g. `kobazu`), in a seed-determined order."""
    syllables = [c + v for c in _CONSONANTS for v in _VOWELS]
    pool = sorted({a + b + c for a in syllables for b in syllables for c in syllables})
    return rng.sample(pool, min(n, len(pool)))
