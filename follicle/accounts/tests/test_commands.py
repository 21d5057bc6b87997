"""`follicle token` and `follicle demo`."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from follicle.accounts.models import Membership, User
from follicle.accounts.roles import Role
from follicle.accounts.services import token_authenticate
from follicle.core.models import AuditEvent, Clinic
from follicle.patients.models import Patient


@pytest.mark.django_db
class TestTokenCommand:
    def test_prints_a_working_token(self, personas, capsys):
        call_command("token", "nurse.athens")
        key = capsys.readouterr().out.strip()
        assert token_authenticate(key).membership.user == personas["nurse"]
        assert AuditEvent.objects.filter(action="token.create", actor_label="system:cli").exists()

    def test_several_clinics_need_clinic_option(self, clinic, other_clinic, make_member, capsys):
        locum = make_member(clinic, Role.PRACTITIONER, username="locum")
        Membership.objects.create(user=locum, clinic=other_clinic, role=Role.NURSE)
        with pytest.raises(CommandError, match="choose one with --clinic") as exc:
            call_command("token", "locum")
        assert exc.value.returncode == 2
        call_command("token", "locum", "--clinic", "thessaloniki")
        key = capsys.readouterr().out.strip()
        assert token_authenticate(key).membership.clinic == other_clinic

    def test_unknown_user_or_clinic(self, personas):
        with pytest.raises(CommandError, match="No user named"):
            call_command("token", "nobody")
        with pytest.raises(CommandError, match="no active membership in clinic 'Mars'"):
            call_command("token", "nurse.athens", "--clinic", "Mars")


@pytest.mark.django_db
class TestDemoCommand:
    def test_creates_clinics_staff_hours_and_holidays(self, capsys, settings):
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        call_command("demo", "--patients", "0")
        out = capsys.readouterr().out
        assert "locum.doctor" in out and "follicle-demo" in out
        assert set(Clinic.objects.values_list("name", flat=True)) == {"Athens", "Thessaloniki"}
        locum = User.objects.get(username="locum.doctor")
        assert locum.memberships.count() == 2 and locum.check_password("follicle-demo")
        athens = Clinic.objects.get(name="Athens")
        assert athens.opening_hours.count() == 6 and athens.closed_days.count() >= 12
        assert AuditEvent.objects.filter(action="staff.create", actor_label="system:demo").count() == 8
        assert not Patient.objects.exists()

    def test_if_empty_keeps_existing_data(self, clinic, capsys):
        call_command("demo", "--if-empty")
        assert "kept as it is" in capsys.readouterr().out
        assert list(Clinic.objects.values_list("name", flat=True)) == ["Athens"]

    def test_password_from_environment(self, monkeypatch, settings):
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        monkeypatch.setenv("FOLLICLE_DEMO_PASSWORD", "another-demo-password")
        call_command("demo", "--patients", "0")
        assert User.objects.get(username="admin.athens").check_password("another-demo-password")
