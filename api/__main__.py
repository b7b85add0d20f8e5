"""``python -m api serve ...``: the serve command on its own."""

import sys

from .cli import main

sys.exit(main())
