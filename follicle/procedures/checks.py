"""The pre-session safety check: what stands between this appointment and a session today.

System checks (from the record): the treatment consent is current; the suitability decision is
not out of date and not "not suitable"; the plan is active; the plan's patient check (the
formulation's contraindications against the history) has no hard stop, and its cautions were
acknowledged when the plan was activated; no serious adverse event is still open; other open
adverse events are a caution. Same-day answers (data/same_day_rules.yaml): matched against the
reference catalogue's contraindications. Hard stops block; cautions need a practitioner.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import yaml
from django.utils.translation import gettext as _

from follicle.assessments.selectors import contraindications_by_key
from follicle.patients.models import ConsentKind
from follicle.patients.selectors import consent_status
from follicle.treatments.checks import HARD_TYPES, CheckItem, PatientCheck, run_patient_check
from follicle.treatments.models import PlanStatus

RULES_FILE = Path(__file__).parent / "data" / "same_day_rules.yaml"

# The safety app (below this one) registers fn(patient) -> the patient's open adverse events.
_open_event_providers: list[Callable] = []


def register_open_events_provider(fn: Callable) -> None:
    if fn not in _open_event_providers:
        _open_event_providers.append(fn)


def open_events(patient) -> list:
    return [event for fn in _open_event_providers for event in fn(patient)]


@cache
def load_rules(path: Path = RULES_FILE) -> tuple[dict, ...]:
    from follicle.procedures.models import SafetyCheck

    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if document.get("schema_version") != 1:
        raise ValueError(f"{path.name}: unsupported schema_version {document.get('schema_version')!r}")
    for rule in document["rules"]:
        if rule["question"] not in SafetyCheck.QUESTIONS:
            raise ValueError(f"{path.name}: unknown question {rule['question']!r}")
        if not rule.get("clinic_rule") and not rule.get("contraindication"):
            raise ValueError(f"{path.name}: {rule['question']} needs a contraindication or clinic_rule")
    return tuple(document["rules"])


def _clinic_rule_text(code: str) -> tuple[str, str]:
    texts = {
        "new_medicines": (
            _("New medicines or supplements since the last visit"),
            _("Review them against the formulation before injecting."),
        ),
        "previous_effects_unresolved": (
            _("Side effects of the previous session have not resolved"),
            _("Examine the scalp and record or update the adverse event before injecting again."),
        ),
    }
    return texts.get(code, (code, ""))


def system_checks(*, appointment, plan) -> PatientCheck:
    """The checks that need no question: consent, screening, plan, formulation, open adverse events."""
    check = PatientCheck()
    patient = appointment.patient
    if consent_status(patient=patient).get(ConsentKind.TREATMENT) is None:
        check.hard_stops.append(
            CheckItem(
                code="consent_missing",
                title=_("No current treatment consent"),
                detail=_("The patient has not signed the treatment consent, or withdrew it."),
            )
        )
    if plan.status != PlanStatus.ACTIVE:
        check.hard_stops.append(
            CheckItem(
                code="plan_not_active",
                title=_("The treatment plan is not active"),
                detail=_("Plan status: %(status)s.") % {"status": plan.get_status_display()},
            )
        )
    # The plan check covers the screening (missing, not suitable, out of date) and the
    # formulation's contraindications against the current history.
    plan_check = run_patient_check(plan)
    check.hard_stops.extend(plan_check.hard_stops)
    acknowledged = set(plan.acknowledgements.values_list("code", flat=True))
    check.cautions.extend(plan_check.unacknowledged(acknowledged))
    for event in open_events(patient):
        item = CheckItem(
            code=f"open_event:{event.uuid}",
            title=(_("Serious adverse event still open") if event.serious else _("Adverse event still open")),
            detail=_("%(term)s, since %(date)s")
            % {"term": event.term_label, "date": event.onset_date.isoformat()},
        )
        (check.hard_stops if event.serious else check.cautions).append(item)
    return check


def same_day_checks(answers: dict[str, str]) -> PatientCheck:
    """The same-day answers against the catalogue (data/same_day_rules.yaml)."""
    check = PatientCheck()
    catalogue = contraindications_by_key()
    for rule in load_rules():
        if answers.get(rule["question"]) != rule["answer"]:
            continue
        if rule.get("clinic_rule"):
            title, detail = _clinic_rule_text(rule["code"])
            item = CheckItem(code=f"same_day:{rule['code']}", title=title, detail=detail)
            level = rule.get("level", "caution")
        else:
            entry = catalogue.get(rule["contraindication"])
            if entry is None:
                continue  # retired from the catalogue
            item = CheckItem(
                code=f"same_day:{entry.key}",
                title=entry.data.get("condition", entry.name),
                detail=_("Answered today: %(question)s") % {"question": _question_label(rule["question"])},
                sources=list(entry.sources or []),
            )
            level = rule.get("level") or (
                "hard_stop" if entry.data.get("type", "caution") in HARD_TYPES else "caution"
            )
        (check.hard_stops if level == "hard_stop" else check.cautions).append(item)
    return check


def _question_label(name: str) -> str:
    from follicle.procedures.models import SafetyCheck

    return str(SafetyCheck._meta.get_field(name).verbose_name)


def item_dicts(items) -> list[dict]:
    return [{"code": i.code, "title": i.title, "detail": i.detail, "sources": list(i.sources)} for i in items]
