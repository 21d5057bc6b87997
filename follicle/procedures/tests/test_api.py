"""API: the safety check, opening, filling in, signing and correcting a session record.

Every endpoint per role (practitioner and nurse write; only a practitioner acknowledges, signs or
marks in error; admin and reception get a 403), another clinic (404), and the clinical rules as
422s with a helpful detail.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client

from follicle.accounts.models import Membership
from follicle.accounts.services import token_create
from follicle.core.audit import Auditor
from follicle.core.models import AuditEvent
from follicle.formulations.models import Lot, Product
from follicle.procedures import services
from follicle.procedures.models import RecordStatus, SessionRecord
from follicle.procedures.tests.conftest import MONDAY, SAFE_ANSWERS, at, complete

STAFF = ("admin", "practitioner", "nurse", "receptionist")
CLINICAL = {"practitioner", "nurse"}


def api_for(user) -> Client:
    _token, key = token_create(membership=Membership.objects.get(user=user), auditor=Auditor.system())
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def send(client, method, path, payload=None):
    if payload is None:
        return getattr(client, method)(path)
    return getattr(client, method)(
        path, data=json.dumps(payload, default=str), content_type="application/json"
    )


def detail_text(response) -> str:
    return json.dumps(response.json()["detail"], ensure_ascii=False)


def check_url(ready) -> str:
    return f"/api/v1/appointments/{ready['appointment'].uuid}/safety-checks"


def start_url(ready) -> str:
    return f"/api/v1/appointments/{ready['appointment'].uuid}/session-record"


def record_url(record, suffix: str = "") -> str:
    return f"/api/v1/session-records/{record.uuid}{suffix}"


def check_payload(**answers) -> dict:
    medicines = answers.pop("medicines_detail", "")
    return {"answers": SAFE_ANSWERS | answers, "medicines_detail": medicines, "notes": "Calm"}


# --------------------------------------------------------------------------- the safety check
@pytest.mark.django_db
class TestSafetyCheckApi:
    def test_record_list_and_audit(self, ready, personas):
        nurse = api_for(personas["nurse"])
        created = send(nurse, "post", check_url(ready), check_payload())
        assert created.status_code == 201, created.content
        body = created.json()
        assert body["result"] == "clear" and body["passed"] is True and body["needs_acknowledgement"] is False
        assert body["answers"] == SAFE_ANSWERS and body["notes"] == "Calm"
        assert body["appointment_id"] == str(ready["appointment"].uuid)
        assert body["patient_id"] == str(ready["patient"].uuid)
        assert body["recorded_by"] == personas["nurse"].username
        listed = nurse.get(check_url(ready)).json()
        assert listed["count"] == 1 and listed["items"][0]["id"] == body["id"]
        event = AuditEvent.objects.filter(action="safety_check.list").latest("seq")
        assert str(event.patient_uuid) == str(ready["patient"].uuid) and event.detail["count"] == 1

    @pytest.mark.parametrize("role", STAFF)
    def test_roles(self, ready, personas, role):
        client = api_for(personas[role])
        created = send(client, "post", check_url(ready), check_payload())
        listed = client.get(check_url(ready))
        expected = (201, 200) if role in CLINICAL else (403, 403)
        assert (created.status_code, listed.status_code) == expected
        assert ready["appointment"].safety_checks.count() == (1 if role in CLINICAL else 0)

    def test_other_clinic_is_404(self, ready, personas):
        other = api_for(personas["other_practitioner"])
        assert send(other, "post", check_url(ready), check_payload()).status_code == 404
        assert other.get(check_url(ready)).status_code == 404
        # The role is checked first: another clinic's admin may not, whatever the appointment.
        assert api_for(personas["other_admin"]).get(check_url(ready)).status_code == 403

    def test_validation(self, ready, personas):
        nurse = api_for(personas["nurse"])
        missing = check_payload()
        del missing["answers"]["feeling_unwell"]
        assert send(nurse, "post", check_url(ready), missing).status_code == 422
        assert send(nurse, "post", check_url(ready), check_payload(feeling_unwell="maybe")).status_code == 422
        unnamed = send(nurse, "post", check_url(ready), check_payload(new_medicines="yes"))
        assert unnamed.status_code == 422 and "medicines_detail" in unnamed.json()["detail"]
        assert ready["appointment"].safety_checks.count() == 0

    def test_cautions_acknowledged_by_a_practitioner_only(self, ready, personas):
        payload = check_payload(new_medicines="yes", medicines_detail="Vitamin D")
        body = send(api_for(personas["nurse"]), "post", check_url(ready), payload).json()
        assert body["result"] == "caution" and body["passed"] is False and body["needs_acknowledgement"]
        assert [c["code"] for c in body["cautions"]] == ["same_day:new_medicines"]
        url = f"/api/v1/safety-checks/{body['id']}/acknowledge"
        for role in ("nurse", "admin", "receptionist"):
            assert send(api_for(personas[role]), "post", url, {"note": "x"}).status_code == 403, role
        assert send(api_for(personas["other_practitioner"]), "post", url, {}).status_code == 404
        doctor = api_for(personas["practitioner"])
        acknowledged = send(doctor, "post", url, {"note": "Reviewed, fine"})
        assert acknowledged.status_code == 200
        assert acknowledged.json()["passed"] is True
        assert acknowledged.json()["acknowledged_by"] == personas["practitioner"].username
        assert acknowledged.json()["acknowledgement_note"] == "Reviewed, fine"
        again = send(doctor, "post", url, {})
        assert again.status_code == 422 and "already" in detail_text(again)

    def test_hard_stop_cannot_be_acknowledged_nor_started(self, ready, personas):
        nurse = api_for(personas["nurse"])
        body = send(nurse, "post", check_url(ready), check_payload(pregnant_or_breastfeeding="yes")).json()
        assert body["result"] == "blocked" and body["hard_stops"] and body["passed"] is False
        refused = send(
            api_for(personas["practitioner"]), "post", f"/api/v1/safety-checks/{body['id']}/acknowledge", {}
        )
        assert refused.status_code == 422 and "hard stop" in detail_text(refused)
        start = send(nurse, "post", start_url(ready))
        assert start.status_code == 422 and "hard stop" in detail_text(start)
        assert not SessionRecord.objects.exists()


# --------------------------------------------------------------------------- opening the record
@pytest.mark.django_db
class TestSessionStartApi:
    def test_201_then_200_with_the_same_record(self, ready, personas):
        nurse = api_for(personas["nurse"])
        send(nurse, "post", check_url(ready), check_payload())
        opened = send(nurse, "post", start_url(ready))
        assert opened.status_code == 201, opened.content
        body = opened.json()
        assert body["status"] == "draft" and body["patient"]["id"] == str(ready["patient"].uuid)
        assert body["safety_check"]["result"] == "clear" and body["session_number"] == 1
        assert {p["name"] for p in body["products"]} == {"Hair cocktail", "Lidocaine 1%"}
        assert "Record the lot of Hair cocktail." in body["sign_problems"]
        again = send(nurse, "post", start_url(ready))
        assert again.status_code == 200 and again.json()["id"] == body["id"]
        assert SessionRecord.objects.count() == 1

    def test_needs_a_check(self, ready, personas):
        response = send(api_for(personas["nurse"]), "post", start_url(ready))
        assert response.status_code == 422
        assert response.json() == {"detail": ["Record the pre-session safety check first."]}

    @pytest.mark.parametrize("role", STAFF)
    def test_roles(self, ready, personas, nurse, role):
        services.safety_check_record(appointment=ready["appointment"], auditor=nurse, **SAFE_ANSWERS)
        response = send(api_for(personas[role]), "post", start_url(ready))
        assert response.status_code == (201 if role in CLINICAL else 403)

    def test_other_clinic_is_404(self, ready, personas, nurse):
        services.safety_check_record(appointment=ready["appointment"], auditor=nurse, **SAFE_ANSWERS)
        assert send(api_for(personas["other_practitioner"]), "post", start_url(ready)).status_code == 404
        assert not SessionRecord.objects.exists()


# --------------------------------------------------------------------------- reading records
@pytest.mark.django_db
class TestSessionReadApi:
    def test_list_filters_and_audit(self, started, personas):
        client = api_for(personas["practitioner"])
        listed = client.get("/api/v1/session-records").json()
        assert listed["count"] == 1
        item = listed["items"][0]
        assert item["id"] == str(started["record"].uuid) and item["status"] == "draft"
        assert item["appointment_id"] == str(started["appointment"].uuid)
        assert client.get("/api/v1/session-records?status=signed").json()["count"] == 0
        own = client.get(f"/api/v1/session-records?patient={started['patient'].uuid}&limit=1")
        assert own.json()["count"] == 1
        assert client.get("/api/v1/session-records?status=bogus").status_code == 422
        event = AuditEvent.objects.filter(action="session.list").latest("seq")
        assert str(event.patient_uuid) == str(started["patient"].uuid) and event.detail["count"] == 1

    def test_detail_and_audit(self, started, personas, nurse):
        complete(started["record"], started, nurse)
        body = api_for(personas["nurse"]).get(record_url(started["record"])).json()
        assert body["sign_problems"] == [] and body["technique"] == "nappage"
        assert Decimal(body["prepared_volume_ml"]) == 5 and Decimal(body["injected_volume_ml"]) == Decimal(
            "4.5"
        )
        assert body["minutes"] == 35 and body["pain_score"] == 3
        assert {(line["lot_number"], line["vials"]) for line in body["lots"]} == {
            ("MIX-001", 1),
            ("LID-7", 1),
        }
        assert {line["expiry_date"] for line in body["lots"]} == {"2031-01-01", "2031-06-01"}
        assert {(z["zone"], z["points"]) for z in body["zones"]} == {("vertex", 40), ("frontal", 30)}
        assert [t["status"] for t in body["therapies"]] == ["taking"]
        assert body["therapies_due"][0]["confirmed"] is True
        assert body["signed_by"] is None and body["signed_hash"] == "" and body["signature_intact"] is True
        event = AuditEvent.objects.filter(action="session.view").latest("seq")
        assert event.object_id == str(started["record"].uuid) and event.role == "nurse"

    @pytest.mark.parametrize("role", STAFF)
    def test_roles(self, started, personas, role):
        client = api_for(personas[role])
        expected = 200 if role in CLINICAL else 403
        assert client.get("/api/v1/session-records").status_code == expected
        assert client.get(record_url(started["record"])).status_code == expected

    def test_other_clinic(self, started, personas):
        other = api_for(personas["other_practitioner"])
        record = started["record"]
        assert other.get(record_url(record)).status_code == 404
        assert other.get("/api/v1/session-records").json()["count"] == 0
        assert other.get(f"/api/v1/session-records?patient={started['patient'].uuid}").status_code == 404
        assert send(other, "patch", record_url(record), {"notes": "x"}).status_code == 404
        product = started["mix"]
        lot = {"lot": str(started["lots"]["mix"].uuid)}
        assert send(other, "put", record_url(record, f"/lots/{product.uuid}"), lot).status_code == 404
        assert send(other, "put", record_url(record, "/zones"), {"zones": []}).status_code == 404
        assert send(other, "post", record_url(record, "/sign")).status_code == 404
        assert (
            send(other, "post", record_url(record, "/entered-in-error"), {"reason": "x"}).status_code == 404
        )


# --------------------------------------------------------------------------- filling in and signing
@pytest.mark.django_db
class TestSessionWriteApi:
    def test_the_whole_record_through_the_api(self, started, personas):
        nurse = api_for(personas["nurse"])
        record = started["record"]
        patched = send(
            nurse,
            "patch",
            record_url(record),
            {
                "technique": "nappage",
                "prepared_volume_ml": "5",
                "pain_score": 3,
                "started_at": at(MONDAY, 10, 5).isoformat(),
                "ended_at": at(MONDAY, 10, 40).isoformat(),
                "topical_anaesthetic": True,
                "anaesthetic_detail": "EMLA, 20 min",
            },
        )
        assert patched.status_code == 200, patched.content
        assert patched.json()["minutes"] == 35 and patched.json()["anaesthetic_detail"] == "EMLA, 20 min"
        for product, lot in ((started["mix"], "mix"), (started["lido"], "lido")):
            response = send(
                nurse,
                "put",
                record_url(record, f"/lots/{product.uuid}"),
                {"lot": str(started["lots"][lot].uuid)},
            )
            assert response.status_code == 200, response.content
        zones = {"zones": [{"zone": "vertex", "points": 40, "volume_ml": "2.5"}]}
        assert send(nurse, "put", record_url(record, "/zones"), zones).status_code == 200
        therapy = started["plan"].therapies.get()
        confirm = {"therapies": [{"therapy": str(therapy.uuid), "status": "taking", "note": "daily"}]}
        body = send(nurse, "put", record_url(record, "/therapies"), confirm).json()
        assert body["sign_problems"] == []
        assert body["therapies"] == [
            {
                "therapy_id": str(therapy.uuid),
                "kind": therapy.kind,
                "dose": therapy.dose,
                "status": "taking",
                "note": "daily",
            }
        ]
        refused = send(nurse, "post", record_url(record, "/sign"))
        assert refused.status_code == 403
        signed = send(api_for(personas["practitioner"]), "post", record_url(record, "/sign"))
        assert signed.status_code == 200, signed.content
        body = signed.json()
        assert body["status"] == "signed" and body["signed_by"]["id"] == str(personas["practitioner"].uuid)
        assert len(body["signed_hash"]) == 64 and body["signature_intact"] is True and body["signed_at"]
        started["appointment"].refresh_from_db()
        assert started["appointment"].status == "done"

    def test_expired_exhausted_and_unknown_lots_are_422(self, started, personas, other_clinic):
        nurse = api_for(personas["nurse"])
        record, lots = started["record"], started["lots"]
        url = record_url(record, f"/lots/{started['mix'].uuid}")
        expired = send(nurse, "put", url, {"lot": str(lots["mix_expired"].uuid)})
        assert expired.status_code == 422 and "expired on 2030-01-01" in detail_text(expired)
        assert Lot.objects.get(pk=lots["mix_expired"].pk).quantity_left == 5
        empty = send(
            nurse,
            "put",
            record_url(record, f"/lots/{started['lido'].uuid}"),
            {"lot": str(lots["lido_empty"].uuid)},
        )
        assert empty.status_code == 422 and "no vials left" in detail_text(empty)
        wrong = send(nurse, "put", url, {"lot": str(lots["lido"].uuid)})
        assert wrong.status_code == 422 and "is not a lot of Hair cocktail" in detail_text(wrong)
        too_many = send(nurse, "put", url, {"lot": str(lots["mix"].uuid), "vials": 11})
        assert too_many.status_code == 422 and "vials" in too_many.json()["detail"]
        foreign = Product.objects.create(clinic=other_clinic, name="Foreign", volume_per_vial_ml=Decimal("1"))
        unknown = send(nurse, "put", url, {"lot": "00000000-0000-0000-0000-000000000000"})
        assert unknown.status_code == 422 and unknown.json()["detail"] == {
            "lot": ["No such lot in this clinic."]
        }
        assert (
            send(
                nurse, "put", record_url(record, f"/lots/{foreign.uuid}"), {"lot": str(lots["mix"].uuid)}
            ).status_code
            == 404
        )
        assert not record.lots.exists()

    def test_replacing_and_removing_a_lot(self, started, personas):
        nurse = api_for(personas["nurse"])
        mix = started["lots"]["mix"]
        url = record_url(started["record"], f"/lots/{started['mix'].uuid}")
        assert send(nurse, "put", url, {"lot": str(mix.uuid), "vials": 2}).json()["lots"][0]["vials"] == 2
        assert Lot.objects.get(pk=mix.pk).quantity_left == 8
        removed = send(nurse, "delete", url)
        assert removed.status_code == 200 and removed.json()["lots"] == []
        assert Lot.objects.get(pk=mix.pk).quantity_left == 10

    def test_injections_over_volume_or_repeated_are_422(self, started, personas):
        nurse = api_for(personas["nurse"])
        record = started["record"]
        send(nurse, "patch", record_url(record), {"prepared_volume_ml": "3"})
        over = send(
            nurse,
            "put",
            record_url(record, "/zones"),
            {
                "zones": [
                    {"zone": "vertex", "points": 40, "volume_ml": "2.5"},
                    {"zone": "frontal", "points": 10, "volume_ml": "1"},
                ]
            },
        )
        assert over.status_code == 422 and "more than the 3.00 mL prepared" in detail_text(over)
        twice = send(
            nurse,
            "put",
            record_url(record, "/zones"),
            {
                "zones": [
                    {"zone": "vertex", "points": 4, "volume_ml": "1"},
                    {"zone": "vertex", "points": 4, "volume_ml": "1"},
                ]
            },
        )
        assert twice.status_code == 422 and "repeated" in detail_text(twice)
        bad_zone = send(
            nurse,
            "put",
            record_url(record, "/zones"),
            {"zones": [{"zone": "chin", "points": 1, "volume_ml": "1"}]},
        )
        assert bad_zone.status_code == 422
        assert not record.zones.exists()

    def test_delivery_rules_are_422(self, started, personas):
        nurse = api_for(personas["nurse"])
        record = started["record"]
        backwards = send(
            nurse,
            "patch",
            record_url(record),
            {"started_at": at(MONDAY, 11).isoformat(), "ended_at": at(MONDAY, 10).isoformat()},
        )
        assert backwards.status_code == 422 and "ended_at" in backwards.json()["detail"]
        assert send(nurse, "patch", record_url(record), {"pain_score": 11}).status_code == 422
        assert send(nurse, "patch", record_url(record), {"technique": "laser"}).status_code == 422
        record.refresh_from_db()
        assert record.started_at is None and record.pain_score is None

    def test_unknown_therapy_is_422(self, started, personas):
        response = send(
            api_for(personas["nurse"]),
            "put",
            record_url(started["record"], "/therapies"),
            {"therapies": [{"therapy": "00000000-0000-0000-0000-000000000000", "status": "taking"}]},
        )
        assert response.status_code == 422 and "Not a therapy of this plan" in detail_text(response)

    def test_signing_an_incomplete_record_is_422_with_what_is_missing(self, started, personas):
        response = send(api_for(personas["practitioner"]), "post", record_url(started["record"], "/sign"))
        assert response.status_code == 422
        assert "Record the pain score." in response.json()["detail"]
        assert SessionRecord.objects.get().status == RecordStatus.DRAFT

    @pytest.mark.parametrize("role", STAFF)
    def test_write_roles(self, started, personas, role):
        client = api_for(personas[role])
        record = started["record"]
        expected = 200 if role in CLINICAL else 403
        assert send(client, "patch", record_url(record), {"notes": f"by {role}"}).status_code == expected
        assert send(client, "put", record_url(record, "/zones"), {"zones": []}).status_code == expected
        lot = {"lot": str(started["lots"]["mix"].uuid)}
        assert (
            send(client, "put", record_url(record, f"/lots/{started['mix'].uuid}"), lot).status_code
            == expected
        )
        assert (
            send(client, "delete", record_url(record, f"/lots/{started['mix'].uuid}")).status_code == expected
        )
        signoff = 422 if role == "practitioner" else 403  # incomplete, so a practitioner gets the reasons
        assert send(client, "post", record_url(record, "/sign")).status_code == signoff
        record.refresh_from_db()
        assert record.notes == (f"by {role}" if role in CLINICAL else "")


@pytest.mark.django_db
class TestSignedRecordApi:
    @pytest.fixture
    def signed(self, started, nurse, doctor):
        complete(started["record"], started, nurse)
        return services.session_sign(record=started["record"], auditor=doctor)

    def test_locked_after_signing(self, signed, started, personas):
        nurse = api_for(personas["nurse"])
        patched = send(nurse, "patch", record_url(signed), {"pain_score": 7})
        assert patched.status_code == 422 and "signed and locked" in detail_text(patched)
        assert send(nurse, "put", record_url(signed, "/zones"), {"zones": []}).status_code == 422
        assert send(nurse, "delete", record_url(signed, f"/lots/{started['mix'].uuid}")).status_code == 422
        assert send(api_for(personas["practitioner"]), "post", record_url(signed, "/sign")).status_code == 422
        record = SessionRecord.objects.get(pk=signed.pk)
        assert record.pain_score == 3 and record.zones.count() == 2 and record.lots.count() == 2
        assert services.signature_intact(record)

    def test_addenda(self, signed, started, personas):
        nurse = api_for(personas["nurse"])
        added = send(
            nurse, "post", record_url(signed, "/addenda"), {"text": "  Slight bruising at the vertex. "}
        )
        assert added.status_code == 201
        assert (
            added.json()["text"] == "Slight bruising at the vertex."
            and added.json()["author"] == "nurse.athens"
        )
        assert send(nurse, "post", record_url(signed, "/addenda"), {"text": ""}).status_code == 422
        body = nurse.get(record_url(signed)).json()
        assert [a["text"] for a in body["addenda"]] == ["Slight bruising at the vertex."]
        assert body["signature_intact"] is True  # an addendum is not part of what was signed
        for role in ("admin", "receptionist"):
            assert (
                send(
                    api_for(personas[role]), "post", record_url(signed, "/addenda"), {"text": "x"}
                ).status_code
                == 403
            )
        assert (
            send(
                api_for(personas["other_practitioner"]), "post", record_url(signed, "/addenda"), {"text": "x"}
            ).status_code
            == 404
        )

    def test_addendum_to_a_draft_is_422(self, started, personas):
        response = send(
            api_for(personas["nurse"]), "post", record_url(started["record"], "/addenda"), {"text": "x"}
        )
        assert response.status_code == 422 and "not signed yet" in detail_text(response)

    def test_entered_in_error_by_a_practitioner(self, signed, personas):
        url = record_url(signed, "/entered-in-error")
        for role in ("nurse", "admin", "receptionist"):
            assert (
                send(api_for(personas[role]), "post", url, {"reason": "Wrong patient"}).status_code == 403
            ), role
        doctor = api_for(personas["practitioner"])
        assert send(doctor, "post", url, {"reason": ""}).status_code == 422
        marked = send(doctor, "post", url, {"reason": "Wrong patient"})
        assert marked.status_code == 200
        assert (
            marked.json()["status"] == "in_error"
            and marked.json()["entered_in_error_reason"] == "Wrong patient"
        )
        again = send(doctor, "post", url, {"reason": "Twice"})
        assert again.status_code == 422 and "already" in detail_text(again)
        assert doctor.get("/api/v1/session-records?status=in_error").json()["count"] == 1


@pytest.mark.django_db
def test_session_auth_reads(started, personas):
    """The browser session works as well as a token (with the active clinic from the session)."""
    client = Client()
    client.force_login(personas["nurse"])
    assert client.get(record_url(started["record"])).status_code == 200
    client.force_login(personas["receptionist"])
    assert client.get(record_url(started["record"])).status_code == 403
