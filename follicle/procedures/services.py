"""Writes of the treatment room: safety checks, session records, lots, injections, signing, addenda.

Every function is one transaction with an explicit audit call. A signed record (or one entered in
error) is locked: every write below refuses it, and corrections are addenda.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from follicle.core.audit import Auditor
from follicle.formulations import services as formulation_services
from follicle.formulations.models import Lot, Product
from follicle.procedures import checks
from follicle.procedures.models import (
    CheckResult,
    InjectionZone,
    RecordStatus,
    SafetyCheck,
    SameDay,
    SessionAddendum,
    SessionLot,
    SessionRecord,
    TherapyConfirmation,
    TherapyStatus,
)
from follicle.scheduling import services as scheduling_services
from follicle.scheduling.models import Appointment, AppointmentStatus
from follicle.scheduling.selectors import is_practitioner
from follicle.treatments import services as treatment_services
from follicle.treatments.models import CombinedTherapy, SessionStatus, Zone

VOLUME_TOLERANCE_ML = Decimal("0.05")  # rounding of syringe readings


def _require_practitioner(auditor: Auditor, clinic, what: str) -> None:
    if auditor.actor is None or not is_practitioner(clinic=clinic, user=auditor.actor):
        raise PermissionDenied(_("Only a practitioner may %(what)s.") % {"what": what})


def _locked(record: SessionRecord) -> None:
    if record.is_locked:
        raise ValidationError(
            _("This session record is signed and locked: add an addendum to correct it.")
            if record.status == RecordStatus.SIGNED
            else _("This session record was entered in error and is locked.")
        )


def _fresh(record: SessionRecord) -> SessionRecord:
    """Re-read and lock the row: two people editing one record are serialised."""
    return (
        SessionRecord.objects.select_for_update(of=("self",))
        .select_related("patient", "plan", "formulation_version", "appointment", "planned_session")
        .get(pk=record.pk)
    )


def _touch(record: SessionRecord) -> None:
    record.updated_at = timezone.now()
    record.save(update_fields=["updated_at"])


# --------------------------------------------------------------------------- the safety check
def _session_appointment(appointment: Appointment) -> None:
    if appointment.planned_session_id is None:
        raise ValidationError(
            _("Only an appointment for a session of a treatment plan can have a session record.")
        )
    if appointment.status not in (AppointmentStatus.CHECKED_IN, AppointmentStatus.DONE):
        raise ValidationError(_("Check the patient in first."))
    if timezone.localtime(appointment.starts_at).date() != timezone.localdate():
        raise ValidationError(_("The safety check is done on the day of the appointment."))


@transaction.atomic
def safety_check_record(
    *, appointment: Appointment, auditor: Auditor, notes: str = "", medicines_detail: str = "", **answers
) -> SafetyCheck:
    """Record today's pre-session check of a checked-in plan appointment and compute its result."""
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("patient", "planned_session__plan")
        .get(pk=appointment.pk)
    )
    _session_appointment(appointment)
    record = SessionRecord.objects.filter(appointment=appointment).first()
    if record is not None and record.is_locked:
        raise ValidationError(_("The session record of this appointment is already signed."))
    missing = [name for name in SafetyCheck.QUESTIONS if answers.get(name) not in SameDay.values]
    if missing:
        raise ValidationError({name: _("Answer this question.") for name in missing})
    unknown = set(answers) - set(SafetyCheck.QUESTIONS)
    if unknown:
        raise ValidationError(_("Unknown questions: %(names)s") % {"names": ", ".join(sorted(unknown))})
    if answers["new_medicines"] == SameDay.YES and not (medicines_detail or "").strip():
        raise ValidationError({"medicines_detail": _("Say which new medicines.")})
    plan = appointment.planned_session.plan
    system = checks.system_checks(appointment=appointment, plan=plan)
    today = checks.same_day_checks(answers)
    hard = [*system.hard_stops, *today.hard_stops]
    cautions = [*system.cautions, *today.cautions]
    result = CheckResult.BLOCKED if hard else CheckResult.CAUTION if cautions else CheckResult.CLEAR
    check = SafetyCheck(
        clinic=appointment.clinic,
        patient=appointment.patient,
        appointment=appointment,
        plan=plan,
        notes=(notes or "").strip(),
        medicines_detail=(medicines_detail or "").strip(),
        hard_stops=checks.item_dicts(hard),
        cautions=checks.item_dicts(cautions),
        result=result,
        recorded_by=auditor.actor,
        **answers,
    )
    check.full_clean()
    check.save()
    if record is not None:
        # A draft already open follows the newest check: a new hard stop blocks its signing.
        record.safety_check = check
        record.save(update_fields=["safety_check"])
    auditor.log(
        "safety_check.record",
        obj=check,
        patient=appointment.patient,
        detail={
            "appointment": str(appointment.uuid),
            "result": result,
            "hard_stops": [i.code for i in hard],
            "cautions": [i.code for i in cautions],
        },
    )
    return check


