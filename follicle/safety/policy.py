"""The clinic's overdue policy: after how many days an open adverse event is overdue for review.

Defaults are in data/overdue_defaults.yaml (documented there as clinic policy, not evidence); a
clinic's own `OverduePolicy` rows override them. `overdue_since(event, today)` is the date from
which an open event is overdue, or None: pure arithmetic on the onset and the policy, so tests pass
a fixed `today` instead of patching the clock.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import yaml
from django.utils import timezone

DEFAULTS_FILE = Path(__file__).parent / "data" / "overdue_defaults.yaml"


@cache
def defaults(path: Path = DEFAULTS_FILE) -> tuple[int, dict[str, int]]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if document.get("schema_version") != 1:
        raise ValueError(f"{path.name}: unsupported schema_version {document.get('schema_version')!r}")
    terms = {str(k): int(v) for k, v in (document.get("terms") or {}).items()}
    return int(document["default_days"]), terms


def policy_terms() -> list[str]:
    """The terms a clinic sets a policy for: the catalogue's adverse events, then "other"."""
    from follicle.safety.selectors import term_choices

    return [key for key, _label in term_choices()]


def default_days(term: str) -> int:
    fallback, terms = defaults()
    return terms.get(term, fallback)


def days_by_term(clinic) -> dict[str, int]:
    from follicle.safety.models import OverduePolicy

    days = {term: default_days(term) for term in policy_terms()}
    days.update(dict(OverduePolicy.objects.filter(clinic=clinic).values_list("term", "days")))
    return days


def due_date(event, days: dict[str, int] | None = None) -> dt.date:
    limit = (days or {}).get(event.term) if days else None
    if limit is None:
        limit = days_by_term(event.clinic).get(event.term, default_days(event.term))
    return event.onset_date + dt.timedelta(days=limit)


def overdue_since(event, today: dt.date | None = None, days: dict[str, int] | None = None) -> dt.date | None:
    """The first day the event counts as overdue, if it is open and that day has come."""
    from follicle.safety.models import EventStatus

    if event.status != EventStatus.OPEN:
        return None
    today = today or timezone.localdate()
    due = due_date(event, days)
    return due + dt.timedelta(days=1) if today > due else None
