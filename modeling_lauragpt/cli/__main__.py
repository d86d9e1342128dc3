"""``python -m modeling_lauragpt.cli COMMAND ...``: the ``lauragpt`` console script."""

import sys

from . import main

sys.exit(main())
