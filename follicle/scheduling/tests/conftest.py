"""Fixtures for the scheduling tests: an open clinic (Mon–Fri 9–17), rooms, types, a practitioner.

The treatments fixtures (screened patient, protocol, plans) are reused for plan sessions.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from follicle.core.audit import Auditor
from follicle.scheduling import services
from follicle.scheduling.models import Room
from follicle.treatments.tests import conftest as treatments

MONDAY = treatments.MONDAY
# The treatments fixtures, shared.
auditor = treatments.auditor
formulation = treatments.formulation
make_plan = treatments.make_plan
open_clinic = treatments.open_clinic
patient = treatments.patient
plan = treatments.plan
protocol = treatments.protocol


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """An aware local time."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())


@pytest.fixture
def reception(personas, clinic):
    return Auditor(actor=personas["receptionist"], role="receptionist", clinic=clinic)


@pytest.fixture
def doctor(personas):
    return personas["practitioner"]


@pytest.fixture
def setup(open_clinic, reception):
    """Rooms and the default appointment types of the (open) clinic."""
    types = {
        t.code: t for t in services.appointment_types_install_defaults(clinic=open_clinic, auditor=reception)
    }
    room = Room.objects.create(clinic=open_clinic, name="Room 1")
    room2 = Room.objects.create(clinic=open_clinic, name="Room 2")
    return {"types": types, "room": room, "room2": room2}


@pytest.fixture
def book(open_clinic, reception, doctor, setup, make_patient):
    """Book a consultation (no room) at a time, for a new or given patient."""

    def make(starts_at, *, patient=None, practitioner=None, type="consultation", room=None, **kwargs):
        return services.appointment_book(
            clinic=open_clinic,
            auditor=reception,
            patient=patient or make_patient(),
            practitioner=practitioner or doctor,
            type=setup["types"][type],
            starts_at=starts_at,
            room=room,
            **kwargs,
        )

    return make
