"""The quarterly portfolio health review: compute a pydantic `Review`, follow up decisions, render it.

Pure functions over the store's rows (kb.store.review) and the other analyses' results;
`kb.ops.review.ReviewService` reads the rows and wires them to `kb.service.KB`. Definitions of every
number are in docs/review.md.
"""
