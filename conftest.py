"""Shared fixtures: clinics, personas for every role in two clinics, signed-in clients."""

from __future__ import annotations

import pytest
from django.test import Client

from follicle.accounts.roles import Role
from follicle.accounts.tests.factories import MembershipFactory, UserFactory
from follicle.core.tests.factories import ClinicFactory

PASSWORD = "correct-horse-battery"  # noqa: S105


@pytest.fixture(autouse=True)
def _fast_and_quiet(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def clinic(db):
    return ClinicFactory(name="Athens")


@pytest.fixture
def other_clinic(db):
    return ClinicFactory(name="Thessaloniki")


@pytest.fixture
def make_member(db):
    def make(clinic, role, username=None, **user_fields):
        user = UserFactory(
            username=username or f"{role}.{clinic.name.lower()}", password=PASSWORD, **user_fields
        )
        MembershipFactory(user=user, clinic=clinic, role=role)
        return user

    return make


@pytest.fixture
def personas(clinic, other_clinic, make_member):
    """One user per role in the own clinic, and an admin and a practitioner of the other clinic."""
    people = {role.value: make_member(clinic, role.value) for role in Role}
    people["other_admin"] = make_member(other_clinic, Role.ADMIN, username="admin.other")
    people["other_practitioner"] = make_member(other_clinic, Role.PRACTITIONER, username="doctor.other")
    return people


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(personas):
    return client_for(personas["admin"])


def _audit_trigger_sql():
    import importlib

    migration = importlib.import_module("follicle.core.migrations.0002_audit_append_only")
    return migration


@pytest.fixture(autouse=True)
def _audit_log_append_only(request):
    """Keep the audit table's append-only triggers in place for every database test.

    Transactional tests end with Django's flush, which deletes every row: the triggers are
    dropped just before it and put back when the next database test starts.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or (
        marker is not None and marker.kwargs.get("transaction", False)
    )
    if marker is None and "db" not in request.fixturenames and not transactional:
        yield
        return
    from django.db import connection

    request.getfixturevalue("transactional_db" if transactional else "db")
    migration = _audit_trigger_sql()
    up = {"sqlite": migration.SQLITE_UP, "postgresql": migration.POSTGRES_UP}[connection.vendor]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'core_auditevent_no_%%'")
            missing = cursor.fetchone()[0] == 0
        else:
            missing = True  # CREATE TRIGGER IF NOT EXISTS
        if missing:
            for statement in up:
                cursor.execute(statement)
    yield
    if transactional:
        down = {"sqlite": migration.SQLITE_DOWN, "postgresql": migration.POSTGRES_DOWN}[connection.vendor]
        with connection.cursor() as cursor:
            for statement in down:
                cursor.execute(statement)


@pytest.fixture
def catalogue(db):
    """The shipped reference catalogue, loaded through its service."""
    from follicle.core.audit import Auditor
    from follicle.reference.services import reference_load

    return reference_load(auditor=Auditor.system(label="system:load-reference"))


@pytest.fixture
def make_patient(clinic):
    """Register a patient through the service (as reception would)."""
    import datetime as dt

    from follicle.core.audit import Auditor
    from follicle.patients.services import patient_create

    def make(
        first_name="Ελένη",
        last_name="Παπαδοπούλου",
        sex="female",
        date_of_birth=dt.date(1985, 5, 17),
        clinic_=None,
        **fields,
    ):
        return patient_create(
            clinic=clinic_ or clinic,
            auditor=Auditor.system(clinic=clinic_ or clinic),
            first_name=first_name,
            last_name=last_name,
            sex=sex,
            date_of_birth=date_of_birth,
            **fields,
        )

    return make
