"""Contract-terms observatory: tracking marketplaces' seller terms and reporting what changed.

``text``: the pure-Python text engine (normalisation, clauses, alignment, topics, noise, corpus).
"""
