from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutcomesConfig(AppConfig):
    name = "follicle.outcomes"
    label = "outcomes"
    verbose_name = _("Outcomes")

    def ready(self) -> None:
        from follicle.outcomes import chart
        from follicle.patients.chart import register_section_provider

        register_section_provider(chart.sections)
