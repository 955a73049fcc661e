"""``python -m numeric.cli``: the same as ``dsmw``."""

import sys

from numeric.cli._app import main

sys.exit(main())
