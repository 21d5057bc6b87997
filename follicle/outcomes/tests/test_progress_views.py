"""The progress pages: a plan's measured progress (who sees it, the numbers and statuses it shows)
and the clinic's response policy (admins change it, practitioners and nurses read it)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from conftest import client_for
from follicle.core.models import AuditEvent
from follicle.outcomes import progress
from follicle.outcomes.models import Measurement, MeasurementSite, OutcomeSettings
from follicle.outcomes.tests import test_progress as built
from follicle.treatments.tests import conftest as treatments

auditor = treatments.auditor
formulation = treatments.formulation
make_plan = treatments.make_plan
open_clinic = treatments.open_clinic
patient = treatments.patient
protocol = treatments.protocol
site = built.site
measured = built.measured

CLINICAL = ("practitioner", "nurse")
NOT_CLINICAL = ("admin", "receptionist")


def _text(response) -> str:
    return response.content.decode()


def _page(user, plan):
    return client_for(user).get(reverse("progress:plan", args=[plan.uuid]))


# --------------------------------------------------------------------------- the plan's progress
class TestPlanProgressAccess:
    @pytest.mark.parametrize("role", CLINICAL)
    def test_clinical_roles_read_it(self, role, personas, measured):
        assert _page(personas[role], measured).status_code == 200

    @pytest.mark.parametrize("role", NOT_CLINICAL)
    def test_admin_and_reception_are_refused(self, role, personas, measured):
        response = _page(personas[role], measured)
        assert response.status_code == 403
        assert "112" not in _text(response)

    def test_another_clinics_plan_is_not_found(self, personas, measured):
        assert _page(personas["other_practitioner"], measured).status_code == 404

    def test_an_unknown_plan_is_not_found(self, personas, db):
        client = client_for(personas["practitioner"])
        url = reverse("progress:plan", args=["00000000-0000-0000-0000-000000000000"])
        assert client.get(url).status_code == 404

    def test_signed_out_goes_to_sign_in(self, client, measured):
        response = client.get(reverse("progress:plan", args=[measured.uuid]))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_the_view_is_audited(self, personas, measured):
        _page(personas["nurse"], measured)
        event = AuditEvent.objects.get(action="progress.view")
        assert event.object_id == str(measured.uuid)
        assert event.patient_uuid == measured.patient.uuid


class TestPlanProgressContent:
    def test_values_changes_and_sources(self, personas, measured):
        html = _text(_page(personas["practitioner"], measured))
        rows = re.findall(r'<tr[^>]*data-testid="row-density">(.*?)</tr>', html, re.S)
        assert len(rows) == 4  # baseline, hand-entered, June (corrected), September
        assert "01/03/2030" in rows[0] and 'data-testid="baseline"' in rows[0] and "100.0" in rows[0]
        assert "105.0" in rows[1] and "Entered by hand" in rows[1] and "TrichoScan report" in rows[1]
        assert "112.0" in rows[2] and "+12.0" in rows[2] and "+12.0 %" in rows[2]
        assert 'data-testid="corrected"' in rows[2]
        assert "104.0" in rows[3] and "+4.0 %" in rows[3]
        assert "15/04/2030" not in html, "the image entered in error is left out"
        vellus = re.findall(r'<tr[^>]*data-testid="row-vellus">(.*?)</tr>', html, re.S)
        assert [("20.0" in r, "15.0" in r) for r in vellus] == [(True, False), (False, True), (True, False)]
        assert "−5.0" in vellus[1]  # a true minus sign

    def test_a_chart_per_metric_with_its_description(self, personas, measured):
        html = _text(_page(personas["practitioner"], measured))
        # density, thickness and vellus share (no anagen pair), each drawn wide and for a phone
        assert html.count('role="img"') == 6
        desc = re.search(r'<desc id="chart-[^"]*-density-desc">(.*?)</desc>', html, re.S).group(1)
        assert "Baseline 100.0 hairs/cm² on 01/03/2030" in desc
        assert "Latest 104.0 hairs/cm² on 10/09/2030" in desc and "+4.0" in desc
        assert "Highest 112.0" in desc
        assert ">M3</text>" in html and ">M6</text>" in html  # the checkpoints on the time axis
        assert 'data-testid="metric-anagen"' not in html

    def test_checkpoint_statuses_by_the_default_policy(self, personas, measured):
        html = _text(_page(personas["practitioner"], measured))
        m3 = re.search(r'data-testid="checkpoint-3">(.*?)</tr>', html, re.S).group(1)
        m6 = re.search(r'data-testid="checkpoint-6">(.*?)</tr>', html, re.S).group(1)
        assert "04/06/2030" in m3 and "01/06/2030" in m3 and "+12.0 %" in m3
        assert 'data-testid="status-responder"' in m3 and "Responder" in m3
        assert 'data-testid="status-stable"' in m6 and "10/09/2030" in m6
        assert 'data-testid="checkpoint-0"' not in html

    def test_the_policy_is_shown_as_the_clinics(self, personas, measured):
        html = _text(_page(personas["practitioner"], measured))
        note = re.search(r'data-testid="policy-note">(.*?)</section>', html, re.S).group(1)
        assert "not evidence" in note and "No published minimal important difference" in note
        assert "≥ 10 %" in note and "≥ 5 %" in note and "≤ −5 %" in note and "30 days" in note
        assert "default policy applies" in note
        assert reverse("progress:settings") in note

    def test_the_clinics_own_policy_changes_the_statuses(self, personas, measured, clinic):
        OutcomeSettings.objects.create(
            clinic=clinic, responder_pct=15, partial_pct=3, worse_pct=-8, window_days=30
        )
        html = _text(_page(personas["practitioner"], measured))
        assert html.count('data-testid="status-partial"') == 2
        assert "status-responder" not in html
        assert "clinic&#x27;s own policy applies" in html or "clinic's own policy applies" in html
        assert "≥ 15 %" in html and "≤ −8 %" in html

    def test_a_site_without_measurements_says_so(self, personas, measured, patient):
        MeasurementSite.objects.create(
            clinic=patient.clinic,
            patient=patient,
            name="Occipital",
            zone="occipital",
            landmark="Midline",
            is_reference=True,
            created_by=personas["nurse"],
        )
        html = _text(_page(personas["practitioner"], measured))
        assert html.count('data-testid="site-progress"') == 2
        assert 'data-testid="site-empty"' in html and "Untreated reference" in html

    def test_empty_without_sites(self, personas, make_plan, patient):
        plan = make_plan()
        html = _text(_page(personas["practitioner"], plan))
        assert 'data-testid="progress-empty"' in html and "no measurement site yet" in html
        assert reverse("outcomes:sites", args=[patient.uuid]) in html
        assert 'role="img"' not in html

    def test_empty_with_sites_but_no_measurement(self, personas, make_plan, site):
        plan = make_plan()
        html = _text(_page(personas["nurse"], plan))
        assert 'data-testid="progress-empty"' in html and "No measurement has been analysed" in html

    def test_hand_entered_only(self, personas, make_plan, site):
        plan = make_plan()
        Measurement.objects.create(
            clinic=site.clinic,
            patient=site.patient,
            site=site,
            measured_on=dt.date(2030, 3, 1),
            kind="mean_thickness_um",
            value=58.5,
            source="Lab report 12",
            entered_by=site.created_by,
        )
        html = _text(_page(personas["practitioner"], plan))
        assert 'data-testid="metric-thickness"' in html and "58.5" in html and "Lab report 12" in html
        assert "No later measurement yet" in html

    def test_no_inline_style_or_script(self, personas, measured):
        html = _text(_page(personas["practitioner"], measured))
        assert "style=" not in html
        assert not re.search(r"<script(?![^>]*\bsrc=)", html)

    def test_the_plan_page_links_here_for_clinical_roles_only(self, personas, measured):
        url = reverse("treatments:plan_detail", args=[measured.uuid])
        link = reverse("progress:plan", args=[measured.uuid])
        assert link in _text(client_for(personas["nurse"]).get(url))
        reception = client_for(personas["receptionist"]).get(url)
        assert reception.status_code == 200 and link not in _text(reception)


# --------------------------------------------------------------------------- the response policy
SETTINGS = "/progress/settings/"
VALID = {"responder_pct": "12.5", "partial_pct": "6", "worse_pct": "-4", "window_days": "21"}


class TestResponsePolicy:
    def test_url(self):
        assert reverse("progress:settings") == SETTINGS

    def test_admin_sees_the_form_and_saves(self, personas, clinic):
        client = client_for(personas["admin"])
        page = client.get(SETTINGS)
        assert page.status_code == 200 and 'data-testid="policy-form"' in _text(page)
        assert "This clinic has not set its own policy" in _text(page)
        response = client.post(SETTINGS, VALID)
        assert response.status_code == 302 and response["Location"] == SETTINGS
        policy = progress.policy_for(clinic)
        assert (policy.responder_pct, policy.partial_pct, policy.worse_pct, policy.window_days) == (
            12.5,
            6,
            -4,
            21,
        )
        assert not policy.is_default
        assert AuditEvent.objects.filter(action="outcomes.policy", clinic=clinic).exists()
        after = _text(client.get(SETTINGS))
        assert "The clinic&#x27;s own policy applies" in after or "The clinic's own policy applies" in after
        assert 'value="12.5"' in after

    def test_a_partial_response_above_the_responder_threshold_is_refused(self, personas, clinic):
        response = client_for(personas["admin"]).post(SETTINGS, VALID | {"partial_pct": "20"})
        assert response.status_code == 422
        assert "A partial response cannot need more than a full one." in _text(response)
        assert 'aria-invalid="true"' in _text(response)
        assert progress.policy_for(clinic).is_default

    @pytest.mark.parametrize(
        "change",
        [{"worse_pct": "3"}, {"window_days": "0"}, {"responder_pct": ""}, {"responder_pct": "lots"}],
    )
    def test_out_of_range_values_are_refused(self, change, personas, clinic):
        response = client_for(personas["admin"]).post(SETTINGS, VALID | change)
        assert response.status_code == 422
        assert progress.policy_for(clinic).is_default

    @pytest.mark.parametrize("role", CLINICAL)
    def test_clinical_roles_read_it(self, role, personas):
        response = client_for(personas[role]).get(SETTINGS)
        html = _text(response)
        assert response.status_code == 200
        assert 'data-testid="read-only"' in html and '<form method="post" novalidate' not in html
        assert 'data-testid="value-responder_pct">10<' in html
        assert 'data-testid="value-worse_pct">−5<' in html

    @pytest.mark.parametrize("role", CLINICAL)
    def test_clinical_roles_cannot_change_it(self, role, personas, clinic):
        response = client_for(personas[role]).post(SETTINGS, VALID)
        assert response.status_code == 403
        assert progress.policy_for(clinic).is_default

    def test_reception_is_refused(self, personas):
        client = client_for(personas["receptionist"])
        assert client.get(SETTINGS).status_code == 403
        assert client.post(SETTINGS, VALID).status_code == 403

    def test_it_says_policy_not_evidence_and_lists_the_published_measures(self, personas, catalogue):
        html = _text(client_for(personas["practitioner"]).get(SETTINGS))
        assert "not evidence" in html and "No published minimal important difference" in html
        assert 'data-testid="measure-target_area_hair_count"' in html
        assert "Hoffmann R. TrichoScan" in html
        assert 'data-testid="measure-mcid"' in html and "No published MCID" in html
        assert reverse("reference:entry_detail", args=["outcome_measure", "target_area_hair_count"]) in html

    def test_in_the_clinic_menu_for_admins(self, personas):
        admin = _text(client_for(personas["admin"]).get(SETTINGS))
        assert re.search(r'class="dropdown-item active" href="/progress/settings/"', admin)
        nurse = _text(client_for(personas["nurse"]).get(SETTINGS))
        assert 'href="/progress/settings/"' not in nurse.split("</nav>")[0]
