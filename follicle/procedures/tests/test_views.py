"""Pages of the treatment room: who sees what, and each section of a record through its form."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import client_for
from follicle.procedures import services
from follicle.procedures.models import CheckResult, RecordStatus, SafetyCheck
from follicle.procedures.tests.conftest import SAFE_ANSWERS, complete

CLINICAL = ("practitioner", "nurse")
NOT_CLINICAL = ("receptionist", "admin")


def record_url(record, tail: str = "") -> str:
    return f"/sessions/{record.uuid}/{tail}"


def check_url(appointment) -> str:
    return f"/sessions/appointment/{appointment.uuid}/check/"


@pytest.fixture
def signed(started, nurse, doctor):
    record = started["record"]
    complete(record, started, nurse)
    services.session_sign(record=record, auditor=doctor)
    record.refresh_from_db()
    return {**started, "record": record}


def _text(response) -> str:
    return response.content.decode()


@pytest.mark.django_db
class TestWhoSeesWhat:
    @pytest.mark.parametrize("role", CLINICAL)
    def test_every_page_renders_for_clinical_staff(self, started, personas, role):
        client = client_for(personas[role])
        record, appointment = started["record"], started["appointment"]
        listing = client.get("/sessions/")
        assert listing.status_code == 200 and started["patient"].full_name in _text(listing)
        assert client.get("/sessions/?status=draft").status_code == 200
        assert client.get(f"/sessions/?patient={started['patient'].uuid}").status_code == 200
        page = client.get(check_url(appointment))
        assert page.status_code == 200 and 'data-testid="check-result"' in _text(page)
        page = client.get(record_url(record))
        assert page.status_code == 200
        text = _text(page)
        assert 'id="zones-form"' in text and "scalpmap.js" in text and 'role="group"' in text
        assert 'aria-live="polite"' in text
        panel = client.get(f"/scheduling/appointments/{appointment.uuid}/")
        assert 'data-testid="session-panel"' in _text(panel) and 'data-testid="to-record"' in _text(panel)
        chart = client.get(f"/patients/{started['patient'].uuid}/")
        assert 'data-testid="sessions-card"' in _text(chart)

    @pytest.mark.parametrize("role", CLINICAL)
    def test_signed_record_renders_read_only(self, signed, personas, role):
        page = client_for(personas[role]).get(record_url(signed["record"]))
        text = _text(page)
        assert page.status_code == 200
        assert 'id="zones-form"' not in text and "scalpmap.js" not in text
        assert 'data-testid="signature"' in text and "Verified" in text
        assert "40 pts" in text and 'role="img"' in text

    @pytest.mark.parametrize("role", NOT_CLINICAL)
    def test_other_roles_are_refused(self, started, personas, role):
        client = client_for(personas[role])
        record, appointment = started["record"], started["appointment"]
        assert client.get("/sessions/").status_code == 403
        assert client.get(check_url(appointment)).status_code == 403
        assert client.get(record_url(record)).status_code == 403
        assert client.post(record_url(record, "injections/"), {"points_vertex": "1"}).status_code == 403
        panel = client.get(f"/scheduling/appointments/{appointment.uuid}/")
        assert panel.status_code == 200 and 'data-testid="session-panel"' not in _text(panel)

    def test_another_clinic_sees_nothing(self, started, personas):
        client = client_for(personas["other_practitioner"])
        record, appointment = started["record"], started["appointment"]
        assert client.get(record_url(record)).status_code == 404
        assert client.get(check_url(appointment)).status_code == 404
        assert client.post(f"/sessions/appointment/{appointment.uuid}/start/").status_code == 404
        assert client.post(record_url(record, "sign/")).status_code == 404
        assert client.get("/sessions/").status_code == 200
        assert started["patient"].full_name not in _text(client.get("/sessions/"))


@pytest.mark.django_db
class TestSafetyCheck:
    def test_pregnancy_is_a_hard_stop_without_a_start_button(self, ready, personas):
        client = client_for(personas["nurse"])
        appointment = ready["appointment"]
        page = client.get(check_url(appointment))
        assert page.status_code == 200 and 'data-testid="check-form"' in _text(page)
        response = client.post(
            check_url(appointment), {**SAFE_ANSWERS, "pregnant_or_breastfeeding": "yes"}, follow=True
        )
        text = _text(response)
        assert response.status_code == 200
        assert 'data-testid="hard-stops"' in text and "must not go ahead" in text
        assert 'data-testid="start-session"' not in text
        assert SafetyCheck.objects.get(appointment=appointment).result == CheckResult.BLOCKED
        start = client.post(f"/sessions/appointment/{appointment.uuid}/start/", follow=True)
        assert "hard stop" in _text(start) and not hasattr(appointment, "session_record")

    def test_unanswered_questions_are_422(self, ready, personas):
        response = client_for(personas["nurse"]).post(check_url(ready["appointment"]), {"notes": "x"})
        assert response.status_code == 422 and "Answer this question." in _text(response)
        assert not SafetyCheck.objects.exists()

    def test_clear_check_then_start(self, ready, personas):
        client = client_for(personas["nurse"])
        appointment = ready["appointment"]
        page = client.post(check_url(appointment), SAFE_ANSWERS, follow=True)
        assert 'data-testid="start-session"' in _text(page)
        response = client.post(f"/sessions/appointment/{appointment.uuid}/start/")
        appointment.refresh_from_db()
        assert response.status_code == 302 and response["Location"] == record_url(appointment.session_record)

    def test_cautions_are_acknowledged_by_a_practitioner_only(self, ready, personas):
        nurse = client_for(personas["nurse"])
        appointment = ready["appointment"]
        answers = {**SAFE_ANSWERS, "new_medicines": "yes", "medicines_detail": "Vitamin D"}
        page = nurse.post(check_url(appointment), answers, follow=True)
        check = SafetyCheck.objects.get(appointment=appointment)
        assert check.result == CheckResult.CAUTION
        assert 'data-testid="acknowledge-form"' not in _text(page) and "A practitioner must" in _text(page)
        assert 'data-testid="start-session"' not in _text(page)
        assert nurse.post(f"/sessions/checks/{check.uuid}/acknowledge/", {"note": "ok"}).status_code == 403
        doctor = client_for(personas["practitioner"])
        assert 'data-testid="acknowledge-form"' in _text(doctor.get(check_url(appointment)))
        page = doctor.post(f"/sessions/checks/{check.uuid}/acknowledge/", {"note": "Reviewed"}, follow=True)
        check.refresh_from_db()
        assert check.passed and check.acknowledgement_note == "Reviewed"
        assert 'data-testid="start-session"' in _text(page)

    def test_a_non_plan_appointment_has_no_check(self, ready, personas, open_clinic, nurse):
        from follicle.procedures.tests.conftest import MONDAY, at
        from follicle.scheduling import services as scheduling_services
        from follicle.scheduling.models import AppointmentType

        other = scheduling_services.appointment_book(
            clinic=open_clinic,
            auditor=nurse,
            patient=ready["patient"],
            practitioner=personas["practitioner"],
            type=AppointmentType.objects.filter(clinic=open_clinic).exclude(code="session").first(),
            starts_at=at(MONDAY, 14),
        )
        assert client_for(personas["nurse"]).get(check_url(other)).status_code == 404


@pytest.mark.django_db
class TestRecordSections:
    def test_lot_through_the_page_takes_stock_and_refuses_an_expired_lot(self, started, personas):
        client = client_for(personas["nurse"])
        record, mix = started["record"], started["mix"]
        lot, expired = started["lots"]["mix"], started["lots"]["mix_expired"]
        response = client.post(record_url(record, f"lots/{mix.uuid}/"), {"lot": str(lot.uuid), "vials": "2"})
        assert response.status_code == 302
        lot.refresh_from_db()
        assert lot.quantity_left == 8 and record.lots.get().lot == lot
        refused = client.post(
            record_url(record, f"lots/{mix.uuid}/"), {"lot": str(expired.uuid), "vials": "1"}
        )
        assert refused.status_code == 422
        assert "MIX-OLD expired on 2030-01-01 and must not be used." in _text(refused)
        lot.refresh_from_db()
        assert lot.quantity_left == 8 and record.lots.get().lot == lot
        removed = client.post(record_url(record, f"lots/{mix.uuid}/remove/"))
        lot.refresh_from_db()
        assert removed.status_code == 302 and lot.quantity_left == 10 and not record.lots.exists()

    def test_lot_of_a_product_not_in_the_formulation_is_404(self, started, personas, clinic):
        from follicle.formulations.models import Product

        stray = Product.objects.create(clinic=clinic, name="Stray", volume_per_vial_ml=Decimal("1"))
        response = client_for(personas["nurse"]).post(
            record_url(started["record"], f"lots/{stray.uuid}/"), {"lot": "", "vials": "1"}
        )
        assert response.status_code == 404

    def test_delivery_details_are_saved_on_the_appointment_day(self, started, personas):
        client = client_for(personas["nurse"])
        record = started["record"]
        data = {
            "technique": "nappage",
            "needle_gauge": "30",
            "needle_length_mm": "4",
            "depth_mm": "1.5",
            "prepared_volume_ml": "5",
            "topical_anaesthetic": "on",
            "anaesthetic_detail": "EMLA, 30 min",
            "pain_score": "3",
            "started_at": "10:05",
            "ended_at": "10:40",
            "notes": "Well tolerated",
        }
        assert client.post(record_url(record, "delivery/"), data).status_code == 302
        record.refresh_from_db()
        assert record.pain_score == 3 and record.minutes == 35 and record.anaesthetic_detail == "EMLA, 30 min"
        assert record.started_at.date() == started["appointment"].starts_at.date()
        wrong = client.post(record_url(record, "delivery/"), {**data, "ended_at": "09:00"})
        assert wrong.status_code == 422 and "The end is not after the start." in _text(wrong)

    def test_zones_from_the_form_and_too_much_volume(self, started, personas, nurse):
        client = client_for(personas["nurse"])
        record = started["record"]
        services.session_update(record=record, auditor=nurse, prepared_volume_ml=Decimal("5"))
        response = client.post(
            record_url(record, "injections/"),
            {"points_vertex": "40", "volume_vertex": "2.5", "points_frontal": "30", "volume_frontal": "2"},
        )
        assert response.status_code == 302
        assert {z.zone: (z.points, z.volume_ml) for z in record.zones.all()} == {
            "vertex": (40, Decimal("2.50")),
            "frontal": (30, Decimal("2.00")),
        }
        page = _text(client.get(record_url(record)))
        assert "4.5 of 5.0 mL prepared" in page and "Vertex: 40 points, 2.5 mL" in page
        over = client.post(record_url(record, "injections/"), {"points_vertex": "40", "volume_vertex": "6"})
        assert over.status_code == 422 and "more than the 5.00 mL prepared" in _text(over)
        half = client.post(record_url(record, "injections/"), {"points_occipital": "10"})
        assert half.status_code == 422 and "give both the number of points and the volume" in _text(half)
        assert record.zones.count() == 2

    def test_therapies_are_confirmed(self, started, personas):
        client = client_for(personas["nurse"])
        record = started["record"]
        therapy = started["plan"].therapies.get()
        missing = client.post(record_url(record, "therapies/"), {})
        assert missing.status_code == 422 and "Choose how the patient keeps to it." in _text(missing)
        data = {f"status_{therapy.uuid.hex}": "irregular", f"note_{therapy.uuid.hex}": "Forgets at night"}
        assert client.post(record_url(record, "therapies/"), data).status_code == 302
        assert record.therapies.get().status == "irregular"


@pytest.mark.django_db
class TestSigning:
    def test_sign_needs_a_practitioner_and_a_complete_record(self, started, personas, nurse):
        record = started["record"]
        doctor = client_for(personas["practitioner"])
        page = _text(doctor.get(record_url(record)))
        assert (
            'data-testid="sign-problems"' in page
            and "disabled" in page.split('data-testid="sign-button"')[1][:200]
        )
        assert 'data-testid="practitioner-signs"' in _text(
            client_for(personas["nurse"]).get(record_url(record))
        )
        early = doctor.post(record_url(record, "sign/"), follow=True)
        assert "Record the lot of Hair cocktail." in _text(early)
        complete(record, started, nurse)
        assert client_for(personas["nurse"]).post(record_url(record, "sign/")).status_code == 403
        record.refresh_from_db()
        assert record.status == RecordStatus.DRAFT
        assert doctor.post(record_url(record, "sign/")).status_code == 302
        record.refresh_from_db()
        assert record.status == RecordStatus.SIGNED and record.signed_by == personas["practitioner"]

    def test_a_signed_record_refuses_changes(self, signed, personas):
        client = client_for(personas["nurse"])
        record = signed["record"]
        before = services.content_hash(record)
        lot = signed["lots"]["mix"]
        left = lot.quantity_left
        lot.refresh_from_db()
        left = lot.quantity_left
        responses = [
            client.post(record_url(record, "delivery/"), {"pain_score": "9", "technique": "papule"}),
            client.post(
                record_url(record, f"lots/{signed['mix'].uuid}/"), {"lot": str(lot.uuid), "vials": "3"}
            ),
            client.post(record_url(record, "injections/"), {"points_vertex": "1", "volume_vertex": "0.1"}),
        ]
        for response in responses:
            assert response.status_code == 422
            assert "signed and locked" in _text(response)
        record.refresh_from_db()
        lot.refresh_from_db()
        assert services.content_hash(record) == before and lot.quantity_left == left

    def test_addendum_and_entered_in_error(self, signed, personas):
        record = signed["record"]
        nurse = client_for(personas["nurse"])
        empty = nurse.post(record_url(record, "addenda/"), {"text": ""})
        assert empty.status_code == 422
        assert (
            nurse.post(record_url(record, "addenda/"), {"text": "Mild redness at the vertex."}).status_code
            == 302
        )
        page = _text(nurse.get(record_url(record)))
        assert "Mild redness at the vertex." in page and 'data-testid="addenda"' in page
        assert "Mark entered in error" not in page
        assert nurse.post(record_url(record, "entered-in-error/"), {"reason": "x"}).status_code == 403
        doctor = client_for(personas["practitioner"])
        assert doctor.post(record_url(record, "entered-in-error/"), {"reason": ""}).status_code == 422
        assert (
            doctor.post(record_url(record, "entered-in-error/"), {"reason": "Wrong patient"}).status_code
            == 302
        )
        record.refresh_from_db()
        assert record.status == RecordStatus.ENTERED_IN_ERROR
        assert "Wrong patient" in _text(doctor.get(record_url(record)))
