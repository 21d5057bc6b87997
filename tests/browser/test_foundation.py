"""Journey: a locum works in two clinics, in Greek, and creates an API token."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("demo", "--patients", "0")


def test_locum_switches_clinic_and_language_and_creates_token(demo, journey, page):
    # Given the locum practitioner signs in
    journey.sign_in("locum.doctor")
    expect(page.get_by_test_id("active-clinic")).to_have_text("Athens")
    journey.check_accessibility()
    journey.screenshot("home-athens")

    # When they switch to the Thessaloniki clinic from the header
    page.get_by_test_id("clinic-switcher").click()
    page.get_by_role("button", name=re.compile("Thessaloniki")).click()

    # Then every page shows Thessaloniki as the active clinic
    expect(page.get_by_test_id("active-clinic")).to_have_text("Thessaloniki")
    expect(page.get_by_role("status").first).to_contain_text("Thessaloniki")
    journey.screenshot("home-thessaloniki")

    # When they switch the interface to Greek
    page.get_by_test_id("language-menu").click()
    page.get_by_role("button", name="Ελληνικά").click()

    # Then the page speaks Greek
    expect(page.locator("html")).to_have_attribute("lang", "el")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Καλώς ήρθατε")
    journey.check_accessibility()
    journey.screenshot("home-greek")

    # When they open their profile and create a token for Thessaloniki
    page.goto("/accounts/profile/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    journey.check_accessibility()
    thessaloniki = page.locator("#id_membership option", has_text="Thessaloniki").get_attribute("value")
    page.locator("#id_membership").select_option(thessaloniki)
    page.locator("#id_name").fill("reports")
    page.locator("form[action$='/profile/tokens/'] button[type=submit]").click()

    # Then the new token is shown once, and it works against the API for that clinic
    token = page.locator("#new-token-key").inner_text().strip()
    assert token.startswith("flc_")
    journey.screenshot("profile-token")
    response = page.request.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 200
    me = response.json()
    assert me["active_clinic"]["name"] == "Thessaloniki" and me["role"] == "practitioner"

    # And after a reload the key is gone from the page for good
    page.reload()
    expect(page.locator("#new-token-key")).to_have_count(0)
    journey.assert_no_js_errors()


def test_admin_manages_clinic_and_sees_audit(demo, journey, page):
    # Given the Athens practice manager signs in
    journey.sign_in("admin.athens")

    # When they add a closed day with a missing reason, they see the error inline
    page.goto("/settings/clinic/")
    page.locator("#id_closed-date").fill("2031-07-01")
    page.locator("form:has(#id_closed-date) button[type=submit]").click()
    expect(page.locator("#id_closed-reason")).to_have_attribute("aria-invalid", "true")
    journey.check_accessibility()
    journey.screenshot("closed-day-error")

    # When they correct it, the day is listed
    page.locator("#id_closed-reason").fill("Staff training")
    page.locator("form:has(#id_closed-date) button[type=submit]").click()
    expect(page.get_by_text("Staff training")).to_be_visible()

    # Then the audit log shows what they did, and filters with htmx
    page.goto("/audit/")
    journey.check_accessibility()
    page.locator("#id_action").select_option("clinic.closed_day_add")
    rows = page.locator("#audit-results tbody tr")
    expect(rows.first).to_contain_text("Staff training")
    expect(rows.first).to_contain_text("admin.athens")
    expect(page.locator("#audit-results tbody tr:not(:has-text('clinic.closed_day_add'))")).to_have_count(0)
    journey.screenshot("audit-filtered")

    # And the staff list searches as they type
    page.goto("/accounts/staff/")
    page.locator("#staff-search").fill("nurse")
    expect(page.locator("#staff-results tbody tr")).to_have_count(1)
    journey.check_accessibility()
    journey.screenshot("staff-search")
    journey.assert_no_js_errors()
