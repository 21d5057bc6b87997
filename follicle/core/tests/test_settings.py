"""Settings fail closed, and a production environment passes `follicle check --deploy`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FOLLICLE_", "DATABASE_URL"))}
    clean.update(env)
    clean["FOLLICLE_ENV_FILE"] = "/nonexistent"  # never read a developer's .env here
    return subprocess.run(
        [sys.executable, "-m", "follicle", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "FOLLICLE_SECRET_KEY": "k" * 30 + "-production-secret-with-enough-length-and-entropy-9f8e7d6c",
    "FOLLICLE_ALLOWED_HOSTS": "follicle.example.org",
    "FOLLICLE_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "FOLLICLE_EMAIL_HOST": "smtp.example.org",
}


def test_no_secret_key_outside_debug_refuses_to_start():
    result = _run(["check"], {})
    assert result.returncode != 0
    assert "FOLLICLE_SECRET_KEY" in result.stderr


def test_production_environment_passes_deploy_check(tmp_path):
    result = _run(
        ["check", "--deploy", "--fail-level", "WARNING"], PRODUCTION | {"FOLLICLE_VAR_DIR": str(tmp_path)}
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_debug_in_production_is_refused_by_deploy_check(tmp_path):
    env = PRODUCTION | {"FOLLICLE_DEBUG": "true", "FOLLICLE_VAR_DIR": str(tmp_path)}
    result = _run(["check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode != 0
    assert "follicle.E001" in result.stderr


def test_secure_defaults_outside_debug():
    from follicle import settings as s

    # The test process runs with FOLLICLE_TESTING; read what production would get.
    result = _run(
        [
            "shell",
            "-c",
            "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
            "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS > 0, s.DEBUG)",
        ],
        PRODUCTION,
    )
    assert result.stdout.strip().splitlines()[-1].split() == ["True", "True", "True", "True", "False"], (
        result.stderr
    )
    assert s.env_bool("FOLLICLE_NOT_SET", False) is False


def test_bad_boolean_is_a_clear_error():
    result = _run(["check"], {"FOLLICLE_DEBUG": "maybe"})
    assert result.returncode != 0
    assert "FOLLICLE_DEBUG must be true or false" in result.stderr


def test_secret_from_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file-" + "s" * 50)
    env = {k: v for k, v in PRODUCTION.items() if k != "FOLLICLE_SECRET_KEY"} | {
        "FOLLICLE_SECRET_KEY_FILE": str(secret)
    }
    result = _run(["shell", "-c", "from django.conf import settings; print(settings.SECRET_KEY[:12])"], env)
    assert result.stdout.strip().splitlines()[-1] == "from-a-file-", result.stderr


def test_env_file_parsing(tmp_path):
    from follicle import envfile

    assert envfile.parse("# comment\nA=1\nexport B='two words'\n\nC=\"x=y\"\n") == {
        "A": "1",
        "B": "two words",
        "C": "x=y",
    }
    path = tmp_path / ".env"
    assert envfile.write_local(path) is True
    assert envfile.write_local(path) is False  # never overwritten
    values = envfile.parse(path.read_text())
    assert values["FOLLICLE_DEBUG"] == "true" and len(values["FOLLICLE_SECRET_KEY"]) > 40


def test_hyphenated_commands_map_to_django_names():
    result = _run(["audit-verify", "--help"], {"FOLLICLE_DEBUG": "true"})
    assert result.returncode == 0, result.stderr
    assert "hash chain" in result.stdout
