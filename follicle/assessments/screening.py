"""Suitability screening: the patient-level contraindications of the catalogue against the history.

The rules file (data/screening_rules.yaml) says which answers match which catalogue entry; the
catalogue says what the entry is, how serious (absolute / relative / caution) and on what sources.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

import yaml
from django.utils.translation import gettext as _

from follicle.assessments.models import ScreeningResult
from follicle.patients.models import Answer, MedicalHistory, Patient

RULES_FILE = Path(__file__).parent / "data" / "screening_rules.yaml"
LEVEL_OF_TYPE = {
    "absolute": ScreeningResult.NOT_SUITABLE,
    "relative": ScreeningResult.CAUTION,
    "caution": ScreeningResult.CAUTION,
}
RANK = {ScreeningResult.SUITABLE: 0, ScreeningResult.CAUTION: 1, ScreeningResult.NOT_SUITABLE: 2}


@dataclass
class Reason:
    contraindication: str
    condition: str
    type: str
    level: str
    triggered_by: list[str]
    rationale: str = ""
    verification: str = ""
    unverified_facts: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


@dataclass
class ScreeningOutcome:
    result: str
    reasons: list[Reason]
    not_asked: list[str]  # questions that decide an absolute contraindication, still unanswered

    def as_json(self) -> list[dict]:
        return [asdict(reason) for reason in self.reasons]


@cache
def load_rules(path: Path = RULES_FILE) -> tuple[dict, ...]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if document.get("schema_version") != 1:
        raise ValueError(f"{path.name}: unsupported schema_version {document.get('schema_version')!r}")
    rules = tuple(document["rules"])
    known = set(MedicalHistory.YES_NO_FIELDS) | {"allergy_ingredients"}
    for rule in rules:
        when = rule["when"]
        unknown = (set(when.get("any_yes", [])) | set(when.get("any_listed", []))) - known
        if unknown:
            raise ValueError(
                f"{path.name}: rule {rule['contraindication']} names unknown answers {sorted(unknown)}"
            )
    return rules


def _label(field_name: str) -> str:
    label = str(MedicalHistory._meta.get_field(field_name).verbose_name)
    return label[:1].upper() + label[1:]


def evaluate(
    *, patient: Patient, history: MedicalHistory, diagnosis: str | None, contraindications: dict, today=None
) -> ScreeningOutcome:
    """Screen a patient. `contraindications` maps catalogue keys to entries (with .data, .sources…)."""
    reasons: list[Reason] = []
    not_asked: list[str] = []
    for rule in load_rules():
        entry = contraindications.get(rule["contraindication"])
        if entry is None:
            continue  # retired from the catalogue: nothing to screen against
        when = rule["when"]
        triggered: list[str] = []
        for name in when.get("any_yes", []):
            value = getattr(history, name)
            if value == Answer.YES:
                triggered.append(_label(name))
            elif value == Answer.UNKNOWN and entry.data.get("type") == "absolute":
                not_asked.append(_label(name))
        for name in when.get("any_listed", []):
            values = getattr(history, name) or []
            if values:
                triggered.append(f"{_label(name)}: {', '.join(v.replace('_', ' ') for v in values)}")
        age = patient.age_on(today) if today else patient.age
        if "age_below" in when and age < when["age_below"]:
            triggered.append(_("Age %(age)s, under %(limit)s") % {"age": age, "limit": when["age_below"]})
        if "age_above" in when and age > when["age_above"]:
            triggered.append(_("Age %(age)s, over %(limit)s") % {"age": age, "limit": when["age_above"]})
        if diagnosis and diagnosis in when.get("diagnosis_in", []):
            triggered.append(_("Diagnosis: %(diagnosis)s") % {"diagnosis": diagnosis.replace("_", " ")})
        if not triggered:
            continue
        entry_type = entry.data.get("type", "caution")
        level = rule.get("level") or LEVEL_OF_TYPE.get(entry_type, ScreeningResult.CAUTION)
        reasons.append(
            Reason(
                contraindication=entry.key,
                condition=entry.data.get("condition", entry.name),
                type=entry_type,
                level=str(level),
                triggered_by=triggered,
                rationale=entry.data.get("rationale", ""),
                verification=entry.verification,
                unverified_facts=list(entry.unverified_facts or []),
                sources=list(entry.sources or []),
            )
        )
    result = ScreeningResult.SUITABLE
    for reason in reasons:
        if RANK[reason.level] > RANK[result]:
            result = ScreeningResult(reason.level)
    if not_asked and result == ScreeningResult.SUITABLE:
        # An unanswered question could hide an absolute contraindication.
        result = ScreeningResult.CAUTION
    return ScreeningOutcome(result=str(result), reasons=reasons, not_asked=sorted(set(not_asked)))
