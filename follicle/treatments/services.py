"""Writes for protocol templates, treatment settings and plans. One transaction, audited, each."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from follicle.assessments.models import Assessment
from follicle.core.audit import Auditor
from follicle.core.models import Clinic
from follicle.formulations.models import FormulationVersion
from follicle.patients.models import Patient
from follicle.reference.models import ReferenceEntry
from follicle.reference.selectors import entry_list
from follicle.treatments import schedule
from follicle.treatments.checks import run_patient_check
from follicle.treatments.models import (
    CombinedTherapy,
    OutcomeCheckpoint,
    PlanAcknowledgement,
    PlannedSession,
    PlanPhase,
    PlanStatus,
    PlanStatusChange,
    ProtocolPhase,
    ProtocolTemplate,
    SessionDateChange,
    SessionStatus,
    Technique,
    TreatmentPlan,
    TreatmentSettings,
)
from follicle.treatments.selectors import is_open_for, treatment_settings_get

DEFAULTS_FILE = Path(__file__).parent / "data" / "default_protocols.yaml"

TEMPLATE_FIELDS = (
    "name",
    "description",
    "technique",
    "depth_mm",
    "needle",
    "volume_ml",
    "zones",
    "checkpoints_months",
    "source_keys",
)
PHASE_FIELDS = ("name", "sessions", "interval_days", "interval_max_days", "source")


# --------------------------------------------------------------------------- protocol templates
def _reference_protocols() -> dict[str, ReferenceEntry]:
    return {entry.key: entry for entry in entry_list(kind=ReferenceEntry.Kind.PROTOCOL)}


def _citations(keys: list[str], protocols: dict[str, ReferenceEntry]) -> list[str]:
    unknown = [k for k in keys if k not in protocols]
    if unknown:
        raise ValidationError(
            {"source_keys": _("Unknown reference protocols: %(k)s") % {"k": ", ".join(unknown)}}
        )
    citations: list[str] = []
    for key in keys:
        for source in protocols[key].sources or []:
            if source not in citations:
                citations.append(source)
    return citations


def _clean_phases(phases: list[dict]) -> list[dict]:
    if not phases:
        raise ValidationError({"phases": _("Add at least one phase.")})
    cleaned = []
    for index, raw in enumerate(phases):
        unknown = set(raw) - set(PHASE_FIELDS)
        if unknown:
            raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
        phase = {name: raw.get(name) for name in PHASE_FIELDS}
        phase["name"] = (phase["name"] or "").strip() or _("Phase %(n)s") % {"n": index + 1}
        phase["source"] = (phase["source"] or "").strip()
        if phase["sessions"] is None and index != len(phases) - 1:
            raise ValidationError({"phases": _("Only the last phase can run until stopped.")})
        cleaned.append(phase)
    return cleaned


def _save_phases(template: ProtocolTemplate, phases: list[dict]) -> None:
    template.phases.all().delete()
    for position, phase in enumerate(phases, start=1):
        row = ProtocolPhase(template=template, position=position, **phase)
        row.full_clean()
        row.save()


def _template_values(clinic: Clinic, fields: dict, exclude_pk: int | None = None) -> dict:
    unknown = set(fields) - set(TEMPLATE_FIELDS) - {"source_citations", "field_sources"}
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    values = dict(fields)
    values["name"] = " ".join((values.get("name") or "").split())
    if "source_keys" in values and "source_citations" not in values:
        values["source_citations"] = _citations(list(values["source_keys"] or []), _reference_protocols())
    if (
        ProtocolTemplate.objects.filter(clinic=clinic, name__iexact=values["name"])
        .exclude(pk=exclude_pk)
        .exists()
    ):
        raise ValidationError({"name": _("A protocol with this name exists already.")})
    return values


@transaction.atomic
def protocol_template_create(
    *, clinic: Clinic, auditor: Auditor, phases: list[dict], **fields
) -> ProtocolTemplate:
    """A clinic's protocol template with its ordered phases; citations come from the catalogue."""
    values = _template_values(clinic, fields)
    phases = _clean_phases(phases)
    template = ProtocolTemplate(clinic=clinic, created_by=auditor.actor, **values)
    template.full_clean()
    template.save()
    _save_phases(template, phases)
    auditor.log(
        "protocol_template.create",
        obj=template,
        detail={"name": template.name, "phases": len(phases), "source_keys": template.source_keys},
    )
    return template


