"""``dsmw``: the command line of the DSM-weighting verifier.

One private module per subcommand (``_verify``, ``_derive_notes``, ``_reliability``,
``_study``, ``_check``, ``_weighting``, ``_data``), each of which parses its options,
calls the library and prints; :mod:`numeric.cli._app` builds the parser and turns the
library's errors into one line and exit status 2. Nothing in the library imports this
package.
"""

from __future__ import annotations

from numeric.cli._app import build_parser, main

__all__ = ["build_parser", "main"]
