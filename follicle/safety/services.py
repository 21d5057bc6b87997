"""Writes of adverse events: report, follow up, resolve, mark in error; the clinic's overdue policy.

Each is one transaction with an explicit audit call; a serious event's e-mail to the clinic's
practitioners and admins is queued after commit.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from follicle.core.audit import Auditor
from follicle.core.models import Clinic
from follicle.core.tasks import enqueue_tracked
from follicle.formulations.models import Lot
from follicle.patients.models import Patient
from follicle.procedures.models import RecordStatus, SessionRecord
from follicle.safety import policy
from follicle.safety.models import (
    OTHER,
    AdverseEvent,
    AdverseEventLot,
    EventStatus,
    EventStatusChange,
    FollowUp,
    Outcome,
    OverduePolicy,
    Source,
    Trend,
)
from follicle.safety.selectors import term_name


def _status_row(event: AdverseEvent, auditor: Auditor, old: str, new: str, reason: str = "") -> None:
    EventStatusChange.objects.create(
        event=event, from_status=old, to_status=new, reason=reason, changed_by=auditor.actor
    )


def _check_lots(clinic: Clinic, patient: Patient, lots) -> list[Lot]:
    lots = list(lots or [])
    for lot in lots:
        if lot.product.clinic_id != clinic.pk:
            raise ValidationError({"lots": _("Choose lots of this clinic only.")})
    return lots


def _notify_serious(event: AdverseEvent) -> None:
    """Queue the e-mail to the clinic's practitioners and admins; it is sent after commit."""
    from follicle.safety.tasks import notify_serious_event

    enqueue_tracked(
        notify_serious_event,
        event.pk,
        label=_("Serious adverse event e-mail"),
        clinic=event.clinic,
    )


@transaction.atomic
def adverse_event_report(
    *,
    patient: Patient,
    auditor: Auditor,
    term: str,
    grade: int,
    onset_date: dt.date,
    session: SessionRecord | None = None,
    description: str = "",
    serious: bool = False,
    seriousness_criteria: list[str] | None = None,
    action_taken: str = "",
    lots=None,
    source: str = Source.STAFF,
) -> AdverseEvent:
    """Report an adverse event of a patient, usually on a session. Suspected lots default to none;
    the form offers the session's lots."""
    clinic = patient.clinic
    name = term_name(term)
    if name is None:
        raise ValidationError({"term": _("Choose a term from the list, or “other” with a description.")})
    if session is not None:
        if session.patient_id != patient.pk:
            raise ValidationError({"session": _("That session is another patient's.")})
        if session.status == RecordStatus.ENTERED_IN_ERROR:
            raise ValidationError({"session": _("That session record was entered in error.")})
    if onset_date and onset_date > timezone.localdate():
        raise ValidationError({"onset_date": _("The onset cannot be in the future.")})
    if session is not None and onset_date < timezone.localtime(session.appointment.starts_at).date():
        raise ValidationError({"onset_date": _("The onset is before the session.")})
    event = AdverseEvent(
        clinic=clinic,
        patient=patient,
        session=session,
        term=term,
        term_name=name,
        description=(description or "").strip(),
        grade=grade,
        serious=bool(serious),
        seriousness_criteria=list(seriousness_criteria or []),
        onset_date=onset_date,
        action_taken=(action_taken or "").strip(),
        source=source,
        reported_by=auditor.actor,
    )
    event.full_clean()
    event.save()
    for lot in _check_lots(clinic, patient, lots):
        AdverseEventLot.objects.create(event=event, lot=lot)
    _status_row(event, auditor, "", EventStatus.OPEN)
    event.overdue_since = policy.overdue_since(event)
    if event.overdue_since:
        event.save(update_fields=["overdue_since"])
    auditor.log(
        "adverse_event.report",
        obj=event,
        patient=patient,
        detail={
            "term": term,
            "grade": event.grade,
            "serious": event.serious,
            "session": str(session.uuid) if session else None,
            "lots": [lot.lot_number for lot in lots or []],
        },
    )
    if event.serious:
        _notify_serious(event)
    return event


EDITABLE = ("grade", "serious", "seriousness_criteria", "action_taken", "description")


