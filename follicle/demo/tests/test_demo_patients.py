"""`follicle demo --patients N`: demo patients made through the services, as the clinic's staff."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from follicle.accounts.roles import Role
from follicle.assessments.models import Assessment, ScreeningDecision, ScreeningResult
from follicle.core.audit import verify_chain
from follicle.core.models import AuditEvent, Clinic
from follicle.demo import names
from follicle.demo import patients as demo_patients
from follicle.demo.patients import DemoPatients
from follicle.patients.models import Answer, Consent, ConsentKind, ConsentText, MedicalHistory, Patient

GREEK = re.compile(r"^[\u0370-\u03ff\u1f00-\u1fff ]+$")
LATIN = re.compile(r"^[A-Za-z\u00c0-\u024f' ]+$")
ABSOLUTE = ("pregnant", "breastfeeding", "active_scalp_infection", "scalp_inflammation_or_wound")
CAUTION = ("anticoagulants", "antiplatelets", "bleeding_disorder", "diabetes", "keloid_tendency")


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def demo(*args) -> None:
    call_command("demo", "--no-progress", *args)


@pytest.mark.django_db
class TestDemoPatients:
    def test_patients_through_the_services_as_staff(self, catalogue, capsys):
        demo("--patients", "12")
        out = capsys.readouterr().out
        athens, thessaloniki = Clinic.objects.get(name="Athens"), Clinic.objects.get(name="Thessaloniki")
        assert Patient.objects.filter(clinic=athens).count() == 12
        assert Patient.objects.filter(clinic=thessaloniki).count() == 12
        assert re.search(r"^Athens: 12 patients, \d+ with contraindications; screened \d+", out, re.M)
        assert re.search(r"^Thessaloniki: 12 patients", out, re.M)

        # Greek names in Greek script (language el) and international ones in Latin script (en).
        people = list(Patient.objects.all())
        for patient in people:
            script = GREEK if patient.language == "el" else LATIN
            assert script.match(patient.first_name) and script.match(patient.last_name), patient
        assert {p.language for p in people} == {"el", "en"}

        # Everyone has a history; most are assessed, screened and signed the consents.
        assert all(p.histories.exists() for p in people)
        assert Assessment.objects.count() >= 20 and ScreeningDecision.objects.count() >= 20
        assert Consent.objects.filter(kind=ConsentKind.TREATMENT).count() >= 15
        assert Consent.objects.filter(kind=ConsentKind.PHOTO).count() >= 10
        assert ConsentText.objects.filter(clinic=athens).count() == 4
        for consent in Consent.objects.select_related("patient"):
            if consent.patient.age >= 18:
                assert consent.signed_name == consent.patient.full_name

        # Contraindications in the histories lead to the matching computed results.
        contraindicated = 0
        for decision in ScreeningDecision.objects.select_related("history"):
            answers = decision.history.answers()
            if any(answers[name] == Answer.YES for name in ABSOLUTE):
                assert decision.computed_result == ScreeningResult.NOT_SUITABLE
                contraindicated += 1
            elif any(answers[name] == Answer.YES for name in CAUTION) or decision.history.allergy_ingredients:
                assert decision.computed_result != ScreeningResult.SUITABLE
                contraindicated += 1
            if decision.result != decision.computed_result:
                assert decision.override_reason
        assert contraindicated >= 2

        # Staff did the work, each in their role; the chain verifies.
        for action in ("patient.create", "history.record", "assessment.create", "screening.decide"):
            events = AuditEvent.objects.filter(action=action)
            assert events.exists(), action
            assert not events.filter(actor__isnull=True).exists(), action
            assert not events.filter(actor_label__startswith="system").exists(), action
            assert not events.filter(ip__isnull=True).exists(), action
        roles = Counter(
            AuditEvent.objects.filter(clinic=athens).values_list("action", "role").order_by()
        ).keys()
        assert ("patient.create", Role.RECEPTIONIST) in roles and ("history.record", Role.NURSE) in roles
        assert {r for a, r in roles if a in ("assessment.create", "screening.decide")} == {Role.PRACTITIONER}
        assert set(
            AuditEvent.objects.filter(clinic=thessaloniki, action="patient.create").values_list(
                "role", flat=True
            )
        ) == {Role.ADMIN}
        assert verify_chain().ok

    def test_same_seed_same_people_and_top_up(self, catalogue):
        demo("--patients", "5", "--seed", "7")
        athens = Clinic.objects.get(name="Athens")
        created = list(
            Patient.objects.filter(clinic=athens)
            .order_by("record_number")
            .values_list("first_name", "last_name")
        )
        again = DemoPatients(athens, seed=7)
        assert created == [
            (person.first_name, person.last_name) for person in (again.person(again.rng(i)) for i in range(5))
        ]
        other = DemoPatients(athens, seed=8)
        assert created != [
            (person.first_name, person.last_name) for person in (other.person(other.rng(i)) for i in range(5))
        ]
        demo("--patients", "5", "--seed", "7")  # already there: nothing added
        assert Patient.objects.filter(clinic=athens).count() == 5
        demo("--patients", "7", "--seed", "7")  # topped up with the next two of the same sequence
        extra = Patient.objects.filter(clinic=athens).order_by("record_number")[5:]
        assert [(p.first_name, p.last_name) for p in extra] == [
            (again.person(again.rng(i)).first_name, again.person(again.rng(i)).last_name) for i in (5, 6)
        ]
        assert verify_chain().ok

    def test_zero_patients(self, capsys):
        demo("--patients", "0")
        assert Clinic.objects.count() == 2 and not Patient.objects.exists()
        assert "reference catalogue" not in capsys.readouterr().out

    def test_loads_an_empty_catalogue_first(self, capsys):
        demo("--patients", "2")
        assert "The reference catalogue was empty: loaded it" in capsys.readouterr().out
        assert Patient.objects.count() == 4

    def test_if_empty_keeps_an_existing_database(self, clinic, capsys):
        demo("--if-empty", "--patients", "3")
        assert "kept as it is" in capsys.readouterr().out
        assert list(Clinic.objects.values_list("name", flat=True)) == ["Athens"]
        assert not Patient.objects.exists()

    def test_a_failure_keeps_the_patients_before_it(self, catalogue, monkeypatch):
        real, calls = demo_patients.screening_decide, []

        def failing(**kwargs):
            calls.append(1)
            if len(calls) == 4:
                raise RuntimeError("disk full")
            return real(**kwargs)

        monkeypatch.setattr(demo_patients, "screening_decide", failing)
        with pytest.raises(CommandError, match=r"Athens: demo patient (\d+) failed") as error:
            demo("--patients", "10")
        failed = int(re.search(r"patient (\d+) failed", str(error.value)).group(1))
        assert Patient.objects.filter(clinic__name="Athens").count() == failed - 1
        assert verify_chain().ok


@pytest.mark.django_db
def test_the_mix_of_people(catalogue, clinic, make_member):
    make_member(clinic, Role.PRACTITIONER)
    generator = DemoPatients(clinic, seed=3)
    people = [generator.person(generator.rng(i)) for i in range(400)]
    greek = [p for p in people if p.language == "el"]
    assert 0.78 <= len(greek) / len(people) <= 0.92
    male_forms, female_forms = (set(forms) for forms in zip(*names.GREEK_SURNAMES, strict=True))
    for person in greek:
        if person.sex == "female":
            assert person.first_name in names.GREEK_FEMALE_FIRST and person.last_name in female_forms
        else:
            assert person.first_name in names.GREEK_MALE_FIRST and person.last_name in male_forms
    ages = Counter("minor" if p.age < 18 else "over 65" if p.age > 65 else "adult" for p in people)
    assert ages["minor"] >= 3 and ages["over 65"] >= 3 and ages["adult"] >= 340
    histories = [generator.history(generator.rng(i), p) for i, p in enumerate(people)]
    assert 0.10 <= sum(c for _, c in histories) / len(histories) <= 0.25
    for (answers, _), person in zip(histories, people, strict=True):
        assert set(MedicalHistory.YES_NO_FIELDS) <= set(answers)
        if person.sex == "male":
            assert answers["pregnant"] == answers["breastfeeding"] == Answer.NO
    visits = generator.visit_times(50)
    assert visits == sorted(visits) and (visits[-1] - visits[0]).days > 180
    assert all(v.weekday() < 5 for v in visits)  # the test clinic has no opening hours: Monday to Friday
