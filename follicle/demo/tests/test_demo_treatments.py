"""`follicle demo`: products, lots, formulations, protocol templates and plans, through the services."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from follicle.core.audit import Auditor, verify_chain
from follicle.core.models import AuditEvent, Clinic
from follicle.demo.treatments import LOW_STOCK, reported_concentration
from follicle.formulations.models import Formulation, Lot, LotMovement, Product
from follicle.formulations.services import lot_consume
from follicle.reference.models import ReferenceEntry
from follicle.treatments.checks import run_patient_check
from follicle.treatments.models import (
    PlannedSession,
    PlanStatus,
    PlanStatusChange,
    ProtocolTemplate,
    SessionStatus,
    TreatmentPlan,
)
from follicle.treatments.services import default_protocol_data


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def demo(*args) -> None:
    call_command("demo", "--no-progress", *args)


@pytest.mark.django_db
def test_stock_formulations_and_plans(catalogue, capsys):
    demo("--patients", "12")
    out = capsys.readouterr().out
    today = timezone.localdate()
    for name in ("Athens", "Thessaloniki"):
        clinic = Clinic.objects.get(name=name)
        assert re.search(
            rf"^{name}: 6 products, \d+ lots \(1 expired, 1 low\), 3 formulations, \d+ protocol templates; "
            r"\d+ plans: \d+ draft, \d+ active",
            out,
            re.M,
        ), out

        # Products through the service, sterile single-use, with catalogue ingredients.
        products = Product.objects.filter(clinic=clinic).prefetch_related("ingredients")
        assert products.count() == 6
        assert all(p.sterile and p.single_use and p.ingredients.exists() for p in products)
        assert all("fictional" in p.manufacturer for p in products)
        dutasteride = products.get(ingredients__ingredient="dutasteride").ingredients.get()
        assert (dutasteride.concentration, dutasteride.unit) == (
            reported_concentration(ReferenceEntry.objects.get(kind="ingredient", key="dutasteride"), "0.01%")
        )
        assert str(dutasteride.concentration.normalize()) == "0.01"

        # Several lots each; exactly one expired and one nearly exhausted (but usable) lot.
        lots = Lot.objects.filter(product__clinic=clinic)
        assert all(product.lots.count() >= 2 for product in products)
        expired = lots.filter(expiry_date__lt=today)
        assert expired.count() == 1
        low = lots.filter(expiry_date__gte=today, quantity_left__gt=0, quantity_left__lte=LOW_STOCK)
        assert low.count() == 1 and low.get().quantity_left == 1
        usable = lots.filter(expiry_date__gte=today)
        assert all(
            (lot.expiry_date - today).days >= 80 and (lot.expiry_date - today).days <= 19 * 31
            for lot in usable
        )
        assert all(lot.movements.filter(kind=LotMovement.Kind.RECEIVE).exists() for lot in lots)
        with pytest.raises(ValidationError, match="expired"):
            lot_consume(lot=expired.get(), vials=1, auditor=Auditor.system(clinic=clinic))

        # Three formulations of 1–4 mL a session; the default protocol templates.
        formulations = Formulation.objects.filter(clinic=clinic)
        assert formulations.count() == 3
        for formulation in formulations:
            total = sum(c.volume_ml for c in formulation.versions.get().components.all())
            assert 1 <= total <= 4, formulation
        templates = set(ProtocolTemplate.objects.filter(clinic=clinic).values_list("name", flat=True))
        assert {spec["name"] for spec in default_protocol_data()} <= templates

    plans = list(TreatmentPlan.objects.select_related("patient", "formulation_version__formulation"))
    statuses = Counter(plan.status for plan in plans)
    assert len(statuses) >= 3 and statuses[PlanStatus.ACTIVE] >= 4, statuses
    assert len(plans) >= 8

    # At most one plan per patient (so at most one active one), never for the not suitable.
    assert len({plan.patient_id for plan in plans}) == len(plans)
    for plan in plans:
        check = run_patient_check(plan)
        assert (
            plan.patient.sex == "male"
            or "dutasteride" not in plan.formulation_version.formulation.name.lower()
        )
        if plan.status == PlanStatus.DRAFT:
            assert plan.start_date > timezone.localdate()
            continue
        assert plan.start_date <= today
        if plan.status == PlanStatus.ACTIVE:
            assert not check.hard_stops, plan
            acknowledged = set(plan.acknowledgements.values_list("code", flat=True))
            assert not check.unacknowledged(acknowledged), plan
            # Sessions before today are held (done or missed), none left planned in the past.
            assert not plan.sessions.filter(status=SessionStatus.PLANNED, planned_date__lt=today).exists()
        if plan.status == PlanStatus.STOPPED:
            assert PlanStatusChange.objects.get(plan=plan, to_status=PlanStatus.STOPPED).reason
    assert PlannedSession.objects.filter(status=SessionStatus.DONE).count() >= 10

    # Done by the clinics' staff (the expired lot aside, through the services); the chain verifies.
    for action in ("product.create", "lot.receive", "lot.adjust", "formulation.create", "plan.create"):
        events = AuditEvent.objects.filter(action=action)
        assert events.exists(), action
        assert not events.filter(actor__isnull=True).exists(), action
    assert AuditEvent.objects.filter(action="plan.session_mark").exists()
    assert verify_chain().ok


@pytest.mark.django_db
def test_running_again_adds_nothing_twice(catalogue, capsys):
    demo("--patients", "4")
    counts = (Product.objects.count(), Lot.objects.count(), Formulation.objects.count())
    plans = TreatmentPlan.objects.count()
    templates = ProtocolTemplate.objects.count()
    demo("--patients", "4")
    assert (Product.objects.count(), Lot.objects.count(), Formulation.objects.count()) == counts
    assert TreatmentPlan.objects.count() == plans
    assert ProtocolTemplate.objects.count() == templates
    assert verify_chain().ok


@pytest.mark.django_db
def test_no_patients_no_stock(capsys):
    demo("--patients", "0")
    assert not Product.objects.exists() and not TreatmentPlan.objects.exists()
