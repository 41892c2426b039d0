import sys

from softp4.cli import main

sys.exit(main())
