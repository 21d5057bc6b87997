"""Practitioners' private calendar feeds: secret revocable URLs with their own appointments only."""

from __future__ import annotations

import datetime as dt
import hashlib

import icalendar
import pytest
from django.test import Client
from django.utils import timezone

from follicle.accounts.models import Membership
from follicle.core.audit import Auditor
from follicle.core.models import AuditEvent
from follicle.scheduling.feeds import calendar_feed_create, calendar_feed_revoke
from follicle.scheduling.models import AppointmentStatus, AppointmentStatusChange, CalendarFeed
from follicle.scheduling.tests.test_ics import make_appointment

pytestmark = pytest.mark.django_db


@pytest.fixture
def doctor(personas):
    return personas["practitioner"]


@pytest.fixture
def feed_token(clinic, doctor):
    _feed, token = calendar_feed_create(
        clinic=clinic, practitioner=doctor, auditor=Auditor.system(clinic=clinic)
    )
    return token


def fetch(token):
    return Client().get(f"/calendar/{token}.ics")


def events_of(response) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_create_stores_only_a_hash_and_replaces_the_previous_feed(clinic, doctor):
    auditor = Auditor.system(clinic=clinic)
    first, first_token = calendar_feed_create(clinic=clinic, practitioner=doctor, auditor=auditor)
    assert first.token_hash == hashlib.sha256(first_token.encode()).hexdigest()
    assert first_token not in first.token_hash and len(first_token) >= 40
    second, second_token = calendar_feed_create(clinic=clinic, practitioner=doctor, auditor=auditor)
    first.refresh_from_db()
    assert first.revoked_at is not None and second.revoked_at is None
    assert fetch(first_token).status_code == 404
    assert fetch(second_token).status_code == 200
    assert AuditEvent.objects.filter(action="calendar_feed.create").count() == 2


def test_revoked_or_unknown_token_is_404(clinic, doctor, feed_token):
    assert fetch(feed_token).status_code == 200
    calendar_feed_revoke(feed=CalendarFeed.objects.get(), auditor=Auditor.system(clinic=clinic))
    assert fetch(feed_token).status_code == 404
    assert fetch("x" * 43).status_code == 404
    assert AuditEvent.objects.filter(action="calendar_feed.revoke").count() == 1


def test_feed_stops_when_the_practitioner_leaves_the_clinic(clinic, doctor, feed_token):
    Membership.objects.filter(user=doctor, clinic=clinic).update(is_active=False)
    assert fetch(feed_token).status_code == 404


def test_feed_has_the_practitioners_appointments_in_that_clinic_only(
    clinic, other_clinic, personas, doctor, feed_token, make_patient
):
    patient = make_patient(first_name="Ελένη", last_name="Παπαδοπούλου", email="e@example.org")
    mine = make_appointment(clinic, patient, doctor)
    recent = make_appointment(clinic, patient, doctor, starts_in=-dt.timedelta(days=10))
    too_old = make_appointment(clinic, patient, doctor, starts_in=-dt.timedelta(days=40))
    too_far = make_appointment(clinic, patient, doctor, starts_in=dt.timedelta(days=200))
    colleague = make_appointment(clinic, patient, personas["nurse"], starts_in=dt.timedelta(days=4))
    other_patient = make_patient(first_name="Νίκος", last_name="Ιωάννου", clinic_=other_clinic)
    elsewhere = make_appointment(other_clinic, other_patient, doctor, starts_in=dt.timedelta(days=5))

    response = fetch(feed_token)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    events = events_of(response)
    assert set(events) == {f"{mine.uuid}@follicle", f"{recent.uuid}@follicle"}
    for excluded in (too_old, too_far, colleague, elsewhere):
        assert f"{excluded.uuid}@follicle" not in events
    event = events[f"{mine.uuid}@follicle"]
    assert str(event["SUMMARY"]) == "Ελένη Παπαδοπούλου – Mesotherapy session"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("DTSTART") == mine.starts_at

    audit = AuditEvent.objects.get(action="calendar_feed.fetch")
    assert audit.actor is None and audit.actor_label == "system:calendar-feed"
    assert audit.detail["count"] == 2 and audit.clinic == clinic


def test_cancelled_appointments_stay_as_cancelled_for_30_days(clinic, doctor, feed_token, make_patient):
    patient = make_patient()
    recent = make_appointment(clinic, patient, doctor, status=AppointmentStatus.CANCELLED)
    AppointmentStatusChange.objects.create(appointment=recent, from_status="booked", to_status="cancelled")
    long_ago = make_appointment(
        clinic, patient, doctor, starts_in=dt.timedelta(days=60), status=AppointmentStatus.CANCELLED
    )
    AppointmentStatusChange.objects.create(
        appointment=long_ago,
        from_status="booked",
        to_status="cancelled",
        changed_at=timezone.now() - dt.timedelta(days=45),
    )
    events = events_of(fetch(feed_token))
    assert set(events) == {f"{recent.uuid}@follicle"}
    event = events[f"{recent.uuid}@follicle"]
    assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 1


def test_practitioner_creates_sees_once_and_revokes_the_feed_url(clinic, doctor, settings):
    settings.SITE_URL = "https://clinic.example.org"
    client = Client()
    client.force_login(doctor)
    page = client.get("/calendar/manage/")
    assert page.status_code == 200 and "Create a feed address" in page.content.decode()

    created = client.post("/calendar/manage/", {"action": "create"})
    assert created.status_code == 200
    body = created.content.decode()
    assert "https://clinic.example.org/calendar/" in body
    token = body.split("https://clinic.example.org/calendar/")[1].split(".ics")[0]
    assert (
        CalendarFeed.objects.get(revoked_at__isnull=True).token_hash
        == hashlib.sha256(token.encode()).hexdigest()
    )
    assert fetch(token).status_code == 200
    assert token not in client.get("/calendar/manage/").content.decode()  # shown once

    revoked = client.post("/calendar/manage/", {"action": "revoke"})
    assert revoked.status_code == 302
    assert fetch(token).status_code == 404
    assert AuditEvent.objects.filter(action="calendar_feed.revoke", actor=doctor).exists()


@pytest.mark.parametrize("role", ["admin", "nurse", "receptionist"])
def test_only_practitioners_manage_a_feed(personas, role):
    client = Client()
    client.force_login(personas[role])
    assert client.get("/calendar/manage/").status_code == 403
    assert client.post("/calendar/manage/", {"action": "create"}).status_code == 403
    assert not CalendarFeed.objects.exists()


def test_manage_page_needs_sign_in():
    response = Client().get("/calendar/manage/")
    assert response.status_code == 302 and "/accounts/" in response["Location"]