@transaction.atomic
def safety_check_acknowledge(*, check: SafetyCheck, auditor: Auditor, note: str = "") -> SafetyCheck:
    """A practitioner acknowledges the cautions of a check (hard stops cannot be acknowledged)."""
    check = SafetyCheck.objects.select_for_update().select_related("patient").get(pk=check.pk)
    _require_practitioner(auditor, check.clinic, _("acknowledge the cautions of a safety check"))
    if check.result == CheckResult.BLOCKED:
        raise ValidationError(_("A hard stop cannot be acknowledged: the session must not go ahead today."))
    if check.result == CheckResult.CLEAR:
        raise ValidationError(_("This check has no cautions to acknowledge."))
    if check.acknowledged_at is not None:
        raise ValidationError(_("These cautions were already acknowledged."))
    if check.appointment.safety_checks.order_by("-recorded_at", "-id").first().pk != check.pk:
        raise ValidationError(_("A newer safety check replaces this one."))
    check.acknowledged_by = auditor.actor
    check.acknowledged_at = timezone.now()
    check.acknowledgement_note = (note or "").strip()
    check.save(update_fields=["acknowledged_by", "acknowledged_at", "acknowledgement_note"])
    auditor.log(
        "safety_check.acknowledge",
        obj=check,
        patient=check.patient,
        detail={"cautions": [c["code"] for c in check.cautions], "note": check.acknowledgement_note},
    )
    return check


def latest_check(appointment: Appointment) -> SafetyCheck | None:
    return appointment.safety_checks.order_by("-recorded_at", "-id").first()


# --------------------------------------------------------------------------- opening a record
def _default_needle(plan) -> tuple[int | None, Decimal | None]:
    """Parse a plan's free-text needle such as "30G × 4 mm" into gauge and length, when it can."""
    import re

    text = plan.needle or ""
    gauge = re.search(r"(\d{2})\s*G", text, re.IGNORECASE)
    length = re.search(r"(\d+(?:[.,]\d+)?)\s*mm", text, re.IGNORECASE)
    return (
        int(gauge.group(1)) if gauge and 18 <= int(gauge.group(1)) <= 34 else None,
        Decimal(length.group(1).replace(",", ".")) if length else None,
    )


