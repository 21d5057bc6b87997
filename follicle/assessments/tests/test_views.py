"""Assessment and screening pages: the htmx scale fields, form errors, decisions."""

from __future__ import annotations

import pytest
from django.test import Client

from follicle.assessments.models import Assessment, ScreeningDecision
from follicle.core.audit import Auditor
from follicle.patients.models import Answer, MedicalHistory
from follicle.patients.services import history_record


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def patient(make_patient, catalogue):
    return make_patient()


@pytest.mark.django_db
class TestAssessmentPages:
    def test_scale_fields_follow_diagnosis_and_sex(self, personas, patient):
        client = _client(personas["practitioner"])
        url = f"/assessments/{patient.uuid}/new/"
        body = client.get(url, {"diagnosis": "fphl"}, HTTP_HX_REQUEST="true").content.decode()
        assert "<html" not in body and 'value="ludwig"' in body and 'value="hamilton_norwood"' not in body
        assert "Mesotherapy for this diagnosis" in body
        body = client.get(
            url, {"diagnosis": "fphl", "scale": "ludwig"}, HTTP_HX_REQUEST="true"
        ).content.decode()
        assert 'value="II"' in body
        body = client.get(
            url, {"diagnosis": "alopecia_areata", "scale": "salt"}, HTTP_HX_REQUEST="true"
        ).content.decode()
        assert 'type="number"' in body and 'max="100"' in body

    def test_create_and_view(self, personas, patient):
        client = _client(personas["practitioner"])
        response = client.post(
            f"/assessments/{patient.uuid}/new/",
            {
                "diagnosis": "fphl",
                "scale": "ludwig",
                "grade": "II",
                "pull_test": "negative",
                "sebum": 1,
                "scaling": 0,
                "erythema": 0,
                "inflammation": 0,
                "trichoscopy_findings": ["yellow_dots", "vellus_increased"],
                "notes": "Διάχυτη αραίωση στην κορυφή",
            },
        )
        assert response.status_code == 302
        assessment = Assessment.objects.get()
        body = client.get(f"/assessments/{patient.uuid}/{assessment.uuid}/").content.decode()
        assert "Ludwig" in body and "Διάχυτη αραίωση" in body
        chart = client.get(f"/patients/{patient.uuid}/").content.decode()
        assert "Female pattern hair loss" in chart

    def test_invalid_grade_is_a_form_error(self, personas, patient):
        response = _client(personas["practitioner"]).post(
            f"/assessments/{patient.uuid}/new/",
            {
                "diagnosis": "alopecia_areata",
                "scale": "salt",
                "grade": "250",
                "pull_test": "not_done",
                "sebum": 0,
                "scaling": 0,
                "erythema": 0,
                "inflammation": 0,
            },
        )
        assert response.status_code == 200 and 'aria-invalid="true"' in response.content.decode()
        assert not Assessment.objects.exists()


@pytest.mark.django_db
class TestScreeningPage:
    def test_needs_history_first(self, personas, patient):
        body = (
            _client(personas["practitioner"]).get(f"/assessments/{patient.uuid}/screening/").content.decode()
        )
        assert "Record the medical history before screening" in body

    def test_decide_with_override_reason(self, personas, patient, clinic):
        answers = {name: Answer.NO for name in MedicalHistory.YES_NO_FIELDS} | {"diabetes": Answer.YES}
        history_record(patient=patient, auditor=Auditor.system(clinic=clinic), **answers)
        client = _client(personas["practitioner"])
        page = client.get(f"/assessments/{patient.uuid}/screening/").content.decode()
        assert "Diabetes mellitus" in page and "Catalogue entry" in page
        response = client.post(f"/assessments/{patient.uuid}/screening/", {"result": "suitable"})
        assert response.status_code == 200 and "give the reason" in response.content.decode()
        response = client.post(
            f"/assessments/{patient.uuid}/screening/",
            {"result": "suitable", "override_reason": "Well controlled, HbA1c 5.8 %"},
        )
        assert response.status_code == 302
        decision = ScreeningDecision.objects.get()
        assert decision.is_override and decision.decided_by == personas["practitioner"]
        chart = client.get(f"/patients/{patient.uuid}/").content.decode()
        assert 'data-testid="screening-result"' in chart and "screening-out-of-date" not in chart
        history_record(patient=patient, auditor=Auditor.system(clinic=clinic), diabetes=Answer.NO)
        assert "screening-out-of-date" in client.get(f"/patients/{patient.uuid}/").content.decode()

    def test_nurse_sees_but_cannot_decide(self, personas, patient, clinic):
        history_record(patient=patient, auditor=Auditor.system(clinic=clinic), pregnant=Answer.NO)
        client = _client(personas["nurse"])
        page = client.get(f"/assessments/{patient.uuid}/screening/").content.decode()
        assert "Record your decision" not in page
        assert (
            client.post(f"/assessments/{patient.uuid}/screening/", {"result": "suitable"}).status_code == 403
        )
        assert not ScreeningDecision.objects.exists()
