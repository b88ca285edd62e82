"""The causal graph (issue 4): build it from the store, analyse it, export it.

Modules: `build` (the MultiDiGraph and the edge table), `chain` (one incident's causal tree),
`analyses` (root causes, keystones, recurring chains, similar incidents, why-suggestions, cycles),
`results` (pydantic results), `window` (time windows), `export` (GraphML, GEXF, JSON, DOT, Mermaid).
Nothing is imported here, so `import kb.graph.results` stays light.
"""