@transaction.atomic
def session_start(*, appointment: Appointment, auditor: Auditor) -> SessionRecord:
    """Open the session record of a checked-in plan appointment whose safety check passed today.

    Opening it again returns the same record. Delivery defaults come from the plan."""
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("patient", "planned_session__plan__formulation_version")
        .get(pk=appointment.pk)
    )
    existing = SessionRecord.objects.filter(appointment=appointment).first()
    if existing is not None:
        return existing
    _session_appointment(appointment)
    check = latest_check(appointment)
    if check is None:
        raise ValidationError(_("Record the pre-session safety check first."))
    if check.result == CheckResult.BLOCKED:
        raise ValidationError(
            _("The safety check found a hard stop: %(reasons)s")
            % {"reasons": "; ".join(item["title"] for item in check.hard_stops)}
        )
    if check.needs_acknowledgement:
        raise ValidationError(_("A practitioner must acknowledge the safety check's cautions first."))
    plan = appointment.planned_session.plan
    gauge, length = _default_needle(plan)
    version = plan.formulation_version
    prepared = plan.volume_ml or sum((c.volume_ml for c in version.components.all()), Decimal("0")) or None
    record = SessionRecord(
        clinic=appointment.clinic,
        patient=appointment.patient,
        appointment=appointment,
        plan=plan,
        planned_session=appointment.planned_session,
        safety_check=check,
        formulation_version=version,
        practitioner=appointment.practitioner,
        technique=plan.technique,
        needle_gauge=gauge,
        needle_length_mm=length,
        depth_mm=plan.depth_mm,
        prepared_volume_ml=prepared,
        created_by=auditor.actor,
    )
    record.full_clean()
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:  # opened at the same moment by someone else
        return SessionRecord.objects.get(appointment=appointment)
    auditor.log(
        "session.start",
        obj=record,
        patient=record.patient,
        detail={"appointment": str(appointment.uuid), "safety_check": str(check.uuid)},
    )
    return record


UPDATABLE = (
    "technique",
    "needle_gauge",
    "needle_length_mm",
    "depth_mm",
    "prepared_volume_ml",
    "topical_anaesthetic",
    "anaesthetic_detail",
    "pain_score",
    "started_at",
    "ended_at",
    "notes",
)


@transaction.atomic
def session_update(*, record: SessionRecord, auditor: Auditor, **fields) -> SessionRecord:
    """Change the delivery details of a draft record (technique, needle, depth, volume, pain, times…)."""
    record = _fresh(record)
    _locked(record)
    unknown = set(fields) - set(UPDATABLE)
    if unknown:
        raise ValidationError(_("Unknown fields: %(names)s") % {"names": ", ".join(sorted(unknown))})
    changes = {}
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        old = getattr(record, name)
        if old != value:
            changes[name] = {"old": _plain(old), "new": _plain(value)}
            setattr(record, name, value)
    if record.started_at and record.ended_at:
        if record.ended_at - record.started_at > dt.timedelta(hours=4):
            raise ValidationError({"ended_at": _("A session longer than four hours: check the times.")})
    if not record.topical_anaesthetic and record.anaesthetic_detail:
        # No anaesthetic used: a detail left over (or sent along) would contradict it.
        changes["anaesthetic_detail"] = {"old": record.anaesthetic_detail, "new": ""}
        record.anaesthetic_detail = ""
    record.full_clean()
    if "prepared_volume_ml" in changes and record.prepared_volume_ml is not None:
        total = record_total_volume(record)
        if total > record.prepared_volume_ml + VOLUME_TOLERANCE_ML:
            raise ValidationError(
                {
                    "prepared_volume_ml": _(
                        "%(total)s mL is already recorded as injected, more than %(prepared)s mL."
                    )
                    % {"total": total, "prepared": record.prepared_volume_ml}
                }
            )
    record.updated_at = timezone.now()
    record.save()
    if changes:
        auditor.log("session.update", obj=record, patient=record.patient, detail={"changes": changes})
    return record


def _plain(value):
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


# --------------------------------------------------------------------------- lots
def _components(record: SessionRecord) -> dict[int, Product]:
    return {c.product_id: c.product for c in record.formulation_version.components.select_related("product")}


