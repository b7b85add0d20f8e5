"""``python -m graphmatch``: the same as the ``graphmatch`` command."""

import sys

from graphmatch.cli import main

sys.exit(main())
