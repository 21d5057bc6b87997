from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "follicle.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from follicle.core import checks, tasks  # noqa: F401  (registers system checks and tasks)
