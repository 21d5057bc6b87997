"""Clinic settings services: details, opening hours and closed days, each change audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from follicle.core import services
from follicle.core.audit import Auditor
from follicle.core.models import AuditEvent, ClosedDay
from follicle.demo.holidays import greek_public_holidays, orthodox_easter


@pytest.fixture
def auditor(clinic):
    return Auditor.system(clinic=clinic)


@pytest.mark.django_db
class TestClinic:
    def test_update_records_changes(self, clinic, auditor):
        services.clinic_update(clinic=clinic, auditor=auditor, phone="+30 210 1", language="en")
        event = AuditEvent.objects.get(action="clinic.update")
        assert event.detail["changes"]["phone"] == {"old": "", "new": "+30 210 1"}
        assert event.detail["changes"]["language"] == {"old": "el", "new": "en"}

    def test_unchanged_update_writes_nothing(self, clinic, auditor):
        services.clinic_update(clinic=clinic, auditor=auditor, name=clinic.name)
        assert not AuditEvent.objects.filter(action="clinic.update").exists()

    def test_invalid_update_is_refused(self, clinic, auditor):
        with pytest.raises(ValidationError):
            services.clinic_update(clinic=clinic, auditor=auditor, email="not-an-email")
        clinic.refresh_from_db()
        assert clinic.email == ""

    def test_opening_hours_replace_the_week(self, clinic, auditor):
        week = {d: (dt.time(9), dt.time(17)) for d in range(5)}
        services.opening_hours_set(clinic=clinic, auditor=auditor, hours=week)
        assert clinic.opening_hours.count() == 5
        services.opening_hours_set(clinic=clinic, auditor=auditor, hours={0: (dt.time(10), dt.time(14))})
        assert [(h.weekday, h.opens_at) for h in clinic.opening_hours.all()] == [(0, dt.time(10))]
        assert AuditEvent.objects.filter(action="clinic.opening_hours").count() == 2

    def test_opening_hours_must_close_after_opening(self, clinic, auditor):
        with pytest.raises(ValidationError):
            services.opening_hours_set(clinic=clinic, auditor=auditor, hours={0: (dt.time(17), dt.time(9))})
        assert clinic.opening_hours.count() == 0

    def test_closed_days(self, clinic, auditor):
        day = services.closed_day_add(
            clinic=clinic, auditor=auditor, date=dt.date(2030, 3, 25), reason=" Holiday "
        )
        assert day.reason == "Holiday"
        with pytest.raises(ValidationError):
            services.closed_day_add(clinic=clinic, auditor=auditor, date=dt.date(2030, 3, 25), reason="Again")
        services.closed_day_remove(day=day, auditor=auditor)
        assert not ClosedDay.objects.exists()
        assert AuditEvent.objects.filter(action__startswith="clinic.closed_day").count() == 2


def test_orthodox_easter_dates():
    # Known dates of Orthodox Easter.
    assert orthodox_easter(2024) == dt.date(2024, 5, 5)
    assert orthodox_easter(2025) == dt.date(2025, 4, 20)
    assert orthodox_easter(2026) == dt.date(2026, 4, 12)
    assert orthodox_easter(2027) == dt.date(2027, 5, 2)


def test_greek_holidays_2027():
    days = dict(greek_public_holidays(2027))
    assert dt.date(2027, 3, 15) in days  # Clean Monday
    assert dt.date(2027, 4, 30) in days  # Good Friday
    assert dt.date(2027, 6, 21) in days  # Whit Monday
    assert len(days) == 12
