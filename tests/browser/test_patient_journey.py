"""Journey: reception registers → nurse records history and consent → doctor screens and assesses.

Then the chart shows it all, in English and in Greek.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from follicle.core.audit import Auditor
from follicle.core.models import Clinic
from follicle.patients.services import consent_text_publish

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def clinic_ready(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("load_reference")
    call_command("demo", "--patients", "0")
    athens = Clinic.objects.get(name="Athens")
    for language, title in (("el", "Συναίνεση για μεσοθεραπεία"), ("en", "Consent to mesotherapy")):
        consent_text_publish(
            clinic=athens,
            auditor=Auditor.system(clinic=athens),
            kind="treatment",
            language=language,
            title=title,
            body="…",
        )


def wait_for_htmx(page):
    """Until htmx has settled the swapped content and wired up its new elements."""
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')")


def switch_language(page, name):
    page.get_by_test_id("language-menu").click()
    page.get_by_role("button", name=name).click()


def sign_out(page):
    page.context.clear_cookies()


def test_patient_from_registration_to_assessment(clinic_ready, journey, page):
    # Given the receptionist registers a new patient
    journey.sign_in("reception.athens")
    page.goto("/patients/new/")
    page.locator("#id_first_name").fill("Γιώργος")
    page.locator("#id_last_name").fill("Σταματόπουλος")
    page.locator("#id_date_of_birth").fill("1979-02-03")
    page.locator("#id_sex").select_option("male")
    page.locator("#id_phone").fill("+30 697 111 2233")
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Γιώργος Σταματόπουλος")
    chart_url = page.url
    journey.check_accessibility()
    journey.screenshot("registered")

    # And finds him again by typing his name in Latin letters
    page.goto("/patients/")
    page.locator("#patient-search").fill("yiorgos stamat")
    expect(page.locator("#patient-results tbody tr")).to_have_count(1)
    expect(page.locator("#patient-results")).to_contain_text("Σταματόπουλος")
    journey.screenshot("search")
    sign_out(page)

    # When the nurse records his medical history (he takes anticoagulants) and his consent
    journey.sign_in("nurse.athens")
    page.goto(chart_url + "history/edit/")
    for radio in page.locator("input[type=radio][value=no]").all():
        radio.check()
    page.locator("#id_anticoagulants input[value=yes], input[name=anticoagulants][value=yes]").first.check()
    page.locator("#id_medications").fill("Acenocoumarol 4 mg")
    journey.check_accessibility()
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator("#history-heading")).to_be_visible()
    page.goto(chart_url + "consents/sign/treatment/")
    page.locator("#id_signed_name").fill("Γιώργος Σταματόπουλος")
    page.locator("#id_confirm").check()
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("status").first).to_be_visible()
    sign_out(page)

    # Then the doctor (who works in English today) assesses him and records the suitability decision
    journey.sign_in("doctor.athens")
    switch_language(page, "English")
    page.goto(chart_url.replace("/patients/", "/assessments/") + "new/")
    page.locator("#id_diagnosis").select_option("aga_male")
    expect(page.locator("#id_scale option[value=hamilton_norwood]")).to_have_count(1)
    wait_for_htmx(page)
    page.locator("#id_scale").select_option("hamilton_norwood")
    expect(page.locator("#id_grade option[value='III vertex']")).to_have_count(1)
    page.locator("#id_grade").select_option("III vertex")
    page.locator("#id_pull_test").select_option("negative")
    journey.check_accessibility()
    journey.screenshot("assessment-form")
    page.locator("main form button[type=submit]").last.click()

    page.goto(chart_url.replace("/patients/", "/assessments/") + "screening/")
    expect(page.get_by_test_id("computed-result")).to_have_text("Caution")
    expect(page.locator("main")).to_contain_text("Anticoagulant")
    journey.check_accessibility()
    journey.screenshot("screening")
    page.get_by_label("Caution").check()
    page.locator("#id_notes").fill("Μείωση δόσης ενέσεων, λεπτότερη βελόνα")
    page.locator("main form button[type=submit]").click()

    # And the chart shows it all
    page.goto(chart_url)
    expect(page.get_by_test_id("screening-result")).to_have_text("Caution")
    expect(page.get_by_test_id("consent-treatment")).to_contain_text("Signed")
    expect(page.locator("main")).to_contain_text("III vertex")
    expect(page.locator("main")).to_contain_text("Medical history version 1")
    journey.check_accessibility()
    journey.screenshot("chart-english")

    # And in Greek
    switch_language(page, "Ελληνικά")
    expect(page.locator("html")).to_have_attribute("lang", "el")
    expect(page.get_by_test_id("screening-result")).to_have_text("Με προσοχή")
    expect(page.locator("#timeline-heading")).to_contain_text("Χρονολόγιο")
    journey.check_accessibility()
    journey.screenshot("chart-greek")
    journey.assert_no_js_errors()
