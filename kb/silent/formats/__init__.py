"""One module per flag-system export format; each turns one vendor record into normalised FlagEvents.

Every module has `SOURCE` (the format name), `looks_like(record) -> bool` for auto-detection and
`normalise(record, index) -> list[FlagEvent]` (empty for records that are not about a flag).
"""
