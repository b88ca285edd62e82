"""Service-layer operations grouped by analysis; kb.service.KB inherits them all.

Each mixin uses `self.db`, `self.actor`, `self.transaction()` and `self.taxonomy` from KB and
imports its analysis lazily, so opening a KB stays cheap.
"""
