"""The permission matrix for the treatment room and safety pages: every role, own and other clinic.

Session records: practitioner and nurse (only a practitioner signs, acknowledges, marks in error).
Adverse events: practitioner and nurse; an administrator sees the dashboard's counts only.
Receptionists see neither. Another clinic's staff get a 404 for our objects.
"""

from __future__ import annotations

import pytest

from conftest import client_for
from follicle.accounts.roles import Role
from follicle.procedures import services as procedure_services
from follicle.procedures.tests import conftest as procedures
from follicle.safety import services as safety_services

# The session-record fixtures, shared.
as_role = procedures.as_role
auditor = procedures.auditor
clock = procedures.clock
cocktail = procedures.cocktail
consented = procedures.consented
doctor = procedures.doctor
nurse = procedures.nurse
open_clinic = procedures.open_clinic
patient = procedures.patient
protocol = procedures.protocol
ready = procedures.ready
started = procedures.started
complete = procedures.complete

A, P, N, R = Role.ADMIN.value, Role.PRACTITIONER.value, Role.NURSE.value, Role.RECEPTIONIST.value
ROLES = [A, P, N, R]


@pytest.fixture
def world(started, nurse, doctor):
    record = started["record"]
    complete(record, started, nurse)
    record = procedure_services.session_sign(record=record, auditor=doctor)
    event = safety_services.adverse_event_report(
        patient=started["patient"],
        auditor=nurse,
        session=record,
        term="erythema_oedema",
        grade=1,
        onset_date=record.appointment.starts_at.date(),
    )
    return {**started, "record": record, "event": event, "check": record.safety_check}


# (name, path template, roles that may GET it) — everything else is 403.
PAGES = [
    ("session list", "/sessions/", {P, N}),
    ("safety check", "/sessions/appointment/{appointment}/check/", {P, N}),
    ("session record", "/sessions/{record}/", {P, N}),
    ("safety dashboard", "/safety/", {A, P, N}),
    ("overdue policy", "/safety/settings/", {A, P, N}),
    ("report form", "/safety/patient/{patient}/report/", {P, N}),
    ("event", "/safety/event/{event}/", {P, N}),
    ("event edit", "/safety/event/{event}/edit/", {P, N}),
]
OBJECT_PAGES = [row for row in PAGES if "{" in row[1]]

# (name, path template, roles allowed to POST) — checked for refusal only (no data changes).
POSTS = [
    ("sign", "/sessions/{record}/sign/", {P}),
    ("acknowledge", "/sessions/checks/{check}/acknowledge/", {P}),
    ("mark record in error", "/sessions/{record}/entered-in-error/", {P}),
    ("addendum", "/sessions/{record}/addenda/", {P, N}),
    ("follow-up", "/safety/event/{event}/follow-up/", {P, N}),
    ("resolve", "/safety/event/{event}/resolve/", {P, N}),
    ("overdue policy", "/safety/settings/", {A}),
]


def fill(template: str, world) -> str:
    return template.format(
        appointment=world["appointment"].uuid,
        record=world["record"].uuid,
        patient=world["patient"].uuid,
        event=world["event"].uuid,
        check=world["check"].uuid,
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "path", "allowed"), PAGES, ids=[row[0] for row in PAGES])
def test_pages(role, name, path, allowed, personas, world):
    response = client_for(personas[role]).get(fill(path, world))
    assert response.status_code == (200 if role in allowed else 403), name


def test_admin_dashboard_shows_counts_but_no_patient(personas, world):
    body = client_for(personas[A]).get("/safety/").content.decode()
    assert world["patient"].last_name not in body
    assert world["patient"].record_number not in body


@pytest.mark.parametrize("role", ["other_admin", "other_practitioner"])
@pytest.mark.parametrize(("name", "path", "allowed"), OBJECT_PAGES, ids=[row[0] for row in OBJECT_PAGES])
def test_other_clinic_gets_404(role, name, path, allowed, personas, world):
    response = client_for(personas[role]).get(fill(path, world))
    # An admin of the other clinic has no access to the resource at all (403) or not to the object (404).
    assert response.status_code in ((404,) if role == "other_practitioner" else (403, 404)), name
    if role == "other_practitioner":
        assert world["patient"].last_name not in response.content.decode()


REFUSED_POSTS = [(role, name, path) for name, path, allowed in POSTS for role in ROLES if role not in allowed]
OBJECT_POSTS = [(name, path) for name, path, _allowed in POSTS if "{" in path]


@pytest.mark.parametrize(
    ("role", "name", "path"), REFUSED_POSTS, ids=[f"{r}-{n}" for r, n, _p in REFUSED_POSTS]
)
def test_posts_refused_for_other_roles(role, name, path, personas, world):
    """Allowed roles post real data in the apps' own view tests; here: everyone else is refused."""
    response = client_for(personas[role]).post(fill(path, world), {})
    assert response.status_code == 403, name


@pytest.mark.parametrize(("name", "path"), OBJECT_POSTS, ids=[n for n, _p in OBJECT_POSTS])
def test_posts_of_other_clinic_are_404(name, path, personas, world):
    response = client_for(personas["other_practitioner"]).post(fill(path, world), {})
    assert response.status_code == 404, name
