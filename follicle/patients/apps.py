from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatientsConfig(AppConfig):
    name = "follicle.patients"
    label = "patients"
    verbose_name = _("Patients")

    def ready(self) -> None:
        from follicle.patients.chart import register_timeline_provider
        from follicle.patients.timeline import patient_events

        register_timeline_provider(patient_events)
