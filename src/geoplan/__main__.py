"""``python -m geoplan ...``: the same as the ``geoplan`` command."""

import sys

from geoplan.cli import main

sys.exit(main())