@transaction.atomic
def adverse_event_update(*, event: AdverseEvent, auditor: Auditor, lots=None, **fields) -> AdverseEvent:
    """Regrade an event (open or resolved), change its seriousness, action taken or suspected lots.

    An event that becomes serious notifies at once, as a new report would."""
    event = AdverseEvent.objects.select_for_update().get(pk=event.pk)
    if event.status == EventStatus.ENTERED_IN_ERROR:
        raise ValidationError(_("This event was entered in error and is locked."))
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError(_("Unknown fields: %(names)s") % {"names": ", ".join(sorted(unknown))})
    was_serious = event.serious
    changes = {}
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        if getattr(event, name) != value:
            changes[name] = {"old": getattr(event, name), "new": value}
            setattr(event, name, value)
    event.full_clean()
    event.save()
    if lots is not None:
        lots = _check_lots(event.clinic, event.patient, lots)
        old = sorted(event.lots.values_list("lot_number", flat=True))
        event.lot_links.all().delete()
        for lot in lots:
            AdverseEventLot.objects.create(event=event, lot=lot)
        new = sorted(lot.lot_number for lot in lots)
        if old != new:
            changes["lots"] = {"old": old, "new": new}
    if changes:
        auditor.log("adverse_event.update", obj=event, patient=event.patient, detail={"changes": changes})
    if event.serious and not was_serious:
        _notify_serious(event)
    return event


@transaction.atomic
def adverse_event_follow_up(
    *, event: AdverseEvent, auditor: Auditor, trend: str, note: str, at: dt.datetime | None = None
) -> FollowUp:
    event = AdverseEvent.objects.select_for_update().get(pk=event.pk)
    if event.status != EventStatus.OPEN:
        raise ValidationError(
            _("Only an open event is followed up; this one is %(status)s.")
            % {"status": event.get_status_display()}
        )
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Write what was found.")})
    if trend not in Trend.values:
        raise ValidationError({"trend": _("Say whether it is improving, unchanged or worse.")})
    at = at or timezone.now()
    if at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"at": _("A follow-up cannot be in the future.")})
    if timezone.localtime(at).date() < event.onset_date:
        raise ValidationError({"at": _("A follow-up cannot be before the onset.")})
    follow_up = FollowUp(event=event, at=at, trend=trend, note=note, by=auditor.actor)
    follow_up.full_clean()
    follow_up.save()
    auditor.log(
        "adverse_event.follow_up", obj=event, patient=event.patient, detail={"trend": trend, "note": note}
    )
    return follow_up


@transaction.atomic
def adverse_event_resolve(
    *, event: AdverseEvent, auditor: Auditor, resolved_on: dt.date, outcome: str, note: str = ""
) -> AdverseEvent:
    event = AdverseEvent.objects.select_for_update().get(pk=event.pk)
    if event.status != EventStatus.OPEN:
        raise ValidationError(_("Only an open event can be resolved."))
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Choose the outcome.")})
    if resolved_on is None:
        raise ValidationError({"resolved_on": _("Give the date it resolved.")})
    if resolved_on > timezone.localdate():
        raise ValidationError({"resolved_on": _("The resolution date cannot be in the future.")})
    if resolved_on < event.onset_date:
        raise ValidationError({"resolved_on": _("The resolution date is before the onset.")})
    event.status = EventStatus.RESOLVED
    event.status_changed_at = timezone.now()
    event.resolved_on = resolved_on
    event.outcome = outcome
    event.outcome_note = (note or "").strip()
    event.overdue_since = None
    event.full_clean()
    event.save()
    _status_row(event, auditor, EventStatus.OPEN, EventStatus.RESOLVED, reason=event.outcome_note)
    auditor.log(
        "adverse_event.resolve",
        obj=event,
        patient=event.patient,
        detail={"resolved_on": resolved_on.isoformat(), "outcome": outcome, "days": event.days_open()},
    )
    return event


