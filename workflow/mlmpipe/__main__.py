"""``python -m mlmpipe <command>``: see :mod:`mlmpipe.cli`."""

import sys

from mlmpipe.cli import main

sys.exit(main())
