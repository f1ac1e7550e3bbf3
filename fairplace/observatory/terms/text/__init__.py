"""Text engine of the terms observatory: pure Python, no Django.

``normalise``: noise removal and fingerprints. ``clauses``: Markdown → sections and numbered clauses
with stable ids (``definitions``: one clause per defined term of a definitions section). ``align``:
clause-level diff of two versions. ``topics``: topic tags of a clause. ``noise``: flapping, truncation
and language switches over a history. ``corpus``: the OTA corpus.
"""
