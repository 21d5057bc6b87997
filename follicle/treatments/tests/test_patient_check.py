"""The plan's patient check: ingredient- and product-specific contraindications from the catalogue."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from follicle.formulations.models import (
    Formulation,
    FormulationComponent,
    FormulationVersion,
    Product,
    ProductIngredient,
)
from follicle.patients.models import Answer
from follicle.patients.services import history_record
from follicle.treatments import services
from follicle.treatments.checks import formulation_check, load_rules, run_patient_check
from follicle.treatments.tests.conftest import screen


def cocktail(clinic, *ingredients, name="Cocktail", **product_fields) -> FormulationVersion:
    product = Product.objects.create(
        clinic=clinic, name=f"{name} vial", volume_per_vial_ml=Decimal("2"), **product_fields
    )
    for key in ingredients:
        ProductIngredient.objects.create(product=product, ingredient=key)
    formulation = Formulation.objects.create(clinic=clinic, name=name)
    version = FormulationVersion.objects.create(formulation=formulation, version=1)
    FormulationComponent.objects.create(version=version, product=product, volume_ml=Decimal("2"))
    return version


def codes(items):
    return [item.code.split(":")[0] for item in items]


def test_rules_file_names_only_known_answers():
    assert len(load_rules()) >= 10


@pytest.mark.django_db
class TestFormulationCheck:
    def test_dutasteride_and_a_woman_who_may_become_pregnant_is_a_hard_stop(self, patient, clinic, auditor):
        history_record(patient=patient, auditor=auditor, planning_pregnancy=Answer.YES)
        hard, cautions = formulation_check(patient=patient, version=cocktail(clinic, "dutasteride", "biotin"))
        assert codes(hard) == ["women_childbearing_potential_5ari"]
        assert "dutasteride" in hard[0].detail and hard[0].sources

    def test_blood_donor_on_a_5ari_is_a_caution(self, patient, clinic, auditor):
        history_record(patient=patient, auditor=auditor, blood_donor=Answer.YES)
        hard, cautions = formulation_check(patient=patient, version=cocktail(clinic, "finasteride"))
        assert hard == [] and codes(cautions) == ["women_childbearing_potential_5ari"]

    def test_allergy_to_an_ingredient_of_the_cocktail(self, patient, clinic, auditor):
        history_record(patient=patient, auditor=auditor, allergy_ingredients=["biotin"])
        hard, _ = formulation_check(patient=patient, version=cocktail(clinic, "biotin", "zinc"))
        assert codes(hard) == ["allergy_to_components"] and "biotin" in hard[0].detail
        hard, _ = formulation_check(patient=patient, version=cocktail(clinic, "zinc", name="Zinc only"))
        assert hard == []

    def test_ingredients_not_in_the_cocktail_do_not_count(self, patient, clinic, auditor):
        history_record(
            patient=patient, auditor=auditor, planning_pregnancy=Answer.YES, cardiovascular_disease=Answer.YES
        )
        hard, cautions = formulation_check(patient=patient, version=cocktail(clinic, "biotin", "zinc"))
        assert hard == [] and cautions == []

    def test_minoxidil_and_heart_disease_is_a_caution(self, patient, clinic, auditor):
        history_record(patient=patient, auditor=auditor, cardiovascular_disease=Answer.YES)
        _hard, cautions = formulation_check(patient=patient, version=cocktail(clinic, "minoxidil"))
        assert codes(cautions) == ["cardiovascular_disease_vasoactive"]

    def test_buflomedil_is_never_to_be_used(self, patient, clinic):
        hard, _ = formulation_check(patient=patient, version=cocktail(clinic, "buflomedil"))
        assert codes(hard) == ["buflomedil_any_use"]

    def test_non_sterile_or_oily_products_are_hard_stops(self, patient, clinic):
        hard, _ = formulation_check(patient=patient, version=cocktail(clinic, "biotin", sterile=False))
        assert codes(hard) == ["non_sterile_or_multidose_products"]
        hard, _ = formulation_check(
            patient=patient, version=cocktail(clinic, "vitamin_a", name="Oily", vehicle=Product.Vehicle.OIL)
        )
        assert codes(hard) == ["oil_or_alcohol_based_injectables"]

    def test_men_only_rule_skips_women(self, patient, clinic, auditor):
        history_record(patient=patient, auditor=auditor, trying_to_conceive=Answer.YES)
        hard, cautions = formulation_check(patient=patient, version=cocktail(clinic, "dutasteride"))
        assert "men_seeking_conception_5ari" not in codes(cautions)


@pytest.mark.django_db
class TestPlanActivation:
    def test_hard_stop_blocks_activation(self, make_plan, patient, clinic, auditor):
        screen(patient, auditor, planning_pregnancy=Answer.YES)
        plan = make_plan(formulation_version=cocktail(clinic, "dutasteride", name="Duta"))
        assert any(c.startswith("women_childbearing") for c in codes(run_patient_check(plan).hard_stops))
        with pytest.raises(ValidationError):
            services.plan_activate(plan=plan, auditor=auditor)
        plan.refresh_from_db()
        assert plan.status == "draft"

    def test_caution_needs_acknowledgement(self, make_plan, patient, clinic, auditor):
        screen(patient, auditor, result="suitable", high_dose_biotin=Answer.YES)
        plan = make_plan(formulation_version=cocktail(clinic, "biotin", name="Biotin"))
        check = run_patient_check(plan)
        assert not check.blocked and codes(check.cautions) == ["high_dose_biotin_lab_tests"]
        with pytest.raises(ValidationError):
            services.plan_activate(plan=plan, auditor=auditor)
        services.plan_acknowledge(
            plan=plan, auditor=auditor, code=check.cautions[0].code, note="Told to pause biotin"
        )
        services.plan_activate(plan=plan, auditor=auditor)
        plan.refresh_from_db()
        assert plan.status == "active"
