"""Journey: reception books a patient's next three sessions as a series → moves one → checks in."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from follicle.accounts.models import User
from follicle.assessments.services import assessment_create, screening_decide
from follicle.core.audit import Auditor
from follicle.core.models import Clinic
from follicle.formulations.services import formulation_create, product_create
from follicle.patients.models import Answer, MedicalHistory
from follicle.patients.services import history_record, patient_create
from follicle.scheduling.models import Appointment, AppointmentStatus
from follicle.scheduling.services import appointment_types_install_defaults, room_save
from follicle.treatments.checks import run_patient_check
from follicle.treatments.services import (
    plan_acknowledge,
    plan_activate,
    plan_create,
    protocol_templates_install_defaults,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def next_weekday(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


@pytest.fixture
def active_plan(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("load_reference")
    call_command("demo", "--patients", "0")
    athens = Clinic.objects.get(name="Athens")
    doctor = Auditor(actor=User.objects.get(username="doctor.athens"), role="practitioner", clinic=athens)
    appointment_types_install_defaults(clinic=athens, auditor=doctor)
    room_save(clinic=athens, auditor=doctor, name="Αίθουσα 1")
    product = product_create(
        clinic=athens,
        auditor=doctor,
        name="Biotin and B-complex",
        volume_per_vial_ml=Decimal("2"),
        ingredients=[("biotin", None, ""), ("b_complex", None, "")],
    )
    formulation = formulation_create(
        clinic=athens, auditor=doctor, name="Vitamins", components=[(product, Decimal("2"))]
    )
    protocols = protocol_templates_install_defaults(clinic=athens, auditor=doctor)
    patient = patient_create(
        clinic=athens,
        auditor=doctor,
        first_name="Ελένη",
        last_name="Μαυρίδου",
        sex="female",
        date_of_birth=dt.date(1988, 3, 9),
    )
    history_record(patient=patient, auditor=doctor, **{n: Answer.NO for n in MedicalHistory.YES_NO_FIELDS})
    assessment = assessment_create(
        patient=patient, auditor=doctor, diagnosis="fphl", scale="ludwig", grade="I"
    )
    screening_decide(patient=patient, auditor=doctor, result="suitable")
    plan = plan_create(
        patient=patient,
        auditor=doctor,
        assessment=assessment,
        formulation_version=formulation.versions.get(),
        protocol=protocols[0],
        start_date=next_weekday(timezone.localdate()),
        goals="Less shedding",
    )
    for caution in run_patient_check(plan).cautions:
        plan_acknowledge(plan=plan, auditor=doctor, code=caution.code)
    plan_activate(plan=plan, auditor=doctor)
    return plan


def test_reception_books_a_series_moves_one_and_checks_in(active_plan, journey, page):
    # Given reception opens the plan's booking page
    journey.sign_in("reception.athens")
    page.get_by_test_id("language-menu").click()
    page.get_by_role("button", name="English").click()
    page.goto(f"/scheduling/plans/{active_plan.uuid}/book/")
    page.locator("#id_practitioner").select_option(label="Νίκος Γεωργίου")
    page.locator("#id_room").select_option(label="Αίθουσα 1")
    page.locator("#id_preferred").fill("10:00")
    page.get_by_role("button", name="Propose times").click()

    # When the proposal is shown, she keeps the next three sessions only and checks again
    proposed = page.get_by_test_id("series-form").locator("input[type=datetime-local]")
    expect(proposed.first).not_to_have_value("")
    count = proposed.count()
    for index in range(3, count):
        proposed.nth(index).fill("")
    page.get_by_role("button", name="Check again").click()
    expect(page.get_by_role("button", name="Book 3 sessions")).to_be_visible()
    journey.check_accessibility()
    journey.screenshot("series-preview")
    page.get_by_role("button", name="Book 3 sessions").click()

    # Then three appointments are booked for the plan's sessions
    expect(page.get_by_role("status").first).to_contain_text("3 sessions booked")
    appointments = list(Appointment.objects.filter(planned_session__plan=active_plan).order_by("starts_at"))
    assert len(appointments) == 3
    assert [a.planned_session.number for a in appointments] == [1, 2, 3]

    # When she moves the second one an hour later on the same day
    second = appointments[1]
    page.goto(f"/scheduling/appointments/{second.uuid}/")
    new_time = (timezone.localtime(second.starts_at) + dt.timedelta(hours=1)).strftime("%H:%M")
    page.locator("#id_time").fill(new_time)
    journey.check_accessibility()
    page.get_by_role("button", name="Move the appointment").click()
    expect(page.get_by_test_id("history")).to_contain_text(new_time)
    second.refresh_from_db()
    assert timezone.localtime(second.starts_at).strftime("%H:%M") == new_time

    # And on the day, she checks the patient in for the first session
    first = appointments[0]
    page.goto(f"/scheduling/appointments/{first.uuid}/")
    page.get_by_role("button", name="Check in").click()
    first.refresh_from_db()
    assert first.status == AppointmentStatus.CHECKED_IN
    journey.screenshot("checked-in")

    # And the calendar shows the week, with no clinical content for reception
    day = timezone.localtime(first.starts_at).date().isoformat()
    page.goto(f"/scheduling/calendar/?view=week&date={day}&practitioner={first.practitioner.uuid}")
    expect(page.locator("main")).to_contain_text("Μαυρίδου")
    journey.screenshot("calendar-week")
    expect(page.locator("main")).not_to_contain_text("Vitamins")
    journey.check_accessibility()
    journey.assert_no_js_errors()
