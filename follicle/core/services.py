"""Writes for clinics: settings, opening hours and closed days. Each one audited."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from follicle.core.audit import Auditor
from follicle.core.models import Clinic, ClosedDay, OpeningHours

CLINIC_FIELDS = ("name", "address", "phone", "email", "language")


@transaction.atomic
def clinic_update(*, clinic: Clinic, auditor: Auditor, **fields) -> Clinic:
    """Change a clinic's details; records which fields changed, old and new."""
    changes = {}
    for name in CLINIC_FIELDS:
        if name in fields and getattr(clinic, name) != fields[name]:
            changes[name] = {"old": getattr(clinic, name), "new": fields[name]}
            setattr(clinic, name, fields[name])
    if changes:
        clinic.full_clean()
        clinic.save()
        auditor.log("clinic.update", obj=clinic, clinic=clinic, detail={"changes": changes})
    return clinic


@transaction.atomic
def opening_hours_set(
    *, clinic: Clinic, auditor: Auditor, hours: dict[int, tuple[dt.time, dt.time] | None]
) -> list[OpeningHours]:
    """Replace the weekly opening hours: weekday → (opens, closes), or None when closed."""
    before = {h.weekday: (h.opens_at, h.closes_at) for h in clinic.opening_hours.all()}
    result = []
    for weekday in OpeningHours.Weekday.values:
        interval = hours.get(weekday)
        if interval is None:
            clinic.opening_hours.filter(weekday=weekday).delete()
            continue
        row = OpeningHours(clinic=clinic, weekday=weekday, opens_at=interval[0], closes_at=interval[1])
        row.full_clean(validate_unique=False, validate_constraints=False)
        row, _ = OpeningHours.objects.update_or_create(
            clinic=clinic, weekday=weekday, defaults={"opens_at": interval[0], "closes_at": interval[1]}
        )
        result.append(row)
    after = {h.weekday: (h.opens_at, h.closes_at) for h in result}
    if before != after:
        auditor.log(
            "clinic.opening_hours",
            obj=clinic,
            clinic=clinic,
            detail={"hours": {str(d): [f"{o:%H:%M}", f"{c:%H:%M}"] for d, (o, c) in sorted(after.items())}},
        )
    return result


@transaction.atomic
def closed_day_add(*, clinic: Clinic, auditor: Auditor, date: dt.date, reason: str) -> ClosedDay:
    day = ClosedDay(clinic=clinic, date=date, reason=reason.strip())
    day.full_clean()
    day.save()
    auditor.log(
        "clinic.closed_day_add",
        obj=clinic,
        clinic=clinic,
        detail={"date": date.isoformat(), "reason": day.reason},
    )
    return day


@transaction.atomic
def closed_day_remove(*, day: ClosedDay, auditor: Auditor) -> None:
    auditor.log(
        "clinic.closed_day_remove",
        obj=day.clinic,
        clinic=day.clinic,
        detail={"date": day.date.isoformat(), "reason": day.reason},
    )
    day.delete()
