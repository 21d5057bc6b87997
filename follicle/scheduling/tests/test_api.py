"""API: list, book (201/409), move, status, slots, a plan's series, rooms and kinds; per role and clinic."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from follicle.accounts.models import Membership
from follicle.accounts.services import token_create
from follicle.core.audit import Auditor
from follicle.scheduling.models import Appointment
from follicle.scheduling.tests.conftest import MONDAY, at

STAFF = ("admin", "practitioner", "nurse", "receptionist")


def api_for(user) -> Client:
    _token, key = token_create(membership=Membership.objects.get(user=user), auditor=Auditor.system())
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def post(client, path, payload):
    return client.post(path, data=json.dumps(payload, default=str), content_type="application/json")


@pytest.fixture
def active_plan(plan, auditor):
    from follicle.treatments.services import plan_activate

    return plan_activate(plan=plan, auditor=auditor)


@pytest.fixture
def payload(make_patient, doctor, setup):
    return {
        "patient": str(make_patient().uuid),
        "practitioner": str(doctor.uuid),
        "type": "consultation",
        "starts_at": at(MONDAY, 10).isoformat(),
    }


@pytest.mark.django_db
class TestAppointmentsApi:
    @pytest.mark.parametrize("role", STAFF)
    def test_every_role_books_lists_and_sees(self, personas, payload, role):
        client = api_for(personas[role])
        created = post(client, "/api/v1/appointments", payload)
        assert created.status_code == 201, created.content
        body = created.json()
        assert body["status"] == "booked" and body["history"][0]["to_status"] == "booked"
        listed = client.get(f"/api/v1/appointments?date_from={MONDAY}&date_to={MONDAY}").json()
        assert listed["count"] == 1 and listed["items"][0]["id"] == body["id"]
        assert client.get(f"/api/v1/appointments/{body['id']}").status_code == 200

    def test_taken_slot_is_409(self, personas, payload):
        client = api_for(personas["receptionist"])
        assert post(client, "/api/v1/appointments", payload).status_code == 201
        again = post(client, "/api/v1/appointments", payload)
        assert again.status_code == 409
        assert again.json() == {"detail": "The practitioner is already booked at that time."}

    def test_rules_are_422(self, personas, payload):
        client = api_for(personas["receptionist"])
        closed = post(client, "/api/v1/appointments", payload | {"starts_at": at(MONDAY, 7).isoformat()})
        assert closed.status_code == 422 and "starts_at" in closed.json()["detail"]

    def test_other_clinic(self, personas, payload):
        own = post(api_for(personas["receptionist"]), "/api/v1/appointments", payload).json()
        other = api_for(personas["other_admin"])
        assert other.get(f"/api/v1/appointments/{own['id']}").status_code == 404
        assert other.get("/api/v1/appointments").json()["count"] == 0
        assert (
            post(other, "/api/v1/appointments", payload).status_code == 404
        )  # their patient is unknown here
        assert (
            post(other, f"/api/v1/appointments/{own['id']}/status", {"status": "cancelled"}).status_code
            == 404
        )

    def test_move_and_status(self, personas, payload):
        client = api_for(personas["receptionist"])
        created = post(client, "/api/v1/appointments", payload).json()
        moved = client.patch(
            f"/api/v1/appointments/{created['id']}",
            data=json.dumps({"starts_at": at(MONDAY, 14).isoformat()}),
            content_type="application/json",
        )
        assert moved.status_code == 200
        assert dt.datetime.fromisoformat(moved.json()["starts_at"]) == at(MONDAY, 14)
        assert (
            post(client, f"/api/v1/appointments/{created['id']}/status", {"status": "cancelled"}).status_code
            == 422
        )
        done = post(
            client, f"/api/v1/appointments/{created['id']}/status", {"status": "cancelled", "reason": "Ill"}
        )
        assert done.json()["status"] == "cancelled"
        assert [h["to_status"] for h in done.json()["history"]] == ["booked", "booked", "cancelled"]

    def test_move_onto_a_taken_slot_is_409(self, personas, payload, make_patient):
        client = api_for(personas["receptionist"])
        post(client, "/api/v1/appointments", payload)
        second = post(
            client,
            "/api/v1/appointments",
            payload | {"patient": str(make_patient().uuid), "starts_at": at(MONDAY, 11).isoformat()},
        )
        moved = client.patch(
            f"/api/v1/appointments/{second.json()['id']}",
            data=json.dumps({"starts_at": at(MONDAY, 10).isoformat()}),
            content_type="application/json",
        )
        assert moved.status_code == 409

    def test_slots_rooms_kinds(self, personas, payload, doctor, setup):
        client = api_for(personas["nurse"])
        post(client, "/api/v1/appointments", payload)
        days = client.get(f"/api/v1/slots?practitioner={doctor.uuid}&date={MONDAY}&minutes=30").json()["days"]
        times = [
            f"{dt.datetime.fromisoformat(t).astimezone(at(MONDAY, 0).tzinfo):%H:%M}"
            for t in days[str(MONDAY)]
        ]
        assert "09:30" in times and "10:00" not in times and "10:30" in times
        assert {r["name"] for r in client.get("/api/v1/rooms").json()} == {"Room 1", "Room 2"}
        assert {t["code"] for t in client.get("/api/v1/appointment-types").json()} == {
            "consultation",
            "session",
            "follow_up",
            "photo",
        }


@pytest.mark.django_db
class TestSeriesApi:
    def test_preview_conflicts_and_book(self, personas, active_plan, doctor, setup, book):
        client = api_for(personas["receptionist"])
        url = f"/api/v1/plans/{active_plan.uuid}/appointments/series"
        body = {"practitioner": str(doctor.uuid), "room": str(setup["room"].uuid)}
        preview = post(client, url, body)
        assert preview.status_code == 200
        items = preview.json()["items"]
        assert len(items) == active_plan.sessions.count() and not any(i["conflicts"] for i in items)
        times = [i["starts_at"] for i in items]
        book(dt.datetime.fromisoformat(times[0]))  # someone takes the first time meanwhile
        conflict = post(client, url, body | {"times": times, "confirm": True})
        assert conflict.status_code == 409 and conflict.json()["items"][0]["conflicts"]
        assert Appointment.objects.filter(planned_session__isnull=False).count() == 0
        booked = post(client, url, body | {"times": times[1:3], "confirm": True})
        # Sessions are matched in order: the first two unbooked sessions get the two times.
        assert booked.status_code in (201, 409)

    def test_clinical_content_never_in_the_series(self, personas, active_plan, doctor, setup):
        client = api_for(personas["receptionist"])
        text = post(
            client,
            f"/api/v1/plans/{active_plan.uuid}/appointments/series",
            {"practitioner": str(doctor.uuid), "room": str(setup["room"].uuid)},
        ).content.decode()
        assert "Dutasteride" not in text and "shedding" not in text

    def test_other_clinic_plan_is_404(self, personas, active_plan, doctor):
        client = api_for(personas["other_admin"])
        response = post(
            client,
            f"/api/v1/plans/{active_plan.uuid}/appointments/series",
            {"practitioner": str(doctor.uuid)},
        )
        assert response.status_code == 404
