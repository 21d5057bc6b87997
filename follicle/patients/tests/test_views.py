"""Patient pages: forms with inline errors, search partial, history and consent flows, audit."""

from __future__ import annotations

import pytest
from django.test import Client

from follicle.core.models import AuditEvent
from follicle.patients.models import Answer, MedicalHistory, Patient


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
class TestRegistration:
    def test_register_and_land_on_chart(self, personas, clinic):
        response = _client(personas["receptionist"]).post(
            "/patients/new/",
            {
                "first_name": "Άννα",
                "last_name": "Νικολάου",
                "date_of_birth": "1990-04-02",
                "sex": "female",
                "phone": "+30 210 123 4567",
                "email": "",
                "address": "",
                "language": "el",
            },
        )
        patient = Patient.objects.get()
        assert response.status_code == 302 and response["Location"] == f"/patients/{patient.uuid}/"
        assert patient.record_number == "P-000001" and patient.created_by == personas["receptionist"]

    def test_errors_are_inline_and_nothing_saved(self, personas):
        response = _client(personas["receptionist"]).post(
            "/patients/new/",
            {
                "first_name": "",
                "last_name": "X",
                "date_of_birth": "2999-01-01",
                "sex": "alien",
                "email": "nope",
                "language": "el",
            },
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert body.count('aria-invalid="true"') >= 3
        assert "date of birth is in the future" in body or "Enter a valid email address" in body
        assert not Patient.objects.exists()

    def test_future_birth_date_message(self, personas):
        response = _client(personas["receptionist"]).post(
            "/patients/new/",
            {
                "first_name": "A",
                "last_name": "B",
                "date_of_birth": "2999-01-01",
                "sex": "female",
                "language": "el",
            },
        )
        assert "date of birth is in the future" in response.content.decode()


@pytest.mark.django_db
class TestListAndChart:
    def test_search_partial_and_audit(self, personas, make_patient):
        make_patient()
        make_patient(first_name="John", last_name="Smith", sex="male")
        client = _client(personas["receptionist"])
        response = client.get("/patients/?q=eleni", HTTP_HX_REQUEST="true")
        body = response.content.decode()
        assert "<html" not in body and "Παπαδοπούλου" in body and "Smith" not in body
        event = AuditEvent.objects.filter(action="patient.list").latest("seq")
        assert event.detail == {"query": {"q": "eleni", "page": 1}, "count": 1}

    def test_empty_states(self, personas):
        client = _client(personas["receptionist"])
        assert "No patients yet" in client.get("/patients/").content.decode()
        assert "No patient matches" in client.get("/patients/?q=zzz").content.decode()

    def test_pagination(self, personas, make_patient):
        for i in range(30):
            make_patient(first_name=f"Test{i:02d}")
        body = _client(personas["receptionist"]).get("/patients/").content.decode()
        assert "Page 1 of 2" in body

    def test_chart_shows_timeline_and_is_audited(self, personas, make_patient):
        patient = make_patient()
        body = _client(personas["nurse"]).get(f"/patients/{patient.uuid}/").content.decode()
        assert "Registered" in body and patient.record_number in body
        assert AuditEvent.objects.filter(action="patient.view", patient_uuid=patient.uuid).exists()

    def test_edit_records_revision(self, personas, make_patient):
        patient = make_patient()
        client = _client(personas["receptionist"])
        data = {
            "first_name": patient.first_name,
            "last_name": patient.last_name,
            "date_of_birth": "1985-05-17",
            "sex": "female",
            "phone": "+30 697 000 0000",
            "email": "",
            "address": "",
            "language": "el",
        }
        assert client.post(f"/patients/{patient.uuid}/edit/", data).status_code == 302
        body = client.get(f"/patients/{patient.uuid}/edit/").content.decode()
        assert "+30 697 000 0000" in body and "phone" in body


@pytest.mark.django_db
class TestHistoryAndConsent:
    def test_nurse_records_history_version(self, personas, make_patient, catalogue):
        patient = make_patient()
        client = _client(personas["nurse"])
        assert client.get(f"/patients/{patient.uuid}/history/edit/").status_code == 200
        data = {name: Answer.NO for name in MedicalHistory.YES_NO_FIELDS} | {
            "anticoagulants": Answer.YES,
            "allergy_ingredients": ["biotin"],
            "medications": "Sintrom",
        }
        response = client.post(f"/patients/{patient.uuid}/history/edit/", data)
        assert response.status_code == 302
        history = patient.histories.get()
        assert history.anticoagulants == Answer.YES and history.allergy_ingredients == ["biotin"]
        body = client.get(f"/patients/{patient.uuid}/history/").content.decode()
        assert "Sintrom" in body and "Version 1" in body

    def test_bad_history_answer_is_a_form_error(self, personas, make_patient, catalogue):
        patient = make_patient()
        response = _client(personas["nurse"]).post(
            f"/patients/{patient.uuid}/history/edit/", {"pregnant": "perhaps"}
        )
        assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
        assert not patient.histories.exists()

    def test_consent_sign_and_withdraw(self, personas, make_patient, clinic):
        from follicle.core.audit import Auditor
        from follicle.patients.services import consent_text_publish

        consent_text_publish(
            clinic=clinic,
            auditor=Auditor.system(clinic=clinic),
            kind="treatment",
            language="el",
            title="Συναίνεση",
            body="Κείμενο συναίνεσης",
        )
        patient = make_patient()
        client = _client(personas["nurse"])
        page = client.get(f"/patients/{patient.uuid}/consents/sign/treatment/").content.decode()
        assert "Κείμενο συναίνεσης" in page
        response = client.post(
            f"/patients/{patient.uuid}/consents/sign/treatment/", {"signed_name": "Ελένη Π."}
        )
        assert response.status_code == 200 and "This field is required" in response.content.decode()
        response = client.post(
            f"/patients/{patient.uuid}/consents/sign/treatment/",
            {"signed_name": "Ελένη Παπαδοπούλου", "confirm": "on"},
            REMOTE_ADDR="203.0.113.9",
        )
        assert response.status_code == 302
        consent = patient.consents.get()
        assert consent.signed_ip == "203.0.113.9" and consent.recorded_by == personas["nurse"]
        response = client.post(
            f"/patients/{patient.uuid}/consents/{consent.uuid}/withdraw/", {"reason": "Ασθενής"}
        )
        assert response.status_code == 302
        consent.refresh_from_db()
        assert consent.withdrawn_at is not None

    def test_sign_without_published_text_explains(self, personas, make_patient):
        patient = make_patient()
        body = (
            _client(personas["nurse"]).get(f"/patients/{patient.uuid}/consents/sign/photo/").content.decode()
        )
        assert "no text for this consent yet" in body

    def test_unknown_consent_kind_is_404(self, personas, make_patient):
        patient = make_patient()
        assert (
            _client(personas["nurse"]).get(f"/patients/{patient.uuid}/consents/sign/other/").status_code
            == 404
        )

    def test_admin_publishes_consent_text(self, personas, clinic):
        client = _client(personas["admin"])
        response = client.post(
            "/patients/consent-texts/",
            {"kind": "photo", "language": "en", "title": "Photos", "body": "We take standard photos."},
        )
        assert response.status_code == 302
        assert "Photos" in client.get("/patients/consent-texts/").content.decode()
