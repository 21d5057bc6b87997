"""Sign-in, lockout, password reset, idle timeout, language and clinic switching."""

from __future__ import annotations

import re
import time

import pytest
from django.core import mail
from django.test import Client

from follicle.accounts.roles import Role
from follicle.core.middleware import SESSION_ACTIVITY_KEY
from follicle.core.models import AuditEvent

PASSWORD = "correct-horse-battery"  # noqa: S105


def _login(client, username, password=PASSWORD, ip="192.0.2.10"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.django_db
class TestSignIn:
    def test_sign_in_and_out_are_audited(self, personas, clinic):
        client = Client()
        response = _login(client, "nurse.athens")
        assert response.status_code == 302 and response["Location"] == "/"
        assert client.get("/").status_code == 200
        event = AuditEvent.objects.filter(action="auth.login").get()
        assert event.actor == personas["nurse"] and event.ip == "192.0.2.10"
        client.post("/accounts/logout/")
        assert AuditEvent.objects.filter(action="auth.logout").count() == 1
        assert client.get("/").status_code == 302

    def test_wrong_password_shows_form_error_and_is_audited(self, personas):
        response = _login(Client(), "nurse.athens", "wrong-password")
        assert response.status_code == 200
        assert "correct username and password" in response.content.decode()
        assert AuditEvent.objects.filter(action="auth.login_failed", detail__username="nurse.athens").exists()

    def test_sign_in_sets_users_language(self, personas):
        personas["nurse"].language = "el"
        personas["nurse"].save()
        client = Client()
        response = _login(client, "nurse.athens")
        assert response.cookies["django_language"].value == "el"
        assert 'lang="el"' in client.get("/").content.decode()

    def test_logout_needs_post(self, personas):
        client = Client()
        client.force_login(personas["nurse"])
        assert client.get("/accounts/logout/").status_code == 405


@pytest.mark.django_db
class TestLockout:
    def test_locked_after_failures_per_user_and_address(self, personas, settings):
        client = Client()
        for _ in range(settings.AXES_FAILURE_LIMIT):
            _login(client, "nurse.athens", "wrong")
        # Now even the right password is refused from this address…
        response = _login(client, "nurse.athens")
        assert response.status_code == 429
        assert "blocked for 15 minutes" in response.content.decode()
        assert AuditEvent.objects.filter(action="auth.locked_out").exists()
        # …but the same user from another address, and another user from this one, may sign in.
        assert _login(Client(), "nurse.athens", ip="198.51.100.7").status_code == 302
        assert _login(Client(), "practitioner.athens").status_code == 302

    def test_lockout_ends_after_cool_off(self, personas, settings, time_machine):
        time_machine.move_to("2026-01-10 10:00:00+00:00", tick=False)
        client = Client()
        for _ in range(settings.AXES_FAILURE_LIMIT):
            _login(client, "nurse.athens", "wrong")
        assert _login(client, "nurse.athens").status_code == 429
        time_machine.move_to("2026-01-10 10:16:00+00:00", tick=False)
        assert _login(client, "nurse.athens").status_code == 302

    def test_successful_sign_in_resets_the_count(self, personas, settings):
        client = Client()
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            _login(client, "nurse.athens", "wrong")
        assert _login(client, "nurse.athens").status_code == 302
        client.post("/accounts/logout/")
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            _login(client, "nurse.athens", "wrong")
        assert _login(client, "nurse.athens").status_code == 302


@pytest.mark.django_db
class TestPasswordReset:
    def test_reset_by_email(self, personas):
        client = Client()
        response = client.post("/accounts/password/reset/", {"email": "nurse.athens@example.org"})
        assert response.status_code == 302
        assert len(mail.outbox) == 1
        link = re.search(r"http://\S+/accounts/password/reset/\S+/", mail.outbox[0].body).group(0)
        path = link.split("testserver", 1)[-1]
        response = client.get(path, follow=True)
        assert response.status_code == 200
        new_password = "a-brand-new-password-42"  # noqa: S105
        response = client.post(
            response.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password}
        )
        assert response.status_code == 302
        assert _login(Client(), "nurse.athens", new_password).status_code == 302
        assert AuditEvent.objects.filter(action="auth.password_reset", actor=personas["nurse"]).exists()

    def test_unknown_address_gets_the_same_answer_and_no_mail(self, personas):
        response = Client().post("/accounts/password/reset/", {"email": "nobody@example.org"})
        assert response.status_code == 302
        assert mail.outbox == []

    def test_bad_link_says_so(self, personas):
        response = Client().get("/accounts/password/reset/MQ/bad-token/", follow=True)
        assert "invalid or has expired" in response.content.decode()

    def test_password_change_validates(self, personas):
        client = Client()
        client.force_login(personas["nurse"])
        response = client.post(
            "/accounts/password/change/",
            {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"},
        )
        assert response.status_code == 200
        assert "too short" in response.content.decode()
        response = client.post(
            "/accounts/password/change/",
            {
                "old_password": PASSWORD,
                "new_password1": "another-good-pass-77",
                "new_password2": "another-good-pass-77",
            },
        )
        assert response.status_code == 302
        assert AuditEvent.objects.filter(action="auth.password_change").exists()


@pytest.mark.django_db
def test_idle_timeout_signs_out(personas, settings):
    client = Client()
    client.force_login(personas["nurse"])
    assert client.get("/").status_code == 200
    session = client.session
    session[SESSION_ACTIVITY_KEY] = time.time() - settings.IDLE_TIMEOUT_MINUTES * 60 - 5
    session.save()
    response = client.get("/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/accounts/profile/")
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="auth.idle_timeout").exists()


