"""One module per claim (stated in notes/theory.md); each exposes ``derive_cN(...) -> Claim``."""
