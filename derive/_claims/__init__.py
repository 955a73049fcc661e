"""One module per claim of THEORY.md; each exposes ``derive_cN(...) -> Claim``."""
