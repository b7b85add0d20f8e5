"""``python -m api serve ...``: the serve command on its own."""

import sys

from api.cli import main

sys.exit(main())
