"""Running `follicle` in a separate process against the test database (for multi-process tests)."""

from __future__ import annotations

from django.db import connection


def test_database_url() -> str:
    """A DATABASE_URL that points another process at the database this test uses."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
    host = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    return f"postgres://{s['USER'] or 'postgres'}{password}@{host}/{s['NAME']}"


test_database_url.__test__ = False  # a helper, not a pytest test


def process_env() -> dict[str, str]:
    """The environment for a `python -m follicle …` process that uses this test's database."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("FOLLICLE_")}
    return env | {
        "FOLLICLE_TESTING": "true",
        "DATABASE_URL": test_database_url(),
        "FOLLICLE_ENV_FILE": "/nonexistent",
    }


process_env.__test__ = False