@pytest.mark.django_db
def test_active_request_keeps_the_session(personas, settings):
    client = Client()
    client.force_login(personas["nurse"])
    session = client.session
    session[SESSION_ACTIVITY_KEY] = time.time() - settings.IDLE_TIMEOUT_MINUTES * 60 + 60
    session.save()
    assert client.get("/").status_code == 200


@pytest.mark.django_db
class TestLanguageAndClinic:
    def test_language_choice_is_saved_on_the_user(self, personas):
        client = Client()
        client.force_login(personas["nurse"])
        response = client.post("/accounts/language/", {"language": "el", "next": "/accounts/profile/"})
        assert response.status_code == 302 and response["Location"] == "/accounts/profile/"
        personas["nurse"].refresh_from_db()
        assert personas["nurse"].language == "el"
        body = client.get("/accounts/profile/").content.decode()
        assert 'lang="el"' in body

    def test_language_rejects_unknown_and_unsafe_next(self, personas):
        client = Client()
        client.force_login(personas["nurse"])
        response = client.post("/accounts/language/", {"language": "xx"})
        assert response.status_code == 302
        personas["nurse"].refresh_from_db()
        assert personas["nurse"].language == "en"
        response = client.post("/accounts/language/", {"language": "el", "next": "https://evil.example/"})
        assert response["Location"] == "/"

    def test_switch_clinic(self, clinic, other_clinic, make_member):
        from follicle.accounts.models import Membership

        locum = make_member(clinic, Role.PRACTITIONER, username="locum")
        Membership.objects.create(user=locum, clinic=other_clinic, role=Role.NURSE)
        client = Client()
        client.force_login(locum)
        assert "Athens" in client.get("/").content.decode()
        response = client.post("/accounts/clinic/switch/", {"clinic": str(other_clinic.uuid)})
        assert response.status_code == 302
        body = client.get("/").content.decode()
        assert 'data-testid="active-clinic">Thessaloniki<' in body
        assert client.get("/api/v1/me").json()["role"] == "nurse"
        assert AuditEvent.objects.filter(action="auth.switch_clinic", clinic=other_clinic).exists()

    def test_cannot_switch_to_a_clinic_without_membership(self, personas, other_clinic):
        client = Client()
        client.force_login(personas["admin"])
        response = client.post("/accounts/clinic/switch/", {"clinic": str(other_clinic.uuid)})
        assert response.status_code == 404
        assert client.get("/api/v1/me").json()["active_clinic"]["name"] == "Athens"

    def test_user_without_membership_sees_explanation(self, db):
        from follicle.accounts.tests.factories import UserFactory

        client = Client()
        client.force_login(UserFactory(username="nomember"))
        response = client.get("/")
        assert response.status_code == 403
        assert "not a member of any clinic" in response.content.decode()
