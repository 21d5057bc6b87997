"""The `follicle` command: Django's management commands with Follicle's settings.

Commands are typed with hyphens (`follicle audit-verify`); Django's own names use underscores, so
the first argument is mapped before Django sees it.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    from follicle import envfile

    argv = list(sys.argv if argv is None else argv)
    envfile.load()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "follicle.settings")
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    argv[0] = "follicle"

    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
