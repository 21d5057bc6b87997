"""The patient check a plan must pass before it is activated (the hook the plan services call).

Two parts: the patient's suitability screening, and the ingredient-specific contraindications of
the reference catalogue against the patient's history for the ingredients of the plan's
formulation (data/patient_check_rules.yaml says which answers, sexes and ingredients match which
catalogue entry). A hard stop refuses activation; a caution needs a `PlanAcknowledgement` with
the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml
from django.utils.translation import gettext as _

from follicle.assessments.models import ScreeningResult
from follicle.assessments.selectors import contraindications_by_key, screening_latest, screening_out_of_date
from follicle.formulations.models import Product
from follicle.patients.models import Answer, MedicalHistory
from follicle.patients.selectors import history_current

RULES_FILE = Path(__file__).parent / "data" / "patient_check_rules.yaml"
HARD_TYPES = {"absolute", "agent_specific"}


@dataclass(frozen=True)
class CheckItem:
    code: str  # stable for the same finding: an acknowledgement is matched by it
    title: str
    detail: str = ""
    sources: list[str] = field(default_factory=list)

    def as_text(self) -> str:
        return f"{self.title}: {self.detail}" if self.detail else self.title


@dataclass
class PatientCheck:
    hard_stops: list[CheckItem] = field(default_factory=list)
    cautions: list[CheckItem] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return bool(self.hard_stops)

    def unacknowledged(self, codes: set[str]) -> list[CheckItem]:
        return [item for item in self.cautions if item.code not in codes]

    def as_json(self) -> dict:
        def items(rows):
            return [
                {"code": i.code, "title": i.title, "detail": i.detail, "sources": list(i.sources)}
                for i in rows
            ]

        return {"hard_stops": items(self.hard_stops), "cautions": items(self.cautions)}


def _reasons(decision) -> tuple[str, list[str]]:
    conditions, sources = [], []
    for reason in decision.reasons or []:
        if reason.get("condition"):
            conditions.append(reason["condition"])
        for source in reason.get("sources") or []:
            if source not in sources:
                sources.append(source)
    return "; ".join(conditions), sources


def run_patient_check(plan) -> PatientCheck:
    """What stands between this plan and its activation, from the patient's latest screening."""
    check = PatientCheck()
    patient = plan.patient
    decision = screening_latest(patient=patient)
    if decision is None:
        check.hard_stops.append(
            CheckItem(
                code="screening_missing",
                title=_("No suitability screening"),
                detail=_("A practitioner must record a suitability decision before the plan starts."),
            )
        )
        return check
    detail, sources = _reasons(decision)
    if decision.result == ScreeningResult.NOT_SUITABLE:
        check.hard_stops.append(
            CheckItem(
                code="screening_not_suitable",
                title=_("The patient was screened as not suitable"),
                detail=detail,
                sources=sources,
            )
        )
    if screening_out_of_date(patient=patient, decision=decision):
        check.hard_stops.append(
            CheckItem(
                code="screening_out_of_date",
                title=_("The suitability screening is out of date"),
                detail=_("The medical history or the assessment changed after the decision: review it."),
            )
        )
    if decision.result == ScreeningResult.CAUTION and not check.hard_stops:
        # The decision's id is part of the code: a new decision needs a new acknowledgement.
        check.cautions.append(
            CheckItem(
                code=f"screening_caution:{decision.uuid}",
                title=_("The patient was screened with caution"),
                detail=detail or decision.notes,
                sources=sources,
            )
        )
    if plan.formulation_version_id:
        hard, cautions = formulation_check(patient=patient, version=plan.formulation_version)
        check.hard_stops.extend(hard)
        check.cautions.extend(cautions)
    return check


@cache
def load_rules(path: Path = RULES_FILE) -> tuple[dict, ...]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if document.get("schema_version") != 1:
        raise ValueError(f"{path.name}: unsupported schema_version {document.get('schema_version')!r}")
    known = set(MedicalHistory.YES_NO_FIELDS)
    for rule in document["rules"]:
        unknown = set(rule["when"].get("any_yes", [])) - known
        if unknown:
            raise ValueError(
                f"{path.name}: {rule['contraindication']} names unknown answers {sorted(unknown)}"
            )
    return tuple(document["rules"])


def _label(name: str) -> str:
    label = str(MedicalHistory._meta.get_field(name).verbose_name)
    return label[:1].upper() + label[1:]


def formulation_check(*, patient, version) -> tuple[list[CheckItem], list[CheckItem]]:
    """Ingredient- and product-specific contraindications of a formulation version for a patient."""
    products = [
        c.product
        for c in version.components.select_related("product").prefetch_related("product__ingredients")
    ]
    ingredients = {row.ingredient for product in products for row in product.ingredients.all()}
    history = history_current(patient=patient)
    catalogue = contraindications_by_key()
    hard: list[CheckItem] = []
    cautions: list[CheckItem] = []
    for index, rule in enumerate(load_rules()):
        entry = catalogue.get(rule["contraindication"])
        if entry is None:
            continue  # retired from the catalogue
        wanted = set(rule.get("ingredients_any", []))
        matched = sorted(ingredients & wanted)
        if wanted and not matched:
            continue
        findings = _findings(
            rule["when"], patient=patient, history=history, ingredients=ingredients, products=products
        )
        if not findings:
            continue
        entry_type = entry.data.get("type", "caution")
        level = rule.get("level") or ("hard_stop" if entry_type in HARD_TYPES else "caution")
        detail = "; ".join(
            [*findings, *([_("ingredients: %(list)s") % {"list": ", ".join(matched)}] if matched else [])]
        )
        # History version and formulation version in the code: a change needs a new acknowledgement.
        stamp = f"h{history.version if history else 0}:f{version.pk}"
        item = CheckItem(
            code=f"{entry.key}:{index}:{stamp}",
            title=entry.data.get("condition", entry.name),
            detail=detail,
            sources=list(entry.sources or []),
        )
        (hard if level == "hard_stop" else cautions).append(item)
    return hard, cautions


def _findings(when: dict, *, patient, history, ingredients: set[str], products: list[Product]) -> list[str]:
    if "sex_in" in when and patient.sex not in when["sex_in"]:
        return []
    findings: list[str] = []
    if when.get("always"):
        findings.append(_("the formulation contains it"))
    if history is not None:
        findings += [_label(n) for n in when.get("any_yes", []) if getattr(history, n) == Answer.YES]
        if when.get("allergy_to_ingredients"):
            allergens = sorted(set(history.allergy_ingredients or []) & ingredients)
            if allergens:
                findings.append(_("allergy to %(list)s") % {"list": ", ".join(allergens)})
    if when.get("product_not_sterile_or_multidose"):
        findings += [
            _("%(product)s is not sterile single-use") % {"product": p.name}
            for p in products
            if not (p.sterile and p.single_use)
        ]
    if when.get("product_oil_or_alcohol"):
        findings += [
            _("%(product)s is oil- or alcohol-based") % {"product": p.name}
            for p in products
            if p.vehicle in (Product.Vehicle.OIL, Product.Vehicle.ALCOHOL)
        ]
    return findings