@transaction.atomic
def session_lot_set(
    *, record: SessionRecord, product: Product, lot: Lot, auditor: Auditor, vials: int = 1
) -> SessionLot:
    """Record which lot a product of the formulation came from, taking the vials from its stock.

    Expired or exhausted lots are refused (by the stock service). Replacing a product's lot puts
    the earlier lot's vials back (they were not used after all), so stock stays true."""
    record = _fresh(record)
    _locked(record)
    products = _components(record)
    if product.pk not in products:
        raise ValidationError(
            {"product": _("%(product)s is not part of this formulation.") % {"product": product.name}}
        )
    if lot.product_id != product.pk:
        raise ValidationError(
            {
                "lot": _("Lot %(number)s is not a lot of %(product)s.")
                % {"number": lot.lot_number, "product": product.name}
            }
        )
    vials = int(vials or 0)
    if vials < 1 or vials > 50:
        raise ValidationError({"vials": _("Give between 1 and 50 vials.")})
    line = SessionLot.objects.select_for_update().filter(record=record, product=product).first()
    if line is not None:
        if line.lot_id == lot.pk and line.vials == vials:
            return line
        formulation_services.lot_return(
            lot=line.lot,
            vials=line.vials,
            auditor=auditor,
            reason=_("Session record corrected before signing"),
        )
    formulation_services.lot_consume(lot=lot, vials=vials, auditor=auditor)
    if line is None:
        line = SessionLot(record=record, product=product, lot=lot, vials=vials, recorded_by=auditor.actor)
    else:
        line.lot, line.vials, line.recorded_by, line.recorded_at = lot, vials, auditor.actor, timezone.now()
    line.full_clean()
    line.save()
    _touch(record)
    auditor.log(
        "session.lot",
        obj=record,
        patient=record.patient,
        detail={"product": product.name, "lot": lot.lot_number, "lot_uuid": str(lot.uuid), "vials": vials},
    )
    return line


@transaction.atomic
def session_lot_remove(*, record: SessionRecord, product: Product, auditor: Auditor) -> None:
    """Remove a product's lot from a draft record; its vials go back to stock."""
    record = _fresh(record)
    _locked(record)
    line = SessionLot.objects.select_for_update().filter(record=record, product=product).first()
    if line is None:
        return
    formulation_services.lot_return(
        lot=line.lot, vials=line.vials, auditor=auditor, reason=_("Session record corrected before signing")
    )
    lot_number = line.lot.lot_number
    line.delete()
    _touch(record)
    auditor.log(
        "session.lot_remove",
        obj=record,
        patient=record.patient,
        detail={"product": product.name, "lot": lot_number},
    )


# --------------------------------------------------------------------------- injections
def record_total_volume(record: SessionRecord) -> Decimal:
    return sum((z.volume_ml for z in record.zones.all()), Decimal("0"))


@transaction.atomic
def session_zones_set(*, record: SessionRecord, zones: dict, auditor: Auditor) -> list[InjectionZone]:
    """Replace the injections of a draft record: {zone: (points, volume_ml)} for each zone treated.

    A zone left out (or given no points and no volume) was not treated. The total volume may not
    exceed what was prepared."""
    record = _fresh(record)
    _locked(record)
    errors: dict[str, list[str]] = {}
    rows: list[InjectionZone] = []
    for zone, value in (zones or {}).items():
        if zone not in Zone.values:
            errors.setdefault("zones", []).append(_("Unknown zone “%(zone)s”.") % {"zone": zone})
            continue
        points, volume = value
        if not points and not volume:
            continue
        label = Zone(zone).label
        if not points or not volume:
            errors.setdefault(zone, []).append(
                _("%(zone)s: give both the number of points and the volume.") % {"zone": label}
            )
            continue
        row = InjectionZone(record=record, zone=zone, points=int(points), volume_ml=Decimal(str(volume)))
        try:
            row.full_clean(exclude=["record"])
        except ValidationError as exc:
            for message in exc.messages:
                errors.setdefault(zone, []).append(f"{label}: {message}")
            continue
        rows.append(row)
    if errors:
        raise ValidationError(errors)
    total = sum((r.volume_ml for r in rows), Decimal("0"))
    if record.prepared_volume_ml is not None and total > record.prepared_volume_ml + VOLUME_TOLERANCE_ML:
        raise ValidationError(
            {
                "zones": _("%(total)s mL injected in all is more than the %(prepared)s mL prepared.")
                % {"total": total, "prepared": record.prepared_volume_ml}
            }
        )
    old = {z.zone: [z.points, str(z.volume_ml)] for z in record.zones.all()}
    record.zones.all().delete()
    InjectionZone.objects.bulk_create(rows)
    _touch(record)
    new = {r.zone: [r.points, str(r.volume_ml)] for r in rows}
    if old != new:
        auditor.log("session.injections", obj=record, patient=record.patient, detail={"old": old, "new": new})
    return list(record.zones.all())


