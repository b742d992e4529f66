"""``python -m nwp500``: the ``nwp500`` command."""

import sys

from .cli.main import main

sys.exit(main())
