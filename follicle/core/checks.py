"""System checks that refuse an unsafe production configuration (`follicle check --deploy`)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def follicle_deploy_checks(app_configs, **kwargs):
    problems = []
    if settings.DEBUG:
        problems.append(Error("FOLLICLE_DEBUG is on.", hint="Unset it in production.", id="follicle.E001"))
    if settings.SECRET_KEY.startswith("insecure-"):
        problems.append(
            Error(
                "The development secret key is in use.", hint="Set FOLLICLE_SECRET_KEY.", id="follicle.E002"
            )
        )
    if not settings.ALLOWED_HOSTS:
        problems.append(Error("FOLLICLE_ALLOWED_HOSTS is empty.", id="follicle.E003"))
    if settings.HUEY.get("immediate"):
        problems.append(
            Warning(
                "Background tasks run inside web requests.",
                hint="Unset FOLLICLE_TASKS_IMMEDIATE.",
                id="follicle.W001",
            )
        )
    if settings.EMAIL_BACKEND.endswith("console.EmailBackend"):
        problems.append(
            Warning(
                "E-mail is printed to the console, not sent.",
                hint=(
                    "Set FOLLICLE_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend "
                    "and FOLLICLE_EMAIL_HOST."
                ),
                id="follicle.W002",
            )
        )
    return problems
