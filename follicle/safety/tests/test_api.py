"""API: adverse events (report, list, detail, update, follow up, resolve, reopen, in error), the
admin's counts, the clinic's overdue policy and a lot's trace; per role and clinic.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from follicle.accounts.models import Membership
from follicle.accounts.services import token_create
from follicle.core.audit import Auditor
from follicle.core.models import AuditEvent
from follicle.formulations import services as formulation_services
from follicle.formulations.models import Product
from follicle.safety.models import AdverseEvent, EventStatus
from follicle.safety.tests.conftest import MONDAY, days

STAFF = ("admin", "practitioner", "nurse", "receptionist")
CLINICAL = {"practitioner", "nurse"}
SERIOUS = {"serious": True, "seriousness_criteria": ["hospitalisation"], "grade": 3}


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


def event_url(event, suffix: str = "") -> str:
    return f"/api/v1/adverse-events/{event.uuid}{suffix}"


def report_url(patient) -> str:
    return f"/api/v1/patients/{patient.uuid}/adverse-events"


@pytest.fixture
def payload(signed):
    return {
        "term": "bruising_haematoma",
        "grade": 1,
        "onset_date": MONDAY.isoformat(),
        "session": str(signed["record"].uuid),
        "description": "Two small bruises at the vertex",
        "action_taken": "Cold compress",
        "lots": [str(signed["lots"]["mix"].uuid)],
    }


# --------------------------------------------------------------------------- reporting
@pytest.mark.django_db
class TestReportApi:
    def test_report_on_a_session(self, signed, payload, personas):
        response = send(api_for(personas["nurse"]), "post", report_url(signed["patient"]), payload)
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["term"] == "bruising_haematoma" and body["term_name"].startswith("Bruising")
        assert body["grade"] == 1 and body["grade_label"] == "mild" and body["status"] == "open"
        assert body["session_id"] == str(signed["record"].uuid)
        assert body["patient"]["id"] == str(signed["patient"].uuid)
        assert [lot["lot_number"] for lot in body["lots"]] == ["MIX-001"]
        assert body["lots"][0]["product_name"] == "Hair cocktail"
        assert body["status_history"][0]["to_status"] == "open"
        assert body["reported_by"] == personas["nurse"].username and body["days_open"] == 0
        assert body["policy"] == {
            "clinic_policy": True,
            "days": 14,
            "default_days": 14,
            "due_date": (MONDAY + days(14)).isoformat(),
        }
        assert body["reference"]["usual_resolution"] == "~1 week (clinic source)"
        assert body["reference"]["verification"] == "unverified" and body["reference"]["sources"] == []
        assert AuditEvent.objects.filter(action="adverse_event.report").exists()

    def test_other_term_has_no_reference(self, signed, personas):
        body = send(
            api_for(personas["practitioner"]),
            "post",
            report_url(signed["patient"]),
            {"term": "other", "grade": 2, "onset_date": MONDAY.isoformat(), "description": "Itching"},
        ).json()
        assert body["reference"] is None and body["session_id"] is None and body["lots"] == []

    @pytest.mark.parametrize(
        ("change", "key"),
        [
            ({"term": "sunburn"}, "term"),
            ({"serious": True}, "seriousness_criteria"),
            ({"seriousness_criteria": ["hospitalisation"]}, "serious"),
            ({"onset_date": (MONDAY + days(1)).isoformat()}, "onset_date"),
            ({"onset_date": (MONDAY - days(1)).isoformat()}, "onset_date"),
            ({"session": "00000000-0000-0000-0000-000000000000"}, "session"),
            ({"lots": ["00000000-0000-0000-0000-000000000000"]}, "lots"),
            ({"term": "other", "description": ""}, "description"),
        ],
    )
    def test_validation_is_422_with_the_field(self, signed, payload, personas, change, key):
        response = send(api_for(personas["nurse"]), "post", report_url(signed["patient"]), payload | change)
        assert response.status_code == 422 and key in response.json()["detail"], response.content
        assert not AdverseEvent.objects.exists()

    def test_schema_errors_are_422(self, signed, payload, personas):
        client = api_for(personas["nurse"])
        assert send(client, "post", report_url(signed["patient"]), payload | {"grade": 6}).status_code == 422
        bad = payload | {"seriousness_criteria": ["bored"], "serious": True}
        assert send(client, "post", report_url(signed["patient"]), bad).status_code == 422

    def test_another_clinics_lot_is_422(self, signed, payload, personas, other_clinic):
        foreign = Product.objects.create(clinic=other_clinic, name="Foreign", volume_per_vial_ml=1)
        lot = formulation_services.lot_receive(
            product=foreign,
            auditor=Auditor.system(clinic=other_clinic),
            lot_number="F-1",
            expiry_date=MONDAY + days(300),
            quantity=1,
        )
        response = send(
            api_for(personas["nurse"]),
            "post",
            report_url(signed["patient"]),
            payload | {"lots": [str(lot.uuid)]},
        )
        assert response.status_code == 422 and "No such lot in this clinic" in detail_text(response)

    @pytest.mark.parametrize("role", STAFF)
    def test_roles(self, signed, payload, personas, role):
        response = send(api_for(personas[role]), "post", report_url(signed["patient"]), payload)
        assert response.status_code == (201 if role in CLINICAL else 403)

    def test_other_clinic_is_404(self, signed, payload, personas):
        other = api_for(personas["other_practitioner"])
        assert send(other, "post", report_url(signed["patient"]), payload).status_code == 404
        assert not AdverseEvent.objects.exists()


# --------------------------------------------------------------------------- reading
@pytest.mark.django_db
class TestReadApi:
    def test_list_filters_and_audit(self, report, signed, personas):
        bruise = report(lots=[signed["lots"]["mix"]])
        serious = report(term="allergic_reaction", **SERIOUS)
        late = report(term="pain", session=None, onset_date=MONDAY - days(10))
        client = api_for(personas["practitioner"])
        listed = client.get("/api/v1/adverse-events").json()
        assert listed["count"] == 3 and {i["id"] for i in listed["items"]} == {
            str(e.uuid) for e in (bruise, serious, late)
        }
        assert [i["id"] for i in client.get("/api/v1/adverse-events?serious=true").json()["items"]] == [
            str(serious.uuid)
        ]
        overdue = client.get("/api/v1/adverse-events?overdue=true").json()["items"]
        assert [i["id"] for i in overdue] == [str(late.uuid)]
        assert overdue[0]["overdue_since"] == (MONDAY - days(6)).isoformat()
        by_lot = client.get(f"/api/v1/adverse-events?lot={signed['lots']['mix'].uuid}").json()
        assert [i["id"] for i in by_lot["items"]] == [str(bruise.uuid)]
        assert client.get("/api/v1/adverse-events?status=resolved").json()["count"] == 0
        mine = client.get(f"/api/v1/adverse-events?patient={signed['patient'].uuid}&limit=2")
        assert mine.json()["count"] == 3 and len(mine.json()["items"]) == 2
        row = AuditEvent.objects.filter(action="adverse_event.list").latest("seq")
        assert str(row.patient_uuid) == str(signed["patient"].uuid) and row.detail["count"] == 3

    def test_detail_and_audit(self, report, personas):
        event = report()
        body = api_for(personas["nurse"]).get(event_url(event)).json()
        assert body["id"] == str(event.uuid) and body["follow_ups"] == []
        row = AuditEvent.objects.filter(action="adverse_event.view").latest("seq")
        assert row.object_id == str(event.uuid) and str(row.patient_uuid) == str(event.patient.uuid)

    @pytest.mark.parametrize("role", STAFF)
    def test_roles(self, report, personas, role):
        event = report()
        client = api_for(personas[role])
        expected = 200 if role in CLINICAL else 403
        assert client.get("/api/v1/adverse-events").status_code == expected
        assert client.get(event_url(event)).status_code == expected

    def test_other_clinic(self, report, signed, personas):
        event = report()
        other = api_for(personas["other_practitioner"])
        assert other.get(event_url(event)).status_code == 404
        assert other.get("/api/v1/adverse-events").json()["count"] == 0
        assert other.get(f"/api/v1/adverse-events?patient={signed['patient'].uuid}").status_code == 404
        assert other.get(f"/api/v1/adverse-events?lot={signed['lots']['mix'].uuid}").status_code == 404
        assert send(other, "patch", event_url(event), {"grade": 2}).status_code == 404
        assert (
            send(other, "post", event_url(event, "/follow-ups"), {"trend": "worse", "note": "x"}).status_code
            == 404
        )
        assert send(other, "post", event_url(event, "/entered-in-error"), {"reason": "x"}).status_code == 404

    @pytest.mark.parametrize("role", STAFF)
    def test_summary_is_counts_for_admin_practitioner_and_nurse(self, report, personas, role):
        report()
        report(term="pain", session=None, onset_date=MONDAY - days(10))
        response = api_for(personas[role]).get("/api/v1/adverse-events/summary")
        if role == "receptionist":
            assert response.status_code == 403
            return
        assert response.status_code == 200
        body = response.json()
        assert body["counts"] == {"open": 2, "overdue": 1, "serious_open": 0, "resolved": 0, "total": 2}
        assert {(t["term"], t["total"], t["open"]) for t in body["by_term"]} == {
            ("bruising_haematoma", 1, 1),
            ("pain", 1, 1),
        }
        assert "patient" not in json.dumps(body)

    def test_summary_of_another_clinic_is_its_own(self, report, personas):
        report()
        body = api_for(personas["other_admin"]).get("/api/v1/adverse-events/summary").json()
        assert body["counts"]["total"] == 0 and body["by_term"] == []


# --------------------------------------------------------------------------- changing
@pytest.mark.django_db
class TestWriteApi:
    def test_update(self, report, signed, personas):
        event = report(lots=[signed["lots"]["mix"]])
        client = api_for(personas["nurse"])
        regraded = send(client, "patch", event_url(event), {"grade": 2, "action_taken": "Arnica"})
        assert regraded.status_code == 200
        assert regraded.json()["grade"] == 2 and regraded.json()["action_taken"] == "Arnica"
        refused = send(client, "patch", event_url(event), {"serious": True})
        assert refused.status_code == 422 and "seriousness_criteria" in refused.json()["detail"]
        assert AdverseEvent.objects.get(pk=event.pk).serious is False
        serious = send(
            client, "patch", event_url(event), {"serious": True, "seriousness_criteria": ["hospitalisation"]}
        )
        assert serious.status_code == 200 and serious.json()["serious"] is True
        cleared = send(client, "patch", event_url(event), {"lots": []})
        assert cleared.json()["lots"] == [] and cleared.json()["grade"] == 2
        assert send(client, "patch", event_url(event), {"grade": None}).status_code == 422
        assert AuditEvent.objects.filter(action="adverse_event.update").count() == 3

    @pytest.mark.parametrize("role", STAFF)
    def test_write_roles(self, report, personas, role):
        event = report()
        client = api_for(personas[role])
        expected = 200 if role in CLINICAL else 403
        assert send(client, "patch", event_url(event), {"action_taken": role}).status_code == expected
        follow = send(
            client, "post", event_url(event, "/follow-ups"), {"trend": "improving", "note": "Fading"}
        )
        assert follow.status_code == (201 if role in CLINICAL else 403)
        resolve = {"resolved_on": MONDAY.isoformat(), "outcome": "recovered"}
        assert send(client, "post", event_url(event, "/resolve"), resolve).status_code == expected
        assert send(client, "post", event_url(event, "/reopen"), {"reason": "Back"}).status_code == expected
        assert (
            send(client, "post", event_url(event, "/entered-in-error"), {"reason": "Dup"}).status_code
            == expected
        )
        event.refresh_from_db()
        assert event.status == (EventStatus.ENTERED_IN_ERROR if role in CLINICAL else EventStatus.OPEN)

    def test_follow_up_resolve_reopen_and_in_error(self, report, personas):
        event = report()
        client = api_for(personas["practitioner"])
        follow = send(
            client, "post", event_url(event, "/follow-ups"), {"trend": "improving", "note": "Smaller"}
        )
        assert follow.status_code == 201
        assert (
            follow.json()["trend"] == "improving" and follow.json()["by"] == personas["practitioner"].username
        )
        assert (
            send(
                client, "post", event_url(event, "/follow-ups"), {"trend": "sideways", "note": "x"}
            ).status_code
            == 422
        )
        future = send(
            client,
            "post",
            event_url(event, "/resolve"),
            {"resolved_on": (MONDAY + days(1)).isoformat(), "outcome": "recovered"},
        )
        assert future.status_code == 422 and "resolved_on" in future.json()["detail"]
        resolved = send(
            client,
            "post",
            event_url(event, "/resolve"),
            {"resolved_on": MONDAY.isoformat(), "outcome": "recovered"},
        )
        assert resolved.status_code == 200
        body = resolved.json()
        assert body["status"] == "resolved" and body["outcome"] == "recovered" and body["policy"] is None
        assert len(body["follow_ups"]) == 1
        late = send(client, "post", event_url(event, "/follow-ups"), {"trend": "worse", "note": "x"})
        assert late.status_code == 422 and "Only an open event" in detail_text(late)
        assert send(client, "post", event_url(event, "/reopen"), {"reason": ""}).status_code == 422
        reopened = send(client, "post", event_url(event, "/reopen"), {"reason": "Came back"})
        assert reopened.json()["status"] == "open" and reopened.json()["resolved_on"] is None
        assert [h["to_status"] for h in reopened.json()["status_history"]] == ["open", "resolved", "open"]
        assert reopened.json()["status_history"][-1]["reason"] == "Came back"
        marked = send(client, "post", event_url(event, "/entered-in-error"), {"reason": "Wrong patient"})
        assert marked.status_code == 200 and marked.json()["status"] == "in_error"
        locked = send(client, "patch", event_url(event), {"grade": 3})
        assert locked.status_code == 422 and "entered in error" in detail_text(locked)
        assert client.get("/api/v1/adverse-events").json()["count"] == 0
        assert client.get("/api/v1/adverse-events?status=in_error").json()["count"] == 1
        assert client.get(event_url(event)).status_code == 200  # kept, with its reason


# --------------------------------------------------------------------------- the clinic's policy
@pytest.mark.django_db
class TestOverduePolicyApi:
    URL = "/api/v1/safety/overdue-policy"

    @pytest.mark.parametrize("role", STAFF)
    def test_read_roles(self, catalogue, personas, role):
        response = api_for(personas[role]).get(self.URL)
        if role == "receptionist":
            assert response.status_code == 403
            return
        assert response.status_code == 200
        rows = {r["term"]: r for r in response.json()}
        assert rows["bruising_haematoma"] == {
            "term": "bruising_haematoma",
            "name": rows["bruising_haematoma"]["name"],
            "days": 14,
            "default_days": 14,
            "usual_resolution": "~1 week (clinic source)",
            "clinic_policy": True,
        }
        assert rows["other"]["days"] == 14 and rows["other"]["usual_resolution"] == ""

    @pytest.mark.parametrize("role", ("practitioner", "nurse", "receptionist"))
    def test_only_an_admin_sets_it(self, catalogue, personas, role):
        response = send(api_for(personas[role]), "put", self.URL, [{"term": "pain", "days": 5}])
        assert response.status_code == 403

    def test_admin_sets_it_for_the_clinic_only_and_events_are_reflagged(self, report, personas):
        event = report(onset_date=MONDAY, session=None)
        admin = api_for(personas["admin"])
        response = send(admin, "put", self.URL, [{"term": "bruising_haematoma", "days": 10}])
        assert response.status_code == 200
        rows = {r["term"]: r for r in response.json()}
        assert rows["bruising_haematoma"]["days"] == 10 and rows["bruising_haematoma"]["default_days"] == 14
        assert rows["pain"]["days"] == 3
        other = {r["term"]: r for r in api_for(personas["other_admin"]).get(self.URL).json()}
        assert other["bruising_haematoma"]["days"] == 14
        body = api_for(personas["nurse"]).get(event_url(event)).json()
        assert body["policy"]["days"] == 10 and body["policy"]["due_date"] == (MONDAY + days(10)).isoformat()
        assert AuditEvent.objects.filter(action="safety.overdue_policy").exists()

    def test_a_shorter_policy_flags_open_events_at_once(self, report, personas):
        event = report(session=None, onset_date=MONDAY - days(5))
        assert event.overdue_since is None
        send(api_for(personas["admin"]), "put", self.URL, [{"term": "bruising_haematoma", "days": 2}])
        assert AdverseEvent.objects.get(pk=event.pk).overdue_since == MONDAY - days(2)

    @pytest.mark.parametrize(
        "rows",
        [
            [{"term": "bruising_haematoma", "days": 0}],
            [{"term": "bruising_haematoma", "days": 400}],
            [{"term": "sunburn", "days": 5}],
            [{"term": "pain", "days": 5}, {"term": "pain", "days": 6}],
        ],
    )
    def test_invalid_is_422_and_nothing_changes(self, catalogue, personas, rows):
        admin = api_for(personas["admin"])
        assert send(admin, "put", self.URL, rows).status_code == 422
        assert {r["term"]: r["days"] for r in admin.get(self.URL).json()}["pain"] == 3


# --------------------------------------------------------------------------- lot traceability
@pytest.mark.django_db
class TestLotTraceApi:
    def test_practitioner_sees_patients_sessions_and_events(self, report, signed, second, personas):
        event = report(lots=[signed["lots"]["mix"]])
        lot = signed["lots"]["mix"]
        response = api_for(personas["practitioner"]).get(f"/api/v1/lots/{lot.uuid}/trace")
        assert response.status_code == 200
        body = response.json()
        assert body["lot_number"] == "MIX-001" and body["product_name"] == "Hair cocktail"
        assert body["counts"] == {"patients": 2, "sessions": 2, "adverse_events": 1}
        assert {p["id"] for p in body["patients"]} == {
            str(signed["patient"].uuid),
            str(second["patient"].uuid),
        }
        assert {(s["id"], s["status"], s["vials"]) for s in body["sessions"]} == {
            (str(signed["record"].uuid), "signed", 1),
            (str(second["record"].uuid), "draft", 1),
        }
        assert [e["id"] for e in body["adverse_events"]] == [str(event.uuid)]
        row = AuditEvent.objects.filter(action="lot.trace").latest("seq")
        assert row.object_id == str(lot.uuid) and row.detail["count"] == 2

    @pytest.mark.parametrize("role", STAFF)
    def test_roles(self, report, signed, personas, role):
        report(lots=[signed["lots"]["mix"]])
        response = api_for(personas[role]).get(f"/api/v1/lots/{signed['lots']['mix'].uuid}/trace")
        if role == "receptionist":
            assert response.status_code == 403
            return
        body = response.json()
        assert response.status_code == 200 and body["counts"] == {
            "patients": 1,
            "sessions": 1,
            "adverse_events": 1,
        }
        if role == "admin":  # the patients, as on the lot page, and counts; no clinical records
            assert len(body["patients"]) == 1 and body["sessions"] is None and body["adverse_events"] is None
        else:
            assert len(body["sessions"]) == 1 and len(body["adverse_events"]) == 1

    def test_another_clinics_lot_is_404(self, signed, personas):
        url = f"/api/v1/lots/{signed['lots']['mix'].uuid}/trace"
        assert api_for(personas["other_practitioner"]).get(url).status_code == 404
        assert api_for(personas["other_admin"]).get(url).status_code == 404

    def test_records_in_error_are_left_out(self, signed, personas, doctor):
        from follicle.procedures import services as procedure_services

        procedure_services.session_mark_in_error(
            record=signed["record"], reason="Wrong patient", auditor=doctor
        )
        body = api_for(personas["nurse"]).get(f"/api/v1/lots/{signed['lots']['mix'].uuid}/trace").json()
        assert body["counts"] == {"patients": 0, "sessions": 0, "adverse_events": 0}