@transaction.atomic
def protocol_template_update(
    *, template: ProtocolTemplate, auditor: Auditor, phases: list[dict], **fields
) -> ProtocolTemplate:
    """Edit a template. Plans made from it keep the phases they copied."""
    template = ProtocolTemplate.objects.select_for_update().get(pk=template.pk)
    values = _template_values(template.clinic, fields, exclude_pk=template.pk)
    phases = _clean_phases(phases)
    for name, value in values.items():
        setattr(template, name, value)
    template.updated_at = timezone.now()
    template.full_clean()
    template.save()
    _save_phases(template, phases)
    auditor.log(
        "protocol_template.update", obj=template, detail={"fields": sorted(values), "phases": len(phases)}
    )
    return template


@cache
def default_protocol_data() -> tuple[dict, ...]:
    return tuple(yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8"))["templates"])


# Template field -> the field of the reference protocol it is read from.
REFERENCE_FIELD = {
    "technique": "technique",
    "volume_ml": "volume_per_session_ml",
    "depth_mm": "depth_mm",
    "needle": "needle",
}


def _number(value) -> Decimal | None:
    """A plain number from the reference; ranges and values with caveats are left for the clinic."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return Decimal(str(value))


def _derive_field(name: str, spec: dict, protocols: dict[str, ReferenceEntry]):
    """(value, provenance) of one template field from the protocol the data file names."""
    key = spec["from"]
    ref_field = REFERENCE_FIELD[name]
    raw = protocols[key].data.get(ref_field)
    provenance = {"protocol": key, "field": ref_field, "value": None if raw is None else str(raw)}
    if "value" in spec:  # transcribed in the data file, quoting the reference text
        return spec["value"], provenance
    if name == "technique":
        return (raw if raw in Technique.values else ""), provenance
    if name == "needle":
        return (str(raw) if raw else ""), provenance
    return _number(raw), provenance


def default_template_values(spec: dict, protocols: dict[str, ReferenceEntry]) -> tuple[dict, list[dict]]:
    """The template fields and phases one entry of default_protocols.yaml derives, with sources."""
    keys = list(spec["derives_from"])
    missing = [k for k in keys if k not in protocols]
    if missing:
        raise ValidationError(
            _("Load the reference catalogue first (missing protocols: %(k)s).") % {"k": ", ".join(missing)}
        )
    field_sources: dict[str, dict] = {}
    values: dict = {
        "name": spec["name"],
        "description": spec.get("description", ""),
        "source_keys": keys,
        "source_citations": _citations(keys, protocols),
        "zones": [],
    }
    for name in REFERENCE_FIELD:
        if name in spec:
            values[name], field_sources[name] = _derive_field(name, spec[name], protocols)
    checkpoints = spec.get("checkpoints_months") or {"value": [0]}
    values["checkpoints_months"] = list(checkpoints["value"])
    sources = checkpoints.get("from") or []
    sources = [sources] if isinstance(sources, str) else sources
    field_sources["checkpoints_months"] = {
        "protocol": ", ".join(sources),
        "field": "follow_up",
        "value": "; ".join(
            str(item) for key in sources for item in (protocols[key].data.get("follow_up") or [])
        ),
    }
    phases, counted = [], {}
    for phase in spec["phases"]:
        key, ref_field = phase["from"], phase.get("field", "schedule")
        quote = protocols[key].data.get(ref_field)
        phases.append(
            {
                "name": phase["name"],
                "sessions": phase["sessions"],
                "interval_days": phase["interval_days"],
                "interval_max_days": phase.get("interval_max_days"),
                "source": f"{key} · {ref_field}: {quote}",
            }
        )
        if phase["sessions"] is not None:
            counted[key] = counted.get(key, 0) + phase["sessions"]
    # A transcription check: the phases taken from a protocol add up to its number of sessions.
    for key, total in counted.items():
        expected = protocols[key].data.get("sessions")
        if isinstance(expected, int) and not isinstance(expected, bool) and expected != total:
            raise ValidationError(
                _("%(name)s: %(total)s sessions taken from %(key)s, which reports %(expected)s.")
                % {"name": spec["name"], "total": total, "key": key, "expected": expected}
            )
    values["field_sources"] = field_sources
    return values, phases


@transaction.atomic
def protocol_templates_install_defaults(*, clinic: Clinic, auditor: Auditor) -> list[ProtocolTemplate]:
    """Create the default templates derived from the published protocols; skips names that exist."""
    protocols = _reference_protocols()
    created = []
    for spec in default_protocol_data():
        if ProtocolTemplate.objects.filter(clinic=clinic, name=spec["name"]).exists():
            continue
        values, phases = default_template_values(spec, protocols)
        template = ProtocolTemplate(clinic=clinic, created_by=auditor.actor, **values)
        template.full_clean()
        template.save()
        _save_phases(template, phases)
        created.append(template)
    auditor.log(
        "protocol_template.install_defaults",
        object_type="treatments.protocoltemplate",
        detail={"created": [t.name for t in created]},
    )
    return created


@transaction.atomic
def treatment_settings_update(*, clinic: Clinic, auditor: Auditor, **fields) -> TreatmentSettings:
    allowed = {"base_minutes", "minutes_per_zone", "horizon_months"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    current, _created = TreatmentSettings.objects.select_for_update().get_or_create(clinic=clinic)
    changes = {}
    for name, value in fields.items():
        if getattr(current, name) != value:
            changes[name] = {"old": getattr(current, name), "new": value}
            setattr(current, name, value)
    current.updated_by = auditor.actor
    current.updated_at = timezone.now()
    current.full_clean()
    current.save()
    auditor.log("treatment_settings.update", obj=current, detail={"changes": changes})
    return current


# --------------------------------------------------------------------------- plans
TRANSITIONS: dict[str, set[str]] = {
    PlanStatus.DRAFT: {PlanStatus.ACTIVE, PlanStatus.STOPPED},
    PlanStatus.ACTIVE: {PlanStatus.PAUSED, PlanStatus.COMPLETED, PlanStatus.STOPPED},
    PlanStatus.PAUSED: {PlanStatus.ACTIVE, PlanStatus.COMPLETED, PlanStatus.STOPPED},
    PlanStatus.COMPLETED: set(),
    PlanStatus.STOPPED: set(),
}


def allowed_transitions(plan: TreatmentPlan) -> list[str]:
    return [s for s in PlanStatus.values if s in TRANSITIONS[plan.status]]


def _phases_of(plan: TreatmentPlan) -> list[PlanPhase]:
    return list(plan.phases.order_by("position"))


def _horizon(plan: TreatmentPlan, today: dt.date) -> dt.date:
    months = treatment_settings_get(clinic=plan.clinic).horizon_months
    return schedule.add_months(max(today, plan.start_date), months)


def _generate(plan: TreatmentPlan) -> None:
    phases = _phases_of(plan)
    is_open = is_open_for(clinic=plan.clinic, since=plan.start_date)
    open_ended = any(p.sessions is None for p in phases)
    until = _horizon(plan, timezone.localdate()) if open_ended else None
    slots = schedule.generate_slots(
        plan.start_date,
        [schedule.Phase(interval_days=p.interval_days, sessions=p.sessions) for p in phases],
        is_open,
        until=until,
    )
    PlannedSession.objects.bulk_create(
        PlannedSession(
            plan=plan, phase=phases[slot.phase], number=n, planned_date=slot.date, original_date=slot.date
        )
        for n, slot in enumerate(slots, start=1)
    )
    OutcomeCheckpoint.objects.bulk_create(
        OutcomeCheckpoint(plan=plan, months=months, due_date=day)
        for months, day in schedule.checkpoints(plan.start_date, plan.checkpoints_months, is_open)
    )
    plan.scheduled_until = until
    plan.save(update_fields=["scheduled_until"])


def _status_row(
    plan: TreatmentPlan, auditor: Auditor, old: str, new: str, reason: str = ""
) -> PlanStatusChange:
    row = PlanStatusChange(plan=plan, from_status=old, to_status=new, reason=reason, changed_by=auditor.actor)
    row.full_clean()
    row.save()
    return row


@transaction.atomic
def plan_create(
    *,
    patient: Patient,
    auditor: Auditor,
    assessment: Assessment,
    formulation_version: FormulationVersion,
    protocol: ProtocolTemplate,
    start_date: dt.date,
    goals: str = "",
    zones: list[str] | None = None,
    therapies: list[dict] | None = None,
) -> TreatmentPlan:
    """A draft plan: the template's phases copied, its sessions and checkpoints dated on open days.

    The patient check runs here too (its result is audited and shown on the plan), but only
    activation is refused on a hard stop: a draft can be prepared while screening is pending.
    """
    if patient.entered_in_error:
        raise ValidationError(_("This patient record was entered in error."))
    if not patient.assessments.filter(entered_in_error=False).exists():
        raise ValidationError(_("Record an assessment before planning treatment."))
    errors = {}
    if assessment.patient_id != patient.pk or assessment.entered_in_error:
        errors["assessment"] = [_("Choose one of this patient's assessments.")]
    if formulation_version.formulation.clinic_id != patient.clinic_id:
        errors["formulation_version"] = [_("Choose a formulation of this clinic.")]
    if protocol.clinic_id != patient.clinic_id or protocol.is_archived:
        errors["protocol"] = [_("Choose a protocol of this clinic.")]
    if errors:
        raise ValidationError(errors)
    plan = TreatmentPlan(
        clinic=patient.clinic,
        patient=patient,
        assessment=assessment,
        formulation_version=formulation_version,
        protocol=protocol,
        protocol_name=protocol.name,
        source_keys=list(protocol.source_keys),
        source_citations=list(protocol.source_citations),
        technique=protocol.technique,
        depth_mm=protocol.depth_mm,
        needle=protocol.needle,
        volume_ml=protocol.volume_ml,
        zones=list(zones) if zones else list(protocol.zones),
        checkpoints_months=list(protocol.checkpoints_months),
        goals=(goals or "").strip(),
        start_date=start_date,
        status=PlanStatus.DRAFT,
        created_by=auditor.actor,
    )
    plan.full_clean()
    plan.save()
    for phase in protocol.phases.order_by("position"):
        PlanPhase.objects.create(
            plan=plan,
            position=phase.position,
            name=phase.name,
            sessions=phase.sessions,
            interval_days=phase.interval_days,
            interval_max_days=phase.interval_max_days,
            source=phase.source,
        )
    _generate(plan)
    _status_row(plan, auditor, "", PlanStatus.DRAFT)
    for therapy in therapies or []:
        _therapy_add(plan, auditor, **therapy)
    check = run_patient_check(plan)
    auditor.log(
        "plan.create",
        obj=plan,
        patient=patient,
        detail={
            "protocol": protocol.name,
            "formulation_version": str(formulation_version.uuid),
            "start_date": start_date.isoformat(),
            "sessions": plan.sessions.count(),
            "hard_stops": [i.code for i in check.hard_stops],
            "cautions": [i.code for i in check.cautions],
        },
    )
    return plan


def _therapy_add(plan: TreatmentPlan, auditor: Auditor, **fields) -> CombinedTherapy:
    allowed = {"kind", "start", "stop", "dose", "instructions"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    therapy = CombinedTherapy(plan=plan, created_by=auditor.actor, **fields)
    therapy.full_clean()
    therapy.save()
    return therapy


@transaction.atomic
def plan_therapy_add(*, plan: TreatmentPlan, auditor: Auditor, **fields) -> CombinedTherapy:
    """Record a therapy the patient uses alongside mesotherapy (minoxidil, finasteride, laser…)."""
    if not plan.is_open:
        raise ValidationError(_("This plan is closed."))
    therapy = _therapy_add(plan, auditor, **fields)
    auditor.log("plan.therapy_add", obj=plan, patient=plan.patient, detail={"kind": therapy.kind})
    return therapy


@transaction.atomic
def plan_acknowledge(
    *, plan: TreatmentPlan, auditor: Auditor, code: str, note: str = ""
) -> PlanAcknowledgement:
    """Acknowledge one caution of the patient check (needed before activation)."""
    if not plan.is_open:
        raise ValidationError(_("This plan is closed."))
    item = next((c for c in run_patient_check(plan).cautions if c.code == code), None)
    if item is None:
        raise ValidationError({"code": _("There is no such caution to acknowledge for this plan.")})
    if plan.acknowledgements.filter(code=code).exists():
        raise ValidationError({"code": _("This caution was acknowledged already.")})
    ack = PlanAcknowledgement(
        plan=plan, code=code, text=item.as_text(), acknowledged_by=auditor.actor, note=(note or "").strip()
    )
    ack.full_clean()
    ack.save()
    auditor.log("plan.acknowledge", obj=plan, patient=plan.patient, detail={"code": code})
    return ack


@transaction.atomic
def plan_status_change(
    *, plan: TreatmentPlan, auditor: Auditor, to_status: str, reason: str = ""
) -> TreatmentPlan:
    """Move a plan along draft → active ⇄ paused → completed / stopped, with its history row.

    Activation runs the patient check: a hard stop refuses it, and every caution needs an
    acknowledgement. Completing or stopping cancels the sessions still planned.
    """
    Patient.objects.select_for_update().filter(pk=plan.patient_id).first()  # serialise activations
    plan = TreatmentPlan.objects.select_for_update().select_related("patient", "clinic").get(pk=plan.pk)
    reason = (reason or "").strip()
    if to_status not in PlanStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    old = plan.status
    if to_status not in TRANSITIONS[old]:
        raise ValidationError(
            {
                "status": _("A plan that is %(old)s cannot become %(new)s.")
                % {"old": PlanStatus(old).label.lower(), "new": PlanStatus(to_status).label.lower()}
            }
        )
    if to_status == PlanStatus.STOPPED and not reason:
        raise ValidationError({"reason": _("Say why the plan is stopped.")})
    if to_status == PlanStatus.ACTIVE:
        check = run_patient_check(plan)
        if check.hard_stops:
            raise ValidationError(
                _("The plan cannot start: %(items)s.")
                % {"items": "; ".join(i.title for i in check.hard_stops)}
            )
        acknowledged = set(plan.acknowledgements.values_list("code", flat=True))
        missing = check.unacknowledged(acknowledged)
        if missing:
            raise ValidationError(
                _("Acknowledge these cautions before starting the plan: %(items)s.")
                % {"items": "; ".join(i.title for i in missing)}
            )
        if (
            TreatmentPlan.objects.filter(patient_id=plan.patient_id, status=PlanStatus.ACTIVE)
            .exclude(pk=plan.pk)
            .exists()
        ):
            raise ValidationError(
                _("This patient already has an active plan: pause, complete or stop it first.")
            )
    plan.status = to_status
    plan.status_changed_at = timezone.now()
    plan.save(update_fields=["status", "status_changed_at"])
    _status_row(plan, auditor, old, to_status, reason)
    cancelled = 0
    if to_status in (PlanStatus.COMPLETED, PlanStatus.STOPPED):
        cancelled = plan.sessions.filter(status=SessionStatus.PLANNED).update(
            status=SessionStatus.CANCELLED, status_changed_at=timezone.now(), status_changed_by=auditor.actor
        )
    elif to_status == PlanStatus.ACTIVE:
        _extend(plan)
    auditor.log(
        "plan.status",
        obj=plan,
        patient=plan.patient,
        detail={"from": old, "to": to_status, "reason": reason, "sessions_cancelled": cancelled},
    )
    return plan


def plan_activate(*, plan: TreatmentPlan, auditor: Auditor) -> TreatmentPlan:
    return plan_status_change(plan=plan, auditor=auditor, to_status=PlanStatus.ACTIVE)


def _extend(plan: TreatmentPlan) -> int:
    """Plan an open-ended last phase up to the clinic's horizon from today; returns sessions added."""
    phases = _phases_of(plan)
    last_phase = phases[-1] if phases else None
    if last_phase is None or last_phase.sessions is not None:
        return 0
    until = _horizon(plan, timezone.localdate())
    if plan.scheduled_until and plan.scheduled_until >= until:
        return 0
    last = plan.sessions.order_by("-number").first()
    if last is None or last.phase_id != last_phase.pk:
        return 0  # the earlier phases still run; the horizon already covers the maintenance start
    is_open = is_open_for(clinic=plan.clinic, since=last.planned_date)
    dates = []
    day = last.planned_date
    while True:
        (day,) = schedule.continue_from(day, [last_phase.interval_days], is_open)
        if day > until:
            break
        dates.append(day)
    PlannedSession.objects.bulk_create(
        PlannedSession(plan=plan, phase=last_phase, number=last.number + n, planned_date=d, original_date=d)
        for n, d in enumerate(dates, start=1)
    )
    plan.scheduled_until = until
    plan.save(update_fields=["scheduled_until"])
    return len(dates)


@transaction.atomic
def plan_extend_schedule(*, plan: TreatmentPlan, auditor: Auditor) -> int:
    """Plan more sessions of an open-ended maintenance phase, up to the horizon from today."""
    plan = TreatmentPlan.objects.select_for_update().select_related("clinic", "patient").get(pk=plan.pk)
    if not plan.is_open:
        raise ValidationError(_("This plan is closed."))
    added = _extend(plan)
    auditor.log("plan.extend", obj=plan, patient=plan.patient, detail={"added": added})
    return added


# --------------------------------------------------------------------------- sessions
def plan_shift_preview(
    *, plan: TreatmentPlan, session: PlannedSession, new_date: dt.date, mark_missed: bool = False
) -> list[tuple[PlannedSession, dt.date, dt.date]]:
    """What moving `session` to `new_date` does to the later planned sessions (nothing stored).

    The later sessions keep the protocol's intervals counted from the moved session, each on an
    open day; done, missed and cancelled sessions are never moved. With `mark_missed`, the session
    stays on its date as missed and the *next* planned session goes to `new_date` instead.
    """
    if session.plan_id != plan.pk:
        raise ValidationError(_("This session belongs to another plan."))
    if not plan.is_open:
        raise ValidationError(_("This plan is closed."))
    session = plan.sessions.get(pk=session.pk)  # its current status, not the caller's copy
    if session.status != SessionStatus.PLANNED:
        raise ValidationError(_("Only a planned session can be moved or marked missed."))
    later = list(
        plan.sessions.select_related("phase")
        .filter(status=SessionStatus.PLANNED, number__gt=session.number)
        .order_by("number")
    )
    moving = later if mark_missed else [session, *later]
    if not moving:
        return []
    earlier = (
        plan.sessions.exclude(status=SessionStatus.CANCELLED)
        .filter(number__lt=moving[0].number)
        .exclude(pk=moving[0].pk)
        .order_by("-number")
        .first()
    )
    if earlier is not None and new_date <= earlier.planned_date:
        raise ValidationError(
            {
                "new_date": _("Choose a date after the session before it (%(date)s).")
                % {"date": earlier.planned_date}
            }
        )
    is_open = is_open_for(clinic=plan.clinic, since=min(new_date, moving[0].planned_date))
    if not is_open(new_date):
        raise ValidationError({"new_date": _("The clinic is closed on that date.")})
    new_dates = [
        new_date,
        *schedule.continue_from(new_date, [s.phase.interval_days for s in moving[1:]], is_open),
    ]
    return [(s, s.planned_date, d) for s, d in zip(moving, new_dates, strict=True) if s.planned_date != d]


@transaction.atomic
def plan_shift_apply(
    *,
    plan: TreatmentPlan,
    session: PlannedSession,
    new_date: dt.date,
    auditor: Auditor,
    mark_missed: bool = False,
) -> list[tuple[PlannedSession, dt.date, dt.date]]:
    """Store the shift the preview shows, one SessionDateChange row per session moved."""
    plan = TreatmentPlan.objects.select_for_update().select_related("clinic", "patient").get(pk=plan.pk)
    session = plan.sessions.select_for_update().get(pk=session.pk)
    lead = (
        plan.sessions.filter(status=SessionStatus.PLANNED, number__gt=session.number)
        .order_by("number")
        .first()
        if mark_missed
        else session
    )
    changes = plan_shift_preview(plan=plan, session=session, new_date=new_date, mark_missed=mark_missed)
    now = timezone.now()
    if mark_missed:
        session.status = SessionStatus.MISSED
        session.status_changed_at, session.status_changed_by = now, auditor.actor
        session.save(update_fields=["status", "status_changed_at", "status_changed_by"])
    for moved, old, new in changes:
        moved.planned_date = new
        moved.save(update_fields=["planned_date"])
        SessionDateChange.objects.create(
            session=moved,
            old_date=old,
            new_date=new,
            reason="moved" if lead is not None and moved.pk == lead.pk else "shifted",
            changed_by=auditor.actor,
            changed_at=now,
        )
    auditor.log(
        "plan.shift",
        obj=plan,
        patient=plan.patient,
        detail={
            "session": session.number,
            "missed": mark_missed,
            "new_date": new_date.isoformat(),
            "moved": [[s.number, o.isoformat(), n.isoformat()] for s, o, n in changes],
        },
    )
    return changes


SESSION_TRANSITIONS = {
    SessionStatus.PLANNED: {SessionStatus.DONE, SessionStatus.MISSED, SessionStatus.CANCELLED},
}


@transaction.atomic
def planned_session_mark(*, session: PlannedSession, status: str, auditor: Auditor) -> PlannedSession:
    """Set a planned session's status (done is set by session recording, in a later issue)."""
    session = PlannedSession.objects.select_for_update().select_related("plan__patient").get(pk=session.pk)
    if status not in SESSION_TRANSITIONS.get(session.status, set()):
        labels = dict(SessionStatus.choices)
        raise ValidationError(
            {
                "status": _("A session that is “%(old)s” cannot become “%(new)s”.")
                % {"old": labels.get(session.status, session.status), "new": labels.get(status, status)}
            }
        )
    old = session.status
    session.status = status
    session.status_changed_at = timezone.now()
    session.status_changed_by = auditor.actor
    session.save(update_fields=["status", "status_changed_at", "status_changed_by"])
    auditor.log(
        "plan.session_mark",
        obj=session.plan,
        patient=session.plan.patient,
        detail={"session": session.number, "from": old, "to": status},
    )
    return session