# --------------------------------------------------------------------------- combined therapies
def therapies_due(record: SessionRecord) -> list[CombinedTherapy]:
    """The plan's combined therapies current on the session's day: each must be confirmed."""
    day = timezone.localtime(record.appointment.starts_at).date()
    return [
        t
        for t in record.plan.therapies.all()
        if (t.start is None or t.start <= day) and (t.stop is None or t.stop >= day)
    ]


@transaction.atomic
def session_therapies_confirm(*, record: SessionRecord, confirmations: dict, auditor: Auditor) -> None:
    """{therapy: (status, note)}: how the patient keeps to each combined therapy of the plan."""
    record = _fresh(record)
    _locked(record)
    allowed = {t.pk: t for t in record.plan.therapies.all()}
    for therapy, (status, note) in confirmations.items():
        if therapy.pk not in allowed:
            raise ValidationError({"therapies": _("That therapy is not part of this plan.")})
        if status not in TherapyStatus.values:
            raise ValidationError(
                {"therapies": _("Choose how the patient keeps to %(therapy)s.") % {"therapy": therapy}}
            )
        TherapyConfirmation.objects.update_or_create(
            record=record, therapy=therapy, defaults={"status": status, "note": (note or "").strip()[:300]}
        )
    _touch(record)
    auditor.log(
        "session.therapies",
        obj=record,
        patient=record.patient,
        detail={str(t.uuid): s for t, (s, _n) in confirmations.items()},
    )


# --------------------------------------------------------------------------- signing
def sign_problems(record: SessionRecord) -> list[str]:
    """What must still be recorded before the record can be signed (empty when it can)."""
    problems: list[str] = []
    if not record.safety_check.passed:
        problems.append(_("The safety check has not passed."))
    have = {line.product_id for line in record.lots.all()}
    for product in _components(record).values():
        if product.pk not in have:
            problems.append(_("Record the lot of %(product)s.") % {"product": product.name})
    if not record.technique:
        problems.append(_("Record the technique."))
    if record.prepared_volume_ml is None:
        problems.append(_("Record the volume prepared."))
    zones = list(record.zones.all())
    if not zones:
        problems.append(_("Record the injections on the scalp map."))
    elif record.prepared_volume_ml is not None:
        total = sum((z.volume_ml for z in zones), Decimal("0"))
        if total > record.prepared_volume_ml + VOLUME_TOLERANCE_ML:
            problems.append(_("More volume injected than prepared."))
    if record.pain_score is None:
        problems.append(_("Record the pain score."))
    if not (record.started_at and record.ended_at):
        problems.append(_("Record the start and end times."))
    confirmed = {c.therapy_id for c in record.therapies.all()}
    for therapy in therapies_due(record):
        if therapy.pk not in confirmed:
            problems.append(_("Confirm the combined therapy %(therapy)s.") % {"therapy": therapy})
    return problems


