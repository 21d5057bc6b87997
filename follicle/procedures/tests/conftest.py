"""Fixtures for the session-record and safety tests.

`ready` is a patient checked in today for plan session 1: screened suitable, treatment consent
signed, the plan active, a two-product formulation (a cocktail and a local anaesthetic) with a
usable lot of each, an expired lot and an exhausted lot. The clock is fixed at 09:55 on Monday
4 March 2030 (`time_machine`, ticking) so dates are the same on every run.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from follicle.core.audit import Auditor
from follicle.formulations import services as formulation_services
from follicle.formulations.models import Formulation, FormulationComponent, FormulationVersion, Product
from follicle.patients.services import consent_sign, consent_text_publish
from follicle.procedures import services
from follicle.scheduling import services as scheduling_services
from follicle.scheduling.models import Room
from follicle.treatments import services as treatment_services
from follicle.treatments.tests import conftest as treatments

MONDAY = treatments.MONDAY
auditor = treatments.auditor
open_clinic = treatments.open_clinic
patient = treatments.patient
protocol = treatments.protocol

SAFE_ANSWERS = {
    "pregnant_or_breastfeeding": "no",
    "new_anticoagulant": "no",
    "new_medicines": "no",
    "feeling_unwell": "no",
    "scalp_infection_or_wound": "no",
    "previous_effects_resolved": "na",
}


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())


@pytest.fixture
def clock():
    """Monday 4 March 2030, 09:55 local time; the clock ticks."""
    with time_machine.travel(at(MONDAY, 9, 55), tick=True) as traveller:
        yield traveller


@pytest.fixture
def as_role(personas, clinic):
    """An Auditor acting as the persona of a role ("nurse", "practitioner", …)."""

    def make(role: str) -> Auditor:
        return Auditor(actor=personas[role], role=role, clinic=clinic)

    return make


@pytest.fixture
def nurse(as_role):
    return as_role("nurse")


@pytest.fixture
def doctor(as_role):
    return as_role("practitioner")


@pytest.fixture
def cocktail(clinic, auditor):
    """A formulation of two products with lots: usable, expired and exhausted."""
    mix = Product.objects.create(clinic=clinic, name="Hair cocktail", volume_per_vial_ml=Decimal("5"))
    lido = Product.objects.create(clinic=clinic, name="Lidocaine 1%", volume_per_vial_ml=Decimal("2"))
    formulation = Formulation.objects.create(clinic=clinic, name="Cocktail with anaesthetic")
    version = FormulationVersion.objects.create(formulation=formulation, version=1)
    FormulationComponent.objects.create(version=version, product=mix, volume_ml=Decimal("4"))
    FormulationComponent.objects.create(version=version, product=lido, volume_ml=Decimal("1"))
    with time_machine.travel(at(dt.date(2029, 1, 10), 9), tick=False):
        lots = {
            "mix": formulation_services.lot_receive(
                product=mix,
                auditor=auditor,
                lot_number="MIX-001",
                expiry_date=dt.date(2031, 1, 1),
                quantity=10,
            ),
            "mix_expired": formulation_services.lot_receive(
                product=mix,
                auditor=auditor,
                lot_number="MIX-OLD",
                expiry_date=dt.date(2030, 1, 1),
                quantity=5,
            ),
            "lido": formulation_services.lot_receive(
                product=lido, auditor=auditor, lot_number="LID-7", expiry_date=dt.date(2031, 6, 1), quantity=4
            ),
            "lido_empty": formulation_services.lot_receive(
                product=lido, auditor=auditor, lot_number="LID-0", expiry_date=dt.date(2031, 6, 1), quantity=1
            ),
        }
        formulation_services.lot_adjust(
            lot=lots["lido_empty"], auditor=auditor, change=-1, reason="Broken vial"
        )
    for lot in lots.values():
        lot.refresh_from_db()
    return {"version": version, "mix": mix, "lido": lido, "lots": lots}


@pytest.fixture
def consented(patient, clinic, auditor):
    text = consent_text_publish(
        clinic=clinic, auditor=auditor, kind="treatment", language="el", title="Συναίνεση", body="Κείμενο"
    )
    consent_sign(patient=patient, auditor=auditor, text=text, signed_name=patient.full_name)
    return patient


@pytest.fixture
def ready(clock, consented, cocktail, protocol, auditor, open_clinic, personas, nurse):
    """Plan session 1 of an active plan, its appointment today at 10:00, the patient checked in."""
    patient = consented
    plan = treatment_services.plan_create(
        patient=patient,
        auditor=auditor,
        assessment=patient.assessments.first(),
        formulation_version=cocktail["version"],
        protocol=protocol,
        start_date=MONDAY,
        therapies=[{"kind": "topical_minoxidil", "dose": "5% twice daily", "start": MONDAY}],
    )
    treatment_services.plan_activate(plan=plan, auditor=auditor)
    session = plan.sessions.order_by("number").first()
    types = {
        t.code: t
        for t in scheduling_services.appointment_types_install_defaults(clinic=open_clinic, auditor=nurse)
    }
    room = Room.objects.create(clinic=open_clinic, name="Room 1")
    appointment = scheduling_services.appointment_book(
        clinic=open_clinic,
        auditor=nurse,
        patient=patient,
        practitioner=personas["practitioner"],
        type=types["session"],
        starts_at=at(MONDAY, 10),
        room=room,
        planned_session=session,
    )
    scheduling_services.appointment_set_status(appointment=appointment, auditor=nurse, to_status="checked_in")
    appointment.refresh_from_db()
    return {"patient": patient, "plan": plan, "session": session, "appointment": appointment, **cocktail}


@pytest.fixture
def started(ready, nurse):
    """`ready` with a clear safety check and the session record open (a draft)."""
    services.safety_check_record(appointment=ready["appointment"], auditor=nurse, **SAFE_ANSWERS)
    record = services.session_start(appointment=ready["appointment"], auditor=nurse)
    return {**ready, "record": record}


def complete(record, ready, nurse) -> None:
    """Fill in everything signing needs."""
    services.session_lot_set(record=record, product=ready["mix"], lot=ready["lots"]["mix"], auditor=nurse)
    services.session_lot_set(record=record, product=ready["lido"], lot=ready["lots"]["lido"], auditor=nurse)
    services.session_update(
        record=record,
        auditor=nurse,
        technique="nappage",
        prepared_volume_ml=Decimal("5"),
        pain_score=3,
        started_at=at(MONDAY, 10, 5),
        ended_at=at(MONDAY, 10, 40),
    )
    services.session_zones_set(
        record=record,
        auditor=nurse,
        zones={"vertex": (40, Decimal("2.5")), "frontal": (30, Decimal("2"))},
    )
    services.session_therapies_confirm(
        record=record,
        auditor=nurse,
        confirmations={therapy: ("taking", "") for therapy in ready["plan"].therapies.all()},
    )
