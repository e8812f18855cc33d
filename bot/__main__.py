"""python -m bot runs the cmmi-bot command line."""

import sys

from bot.cli import main

sys.exit(main())
