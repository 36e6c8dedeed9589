"""``python -m scheduler``: deliver due check-ins until SIGTERM."""

import sys

from scheduler.loop import main

sys.exit(main())
