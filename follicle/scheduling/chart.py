"""The scheduling app's card on the patient chart: the patient's coming and recent appointments."""

from __future__ import annotations

from django.utils import timezone

from follicle.accounts.roles import can
from follicle.patients.chart import ChartSection
from follicle.scheduling.models import Appointment


def sections(patient, request) -> list[ChartSection]:
    role = request.membership.role
    if not can(role, "appointments", "r"):
        return []
    now = timezone.now()
    rows = Appointment.objects.filter(clinic=patient.clinic, patient=patient).select_related(
        "type", "practitioner", "room"
    )
    return [
        ChartSection(
            template="scheduling/chart_appointments.html",
            order=5,
            context={
                "upcoming": list(rows.filter(starts_at__gte=now).order_by("starts_at")[:5]),
                "recent": list(rows.filter(starts_at__lt=now).order_by("-starts_at")[:3]),
                "can_book": can(role, "appointments", "w"),
            },
        )
    ]
