"""`python -m controller` is `jetstream-ctl`."""

import sys

from controller.cli import main

sys.exit(main())