def content(record: SessionRecord) -> dict:
    """The clinical content of a record, as signed (what the signature's hash covers)."""
    return {
        "record": str(record.uuid),
        "patient": str(record.patient.uuid),
        "appointment": str(record.appointment.uuid),
        "formulation_version": str(record.formulation_version.uuid),
        "safety_check": str(record.safety_check.uuid),
        "technique": record.technique,
        "needle_gauge": record.needle_gauge,
        "needle_length_mm": _plain(record.needle_length_mm),
        "depth_mm": _plain(record.depth_mm),
        "prepared_volume_ml": _plain(record.prepared_volume_ml),
        "topical_anaesthetic": record.topical_anaesthetic,
        "anaesthetic_detail": record.anaesthetic_detail,
        "pain_score": record.pain_score,
        "started_at": _plain(record.started_at),
        "ended_at": _plain(record.ended_at),
        "notes": record.notes,
        "lots": sorted(
            [str(line.product.uuid), str(line.lot.uuid), line.lot.lot_number, line.vials]
            for line in record.lots.select_related("product", "lot")
        ),
        "zones": sorted([z.zone, z.points, str(z.volume_ml)] for z in record.zones.all()),
        "therapies": sorted(
            [str(c.therapy.uuid), c.status, c.note] for c in record.therapies.select_related("therapy")
        ),
    }


def content_hash(record: SessionRecord) -> str:
    payload = json.dumps(content(record), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@transaction.atomic
def session_sign(*, record: SessionRecord, auditor: Auditor) -> SessionRecord:
    """A practitioner signs a complete record: it is locked, the plan session is done, and the
    appointment is done."""
    record = _fresh(record)
    _require_practitioner(auditor, record.clinic, _("sign a session record"))
    _locked(record)
    problems = sign_problems(record)
    if problems:
        raise ValidationError(problems)
    record.status = RecordStatus.SIGNED
    record.signed_by = auditor.actor
    record.signed_at = timezone.now()
    record.signed_hash = content_hash(record)
    record.updated_at = record.signed_at
    record.save(update_fields=["status", "signed_by", "signed_at", "signed_hash", "updated_at"])
    session = record.planned_session
    if session is not None and session.status == SessionStatus.PLANNED:
        treatment_services.planned_session_mark(session=session, status=SessionStatus.DONE, auditor=auditor)
    appointment = record.appointment
    if appointment.status == AppointmentStatus.CHECKED_IN:
        scheduling_services.appointment_set_status(
            appointment=appointment, auditor=auditor, to_status=AppointmentStatus.DONE
        )
    auditor.log("session.sign", obj=record, patient=record.patient, detail={"hash": record.signed_hash})
    return record


def signature_intact(record: SessionRecord) -> bool:
    """Whether the stored content still matches what was signed."""
    return record.status != RecordStatus.SIGNED or content_hash(record) == record.signed_hash


@transaction.atomic
def session_addendum_add(*, record: SessionRecord, text: str, auditor: Auditor) -> SessionAddendum:
    """Add a correction or addition to a signed record, with who and when."""
    record = _fresh(record)
    if record.status == RecordStatus.DRAFT:
        raise ValidationError(_("The record is not signed yet: change it directly."))
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write the addendum.")})
    addendum = SessionAddendum(record=record, text=text, author=auditor.actor)
    addendum.full_clean()
    addendum.save()
    auditor.log("session.addendum", obj=record, patient=record.patient, detail={"text": text})
    return addendum


@transaction.atomic
def session_mark_in_error(*, record: SessionRecord, reason: str, auditor: Auditor) -> SessionRecord:
    """A practitioner marks a record entered in error (wrong patient, duplicate); it is kept, locked.

    The lots stay consumed: vials once opened are not returned to stock."""
    record = _fresh(record)
    _require_practitioner(auditor, record.clinic, _("mark a session record entered in error"))
    if record.status == RecordStatus.ENTERED_IN_ERROR:
        raise ValidationError(_("This record is already marked entered in error."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason.")})
    old = record.status
    record.status = RecordStatus.ENTERED_IN_ERROR
    record.entered_in_error_reason = reason
    record.updated_at = timezone.now()
    record.save(update_fields=["status", "entered_in_error_reason", "updated_at"])
    auditor.log(
        "session.in_error", obj=record, patient=record.patient, detail={"reason": reason, "from": old}
    )
    return record
