"""Screening against the catalogue's contraindications, decisions, staleness, and assessments."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from follicle.assessments import selectors, services
from follicle.assessments.models import ScreeningResult
from follicle.core.audit import Auditor
from follicle.core.models import AuditEvent
from follicle.patients.models import Answer, MedicalHistory
from follicle.patients.services import history_record

ALL_NO = {name: Answer.NO for name in MedicalHistory.YES_NO_FIELDS}


@pytest.fixture
def doctor(clinic, personas):
    return Auditor(actor=personas["practitioner"], role="practitioner", clinic=clinic)


@pytest.fixture
def patient(make_patient, catalogue):
    return make_patient()


def _screen(patient, doctor, **answers):
    history_record(patient=patient, auditor=doctor, **(ALL_NO | answers))
    outcome, _history, _assessment = services.screening_compute(patient=patient)
    return outcome


@pytest.mark.django_db
class TestScreeningRules:
    def test_no_findings_is_suitable(self, patient, doctor):
        outcome = _screen(patient, doctor)
        assert (
            outcome.result == ScreeningResult.SUITABLE and outcome.reasons == [] and outcome.not_asked == []
        )

    def test_pregnancy_is_an_absolute_contraindication_with_sources(self, patient, doctor):
        outcome = _screen(patient, doctor, pregnant=Answer.YES)
        assert outcome.result == ScreeningResult.NOT_SUITABLE
        reason = outcome.reasons[0]
        assert reason.contraindication == "pregnancy_breastfeeding" and reason.type == "absolute"
        assert any("NCT01655108" in source for source in reason.sources)
        assert reason.verification == "partially_verified" and reason.unverified_facts

    @pytest.mark.parametrize(
        ("answers", "key"),
        [
            ({"anticoagulants": Answer.YES}, "anticoagulants_bleeding_disorders"),
            ({"keloid_tendency": Answer.YES}, "keloid_tendency"),
            ({"diabetes": Answer.YES}, "diabetes"),
            ({"autoimmune_disease": Answer.YES}, "autoimmune_disease"),
            ({"pacemaker": Answer.YES}, "other_clinic_listed"),
            ({"allergy_ingredients": ["biotin"]}, "allergy_to_components"),
        ],
    )
    def test_relative_and_caution_entries_give_caution(self, patient, doctor, answers, key):
        outcome = _screen(patient, doctor, **answers)
        assert outcome.result == ScreeningResult.CAUTION
        assert [r.contraindication for r in outcome.reasons] == [key]

    def test_unverified_entry_is_marked(self, patient, doctor):
        outcome = _screen(patient, doctor, anticoagulants=Answer.YES)
        assert outcome.reasons[0].verification == "unverified" and outcome.reasons[0].sources == []

    def test_active_scalp_infection_is_absolute(self, patient, doctor):
        assert (
            _screen(patient, doctor, active_scalp_infection=Answer.YES).result == ScreeningResult.NOT_SUITABLE
        )

    def test_the_worst_reason_wins(self, patient, doctor):
        outcome = _screen(patient, doctor, diabetes=Answer.YES, breastfeeding=Answer.YES)
        assert outcome.result == ScreeningResult.NOT_SUITABLE and len(outcome.reasons) == 2

    def test_unasked_question_behind_an_absolute_entry_is_caution(self, patient, doctor):
        outcome = _screen(patient, doctor, pregnant=Answer.UNKNOWN)
        assert outcome.result == ScreeningResult.CAUTION
        assert outcome.not_asked == ["Pregnant"]

    def test_age_limits(self, make_patient, catalogue, doctor):
        today = timezone.localdate()
        teenager = make_patient(date_of_birth=today.replace(year=today.year - 16))
        outcome = _screen(teenager, doctor)
        assert [r.contraindication for r in outcome.reasons] == ["age_limits"]
        assert "under 18" in outcome.reasons[0].triggered_by[0]

    def test_alopecia_areata_diagnosis_is_a_caution(self, patient, doctor):
        history_record(patient=patient, auditor=doctor, **ALL_NO)
        services.assessment_create(
            patient=patient, auditor=doctor, diagnosis="alopecia_areata", scale="salt", grade="35"
        )
        outcome, _h, assessment = services.screening_compute(patient=patient)
        assert assessment.diagnosis == "alopecia_areata"
        assert [r.contraindication for r in outcome.reasons] == ["scarring_alopecia_alopecia_areata"]

    def test_screening_needs_a_history(self, patient):
        with pytest.raises(ValidationError, match="medical history"):
            services.screening_compute(patient=patient)


@pytest.mark.django_db
class TestDecision:
    def test_agreeing_decision_and_audit(self, patient, doctor):
        _screen(patient, doctor)
        decision = services.screening_decide(patient=patient, auditor=doctor, result="suitable")
        assert decision.computed_result == decision.result == "suitable" and not decision.is_override
        assert decision.catalogue_version
        assert AuditEvent.objects.filter(action="screening.decide", patient_uuid=patient.uuid).exists()

    def test_override_needs_a_reason(self, patient, doctor):
        _screen(patient, doctor, diabetes=Answer.YES)
        with pytest.raises(ValidationError, match="give the reason"):
            services.screening_decide(patient=patient, auditor=doctor, result="suitable")
        decision = services.screening_decide(
            patient=patient, auditor=doctor, result="suitable", override_reason="HbA1c 5.9 %, well controlled"
        )
        assert decision.is_override and decision.reasons[0]["contraindication"] == "diabetes"

    def test_decision_goes_out_of_date_when_history_changes(self, patient, doctor):
        _screen(patient, doctor)
        decision = services.screening_decide(patient=patient, auditor=doctor, result="suitable")
        assert not selectors.screening_out_of_date(patient=patient, decision=decision)
        history_record(patient=patient, auditor=doctor, anticoagulants=Answer.YES)
        assert selectors.screening_out_of_date(patient=patient, decision=decision)
        review = services.screening_decide(patient=patient, auditor=doctor, result="caution")
        assert not selectors.screening_out_of_date(patient=patient, decision=review)

    def test_new_assessment_makes_decision_out_of_date(self, patient, doctor):
        _screen(patient, doctor)
        decision = services.screening_decide(patient=patient, auditor=doctor, result="suitable")
        services.assessment_create(
            patient=patient, auditor=doctor, diagnosis="fphl", scale="ludwig", grade="II"
        )
        assert selectors.screening_out_of_date(patient=patient, decision=decision)


@pytest.mark.django_db
class TestAssessment:
    def test_scale_must_fit_diagnosis_and_sex(self, patient, doctor):
        with pytest.raises(ValidationError) as exc:
            services.assessment_create(
                patient=patient, auditor=doctor, diagnosis="fphl", scale="hamilton_norwood", grade="III"
            )
        assert "scale" in exc.value.message_dict
        assessment = services.assessment_create(
            patient=patient,
            auditor=doctor,
            diagnosis="fphl",
            scale="ludwig",
            grade="II",
            sebum=2,
            trichoscopy_findings=["yellow_dots"],
        )
        assert assessment.grade == "II" and assessment.assessed_by == doctor.actor

    def test_grade_must_belong_to_the_scale(self, make_patient, catalogue, doctor):
        man = make_patient(first_name="Νίκος", sex="male")
        with pytest.raises(ValidationError) as exc:
            services.assessment_create(
                patient=man, auditor=doctor, diagnosis="aga_male", scale="hamilton_norwood", grade="IX"
            )
        assert "grade" in exc.value.message_dict
        ok = services.assessment_create(
            patient=man, auditor=doctor, diagnosis="aga_male", scale="hamilton_norwood", grade="III vertex"
        )
        assert ok.grade == "III vertex"

    def test_salt_score_range(self, patient, doctor):
        with pytest.raises(ValidationError):
            services.assessment_create(
                patient=patient, auditor=doctor, diagnosis="alopecia_areata", scale="salt", grade="140"
            )
        assert (
            services.assessment_create(
                patient=patient, auditor=doctor, diagnosis="alopecia_areata", scale="salt", grade="40"
            ).grade
            == "40"
        )

    def test_basp_types(self, make_patient, catalogue, doctor):
        man = make_patient(first_name="Νίκος", sex="male")
        services.assessment_create(
            patient=man, auditor=doctor, diagnosis="aga_male", scale="basp", grade="M2 V1"
        )
        with pytest.raises(ValidationError):
            services.assessment_create(
                patient=man, auditor=doctor, diagnosis="aga_male", scale="basp", grade="V1"
            )

    def test_unknown_diagnosis_and_findings(self, patient, doctor):
        with pytest.raises(ValidationError) as exc:
            services.assessment_create(
                patient=patient, auditor=doctor, diagnosis="baldness", trichoscopy_findings=["x"]
            )
        assert {"diagnosis", "trichoscopy_findings"} <= set(exc.value.message_dict)

    def test_pull_test_hairs_only_when_positive(self, patient, doctor):
        with pytest.raises(ValidationError):
            services.assessment_create(
                patient=patient,
                auditor=doctor,
                diagnosis="telogen_effluvium",
                pull_test="negative",
                pull_test_hairs=8,
            )
        a = services.assessment_create(
            patient=patient,
            auditor=doctor,
            diagnosis="telogen_effluvium",
            pull_test="positive",
            pull_test_hairs=8,
        )
        assert a.pull_test_hairs == 8

    def test_entered_in_error(self, patient, doctor):
        a = services.assessment_create(patient=patient, auditor=doctor, diagnosis="fphl")
        services.assessment_mark_entered_in_error(assessment=a, auditor=doctor, reason="Wrong patient")
        assert selectors.assessment_latest(patient=patient) is None
