"""Demo appointments: a month of each clinic's diary, booked and settled through the scheduling services.

`DemoAppointments(clinic, seed=…)` first gives the clinic what booking needs (the standard
appointment types, three rooms, each practitioner's weekly hours and one absence), then
`visits()` plans about two weeks back and two weeks ahead of today and `book(visit)` books each
visit (one transaction each) as reception would, and settles the ones already past:

- mesotherapy sessions of the plans, each on its session's planned date with its plan session.
  A session the plan records as missed (treatments demo) is a no-show; now and then the patient
  had first booked a day or two earlier and cancelled. A few of today's early sessions are
  no-shows, which makes the service shift the rest of the plan. The other past and current ones
  are left booked here: follicle/demo/sessions.py then checks the patient in and records the
  session (safety check, lots, injections, signature), which marks it done. Upcoming sessions
  of active plans are booked, a few cancelled (left for the front desk to book again);
- consultations: the first visits of the patients assessed in the window (at their assessment
  time) and a few upcoming ones for patients without a plan;
- follow-ups and photo / trichoscopy visits of patients with plans.

The booking service accepts a past start time (recording the day as it was), so past visits are
booked where they happened and then settled; the services stamp the current time on the
history and audit rows, as everywhere in the demo. Free times come from the scheduling selectors
(`free_slots` ahead; the same slot arithmetic without the "not before now" limit for today and
earlier); a booking that still hits `SlotTaken` moves on to the next free time.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from follicle.accounts.models import User
from follicle.assessments.models import Assessment
from follicle.core.models import Clinic
from follicle.demo.patients import Staff, clinic_staff
from follicle.patients.models import Patient
from follicle.scheduling import selectors, slots
from follicle.scheduling.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    PractitionerAbsence,
    PractitionerHours,
    Room,
)
from follicle.scheduling.services import (
    SlotTaken,
    appointment_book,
    appointment_set_status,
    appointment_types_install_defaults,
    practitioner_absence_add,
    practitioner_hours_set,
    room_save,
)
from follicle.treatments.models import PlannedSession, PlanStatus, SessionStatus, TreatmentPlan
from follicle.treatments.selectors import is_open_for
from follicle.treatments.services import planned_session_mark

Code = AppointmentType.Code
BACK_DAYS = 14  # the diary reaches this many days back …
AHEAD_DAYS = 14  # … and this many ahead

TREATMENT_ROOMS = ("Αίθουσα 1", "Αίθουσα 2")
PHOTO_ROOM = "Φωτογράφιση"
ROOMS = (*TREATMENT_ROOMS, PHOTO_ROOM)


def _h(start: int, end: int) -> tuple[dt.time, dt.time]:
    return dt.time(start), dt.time(end)


# Weekly hours per clinic and practitioner (0 = Monday), inside the clinic's opening hours.
# The clinic's own doctor covers every open day; the locum works different weekdays in each
# clinic, on the busiest ones (the plans' sessions bunch on Mondays, and Athens opens on Saturdays).
HOURS = {
    "Athens": {
        "doctor.athens": {
            0: _h(9, 20),
            1: _h(9, 20),
            2: _h(9, 15),
            3: _h(9, 20),
            4: _h(9, 20),
            5: _h(10, 15),
        },
        "locum.doctor": {2: _h(13, 20), 4: _h(9, 15), 5: _h(10, 15)},
    },
    "Thessaloniki": {
        "doctor.thessaloniki": {0: _h(10, 19), 1: _h(10, 19), 2: _h(10, 19), 3: _h(10, 19), 4: _h(10, 16)},
        "locum.doctor": {0: _h(10, 19), 3: _h(11, 19)},
    },
}
# (clinic, practitioner): three days away next month.
ABSENCE = ("Athens", "locum.doctor")
ABSENCE_REASON = "Conference"

# Why patients cancel: (Greek, English), by the patient's language.
CANCEL_REASONS = [
    ("Αδιαθεσία του ασθενούς", "Patient ill"),
    ("Υποχρέωση στη δουλειά", "Work conflict"),
    ("Οικογενειακός λόγος", "Family matter"),
]
NO_SHOW_CHANCE = 0.08  # a past visit (not a session: those follow the plan) the patient missed
CANCEL_CHANCE = 0.05  # a visit cancelled (past or future)
CANCELLED_FIRST_CHANCE = 0.06  # a past session first booked a day or two earlier, then cancelled
TODAY_NO_SHOW_CHANCE = 0.08  # one of today's early sessions the patient did not come to
FOLLOW_UP_SHARE = 0.12  # of the patients with a plan, on each side of today
PHOTO_SHARE = 0.08  # of the patients with an active plan, on each side of today
CONSULT_SHARE = 0.04  # of the patients without a plan, an upcoming consultation


@dataclass
class Visit:
    code: str
    patient: Patient
    day: dt.date
    practitioners: list[Staff]  # in order of preference
    key: str  # names the visit's random draws
    session: PlannedSession | None = None
    at: dt.time | None = None  # the preferred start (a consultation at its assessment time)
    fate: str = ""  # "", "no_show" or "cancelled": how a past (or cancelled future) visit went


@dataclass
class AppointmentSummary:
    clinic: str
    booked: int = 0
    unbooked: int = 0  # visits without a free time for any practitioner
    shifted: int = 0  # plans shifted by today's no-shows
    skipped: int = 0  # already in the diary (a second run)

    def line(self, clinic: Clinic, first: dt.date, last: dt.date) -> str:
        """The clinic's diary in the window, as it is in the database now."""
        now = timezone.now()
        start, end = selectors.day_bounds(first, last)
        rows = Appointment.objects.filter(clinic=clinic, starts_at__gte=start, starts_at__lt=end)
        statuses = Counter(rows.values_list("status", flat=True).order_by())
        past = rows.filter(starts_at__lt=now).count()
        rooms = Room.objects.filter(clinic=clinic, is_active=True).count()
        types = AppointmentType.objects.filter(clinic=clinic).count()
        total = sum(statuses.values())
        extra = []
        if self.unbooked:
            extra.append(f"{_n(self.unbooked, 'visit')} without a free time")
        if self.shifted:
            extra.append(f"{_n(self.shifted, 'plan')} shifted by today's no-shows")
        if self.skipped:
            extra.append(f"{self.skipped} already booked")
        tail = f" (this run: {', '.join(extra)})" if extra else ""
        return (
            f"{self.clinic}: {rooms} rooms, {types} appointment types; {total} appointments "
            f"{first:%d/%m}–{last:%d/%m} ({past} past, {total - past} future): "
            f"{statuses[AppointmentStatus.DONE]} done, {statuses[AppointmentStatus.NO_SHOW]} no-shows, "
            f"{statuses[AppointmentStatus.CANCELLED]} cancelled, {statuses[AppointmentStatus.BOOKED]} booked"
            f"{tail}"
        )


