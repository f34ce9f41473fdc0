"""`python -m wetest` runs the CLI."""

import sys

from wetest.cli import main

sys.exit(main())
