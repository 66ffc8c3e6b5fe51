"""make changes: python -m publish.changes (see the package's docstring)."""

import sys

from . import main

sys.exit(main())
