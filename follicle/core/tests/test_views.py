"""Pages: forms with inline errors, htmx partials, security headers, the audit page's filters."""

from __future__ import annotations

import pytest
from django.test import Client

from follicle.core.audit import Auditor
from follicle.core.models import AuditEvent, ClosedDay


@pytest.fixture
def admin(personas):
    client = Client()
    client.force_login(personas["admin"])
    return client


@pytest.mark.django_db
class TestClinicSettingsPage:
    def test_details_saved(self, admin, clinic):
        response = admin.post(
            "/settings/clinic/",
            {
                "section": "details",
                "clinic-name": "Athens Centre",
                "clinic-address": "Somewhere 1",
                "clinic-phone": "",
                "clinic-email": "a@example.org",
                "clinic-language": "en",
            },
        )
        assert response.status_code == 302
        clinic.refresh_from_db()
        assert clinic.name == "Athens Centre" and clinic.language == "en"

    def test_details_errors_inline_and_nothing_saved(self, admin, clinic):
        response = admin.post(
            "/settings/clinic/",
            {
                "section": "details",
                "clinic-name": "",
                "clinic-email": "nope",
                "clinic-language": "xx",
            },
        )
        assert response.status_code == 200
        body = response.content.decode()
        assert 'aria-invalid="true"' in body and "is-invalid" in body
        assert "Enter a valid email address" in body
        clinic.refresh_from_db()
        assert clinic.name == "Athens"

    def test_name_must_be_unique(self, admin, clinic, other_clinic):
        response = admin.post(
            "/settings/clinic/",
            {
                "section": "details",
                "clinic-name": "Thessaloniki",
                "clinic-language": "el",
            },
        )
        assert response.status_code == 200
        assert "already exists" in response.content.decode()

    def test_hours_saved_and_validated(self, admin, clinic):
        data = {"section": "hours"}
        for d in range(7):
            data |= {
                f"hours-open_{d}": "on" if d < 5 else "",
                f"hours-opens_{d}": "09:00",
                f"hours-closes_{d}": "18:00",
            }
        assert admin.post("/settings/clinic/", data).status_code == 302
        assert clinic.opening_hours.count() == 5
        data["hours-closes_0"] = "08:00"
        response = admin.post("/settings/clinic/", data)
        assert response.status_code == 200
        assert "must close after it opens" in response.content.decode()
        assert clinic.opening_hours.get(weekday=0).closes_at.hour == 18

    def test_closed_day_add_and_duplicate(self, admin, clinic):
        data = {"section": "closed", "closed-date": "2031-08-15", "closed-reason": "Assumption"}
        assert admin.post("/settings/clinic/", data).status_code == 302
        response = admin.post("/settings/clinic/", data)
        assert response.status_code == 200
        assert "already marked as closed" in response.content.decode()
        assert ClosedDay.objects.filter(clinic=clinic).count() == 1

    def test_unknown_section(self, admin):
        response = admin.post("/settings/clinic/", {"section": "other"}, follow=True)
        assert "Unknown form section" in response.content.decode()


@pytest.mark.django_db
class TestStaffPages:
    def test_add_staff_through_the_form(self, admin, clinic):
        response = admin.post(
            "/accounts/staff/new/",
            {
                "username": "new.reception",
                "first_name": "Άννα",
                "last_name": "Νέα",
                "email": "anna@example.org",
                "role": "receptionist",
                "language": "el",
            },
        )
        assert response.status_code == 302
        assert AuditEvent.objects.filter(action="staff.create", clinic=clinic).exists()

    def test_add_staff_errors(self, admin):
        response = admin.post("/accounts/staff/new/", {"username": "bad name!", "role": "surgeon"})
        assert response.status_code == 200
        body = response.content.decode()
        assert "Enter a valid username" in body and "Select a valid choice" in body

    def test_last_admin_error_is_shown(self, admin, personas):
        membership = personas["admin"].memberships.get()
        response = admin.post(f"/accounts/staff/{membership.uuid}/", {"role": "nurse", "is_active": "on"})
        assert response.status_code == 200
        assert "at least one active administrator" in response.content.decode()

    def test_search_is_a_partial_for_htmx_and_audited(self, admin):
        response = admin.get("/accounts/staff/?q=nurse", HTTP_HX_REQUEST="true")
        body = response.content.decode()
        assert "<html" not in body and "nurse.athens" in body and "reception.athens" not in body
        assert "HX-Request" in response["Vary"]
        event = AuditEvent.objects.filter(action="staff.list").latest("seq")
        assert event.detail == {"query": {"q": "nurse", "page": 1}, "count": 1}

    def test_empty_search_has_an_empty_state(self, admin):
        assert "No staff match this search" in admin.get("/accounts/staff/?q=zzzz").content.decode()


@pytest.mark.django_db
class TestAuditPage:
    def test_filters_and_pagination(self, admin, clinic, personas):
        auditor = Auditor.system(clinic=clinic)
        for i in range(60):
            auditor.log("test.bulk", detail={"i": i})
        response = admin.get("/audit/?action=test.bulk")
        body = response.content.decode()
        assert "Page 1 of 2" in body and "action=test.bulk&amp;page=2" in body
        response = admin.get(f"/audit/?user={personas['admin'].pk}", HTTP_HX_REQUEST="true")
        assert "<html" not in response.content.decode()

    def test_bad_filter_is_a_form_error(self, admin):
        response = admin.get("/audit/?date_from=2030-02-01&date_to=2030-01-01&patient=not-a-uuid")
        assert response.status_code == 200
        body = response.content.decode()
        assert "end date is before the start date" in body and "valid UUID" in body

    def test_other_clinic_rows_are_not_shown(self, admin, other_clinic):
        Auditor.system(clinic=other_clinic).log("secret.other")
        assert "secret.other" not in admin.get("/audit/").content.decode()


@pytest.mark.django_db
def test_strict_content_security_policy(admin):
    response = admin.get("/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    body = response.content.decode()
    assert "<script>" not in body and " style=" not in body and "onclick" not in body
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Request-ID"]


@pytest.mark.django_db
def test_assets_are_served_locally(admin):
    body = admin.get("/").content.decode()
    assert "https://" not in body.split("<body")[0]
    for path in (
        "/static/vendor/bootstrap/bootstrap.min.css",
        "/static/vendor/htmx/htmx.min.js",
        "/static/vendor/bootstrap-icons/bootstrap-icons.min.css",
        "/static/vendor/noto-sans/noto-sans.css",
    ):
        assert path in body


@pytest.mark.django_db
def test_navigation_follows_role(personas):
    nurse = Client()
    nurse.force_login(personas["nurse"])
    body = nurse.get("/").content.decode()
    assert "/audit/" not in body and "/accounts/staff/" not in body
    admin = Client()
    admin.force_login(personas["admin"])
    body = admin.get("/").content.decode()
    assert "/audit/" in body and "/accounts/staff/" in body
