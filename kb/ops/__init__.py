"""The domain services behind kb.service.KB, one module per domain.

Each service is constructed with the session (kb.ops.base.Session: connection, actor, taxonomy)
and the other services it uses; KB builds them and delegates to them. Analyses are imported
lazily inside the methods, so opening a KB stays cheap.
"""
