"""Journey: build a formulation → plan a course for a screened patient → see the schedule →
move a session and confirm the shifted dates."""

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
from follicle.formulations.services import product_create
from follicle.patients.models import Answer, MedicalHistory
from follicle.patients.services import history_record, patient_create
from follicle.treatments.services import protocol_templates_install_defaults

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def screened_patient(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("load_reference")
    call_command("demo", "--patients", "0")
    athens = Clinic.objects.get(name="Athens")
    doctor = Auditor(actor=User.objects.get(username="doctor.athens"), role="practitioner", clinic=athens)
    product_create(
        clinic=athens,
        auditor=doctor,
        name="Dutasteride 0.01 % solution",
        manufacturer="Galenica Test",
        kind="compounded",
        volume_per_vial_ml=Decimal("2"),
        ingredients=[("dutasteride", Decimal("0.01"), "%")],
    )
    product_create(
        clinic=athens,
        auditor=doctor,
        name="Biotin and B-complex",
        manufacturer="Vita Test",
        volume_per_vial_ml=Decimal("2"),
        ingredients=[("biotin", None, ""), ("b_complex", None, "")],
    )
    protocol_templates_install_defaults(clinic=athens, auditor=doctor)
    patient = patient_create(
        clinic=athens,
        auditor=doctor,
        first_name="Νίκος",
        last_name="Αντωνίου",
        sex="male",
        date_of_birth=dt.date(1984, 6, 1),
    )
    history_record(patient=patient, auditor=doctor, **{n: Answer.NO for n in MedicalHistory.YES_NO_FIELDS})
    assessment_create(
        patient=patient, auditor=doctor, diagnosis="aga_male", scale="hamilton_norwood", grade="III vertex"
    )
    screening_decide(patient=patient, auditor=doctor, result="suitable")
    return patient


def switch_language(page, name):
    page.get_by_test_id("language-menu").click()
    page.get_by_role("button", name=name).click()


def test_formulation_to_plan_to_shifted_schedule(screened_patient, journey, page):
    # Given a practitioner composes a formulation from the clinic's products
    journey.sign_in("doctor.athens")
    switch_language(page, "English")
    page.goto("/formulations/new/")
    page.locator("#id_name").fill("Men's AGA — dutasteride cocktail")
    page.locator("#id_components-0-product").select_option(label="Dutasteride 0.01 % solution")
    page.locator("#id_components-0-volume_ml").fill("2")
    page.get_by_role("button", name="Add a row").click()
    page.locator("#id_components-1-product").select_option(label="Biotin and B-complex")
    page.locator("#id_components-1-volume_ml").fill("1.5")
    journey.check_accessibility()
    page.get_by_role("button", name="Create the formulation").click()

    # Then its page shows the mechanism coverage as a chart and the total volume
    expect(page.get_by_test_id("coverage-chart")).to_be_visible()
    expect(page.get_by_test_id("total-volume")).to_have_text("3.5 mL")
    journey.check_accessibility()
    journey.screenshot("formulation")

    # When they create a plan for the screened patient, starting next Monday
    today = timezone.localdate()
    start = today + dt.timedelta(days=7 - today.weekday())
    page.goto(f"/treatments/patients/{screened_patient.uuid}/plans/new/")
    page.locator("#id_formulation_version").select_option(index=1)
    page.locator("#id_protocol").select_option(index=1)
    page.locator("#id_start_date").fill(start.isoformat())
    page.locator("#id_goals").fill("Stop the shedding; thicker vertex at 6 months")
    journey.check_accessibility()
    page.locator("main form button[type=submit]").last.click()

    # Then the plan shows a dated schedule, and it can be activated
    schedule = page.get_by_test_id("schedule")
    expect(schedule).to_be_visible()
    first_date = schedule.locator("tbody tr time").first.get_attribute("datetime")
    assert first_date == start.isoformat()
    journey.screenshot("plan-draft")
    page.get_by_role("link", name="Start (activate)").click()
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator("h1")).to_contain_text("Active")

    # When session 2 is moved three days later
    dates_before = [
        t.get_attribute("datetime") for t in schedule.locator("tbody tr:has-text('Session') time").all()
    ]
    page.get_by_role("link", name="Move or mark missed (session 2)").click()
    new_date = dt.date.fromisoformat(dates_before[1]) + dt.timedelta(days=3)
    while new_date.weekday() >= 5:
        new_date += dt.timedelta(days=1)
    page.locator("#id_new_date").fill(new_date.isoformat())
    page.get_by_role("button", name="Preview the new dates").click()

    # Then the practitioner sees the new dates before confirming
    preview = page.get_by_test_id("shift-preview")
    expect(preview).to_be_visible()
    journey.check_accessibility()
    journey.screenshot("shift-preview")
    page.get_by_role("button", name="Confirm and update the schedule").click()

    # And the schedule keeps the protocol's intervals from the moved session
    expect(page.get_by_test_id("schedule")).to_be_visible()
    dates_after = [
        t.get_attribute("datetime")
        for t in page.get_by_test_id("schedule").locator("tbody tr:has-text('Session') time").all()
    ]
    assert dates_after[0] == dates_before[0]
    assert dates_after[1] == new_date.isoformat()
    assert dates_after[2] > dates_before[2]
    journey.screenshot("plan-shifted")

    # And the chart shows the active plan
    page.goto(f"/patients/{screened_patient.uuid}/")
    expect(page.locator("main")).to_contain_text("Men's AGA")
    switch_language(page, "Ελληνικά")
    expect(page.locator("html")).to_have_attribute("lang", "el")
    journey.screenshot("chart-greek")
    journey.assert_no_js_errors()
