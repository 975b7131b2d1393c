"""``python -m dataprophet``: the same as the ``dataprophet`` command."""

import sys

from dataprophet.cli import main

sys.exit(main())
