"""Fixtures for the safety tests: the session-record fixtures, a signed session and events on it.

The clock is the session-record fixtures' (Monday 4 March 2030, 09:55, ticking); the session is
at 10:00 that day, so events have their onset on MONDAY or later.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from follicle.core.audit import Auditor
from follicle.patients.services import consent_sign, consent_text_publish
from follicle.procedures import services as procedure_services
from follicle.procedures.tests import conftest as procedures
from follicle.safety import services
from follicle.scheduling import services as scheduling_services
from follicle.scheduling.models import AppointmentType, Room
from follicle.treatments import services as treatment_services
from follicle.treatments.tests.conftest import screen

MONDAY = procedures.MONDAY
at = procedures.at
complete = procedures.complete
# The session-record fixtures, shared.
as_role = procedures.as_role
auditor = procedures.auditor
clock = procedures.clock
cocktail = procedures.cocktail
consented = procedures.consented
doctor = procedures.doctor
nurse = procedures.nurse
open_clinic = procedures.open_clinic
patient = procedures.patient
protocol = procedures.protocol
ready = procedures.ready
started = procedures.started


@pytest.fixture
def signed(started, nurse, doctor):
    """`started`, completed with both usable lots and signed by the practitioner."""
    record = started["record"]
    complete(record, started, nurse)
    record = procedure_services.session_sign(record=record, auditor=doctor)
    return {**started, "record": record}


@pytest.fixture
def report(signed, nurse):
    """Report an event on the signed session (bruising, grade 1, today) unless told otherwise."""

    def make(**fields):
        values = {
            "patient": signed["patient"],
            "auditor": nurse,
            "session": signed["record"],
            "term": "bruising_haematoma",
            "grade": 1,
            "onset_date": MONDAY,
        } | fields
        return services.adverse_event_report(**values)

    return make


@pytest.fixture
def second(signed, make_patient, auditor, nurse, personas, open_clinic, protocol):
    """Another patient whose session today at 12:00 (a draft) used the same cocktail lot."""
    patient = make_patient(first_name="Άννα", last_name="Γεωργίου", date_of_birth=dt.date(1979, 2, 3))
    screen(patient, auditor, result="suitable")
    text = consent_text_publish(
        clinic=open_clinic,
        auditor=auditor,
        kind="treatment",
        language="el",
        title="Συναίνεση",
        body="Κείμενο",
    )
    consent_sign(patient=patient, auditor=auditor, text=text, signed_name=patient.full_name)
    plan = treatment_services.plan_create(
        patient=patient,
        auditor=auditor,
        assessment=patient.assessments.first(),
        formulation_version=signed["version"],
        protocol=protocol,
        start_date=MONDAY,
    )
    treatment_services.plan_activate(plan=plan, auditor=auditor)
    appointment = scheduling_services.appointment_book(
        clinic=open_clinic,
        auditor=nurse,
        patient=patient,
        practitioner=personas["practitioner"],
        type=AppointmentType.objects.get(clinic=open_clinic, code="session"),
        starts_at=at(MONDAY, 12),
        room=Room.objects.get(clinic=open_clinic),
        planned_session=plan.sessions.order_by("number").first(),
    )
    scheduling_services.appointment_set_status(appointment=appointment, auditor=nurse, to_status="checked_in")
    procedure_services.safety_check_record(appointment=appointment, auditor=nurse, **procedures.SAFE_ANSWERS)
    record = procedure_services.session_start(appointment=appointment, auditor=nurse)
    procedure_services.session_lot_set(
        record=record, product=signed["mix"], lot=signed["lots"]["mix"], auditor=nurse
    )
    return {"patient": patient, "record": record}


@pytest.fixture
def system(clinic):
    return Auditor.system(clinic=clinic, label="system:test")


def client_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)
