"""Fixtures for the treatments tests: an open clinic, a screened patient, a formulation, a protocol."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from follicle.assessments.services import assessment_create, screening_compute, screening_decide
from follicle.core.audit import Auditor
from follicle.core.models import ClosedDay, OpeningHours
from follicle.formulations.models import Formulation, FormulationComponent, FormulationVersion, Product
from follicle.patients.models import Answer, MedicalHistory
from follicle.patients.services import history_record
from follicle.treatments import services

MONDAY = dt.date(2030, 3, 4)


def open_weekdays(clinic, weekdays=(0, 1, 2, 3, 4)):
    for day in weekdays:
        OpeningHours.objects.create(clinic=clinic, weekday=day, opens_at=dt.time(9), closes_at=dt.time(17))


@pytest.fixture
def auditor(personas, clinic):
    return Auditor(actor=personas["practitioner"], role="practitioner", clinic=clinic)


@pytest.fixture
def open_clinic(clinic, other_clinic):
    """Open Monday to Friday; closed on Tuesday 12 March 2030."""
    open_weekdays(clinic)
    open_weekdays(other_clinic)
    ClosedDay.objects.create(clinic=clinic, date=dt.date(2030, 3, 12), reason="Holiday")
    return clinic


def make_formulation(clinic, name="Dutasteride cocktail") -> FormulationVersion:
    product = Product.objects.create(clinic=clinic, name=f"{name} vial", volume_per_vial_ml=Decimal("2"))
    formulation = Formulation.objects.create(clinic=clinic, name=name)
    version = FormulationVersion.objects.create(formulation=formulation, version=1)
    FormulationComponent.objects.create(version=version, product=product, volume_ml=Decimal("2"))
    return version


@pytest.fixture
def formulation(clinic):
    return make_formulation(clinic)


def screen(patient, auditor, result=None, **answers):
    """Record a history, an assessment and the practitioner's decision (computed unless given)."""
    values = {name: Answer.NO for name in MedicalHistory.YES_NO_FIELDS} | answers
    history_record(patient=patient, auditor=auditor, **values)
    if not patient.assessments.exists():
        assessment_create(patient=patient, auditor=auditor, diagnosis="fphl", scale="ludwig", grade="II")
    outcome, _history, _assessment = screening_compute(patient=patient)
    result = result or outcome.result
    return screening_decide(
        patient=patient,
        auditor=auditor,
        result=result,
        override_reason="" if result == outcome.result else "Reviewed in clinic",
    )


@pytest.fixture
def patient(make_patient, catalogue, auditor):
    patient = make_patient()
    screen(patient, auditor, result="suitable")
    return patient


@pytest.fixture
def protocol(open_clinic, auditor):
    return services.protocol_template_create(
        clinic=open_clinic,
        auditor=auditor,
        name="Weekly then fortnightly",
        technique="nappage",
        volume_ml=Decimal("2"),
        zones=["vertex", "frontal"],
        checkpoints_months=[0, 3, 6],
        phases=[
            {"name": "Weekly", "sessions": 4, "interval_days": 7},
            {"name": "Every 2 weeks", "sessions": 2, "interval_days": 14},
        ],
    )


@pytest.fixture
def make_plan(patient, formulation, protocol, auditor):
    def make(start_date=MONDAY, **fields):
        values = {
            "patient": patient,
            "auditor": auditor,
            "assessment": patient.assessments.first(),
            "formulation_version": formulation,
            "protocol": protocol,
            "start_date": start_date,
            "goals": "Stop the shedding; thicker vertex",
        } | fields
        return services.plan_create(**values)

    return make


@pytest.fixture
def plan(make_plan):
    return make_plan(
        therapies=[
            {"kind": "finasteride", "dose": "1 mg daily", "instructions": "With food", "start": MONDAY}
        ]
    )
