"""``python -m rustybt``."""

import sys

from rustybt.cli import main

sys.exit(main())
