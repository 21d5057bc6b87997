from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TreatmentsConfig(AppConfig):
    name = "follicle.treatments"
    label = "treatments"
    verbose_name = _("Treatments")

    def ready(self) -> None:
        from follicle.formulations.versions import register_version_usage_check
        from follicle.patients.chart import register_section_provider, register_timeline_provider
        from follicle.treatments.chart import sections, timeline
        from follicle.treatments.selectors import formulation_version_in_plans

        register_section_provider(sections)
        register_timeline_provider(timeline)
        # A formulation version a plan uses is fixed: editing the formulation makes a new version.
        register_version_usage_check(formulation_version_in_plans)