@dataclass
class _Resources:
    types: dict[str, AppointmentType] = field(default_factory=dict)
    treatment_rooms: list[Room] = field(default_factory=list)
    photo_room: Room | None = None


class DemoAppointments:
    """One clinic's month of appointments. Needs the staff, the patients and the plans."""

    def __init__(self, clinic: Clinic, *, seed: int = 1, now: dt.datetime | None = None):
        self.clinic = clinic
        self.seed = seed
        self.now = now or timezone.now()
        self.today = timezone.localtime(self.now).date()
        self.first = self.today - dt.timedelta(days=BACK_DAYS)
        self.last = self.today + dt.timedelta(days=AHEAD_DAYS)
        self.tz = timezone.get_current_timezone()
        self.staff = clinic_staff(clinic)
        self.reception = self.staff.registrar  # books, checks in, cancels, records no-shows
        self.nurse = self.staff.nurse or self.staff.practitioners[0]
        self.admin = self.staff.admin or self.staff.practitioners[0]
        self.doctor = self.staff.practitioners[0]
        self.by_user = {s.user.pk: s for s in self.staff.practitioners}
        self.res = _Resources()
        self._availability: dict[tuple[int, dt.date], slots.Availability] = {}
        self._grid = selectors.scheduling_settings_get(clinic=clinic).slot_minutes
        self._minutes: dict[int, int] = {}

    def rng(self, name) -> random.Random:
        return random.Random(f"follicle-demo-appointments:{self.seed}:{self.clinic.name}:{name}")

    # ----------------------------------------------------------------------- resources
    @transaction.atomic
    def setup(self) -> None:
        """Types, rooms, hours and the absence; what the clinic already has is kept."""
        clinic = self.clinic
        admin = self.admin.auditor(clinic)
        if AppointmentType.objects.filter(clinic=clinic).count() < len(Code.values):
            appointment_types_install_defaults(clinic=clinic, auditor=admin)
        self.res.types = {t.code: t for t in AppointmentType.objects.filter(clinic=clinic)}
        rooms = {r.name: r for r in Room.objects.filter(clinic=clinic)}
        for name in ROOMS:
            if name not in rooms:
                rooms[name] = room_save(clinic=clinic, auditor=admin, name=name, is_active=True)
        self.res.treatment_rooms = [rooms[n] for n in TREATMENT_ROOMS if rooms[n].is_active]
        self.res.photo_room = rooms[PHOTO_ROOM] if rooms[PHOTO_ROOM].is_active else None
        for username, hours in HOURS.get(clinic.name, {}).items():
            staff = self._practitioner(username)
            if (
                staff is None
                or PractitionerHours.objects.filter(clinic=clinic, practitioner=staff.user).exists()
            ):
                continue
            practitioner_hours_set(clinic=clinic, auditor=admin, practitioner=staff.user, hours=hours)
        if clinic.name == ABSENCE[0]:
            staff = self._practitioner(ABSENCE[1])
            if (
                staff is not None
                and not PractitionerAbsence.objects.filter(
                    clinic=clinic, practitioner=staff.user, reason=ABSENCE_REASON
                ).exists()
            ):
                start = self.absence_start()
                practitioner_absence_add(
                    clinic=clinic,
                    auditor=admin,
                    practitioner=staff.user,
                    start_date=start,
                    end_date=start + dt.timedelta(days=2),
                    reason=ABSENCE_REASON,
                )

    def absence_start(self) -> dt.date:
        """The first Wednesday of next month (Wednesday to Friday away)."""
        first = (self.today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        return first + dt.timedelta(days=(2 - first.weekday()) % 7)

    def _practitioner(self, username: str) -> Staff | None:
        return next((s for s in self.staff.practitioners if s.user.username == username), None)

    # ----------------------------------------------------------------------- planning the month
    def visits(self) -> list[Visit]:
        """The month's visits not yet in the diary: sessions first (by date), then the rest."""
        is_open = is_open_for(clinic=self.clinic)
        past_days = [d for d in self._days(self.first, self.today - dt.timedelta(days=1)) if is_open(d)]
        future_days = [d for d in self._days(self.today + dt.timedelta(days=1), self.last) if is_open(d)]
        visits = self._session_visits()
        plans = list(
            TreatmentPlan.objects.filter(clinic=self.clinic, patient__entered_in_error=False)
            .exclude(status=PlanStatus.DRAFT)
            .select_related("patient", "created_by")
            .order_by("patient__record_number")
        )
        with_plan = {p.patient_id for p in TreatmentPlan.objects.filter(clinic=self.clinic)}
        active = [p for p in plans if p.status == PlanStatus.ACTIVE]
        for side, days in (("past", past_days), ("future", future_days)):
            if not days:
                continue
            rng = self.rng(f"pick:{side}")
            for plan in _sample(rng, plans, FOLLOW_UP_SHARE, minimum=2):
                visits.append(self._visit(Code.FOLLOW_UP, plan.patient, rng.choice(days), plan, side))
            for plan in _sample(rng, active, PHOTO_SHARE, minimum=1):
                visits.append(self._visit(Code.PHOTO, plan.patient, rng.choice(days), plan, side))
        visits += self._consultations(future_days, with_plan)
        visits = [v for v in visits if not self._already_booked(v)]
        self._settle_fates(visits)
        return visits

    def _days(self, first: dt.date, last: dt.date) -> list[dt.date]:
        return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]

    def _preference(self, practitioner_pk: int | None) -> list[Staff]:
        """The given practitioner first, then the clinic's doctor, then the others."""
        chosen = self.by_user.get(practitioner_pk)
        rest = [s for s in self.staff.practitioners if s is not chosen]
        return [chosen, *rest] if chosen else rest

    def _visit(self, code: str, patient: Patient, day: dt.date, plan: TreatmentPlan, side: str) -> Visit:
        return Visit(
            code=code,
            patient=patient,
            day=day,
            practitioners=self._preference(plan.created_by_id),
            key=f"{code}:{side}:{patient.record_number}",
        )

    def _session_visits(self) -> list[Visit]:
        """Past sessions the plans held (done or missed) and the upcoming ones of active plans."""
        sessions = (
            PlannedSession.objects.filter(
                plan__clinic=self.clinic,
                plan__patient__entered_in_error=False,
                planned_date__range=(self.first, self.last),
                appointments__isnull=True,
            )
            .exclude(plan__status=PlanStatus.DRAFT)
            .select_related("plan__patient", "plan__clinic")
            .order_by("planned_date", "plan__patient__record_number", "number")
        )
        visits = []
        for session in sessions:
            past = session.planned_date < self.today
            # Past: the sessions the treatments demo left to the diary (planned, of active plans:
            # recorded by follicle/demo/sessions.py) and the missed ones. A past session already
            # done has no record to go with an appointment, so it stays out of the diary.
            if past and not (
                session.status == SessionStatus.MISSED
                or (session.status == SessionStatus.PLANNED and session.plan.status == PlanStatus.ACTIVE)
            ):
                continue
            if not past and (
                session.status != SessionStatus.PLANNED or session.plan.status != PlanStatus.ACTIVE
            ):
                continue
            visits.append(
                Visit(
                    code=Code.SESSION,
                    patient=session.plan.patient,
                    day=session.planned_date,
                    practitioners=self._preference(session.plan.created_by_id),
                    key=f"session:{session.plan.patient.record_number}:{session.number}",
                    session=session,
                    fate="no_show" if session.status == SessionStatus.MISSED else "",
                )
            )
        return visits

    def _consultations(self, future_days: list[dt.date], with_plan: set[int]) -> list[Visit]:
        """First visits of the patients assessed in the window; a few upcoming ones without a plan."""
        visits = []
        start, _end = selectors.day_bounds(self.first, self.first)
        patients = (
            Patient.objects.filter(clinic=self.clinic, entered_in_error=False)
            .select_related("clinic")
            .order_by("record_number")
        )
        first_visits = (
            Assessment.objects.filter(
                patient__clinic=self.clinic, assessed_at__gte=start, assessed_at__lt=self.now
            )
            .select_related("patient")
            .order_by("assessed_at")
        )
        for assessment in first_visits:
            local = timezone.localtime(assessment.assessed_at)
            visits.append(
                Visit(
                    code=Code.CONSULTATION,
                    patient=assessment.patient,
                    day=local.date(),
                    practitioners=self._preference(assessment.assessed_by_id),
                    key=f"consultation:past:{assessment.patient.record_number}",
                    at=local.time(),
                )
            )
        if future_days:
            rng = self.rng("pick:consultations")
            without = [p for p in patients if p.pk not in with_plan]
            for patient in _sample(rng, without, CONSULT_SHARE, minimum=1):
                visits.append(
                    Visit(
                        code=Code.CONSULTATION,
                        patient=patient,
                        day=rng.choice(future_days),
                        practitioners=self._preference(self.doctor.user.pk),
                        key=f"consultation:future:{patient.record_number}",
                    )
                )
        return visits

    def _already_booked(self, visit: Visit) -> bool:
        if visit.session is not None:
            return False  # sessions with an appointment are left out by the query
        start, end = selectors.day_bounds(self.first, self.last)
        return Appointment.objects.filter(
            patient=visit.patient, type=self.res.types[visit.code], starts_at__gte=start, starts_at__lt=end
        ).exists()

    def _settle_fates(self, visits: list[Visit]) -> None:
        """Draw how each visit goes; at least one no-show and one cancellation in the past, one
        cancellation ahead, when there are visits to give them to."""
        for visit in visits:
            if visit.fate:
                continue
            roll = self.rng(f"fate:{visit.key}").random()
            past = visit.day < self.today
            if visit.session is not None:
                if past and roll < CANCELLED_FIRST_CHANCE:
                    visit.fate = "cancelled_first"
                elif not past and roll < CANCEL_CHANCE:
                    visit.fate = "cancelled"
            elif past and roll < NO_SHOW_CHANCE:
                visit.fate = "no_show"
            elif roll < NO_SHOW_CHANCE + CANCEL_CHANCE:
                visit.fate = "cancelled"
        past = [v for v in visits if v.day < self.today]
        others = [v for v in past if v.session is None and not v.fate]
        if others and not any(v.fate == "no_show" for v in past):
            others.pop(0).fate = "no_show"
        if others and not any(v.fate in ("cancelled", "cancelled_first") for v in past):
            others[-1].fate = "cancelled"
        ahead = [v for v in visits if v.day > self.today]
        if ahead and not any(v.fate == "cancelled" for v in ahead):
            ahead[len(ahead) // 2].fate = "cancelled"

    # ----------------------------------------------------------------------- booking one visit
    def book(self, visit: Visit, summary: AppointmentSummary) -> Appointment | None:
        """Book the visit (and settle it if it is past), in one transaction."""
        with transaction.atomic():
            return self._book(visit, summary)

    def _book(self, visit: Visit, summary: AppointmentSummary) -> Appointment | None:
        rng = self.rng(visit.key)
        session = visit.session
        day = visit.day
        if session is not None:
            session.refresh_from_db(fields=["planned_date", "status"])
            if session.appointments.exists():
                summary.skipped += 1
                return None
            if session.planned_date != day and not self.first <= session.planned_date <= self.last:
                return None  # shifted out of the month by a no-show earlier in this run
            day = session.planned_date
        reason = self._reason(visit, rng)
        if visit.fate == "cancelled_first":
            earlier = [day - dt.timedelta(days=n) for n in (1, 2, 3)]
            earlier = [d for d in earlier if d >= self.first]
            first_try = self._reserve(visit, earlier, rng)
            if first_try is not None:
                appointment_set_status(
                    appointment=first_try,
                    auditor=self.reception.auditor(self.clinic),
                    to_status=AppointmentStatus.CANCELLED,
                    reason=reason,
                )
        appointment = self._reserve(visit, [day], rng) or self._reserve(visit, self._nearby(day, visit), rng)
        if appointment is None:
            summary.unbooked += 1
            if session is not None and day < self.today and session.status == SessionStatus.PLANNED:
                # No free time left that day: held all the same, as the plan's earlier sessions
                # were (done, with no appointment and no record).
                planned_session_mark(
                    session=session, status=SessionStatus.DONE, auditor=self.nurse.auditor(self.clinic)
                )
            return None
        summary.booked += 1
        self._settle(visit, appointment, reason, rng, summary)
        return appointment

    def _nearby(self, day: dt.date, visit: Visit) -> list[dt.date]:
        """Other days to try when `day` is full. A past visit happened on its day (a session on its
        planned date, a consultation at its assessment); an upcoming session may go to the days
        around its planned date that keep the protocol's interval (as the booking screen proposes);
        other visits to the next days on the same side of today."""
        if visit.session is not None:
            if day <= self.today:
                return []
            _session, found = selectors.next_session_slots(
                visit.session.plan, visit.practitioners[0].user, session=visit.session
            )
            return [d for d in found if d != day and self.today < d <= self.last]
        if visit.at is not None:
            return []
        side = (self.first, self.today - dt.timedelta(days=1)) if day < self.today else (day, self.last)
        days = [day + dt.timedelta(days=n) for n in range(1, 6)] + [
            day - dt.timedelta(days=n) for n in range(1, 4)
        ]
        return [d for d in days if side[0] <= d <= side[1] and d != self.today]

    def _reason(self, visit: Visit, rng: random.Random) -> str:
        greek, english = rng.choice(CANCEL_REASONS)
        return greek if visit.patient.language == "el" else english

    def _reserve(self, visit: Visit, days: list[dt.date], rng: random.Random) -> Appointment | None:
        """Book the first free time: each day in turn, each practitioner in order, each room."""
        type_ = self.res.types[visit.code]
        if visit.session is not None:
            minutes = self._session_minutes(visit.session.plan)
        else:
            minutes = type_.default_minutes
        if not type_.needs_room:
            rooms: list[Room | None] = [None]
        elif visit.code == Code.PHOTO and self.res.photo_room is not None:
            rooms = [self.res.photo_room]
        else:
            rooms = list(self.res.treatment_rooms)
            rng.shuffle(rooms)
            if self.res.photo_room is not None:
                rooms.append(self.res.photo_room)  # a full day overflows into the photo room's chair
        booker = self.reception.auditor(self.clinic)
        for day in days:
            for staff in visit.practitioners:
                for room in rooms:
                    starts = self._free(staff.user, room, day, minutes)
                    if not starts:
                        continue
                    if visit.at is not None:
                        wanted = dt.datetime.combine(day, visit.at, tzinfo=self.tz)
                        starts.sort(key=lambda s: abs(s - wanted))
                    else:
                        rng.shuffle(starts)
                    for starts_at in starts[:6]:
                        try:
                            return appointment_book(
                                clinic=self.clinic,
                                auditor=booker,
                                patient=visit.patient,
                                practitioner=staff.user,
                                type=type_,
                                starts_at=starts_at,
                                minutes=minutes,
                                room=room,
                                planned_session=visit.session,
                            )
                        except SlotTaken:
                            continue
        return None

    def _session_minutes(self, plan: TreatmentPlan) -> int:
        if plan.pk not in self._minutes:
            self._minutes[plan.pk] = selectors.session_minutes(plan=plan)
        return self._minutes[plan.pk]

    def _free(self, practitioner: User, room: Room | None, day: dt.date, minutes: int) -> list[dt.datetime]:
        """Free start times on `day`. Ahead: the selectors' free slots; today and before, the same
        slot arithmetic without their "not in the past" limit (recording what happened)."""
        if day > self.today:
            return list(
                selectors.free_slots(
                    clinic=self.clinic, practitioner=practitioner, first=day, minutes=minutes, room=room
                ).get(day, [])
            )
        key = (practitioner.pk, day)
        if key not in self._availability:
            self._availability[key] = selectors.availability(
                clinic=self.clinic, practitioner=practitioner, first=day, last=day
            )
        starts, ends = selectors.day_bounds(day, day)
        busy = selectors.busy_intervals(practitioner=practitioner, room=room, starts=starts, ends=ends)
        return slots.day_slots(
            day, self._availability[key], busy, minutes=minutes, grid_minutes=self._grid, tz=self.tz
        )

    # ----------------------------------------------------------------------- settling the past
    def _settle(
        self,
        visit: Visit,
        appointment: Appointment,
        reason: str,
        rng: random.Random,
        summary: AppointmentSummary,
    ) -> None:
        clinic = self.clinic
        reception = self.reception.auditor(clinic)
        practitioner = self.by_user[appointment.practitioner_id].auditor(clinic)
        now = self.now
        if visit.fate == "cancelled":
            appointment_set_status(
                appointment=appointment,
                auditor=reception,
                to_status=AppointmentStatus.CANCELLED,
                reason=reason,
            )
            return
        if appointment.starts_at > now:
            return  # still ahead: booked
        session = visit.session
        today_session = (
            session is not None
            and session.status == SessionStatus.PLANNED
            and timezone.localtime(appointment.starts_at).date() == self.today
        )
        no_show = visit.fate == "no_show" or (
            today_session and appointment.ends_at <= now and rng.random() < TODAY_NO_SHOW_CHANCE
        )
        if no_show:
            # A plan session still planned (today's) is marked missed and the plan shifted by the service.
            appointment_set_status(
                appointment=appointment, auditor=reception, to_status=AppointmentStatus.NO_SHOW
            )
            if today_session:
                summary.shifted += 1
            return
        if session is not None:
            return  # checked in, checked, recorded and signed by follicle/demo/sessions.py
        appointment_set_status(
            appointment=appointment, auditor=reception, to_status=AppointmentStatus.CHECKED_IN
        )
        if appointment.ends_at > now:
            return  # in the chair now
        appointment_set_status(
            appointment=appointment, auditor=practitioner, to_status=AppointmentStatus.DONE
        )


def _sample(rng: random.Random, items: list, share: float, *, minimum: int) -> list:
    """A share of `items` (at least `minimum` when there are that many), in their order."""
    count = min(len(items), max(minimum, round(len(items) * share)))
    picked = set(rng.sample(range(len(items)), count))
    return [item for n, item in enumerate(items) if n in picked]


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
