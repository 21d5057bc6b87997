from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    name = "follicle.assessments"
    label = "assessments"
    verbose_name = _("Assessments")

    def ready(self) -> None:
        from follicle.assessments.chart import sections, timeline
        from follicle.patients.chart import register_section_provider, register_timeline_provider

        register_section_provider(sections)
        register_timeline_provider(timeline)
