from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "follicle.procedures"
    label = "procedures"
    verbose_name = _("Session records")

    def ready(self) -> None:
        from follicle.formulations.lots import register_lot_trace_provider, register_lot_usage_provider
        from follicle.patients.chart import register_section_provider, register_timeline_provider
        from follicle.procedures import chart, trace
        from follicle.scheduling.panels import register_appointment_panel

        register_lot_usage_provider(trace.patients_given_lot)
        register_lot_trace_provider(trace.lot_sessions)
        register_section_provider(chart.sections)
        register_timeline_provider(chart.timeline)
        register_appointment_panel(chart.appointment_panel)
