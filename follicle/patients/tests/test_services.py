"""Patients, history versions and consents: rules enforced by their services, and search."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from follicle.core.audit import Auditor
from follicle.core.models import AuditEvent
from follicle.patients import selectors, services
from follicle.patients.models import Answer, ConsentKind, PatientRevision


@pytest.fixture
def auditor(clinic, personas):
    from follicle.accounts.models import Membership

    membership = Membership.objects.get(user=personas["receptionist"])
    return Auditor(actor=personas["receptionist"], role=membership.role, clinic=clinic, ip="192.0.2.1")


@pytest.mark.django_db
class TestPatients:
    def test_create_numbers_per_clinic_and_records_creation(self, clinic, other_clinic, make_patient):
        first = make_patient()
        second = make_patient(first_name="Νίκος", last_name="Γεωργίου", sex="male")
        elsewhere = make_patient(clinic_=other_clinic)
        assert (first.record_number, second.record_number, elsewhere.record_number) == (
            "P-000001",
            "P-000002",
            "P-000001",
        )
        revision = first.revisions.get()
        assert revision.changes["last_name"] == {"old": None, "new": "Παπαδοπούλου"}
        assert AuditEvent.objects.filter(action="patient.create", patient_uuid=first.uuid).exists()

    def test_update_keeps_old_and_new_values(self, make_patient, auditor, personas):
        patient = make_patient(phone="+30 210 1234567")
        services.patient_update(patient=patient, auditor=auditor, phone="+30 697 0000000", first_name="Ελένη")
        revision = PatientRevision.objects.filter(patient=patient).order_by("-id").first()
        assert revision.changes == {"phone": {"old": "+30 210 1234567", "new": "+30 697 0000000"}}
        assert revision.changed_by == personas["receptionist"]
        # A save that changes nothing writes nothing.
        services.patient_update(patient=patient, auditor=auditor, phone="+30 697 0000000")
        assert patient.revisions.count() == 2

    def test_invalid_input_is_refused_and_nothing_stored(self, make_patient, auditor):
        patient = make_patient()
        with pytest.raises(ValidationError):
            services.patient_update(patient=patient, auditor=auditor, email="not-an-email")
        with pytest.raises(ValidationError):
            services.patient_update(
                patient=patient, auditor=auditor, date_of_birth=timezone.localdate() + dt.timedelta(days=1)
            )
        with pytest.raises(ValidationError):
            services.patient_update(patient=patient, auditor=auditor, surname="x")
        patient.refresh_from_db()
        assert patient.email == "" and patient.revisions.count() == 1

    def test_entered_in_error_hides_from_lists_but_keeps_record(self, clinic, make_patient, auditor):
        patient = make_patient()
        with pytest.raises(ValidationError):
            services.patient_mark_entered_in_error(patient=patient, auditor=auditor, reason=" ")
        services.patient_mark_entered_in_error(
            patient=patient, auditor=auditor, reason="Duplicate of P-000002"
        )
        assert not selectors.patient_list(clinic=clinic).exists()
        assert selectors.patient_list(clinic=clinic, include_in_error=True).get() == patient


@pytest.mark.django_db
class TestSearch:
    @pytest.fixture
    def people(self, make_patient):
        return {
            "eleni": make_patient(phone="+30 6971234567"),
            "giorgos": make_patient(
                first_name="Γιώργος", last_name="Σταματόπουλος", sex="male", date_of_birth=dt.date(1979, 2, 3)
            ),
            "john": make_patient(
                first_name="John", last_name="O'Brien", sex="male", email="john@example.org"
            ),
        }

    @pytest.mark.parametrize(
        ("query", "who"),
        [
            ("Ελένη", "eleni"),
            ("eleni", "eleni"),
            ("ΠΑΠΑΔΟΠΟΥΛΟΥ", "eleni"),
            ("papadop", "eleni"),
            ("Yiorgos", "giorgos"),
            ("σταματοπουλος", "giorgos"),
            ("Stamatopoulos", "giorgos"),
            ("1979-02-03", "giorgos"),
            ("03/02/1979", "giorgos"),
            ("6971234567", "eleni"),
            ("697 123", "eleni"),
            ("P-000003", "john"),
            ("obrien", "john"),
            ("O’Brien", "john"),
            ("john@example", "john"),
            ("giorgos 1979-02-03", "giorgos"),
        ],
    )
    def test_finds(self, clinic, people, query, who):
        assert list(selectors.patient_list(clinic=clinic, query=query)) == [people[who]]

    def test_all_words_must_match(self, clinic, people):
        assert not selectors.patient_list(clinic=clinic, query="Giorgos Papadopoulou").exists()

    def test_other_clinic_is_never_searched(self, other_clinic, people):
        assert not selectors.patient_list(clinic=other_clinic, query="eleni").exists()


@pytest.mark.django_db
class TestHistory:
    def test_versions_are_kept_and_carry_answers_forward(self, make_patient, auditor):
        patient = make_patient()
        first = services.history_record(
            patient=patient, auditor=auditor, pregnant=Answer.NO, diabetes=Answer.YES
        )
        second = services.history_record(patient=patient, auditor=auditor, pregnant=Answer.YES)
        assert (first.version, second.version) == (1, 2)
        first.refresh_from_db()
        assert first.pregnant == Answer.NO  # the old version is unchanged
        assert second.diabetes == Answer.YES  # answers not given are carried over
        assert selectors.history_current(patient=patient) == second
        event = AuditEvent.objects.filter(action="history.record").latest("seq")
        assert event.detail == {"version": 2, "changed": ["pregnant"]}

    def test_bad_answer_is_refused(self, make_patient, auditor):
        patient = make_patient()
        with pytest.raises(ValidationError):
            services.history_record(patient=patient, auditor=auditor, pregnant="maybe")
        with pytest.raises(ValidationError):
            services.history_record(patient=patient, auditor=auditor, shoe_size="44")
        assert not patient.histories.exists()

    def test_flags_list_yes_answers(self, make_patient, auditor):
        patient = make_patient()
        history = services.history_record(
            patient=patient, auditor=auditor, anticoagulants=Answer.YES, allergy_ingredients=["biotin"]
        )
        assert any("anticoagulants" in flag for flag in history.flags)
        assert any("biotin" in flag for flag in history.flags)


@pytest.mark.django_db
class TestConsent:
    def test_texts_are_versioned(self, clinic, auditor):
        v1 = services.consent_text_publish(
            clinic=clinic,
            auditor=auditor,
            kind="treatment",
            language="el",
            title="Συναίνεση",
            body="Κείμενο 1",
        )
        same = services.consent_text_publish(
            clinic=clinic,
            auditor=auditor,
            kind="treatment",
            language="el",
            title="Συναίνεση",
            body="Κείμενο 1",
        )
        v2 = services.consent_text_publish(
            clinic=clinic,
            auditor=auditor,
            kind="treatment",
            language="el",
            title="Συναίνεση",
            body="Κείμενο 2",
        )
        assert (v1.version, same.pk, v2.version) == (1, v1.pk, 2)

    def test_sign_and_withdraw(self, clinic, make_patient, auditor):
        patient = make_patient()
        text = services.consent_text_publish(
            clinic=clinic, auditor=auditor, kind="photo", language="el", title="Φωτογραφίες", body="…"
        )
        consent = services.consent_sign(
            patient=patient, auditor=auditor, text=text, signed_name="  Ελένη   Παπαδοπούλου "
        )
        assert consent.signed_name == "Ελένη Παπαδοπούλου" and consent.signed_ip == "192.0.2.1"
        assert selectors.consent_status(patient=patient)[ConsentKind.PHOTO] == consent
        services.consent_withdraw(consent=consent, auditor=auditor, reason="Changed her mind")
        assert selectors.consent_status(patient=patient)[ConsentKind.PHOTO] is None
        with pytest.raises(ValidationError):
            services.consent_withdraw(consent=consent, auditor=auditor, reason="again")
        assert consent.__class__.objects.filter(pk=consent.pk).exists()

    def test_only_the_newest_text_can_be_signed(self, clinic, make_patient, auditor):
        patient = make_patient()
        old = services.consent_text_publish(
            clinic=clinic, auditor=auditor, kind="treatment", language="el", title="A", body="1"
        )
        services.consent_text_publish(
            clinic=clinic, auditor=auditor, kind="treatment", language="el", title="A", body="2"
        )
        with pytest.raises(ValidationError, match="newer version"):
            services.consent_sign(patient=patient, auditor=auditor, text=old, signed_name="Ελένη Π.")

    def test_signature_needs_a_name_and_own_clinic_text(self, clinic, other_clinic, make_patient, auditor):
        patient = make_patient()
        text = services.consent_text_publish(
            clinic=clinic, auditor=auditor, kind="treatment", language="el", title="A", body="1"
        )
        with pytest.raises(ValidationError):
            services.consent_sign(patient=patient, auditor=auditor, text=text, signed_name="E")
        foreign = services.consent_text_publish(
            clinic=other_clinic, auditor=auditor, kind="treatment", language="el", title="B", body="1"
        )
        with pytest.raises(ValidationError, match="another clinic"):
            services.consent_sign(patient=patient, auditor=auditor, text=foreign, signed_name="Ελένη Π.")
