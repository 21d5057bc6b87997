"""`follicle demo`: the diary's plan sessions recorded and signed, stock used, adverse events."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from follicle.core.audit import verify_chain
from follicle.core.models import AuditEvent, Clinic, TaskRun
from follicle.demo.treatments import LOW_STOCK
from follicle.formulations.models import Lot, LotMovement
from follicle.procedures.models import RecordStatus, SessionLot, SessionRecord
from follicle.procedures.services import VOLUME_TOLERANCE_ML, signature_intact
from follicle.safety import policy
from follicle.safety.models import AdverseEvent, EventStatus, Outcome
from follicle.scheduling.models import Appointment, AppointmentStatus
from follicle.treatments.models import PlanStatus, SessionStatus

# A Wednesday afternoon, so the run is the same whatever day the tests run on: both clinics open,
# a fortnight of sessions behind it, patients in the chair.
DAY, TIME = dt.date(2030, 3, 6), dt.time(17, 10)


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clock():
    with time_machine.travel(
        dt.datetime.combine(DAY, TIME, tzinfo=timezone.get_current_timezone()), tick=True
    ):
        yield


def local_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


@pytest.mark.django_db
def test_session_records_stock_and_adverse_events(catalogue, clock, capsys):
    call_command("demo", "--no-progress", "--patients", "24")
    out = capsys.readouterr().out
    now = timezone.now()
    today = timezone.localdate()
    for name in ("Athens", "Thessaloniki"):
        assert re.search(
            rf"^{name}: \d+ session records \(\d+ signed, \d+ drafts\), \d+ safety-check cautions "
            r"acknowledged; \d+ vials from \d+ lots; \d+ adverse events \(\d+ resolved, \d+ open, "
            r"\d+ overdue, \d+ serious\)",
            out,
            re.M,
        ), out

    # Every plan-session appointment done in the diary has a signed record, and every signed record
    # a done appointment: checked, lots of each product, injections, times on the day, signed by
    # the appointment's practitioner, which marked the plan session done.
    sessions = Appointment.objects.filter(planned_session__isnull=False)
    done = list(
        sessions.filter(status=AppointmentStatus.DONE).select_related(
            "planned_session__plan__formulation_version", "session_record__safety_check"
        )
    )
    assert len(done) >= 10
    assert SessionRecord.objects.filter(status=RecordStatus.SIGNED).count() == len(done)
    for appointment in done:
        record = appointment.session_record
        assert record.status == RecordStatus.SIGNED and record.signed_by_id == appointment.practitioner_id
        assert record.safety_check.passed and signature_intact(record)
        assert record.planned_session.status == SessionStatus.DONE
        day = local_day(appointment.starts_at)
        assert appointment.starts_at < record.started_at < record.ended_at < record.signed_at <= now
        assert local_day(record.signed_at) == local_day(record.created_at) == day
        assert local_day(record.safety_check.recorded_at) == day
        components = {c.product_id for c in record.formulation_version.components.all()}
        lines = list(record.lots.select_related("lot"))
        assert {line.product_id for line in lines} == components
        assert all(line.lot.expiry_date >= day and line.vials >= 1 for line in lines)
        zones = list(record.zones.all())
        assert {z.zone for z in zones} == set(record.plan.zones)
        assert all(20 <= z.points <= 60 for z in zones)
        total = sum((z.volume_ml for z in zones), Decimal("0"))
        assert 0 < total <= record.prepared_volume_ml + VOLUME_TOLERANCE_ML
        assert 1 <= record.pain_score <= 6 and record.technique and record.needle_gauge
    # Nothing of a past day left booked or checked in; drafts only for today's patients.
    day_start = timezone.make_aware(dt.datetime.combine(today, dt.time()))
    assert not sessions.filter(
        starts_at__lt=day_start, status__in=[AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN]
    ).exists()
    for record in SessionRecord.objects.filter(status=RecordStatus.DRAFT).select_related("appointment"):
        assert local_day(record.appointment.starts_at) == today
        assert record.appointment.status == AppointmentStatus.CHECKED_IN
    # Active plans hold no past session still planned: the diary recorded them or they were missed.
    assert not sessions.filter(
        planned_session__plan__status=PlanStatus.ACTIVE,
        planned_session__status=SessionStatus.PLANNED,
        planned_session__planned_date__lt=today,
    ).exists()
    # Recorded through the services, by the right people, on the session's day.
    for action, role in (
        ("safety_check.record", {"nurse", "practitioner"}),
        ("session.lot", {"nurse", "practitioner"}),
        ("session.sign", {"practitioner"}),
    ):
        rows = AuditEvent.objects.filter(action=action)
        assert rows.exists() and set(rows.values_list("role", flat=True)) <= role, action
    for event in AuditEvent.objects.filter(action="session.sign"):
        record = SessionRecord.objects.get(uuid=event.object_id)
        assert local_day(event.created_at) == local_day(record.appointment.starts_at)

    # Stock: what each lot has left is what it received less what was adjusted and used, and what
    # was used is what the records say; the nearly exhausted lot is still the only low one.
    for lot in Lot.objects.all():
        moves = {m["kind"]: m["total"] for m in lot.movements.values("kind").annotate(total=Sum("change"))}
        assert lot.quantity_left == sum(moves.values()), lot
        assert moves[LotMovement.Kind.RECEIVE] == lot.quantity_received
        used = SessionLot.objects.filter(lot=lot).aggregate(v=Sum("vials"))["v"] or 0
        assert -moves.get(LotMovement.Kind.CONSUME, 0) == used, lot
    assert SessionLot.objects.aggregate(v=Sum("vials"))["v"] >= len(done) * 2
    for clinic in Clinic.objects.all():
        low = Lot.objects.filter(
            product__clinic=clinic, expiry_date__gte=today, quantity_left__gt=0, quantity_left__lte=LOW_STOCK
        )
        assert [lot.quantity_left for lot in low] == [1]

    # Adverse events on about one signed session in ten, mostly mild, followed up and resolved;
    # Athens shows one overdue open event, a serious one with its lot, and recent open ones.
    events = list(AdverseEvent.objects.select_related("clinic", "session__appointment"))
    statuses = Counter(e.status for e in events)
    # Most resolved: open are only Athens's examples (overdue, recent) and those too recent to settle.
    assert (
        statuses[EventStatus.RESOLVED] >= 3
        and statuses[EventStatus.RESOLVED] >= statuses[EventStatus.OPEN] - 3
    )
    for event in events:
        assert event.session is not None and event.session.status == RecordStatus.SIGNED
        assert event.onset_date >= local_day(event.session.appointment.starts_at)
        if event.status == EventStatus.RESOLVED:
            assert event.outcome == Outcome.RECOVERED and event.onset_date <= event.resolved_on <= today
            assert 1 <= event.follow_ups.count() <= 3
            assert all(f.at >= event.reported_at for f in event.follow_ups.all())
        if not event.serious:
            assert event.grade in (1, 2)
        due = policy.overdue_since(event, today=today)
        assert event.overdue_since == due, event  # flagged as the periodic task would
        if event.status == EventStatus.OPEN and event.clinic.name == "Thessaloniki":
            assert due is None  # nothing forgotten: only Athens has its overdue example
    athens = [e for e in events if e.clinic.name == "Athens"]
    overdue = [e for e in athens if e.status == EventStatus.OPEN and e.overdue_since]
    assert len(overdue) == 1 and not overdue[0].serious
    serious = [e for e in athens if e.serious]
    assert len(serious) == 1
    event = serious[0]
    assert event.term == "allergic_reaction" and event.grade == 3
    assert event.seriousness_criteria == ["medically_important"]
    assert {lot.pk for lot in event.lots.all()} <= {line.lot_id for line in event.session.lots.all()}
    assert event.lots.exists() and event.follow_ups.exists()
    recent_open = [
        e for e in athens if e.status == EventStatus.OPEN and not e.serious and not e.overdue_since
    ]
    assert len(recent_open) >= 2
    # A later session's safety check saw every event still open then (a caution, acknowledged).
    for event in events:
        later = SessionRecord.objects.filter(
            patient=event.patient, appointment__starts_at__gt=event.session.appointment.starts_at
        ).select_related("safety_check", "appointment")
        for record in later:
            check = record.safety_check
            open_then = event.resolved_on is None or event.resolved_on >= local_day(
                record.appointment.starts_at
            )
            if open_then and event.reported_at < check.recorded_at:
                assert f"open_event:{event.uuid}" in {c["code"] for c in check.cautions}, (event, record)
                assert check.previous_effects_resolved == "no" and check.acknowledged_by_id
    # The serious event's e-mail was queued for the worker.
    assert TaskRun.objects.filter(name__contains="notify_serious_event").count() == 1
    assert verify_chain().ok

    # Later, the next patient is in the chair: a second run records the sessions since, leaves the
    # new one a draft (checked, lots taken, still injecting) and records nothing twice.
    signed = set(SessionRecord.objects.filter(status=RecordStatus.SIGNED).values_list("pk", flat=True))
    before = SessionRecord.objects.count()
    upcoming = (
        sessions.filter(status=AppointmentStatus.BOOKED, starts_at__gt=timezone.now())
        .exclude(patient__adverse_events__serious=True)
        .order_by("starts_at")
        .first()
    )
    with time_machine.travel(upcoming.starts_at + dt.timedelta(minutes=12), tick=True):
        call_command("demo", "--no-progress", "--patients", "24")
    upcoming.refresh_from_db()
    record = upcoming.session_record
    assert upcoming.status == AppointmentStatus.CHECKED_IN and record.status == RecordStatus.DRAFT
    assert record.safety_check.passed and record.lots.exists() and record.started_at
    assert not record.zones.exists() and record.ended_at is None
    assert signed <= set(
        SessionRecord.objects.filter(status=RecordStatus.SIGNED).values_list("pk", flat=True)
    )
    assert SessionRecord.objects.filter(appointment__starts_at__lte=now).count() == before
    assert AdverseEvent.objects.filter(serious=True).count() == 1
    assert verify_chain().ok
