from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SafetyConfig(AppConfig):
    name = "follicle.safety"
    label = "safety"
    verbose_name = _("Safety")

    def ready(self) -> None:
        from follicle.formulations.lots import register_lot_trace_provider
        from follicle.patients.chart import register_section_provider, register_timeline_provider
        from follicle.procedures.checks import register_open_events_provider
        from follicle.safety import chart, selectors, trace

        register_lot_trace_provider(trace.lot_events)
        register_section_provider(chart.sections)
        register_timeline_provider(chart.timeline)
        register_open_events_provider(selectors.open_events_for_patient)