@transaction.atomic
def adverse_event_reopen(*, event: AdverseEvent, auditor: Auditor, reason: str) -> AdverseEvent:
    """It came back, or was resolved by mistake: open again, with a reason."""
    event = AdverseEvent.objects.select_for_update().get(pk=event.pk)
    if event.status != EventStatus.RESOLVED:
        raise ValidationError(_("Only a resolved event can be reopened."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason.")})
    event.status = EventStatus.OPEN
    event.status_changed_at = timezone.now()
    event.resolved_on = None
    event.outcome = ""
    event.outcome_note = ""
    event.overdue_since = policy.overdue_since(event)
    event.save()
    _status_row(event, auditor, EventStatus.RESOLVED, EventStatus.OPEN, reason=reason)
    auditor.log("adverse_event.reopen", obj=event, patient=event.patient, detail={"reason": reason})
    return event


@transaction.atomic
def adverse_event_mark_in_error(*, event: AdverseEvent, auditor: Auditor, reason: str) -> AdverseEvent:
    event = AdverseEvent.objects.select_for_update().get(pk=event.pk)
    if event.status == EventStatus.ENTERED_IN_ERROR:
        raise ValidationError(_("This event is already marked entered in error."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason.")})
    old = event.status
    event.status = EventStatus.ENTERED_IN_ERROR
    event.status_changed_at = timezone.now()
    event.overdue_since = None
    event.save(update_fields=["status", "status_changed_at", "overdue_since"])
    _status_row(event, auditor, old, EventStatus.ENTERED_IN_ERROR, reason=reason)
    auditor.log("adverse_event.in_error", obj=event, patient=event.patient, detail={"reason": reason})
    return event


# --------------------------------------------------------------------------- clinic policy
@transaction.atomic
def overdue_policy_set(*, clinic: Clinic, auditor: Auditor, days_by_term: dict[str, int]) -> None:
    """Set how many days after onset an open event of each term is overdue (clinic policy)."""
    known = set(policy.policy_terms())
    errors = {}
    for term, days in days_by_term.items():
        if term not in known:
            errors.setdefault("__all__", []).append(_("Unknown term “%(term)s”.") % {"term": term})
        elif days is None or not 1 <= int(days) <= 365:
            errors[term] = [_("Give a number of days from 1 to 365.")]
    if errors:
        raise ValidationError(errors)
    current = policy.days_by_term(clinic)
    changes = {}
    for term, days in days_by_term.items():
        days = int(days)
        if current.get(term) != days:
            changes[term] = {"old": current.get(term), "new": days}
        OverduePolicy.objects.update_or_create(
            clinic=clinic,
            term=term,
            defaults={"days": days, "updated_at": timezone.now(), "updated_by": auditor.actor},
        )
    if changes:
        auditor.log("safety.overdue_policy", clinic=clinic, detail={"changes": changes})
    # Re-evaluate open events at once: the dashboard should not wait for the periodic task.
    flag_overdue(clinic=clinic, auditor=auditor)


def flag_overdue(*, clinic: Clinic, auditor: Auditor, today: dt.date | None = None) -> dict[str, int]:
    """Set or clear `overdue_since` on the clinic's open events by its policy; returns counts."""
    today = today or timezone.localdate()
    days = policy.days_by_term(clinic)
    flagged = cleared = 0
    newly: list[str] = []
    with transaction.atomic():
        for event in AdverseEvent.objects.select_for_update().filter(clinic=clinic, status=EventStatus.OPEN):
            since = policy.overdue_since(event, today=today, days=days)
            if since != event.overdue_since:
                if since and not event.overdue_since:
                    flagged += 1
                    newly.append(str(event.uuid))
                elif not since:
                    cleared += 1
                event.overdue_since = since
                event.save(update_fields=["overdue_since"])
        # Closed events never stay flagged.
        AdverseEvent.objects.filter(clinic=clinic, overdue_since__isnull=False).exclude(
            status=EventStatus.OPEN
        ).update(overdue_since=None)
        if flagged or cleared:
            auditor.log(
                "adverse_event.overdue_check",
                clinic=clinic,
                detail={"flagged": flagged, "cleared": cleared, "events": newly},
            )
    return {"flagged": flagged, "cleared": cleared}


__all__ = [
    "OTHER",
    "adverse_event_follow_up",
    "adverse_event_mark_in_error",
    "adverse_event_reopen",
    "adverse_event_report",
    "adverse_event_resolve",
    "adverse_event_update",
    "flag_overdue",
    "overdue_policy_set",
]
