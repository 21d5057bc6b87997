"""Journey: check in → safety check → injections on the scalp map with the keyboard → sign →
report bruising → follow up → resolve."""

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
from follicle.formulations.services import formulation_create, lot_receive, product_create
from follicle.patients.models import Answer, MedicalHistory
from follicle.patients.services import consent_sign, consent_text_publish, history_record, patient_create
from follicle.procedures.models import RecordStatus, SessionRecord
from follicle.safety.models import AdverseEvent, EventStatus
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


@pytest.fixture
def appointment(settings):
    """A patient with an active plan, booked for plan session 1 now; not yet checked in."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("load_reference")
    call_command("demo", "--patients", "0")
    athens = Clinic.objects.get(name="Athens")
    doctor_user = User.objects.get(username="doctor.athens")
    doctor = Auditor(actor=doctor_user, role="practitioner", clinic=athens)
    types = {t.code: t for t in appointment_types_install_defaults(clinic=athens, auditor=doctor)}
    room = room_save(clinic=athens, auditor=doctor, name="Αίθουσα 1")
    product = product_create(
        clinic=athens,
        auditor=doctor,
        name="Biotin and B-complex",
        volume_per_vial_ml=Decimal("2"),
        ingredients=[("biotin", None, ""), ("b_complex", None, "")],
    )
    lot_receive(
        product=product,
        auditor=doctor,
        lot_number="BX-2211",
        expiry_date=timezone.localdate() + dt.timedelta(days=300),
        quantity=10,
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
    text = consent_text_publish(
        clinic=athens, auditor=doctor, kind="treatment", language="el", title="Συναίνεση", body="Κείμενο"
    )
    consent_sign(patient=patient, auditor=doctor, text=text, signed_name="Ελένη Μαυρίδου")
    plan = plan_create(
        patient=patient,
        auditor=doctor,
        assessment=assessment,
        formulation_version=formulation.versions.get(),
        protocol=protocols[0],
        start_date=timezone.localdate(),
        goals="Less shedding",
    )
    for caution in run_patient_check(plan).cautions:
        plan_acknowledge(plan=plan, auditor=doctor, code=caution.code)
    plan_activate(plan=plan, auditor=doctor)
    # Booked directly (not through the slot rules): the journey must run at any hour of any day.
    now = timezone.now().replace(second=0, microsecond=0)
    starts_at = max(now - dt.timedelta(minutes=5), timezone.localtime(now).replace(hour=0, minute=0))
    return Appointment.objects.create(
        clinic=athens,
        patient=patient,
        practitioner=doctor_user,
        room=room,
        type=types["session"],
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=45),
        planned_session=plan.sessions.order_by("number").first(),
        created_by=doctor_user,
    )


def test_a_session_from_check_in_to_a_resolved_bruise(appointment, journey, page):
    # Given the practitioner opens today's appointment
    journey.sign_in("doctor.athens")
    page.get_by_test_id("language-menu").click()
    page.get_by_role("button", name="English").click()
    page.goto(f"/scheduling/appointments/{appointment.uuid}/")
    expect(page.locator("main")).to_contain_text("Check the patient in first.")

    # When the patient is checked in and the safety check is answered: nothing has changed
    page.get_by_role("button", name="Check in").click()
    page.get_by_role("link", name="Do the safety check").click()
    form = page.get_by_test_id("check-form")
    for fieldset in form.locator("fieldset").all():
        legend = fieldset.locator("legend").inner_text()
        answer = "Not applicable" if "previous session" in legend else "No"
        fieldset.get_by_text(answer, exact=True).click()
    journey.check_accessibility()
    page.get_by_role("button", name="Record the safety check").click()

    # Then the check is clear and the session can start
    expect(page.locator("main")).to_contain_text("Clear")
    journey.screenshot("check-clear")
    page.get_by_role("button", name="Start the session").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Session record")
    record = SessionRecord.objects.get(appointment=appointment)

    # When the lot, the delivery details and the injections are recorded
    page.get_by_test_id("lot-biotin-and-b-complex").get_by_label("Lot").select_option(index=1)
    page.get_by_test_id("lot-biotin-and-b-complex").get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("lot-biotin-and-b-complex")).to_contain_text("Lot BX-2211")
    page.get_by_label("Technique").select_option("nappage")
    page.get_by_label("Needle gauge (G)").fill("30")
    page.get_by_label("Needle length (mm)").fill("4")
    page.get_by_label("Volume prepared (mL)").fill("2")
    page.get_by_label("Pain score (0–10)").fill("3")
    page.get_by_label("Started at").fill(timezone.localtime(appointment.starts_at).strftime("%H:%M"))
    page.get_by_label("Ended at").fill(
        timezone.localtime(appointment.starts_at + dt.timedelta(minutes=35)).strftime("%H:%M")
    )
    page.get_by_role("button", name="Save the delivery details").click()
    expect(page.locator("main")).not_to_contain_text("Record the pain score.")

    # … on the scalp map, with the keyboard only: vertex, then one zone up (mid-scalp)
    vertex = page.locator("svg.scalp-map a[data-zone=vertex]")
    vertex.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#id_points_vertex")).to_be_focused()
    page.keyboard.type("40")
    page.keyboard.press("Tab")
    page.keyboard.type("1.2")
    vertex.focus()
    page.keyboard.press("ArrowUp")
    expect(page.locator("svg.scalp-map a[data-zone=mid_scalp]")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#id_points_mid_scalp")).to_be_focused()
    page.keyboard.type("25")
    page.keyboard.press("Tab")
    page.keyboard.type("0.8")
    expect(page.locator("main")).to_contain_text("2.0 of 2.0 mL prepared")
    journey.screenshot("scalp-map")
    page.get_by_role("button", name="Save the injections").click()
    expect(page.locator("svg.scalp-map")).to_contain_text("40 pts")
    journey.check_accessibility()

    # Then the practitioner signs, and the record is locked and the appointment done
    page.get_by_role("button", name="Sign the record").click()
    expect(page.locator("main")).to_contain_text("Verified: the record is exactly as it was signed.")
    record.refresh_from_db()
    appointment.refresh_from_db()
    assert record.status == RecordStatus.SIGNED
    assert appointment.status == AppointmentStatus.DONE
    assert {z.zone: z.points for z in record.zones.all()} == {"vertex": 40, "mid_scalp": 25}
    assert record.lots.get().lot.quantity_left == 9
    journey.screenshot("signed")

    # When bruising is reported on the session
    page.get_by_role("link", name="Report an adverse event").first.click()
    page.get_by_label("What happened").select_option("bruising_haematoma")
    page.get_by_text("Grade 1 — mild", exact=False).click()
    page.get_by_label("BX-2211", exact=False).check()
    page.get_by_label("Action taken").fill("Cold compress; told to avoid aspirin")
    journey.check_accessibility()
    page.get_by_role("button", name="Report the event").click()
    event = AdverseEvent.objects.get(patient=appointment.patient)
    assert event.session == record and [lot.lot_number for lot in event.lots.all()] == ["BX-2211"]
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bruising")

    # And followed up, then resolved
    page.get_by_text("Improving", exact=True).click()
    page.get_by_label("What was found").fill("Fading, yellowish, no swelling")
    page.get_by_role("button", name="Record the follow-up").click()
    expect(page.locator("main")).to_contain_text("Fading, yellowish")
    page.get_by_label("Resolved on").fill(timezone.localdate().isoformat())
    page.get_by_label("Outcome").select_option("recovered")
    page.get_by_role("button", name="Mark resolved").click()

    # Then the event is resolved with its follow-up kept, and the chart shows it
    event.refresh_from_db()
    assert event.status == EventStatus.RESOLVED and event.follow_ups.count() == 1
    expect(page.locator("main")).to_contain_text("Resolved")
    journey.check_accessibility()
    journey.screenshot("resolved")
    page.goto(f"/patients/{appointment.patient.uuid}/")
    expect(page.locator("main")).to_contain_text("Bruising")
    journey.assert_no_js_errors()
