from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulingConfig(AppConfig):
    name = "follicle.scheduling"
    label = "scheduling"
    verbose_name = _("Scheduling")

    def ready(self) -> None:
        from follicle.patients.chart import register_section_provider
        from follicle.scheduling.chart import sections

        register_section_provider(sections)
