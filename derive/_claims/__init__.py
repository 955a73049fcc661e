"""One module per claim of notes/theory.md; each exposes ``derive_cN(...) -> Claim``."""
