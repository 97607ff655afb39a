"""``python -m portal``: the command line."""

from portal.cli import main

raise SystemExit(main())
