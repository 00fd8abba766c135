"""``python3 -m demo_app``: the same as the ``demo-app`` command."""

from demo_app.cli import main

raise SystemExit(main())
