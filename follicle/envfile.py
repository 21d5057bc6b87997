"""The local `.env` file: written once by `make run`, read by every `follicle` command.

Kept free of Django imports: it runs before settings can be loaded (the settings need the secret
key this module writes).
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV_FILE = ROOT / ".env"


def parse(text: str) -> dict[str, str]:
    """Parse KEY=VALUE lines; blank lines and # comments are ignored, quotes around values dropped."""
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :]
        key, sep, value = line.partition("=")
        if not sep or not key.strip().isidentifier():
            raise ValueError(f".env line {number} is not KEY=VALUE: {raw!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def load(path: Path | None = None) -> None:
    """Put the file's values into os.environ; variables already set in the environment win.

    FOLLICLE_ENV_FILE names another file (tests point it away from a developer's own `.env`).
    """
    path = path or Path(os.environ.get("FOLLICLE_ENV_FILE") or ENV_FILE)
    if not path.exists():
        return
    for key, value in parse(path.read_text(encoding="utf-8")).items():
        os.environ.setdefault(key, value)


def write_local(path: Path = ENV_FILE) -> bool:
    """Write a development `.env` (random secret key, debug on, SQLite) unless one exists."""
    if path.exists():
        return False
    path.write_text(
        "# Written by `make run` for local use. Do not use these values in production.\n"
        f"FOLLICLE_SECRET_KEY={secrets.token_urlsafe(50)}\n"
        "FOLLICLE_DEBUG=true\n"
        "# E-mail (reminders, password resets) is written to files under ./var/mail instead of being sent.\n"
        "FOLLICLE_EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend\n"
        "# DATABASE_URL unset: SQLite in ./var/follicle.sqlite3\n",
        encoding="utf-8",
    )
    path.chmod(0o600)
    return True


if __name__ == "__main__":
    created = write_local()
    print(f"{'wrote' if created else 'kept'} {ENV_FILE}", file=sys.stderr)
