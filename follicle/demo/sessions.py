"""Demo session records and adverse events: the diary's plan sessions, recorded in the treatment room.

`DemoSessions(clinic, seed=…)` takes each plan-session appointment of the diary that has begun and
is still booked (follicle/demo/appointments.py leaves them so) and `record(appointment)` goes
through it as the clinic would, in one transaction, through the procedures services:

- reception checks the patient in a few minutes before the start;
- the nurse records the same-day safety check: mostly clear; now and then a new supplement, or
  side effects of the previous session not yet settled (an open adverse event), which the
  appointment's practitioner acknowledges;
- the nurse opens the record and takes one vial (two for a large volume) of each product of the
  plan's formulation version from the lot in use (first to expire, never the nearly exhausted
  one set aside, a new delivery when none is left), and records the delivery: the plan's
  technique, needle (30G, for some patients 32G, × 4 mm) and depth, the prepared volume, a
  topical anaesthetic for the patients who want one, times (starting ~5 minutes in, 25–45
  minutes long) and pain (1–6); then the injections on the plan's zones (20–60 points each,
  85–100 % of the prepared volume) and how the patient keeps to the plan's combined therapies;
- the practitioner signs, which marks the appointment and the plan session done.

Each step is run with the clock at the moment it happened (`time_machine`), because the
services date a safety check and a session by "today" and stamp their rows with the time: the
records, stock movements and audit rows of a session read as written on its day. A step whose
moment has not come yet is not done: a patient in the chair now has a check and an open draft,
and one who has just finished may wait for the practitioner's signature.

About one signed session in ten has an adverse event (mostly mild: erythema, pain, bruising,
headache), reported on the day or the next, followed up once to three times and resolved before
the patient's next session (or still open when that is yet to come). `finish()` then makes sure
the Athens clinic shows what its safety dashboard is for: one open event overdue for review by
the clinic's policy, one serious event (an allergic reaction, the session's lot suspected) and a
couple of recent open ones, each on a patient's latest session so that no later safety check
contradicts it; then flags overdue events as the periodic task would.

`time_machine` is a development dependency (requirements-dev.lock, which `make run` installs).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from follicle.core.audit import Auditor
from follicle.core.models import Clinic
from follicle.demo.patients import Staff, clinic_staff
from follicle.demo.treatments import LOW_STOCK, PRODUCTS
from follicle.formulations.models import Lot, Product
from follicle.formulations.services import lot_receive
from follicle.procedures import services as procedures
from follicle.procedures.models import (
    CheckResult,
    RecordStatus,
    SafetyCheck,
    SameDay,
    SessionLot,
    SessionRecord,
    TherapyStatus,
)
from follicle.safety import policy
from follicle.safety import services as safety
from follicle.safety.models import AdverseEvent, EventStatus, Grade, Outcome, Seriousness, Trend
from follicle.scheduling.models import Appointment, AppointmentStatus
from follicle.scheduling.services import appointment_set_status
from follicle.treatments import schedule
from follicle.treatments.models import PlannedSession, SessionStatus, Technique, TreatmentPlan
from follicle.treatments.services import planned_session_mark

SPECIAL_EVENTS_CLINIC = "Athens"  # the clinic whose safety dashboard gets its overdue and serious events
CAUTION_CHANCE = 0.06  # a new medicine or supplement since the last visit
ANAESTHETIC_CHANCE = 0.2  # of the patients, those who want a topical anaesthetic every time
EVENT_CHANCE = 0.1  # a signed session followed by an adverse event (Athens adds its three below)
OPEN_RECENT = 2  # open recent mild events the special clinic shows at least
MINUTE = dt.timedelta(minutes=1)


def _time_machine():
    try:
        import time_machine
    except ImportError as exc:  # pragma: no cover - installed with requirements-dev.lock
        raise RuntimeError(
            "The demo's session records need time-machine, a development dependency: "
            "pip install --require-hashes -r requirements-dev.lock (as `make run` does)."
        ) from exc
    return time_machine


def _travel(moment: dt.datetime):
    """The clock stopped at `moment`, for the services that date and stamp what they write."""
    return _time_machine().travel(moment, tick=False)


def _lang(user) -> int:
    return 0 if (getattr(user, "language", "") or "el") == "el" else 1


# --------------------------------------------------------------------------- what is said and written
# (Greek, English): staff write in their own language.
SUPPLEMENTS = [
    (
        "Συμπλήρωμα σιδήρου, 1 δισκίο την ημέρα εδώ και 2 εβδομάδες.",
        "Iron supplement, one tablet a day for 2 weeks.",
    ),
    ("Συμπλήρωμα βιοτίνης 5 mg από τον φαρμακοποιό.", "Biotin 5 mg supplement from the pharmacist."),
    ("Βιταμίνη D 2000 IU ημερησίως (συνταγή παθολόγου).", "Vitamin D 2000 IU daily (prescribed by the GP)."),
    ("Ωμέγα-3 κάψουλες, μία την ημέρα.", "Omega-3 capsules, one a day."),
]
ACK_NOTES = {
    "new_medicines": (
        "Ελέγχθηκε το νέο σκεύασμα: καμία αλληλεπίδραση με το διάλυμα ή αντένδειξη· συνεχίζουμε.",
        "Checked the new product: no interaction with the formulation, no contraindication; going ahead.",
    ),
    "effects": (
        "Εξετάστηκε το τριχωτό: υπολειμματικά ευρήματα μόνο, εκτός των σημερινών σημείων· "
        "συνεχίζουμε με προσοχή.",
        "Examined the scalp: residual findings only, away from today's injection points; "
        "going ahead with care.",
    ),
    "other": (
        "Συζητήθηκε με τον ασθενή· συνεχίζουμε με τις συνήθεις προφυλάξεις.",
        "Discussed with the patient; going ahead with the usual precautions.",
    ),
}
ANAESTHETIC = (
    "Κρέμα λιδοκαΐνης/πριλοκαΐνης 2,5 %/2,5 %, 30 λεπτά υπό επίδεση",
    "Lidocaine/prilocaine 2.5 %/2.5 % cream, 30 minutes under occlusion",
)
THERAPY_NOTES = {
    TherapyStatus.IRREGULAR: ("Ξεχνά κάποιες ημέρες· του υπενθυμίσαμε.", "Forgets some days; reminded."),
    TherapyStatus.PAUSED: (
        "Σε παύση για λίγες μέρες· θα το ξαναρχίσει.",
        "Paused for a few days; will restart.",
    ),
}
DEPTH = {  # mm, when the plan gives none
    Technique.NAPPAGE: Decimal("1.0"),
    Technique.PAPULE: Decimal("1.5"),
    Technique.POINT_BY_POINT: Decimal("2.0"),
    Technique.MESOGUN: Decimal("1.5"),
}


@dataclass(frozen=True)
class TermSpec:
    term: str
    weight: int
    days: tuple[int, int]  # how long it usually lasts (days from onset to resolution)
    description: tuple[str, str]
    action: tuple[str, str]
    improving: tuple[str, str]
    unchanged: tuple[str, str]
    resolved: tuple[str, str]


MILD_TERMS = [
    TermSpec(
        "erythema_oedema",
        35,
        (1, 4),
        (
            "Ερύθημα και ήπιο οίδημα στις ζώνες των ενέσεων.",
            "Redness and mild swelling over the injected zones.",
        ),
        ("Κρύες κομπρέσες· όχι λούσιμο για 24 ώρες.", "Cold compresses; no hair washing for 24 hours."),
        ("Τηλεφωνική επικοινωνία: το ερύθημα υποχωρεί.", "Phone call: the redness is settling."),
        (
            "Τηλεφωνική επικοινωνία: αμετάβλητο, συνεχίζει τις οδηγίες.",
            "Phone call: unchanged, carrying on with the advice.",
        ),
        ("Υποχώρησε πλήρως, χωρίς υπολείμματα.", "Fully settled, nothing left to see."),
    ),
    TermSpec(
        "pain",
        30,
        (0, 2),
        (
            "Πόνος στα σημεία των ενέσεων μετά τη συνεδρία, χωρίς οίδημα.",
            "Pain at the injection sites after the session, no swelling.",
        ),
        ("Κρύες κομπρέσες· παρακεταμόλη αν χρειαστεί.", "Cold compresses; paracetamol if needed."),
        ("Τηλεφωνική επικοινωνία: ο πόνος μειώνεται.", "Phone call: the pain is easing."),
        (
            "Τηλεφωνική επικοινωνία: ίδιος πόνος, παίρνει παρακεταμόλη.",
            "Phone call: same pain, taking paracetamol.",
        ),
        ("Χωρίς πόνο πλέον.", "No pain any more."),
    ),
    TermSpec(
        "bruising_haematoma",
        25,
        (3, 8),
        (
            "Μικρή εκχύμωση σε σημείο ένεσης στην κορυφή.",
            "A small bruise at one injection site on the crown.",
        ),
        ("Τοπική πίεση· γέλη άρνικας.", "Local pressure; arnica gel."),
        ("Η εκχύμωση ξεθωριάζει.", "The bruise is fading."),
        ("Η εκχύμωση δεν έχει αλλάξει.", "The bruise has not changed."),
        ("Η εκχύμωση εξαφανίστηκε.", "The bruise has gone."),
    ),
    TermSpec(
        "headache",
        10,
        (0, 1),
        ("Ήπια κεφαλαλγία το απόγευμα μετά τη συνεδρία.", "Mild headache the evening after the session."),
        ("Παρακεταμόλη 500 mg· ενυδάτωση.", "Paracetamol 500 mg; fluids."),
        ("Τηλεφωνική επικοινωνία: η κεφαλαλγία υποχωρεί.", "Phone call: the headache is easing."),
        ("Τηλεφωνική επικοινωνία: επιμένει ήπια.", "Phone call: still there, mild."),
        ("Χωρίς κεφαλαλγία από το πρωί.", "No headache since the morning."),
    ),
]
TERMS = {spec.term: spec for spec in MILD_TERMS}
OVERDUE = (  # the special clinic's event still open past its review date: a swelling that lingers
    (
        "Επίμονο ερύθημα και οίδημα στη μετωπιαία ζώνη.",
        "Persistent redness and swelling over the frontal zone.",
    ),
    (
        "Κρύες κομπρέσες· κρέμα υδροκορτιζόνης 1 % δύο φορές την ημέρα.",
        "Cold compresses; hydrocortisone 1 % cream twice a day.",
    ),
)
SERIOUS = {
    "description": (
        "Γενικευμένη κνίδωση και οίδημα βλεφάρων περίπου 20 λεπτά μετά τις ενέσεις, χωρίς δύσπνοια· "
        "ΑΠ 118/76, SpO2 98 %.",
        "Generalised hives and eyelid swelling about 20 minutes after the injections, no shortness of "
        "breath; BP 118/76, SpO2 98 %.",
    ),
    "action": (
        "Αντιισταμινικό και κορτικοστεροειδές IM στο ιατρείο, παρακολούθηση 2 ωρών· παραπομπή σε "
        "αλλεργιολόγο· καμία νέα συνεδρία πριν από την αλλεργιολογική εκτίμηση.",
        "IM antihistamine and corticosteroid in the clinic, observed for 2 hours; referred to an "
        "allergist; no further session before the allergy work-up.",
    ),
    "follow_ups": [
        (
            "Τηλεφωνική επικοινωνία: η κνίδωση υποχωρεί, το οίδημα βλεφάρων έχει φύγει.",
            "Phone call: the hives are fading, the eyelid swelling has gone.",
        ),
        (
            "Επανεξέταση: ελάχιστα υπολειμματικά στοιχεία· ραντεβού με αλλεργιολόγο κλείστηκε.",
            "Seen again: barely anything left; allergist appointment booked.",
        ),
        (
            "Ο αλλεργιολόγος ζήτησε δοκιμασίες επιθέματος για τα συστατικά του διαλύματος.",
            "The allergist asked for patch tests of the formulation's ingredients.",
        ),
    ],
    "resolved": (
        "Πλήρης υποχώρηση· εκκρεμούν οι δοκιμασίες του αλλεργιολόγου πριν από οποιαδήποτε νέα συνεδρία.",
        "Fully resolved; the allergist's tests are pending before any further session.",
    ),
}


@dataclass
class SessionSummary:
    clinic: str
    blocked: int = 0  # a hard stop at the safety check: the session did not go ahead
    restocked: int = 0  # lots delivered because none in stock was usable
    skipped: int = 0  # already handled (a second run)

    def line(self, clinic: Clinic) -> str:
        """The clinic's session records, stock used and adverse events, as they are in the database now."""
        records = SessionRecord.objects.filter(clinic=clinic)
        statuses = Counter(records.values_list("status", flat=True).order_by())
        lines = SessionLot.objects.filter(record__clinic=clinic)
        vials = lines.aggregate(total=Sum("vials"))["total"] or 0
        lots = lines.values("lot").distinct().count()
        events = AdverseEvent.objects.filter(clinic=clinic).exclude(status=EventStatus.ENTERED_IN_ERROR)
        by_status = Counter(events.values_list("status", flat=True).order_by())
        overdue = events.filter(status=EventStatus.OPEN, overdue_since__isnull=False).count()
        serious = events.filter(serious=True).count()
        acknowledged = SafetyCheck.objects.filter(clinic=clinic, acknowledged_at__isnull=False).count()
        extra = []
        if self.blocked:
            extra.append(f"{self.blocked} stopped at the safety check")
        if self.restocked:
            extra.append(f"{self.restocked} lots delivered")
        if self.skipped:
            extra.append(f"{self.skipped} already recorded")
        tail = f" (this run: {', '.join(extra)})" if extra else ""
        return (
            f"{self.clinic}: {statuses.total()} session records ({statuses[RecordStatus.SIGNED]} signed, "
            f"{statuses[RecordStatus.DRAFT]} drafts), {acknowledged} safety-check cautions "
            f"acknowledged; {vials} vials from {lots} lots; {by_status.total()} adverse events "
            f"({by_status[EventStatus.RESOLVED]} resolved, {by_status[EventStatus.OPEN]} open, "
            f"{overdue} overdue, {serious} serious){tail}"
        )


class DemoSessions:
    """One clinic's session records and adverse events. Needs the diary (follicle/demo/appointments.py)."""

    def __init__(self, clinic: Clinic, *, seed: int = 1, now: dt.datetime | None = None):
        _time_machine()  # fail before recording anything when it is missing
        self.clinic = clinic
        self.seed = seed
        self.now = now or timezone.now()
        self.today = timezone.localtime(self.now).date()
        self.tz = timezone.get_current_timezone()
        staff = clinic_staff(clinic)
        self.reception = staff.registrar
        self.nurse = staff.nurse or staff.practitioners[0]
        self.by_user = {s.user.pk: s for s in staff.practitioners}
        self.doctor = staff.practitioners[0]
        self.codes = {spec.name: spec for spec in PRODUCTS}
        self.days = policy.days_by_term(clinic)

    def rng(self, name) -> random.Random:
        return random.Random(f"follicle-demo-sessions:{self.seed}:{self.clinic.name}:{name}")

    def appointments(self) -> list[Appointment]:
        """The diary's plan-session appointments that have begun and are still booked, by start."""
        return list(
            Appointment.objects.filter(
                clinic=self.clinic,
                planned_session__isnull=False,
                status=AppointmentStatus.BOOKED,
                starts_at__lte=self.now,
            ).order_by("starts_at", "id")
        )

    # ----------------------------------------------------------------------- one session
    def record(self, appointment: Appointment, summary: SessionSummary) -> SessionRecord | None:
        """Check in, check, record and sign one session (what has happened by now), in one transaction."""
        with transaction.atomic():
            return self._record(appointment, summary)

    def _practitioner(self, appointment: Appointment) -> Staff:
        return self.by_user.get(appointment.practitioner_id) or self.doctor

    def _record(self, appointment: Appointment, summary: SessionSummary) -> SessionRecord | None:
        appointment = Appointment.objects.select_related(
            "patient", "planned_session__plan__formulation_version", "practitioner"
        ).get(pk=appointment.pk)
        if appointment.status != AppointmentStatus.BOOKED:
            summary.skipped += 1
            return None
        clinic = self.clinic
        patient = appointment.patient
        session = appointment.planned_session
        plan = session.plan
        rng = self.rng(f"{patient.record_number}:{session.number}:{appointment.starts_at:%Y%m%d}")
        doctor = self._practitioner(appointment)
        practitioner = doctor.auditor(clinic)
        nurse = self.nurse.auditor(clinic)
        start = timezone.localtime(appointment.starts_at)
        now = self.now

        def when(moment: dt.datetime) -> dt.datetime:
            return min(moment, now)

        with _travel(when(start - dt.timedelta(minutes=rng.randint(3, 12)))):
            appointment_set_status(
                appointment=appointment,
                auditor=self.reception.auditor(clinic),
                to_status=AppointmentStatus.CHECKED_IN,
            )
        answers, detail = self._answers(rng, appointment)
        clock = when(start + dt.timedelta(minutes=rng.randint(0, 2)))
        with _travel(clock):
            check = procedures.safety_check_record(
                appointment=appointment, auditor=nurse, medicines_detail=detail, **answers
            )
        if check.result == CheckResult.BLOCKED:
            summary.blocked += 1
            self._stopped(appointment, check, doctor)
            return None
        if check.needs_acknowledgement:
            clock = when(clock + dt.timedelta(minutes=rng.randint(1, 3)))
            with _travel(clock):
                procedures.safety_check_acknowledge(
                    check=check, auditor=practitioner, note=self._ack_note(check, doctor)
                )
        clock = when(clock + MINUTE)
        with _travel(clock):
            record = procedures.session_start(appointment=appointment, auditor=nurse)

        # The lots, as the nurse prepares; the delivery as it starts, its end, the map, the therapies.
        started = max(start + dt.timedelta(minutes=rng.randint(3, 7)), clock + 2 * MINUTE)
        minutes = int((appointment.ends_at - appointment.starts_at).total_seconds() // 60)
        ended = started + dt.timedelta(minutes=min(45, max(25, minutes - 5 + rng.randint(-3, 6))))
        signed = ended + dt.timedelta(minutes=rng.randint(2, 8))
        if started - MINUTE > now:
            return record  # in the chair: checked and opened, nothing prepared yet
        with _travel(started - MINUTE):
            self._lots(record, started.date(), nurse, summary)
        delivery = self._delivery(plan, record, started)
        if ended + 2 * MINUTE > now:  # still injecting: what is known so far
            if started <= now:
                with _travel(now):
                    record = procedures.session_update(record=record, auditor=nurse, **delivery)
            return record
        with _travel(ended + MINUTE):  # the delivery, written up as the injections end
            delivery.update(ended_at=ended, pain_score=self._pain(rng, delivery["topical_anaesthetic"]))
            record = procedures.session_update(record=record, auditor=nurse, **delivery)
            procedures.session_zones_set(record=record, auditor=nurse, zones=self._zones(rng, plan, record))
        with _travel(ended + 2 * MINUTE):
            due = procedures.therapies_due(record)
            if due:
                procedures.session_therapies_confirm(
                    record=record, auditor=nurse, confirmations=self._therapies(rng, due)
                )
        if signed > now:
            return record  # complete, waiting for the practitioner's signature
        with _travel(signed):
            record = procedures.session_sign(record=record, auditor=practitioner)
        if rng.random() < EVENT_CHANCE:
            self._event(rng, record, doctor, signed)
        return record

    def _answers(self, rng: random.Random, appointment: Appointment) -> tuple[dict, str]:
        """The same-day answers: mostly nothing new; a new supplement now and then; the previous
        session's side effects, settled or not."""
        patient = appointment.patient
        detail = ""
        new_medicines = SameDay.NO
        if rng.random() < CAUTION_CHANCE:
            new_medicines = SameDay.YES
            detail = rng.choice(SUPPLEMENTS)[_lang(self.nurse.user)]
        events = AdverseEvent.objects.filter(patient=patient).exclude(status=EventStatus.ENTERED_IN_ERROR)
        previous = (
            SessionRecord.objects.filter(patient=patient, status=RecordStatus.SIGNED)
            .order_by("-appointment__starts_at")
            .first()
        )
        if events.filter(status=EventStatus.OPEN).exists():
            effects = SameDay.NO  # not settled yet: a caution for the practitioner
        elif previous is not None and events.filter(session=previous).exists():
            effects = SameDay.YES
        else:
            effects = SameDay.NOT_APPLICABLE  # no previous session, or nothing after it
        answers = {
            "pregnant_or_breastfeeding": SameDay.NOT_APPLICABLE if patient.sex == "male" else SameDay.NO,
            "new_anticoagulant": SameDay.NO,
            "new_medicines": new_medicines,
            "feeling_unwell": SameDay.NO,
            "scalp_infection_or_wound": SameDay.NO,
            "previous_effects_resolved": effects,
        }
        return {k: str(v) for k, v in answers.items()}, detail

    def _ack_note(self, check: SafetyCheck, doctor: Staff) -> str:
        codes = [c["code"] for c in check.cautions]
        if all(code == "same_day:new_medicines" for code in codes):
            key = "new_medicines"
        elif all(
            code.startswith(("open_event:", "same_day:previous", "same_day:new_medicines")) for code in codes
        ):
            key = "effects"
        else:
            key = "other"
        return ACK_NOTES[key][_lang(doctor.user)]

    def _stopped(self, appointment: Appointment, check: SafetyCheck, doctor: Staff) -> None:
        """A hard stop: the session does not go ahead. A past one is cancelled and its plan session
        missed; one today stays checked in with its check, for the practitioner to see."""
        if appointment.ends_at > self.now:
            return
        reason = "; ".join(item["title"] for item in check.hard_stops)
        with _travel(timezone.localtime(appointment.starts_at) + 5 * MINUTE):
            auditor = doctor.auditor(self.clinic)
            appointment_set_status(
                appointment=appointment, auditor=auditor, to_status=AppointmentStatus.CANCELLED, reason=reason
            )
            session = PlannedSession.objects.get(pk=appointment.planned_session_id)
            if session.status == SessionStatus.PLANNED:
                planned_session_mark(session=session, status=SessionStatus.MISSED, auditor=auditor)

    # ----------------------------------------------------------------------- the record's content
    def _lots(self, record: SessionRecord, day: dt.date, nurse: Auditor, summary: SessionSummary) -> None:
        version = record.formulation_version
        components = list(version.components.select_related("product"))
        total = sum((c.volume_ml for c in components), Decimal("0"))
        prepared = record.prepared_volume_ml or total
        for component in components:
            product = component.product
            volume = component.volume_ml * prepared / total if total else component.volume_ml
            per_vial = product.volume_per_vial_ml
            vials = 1
            if per_vial:
                vials = max(1, int((volume / per_vial).to_integral_value(rounding=ROUND_CEILING)))
            lot = self._lot(product, day, vials, nurse, summary)
            procedures.session_lot_set(record=record, product=product, lot=lot, auditor=nurse, vials=vials)

    def _lot(
        self, product: Product, day: dt.date, vials: int, nurse: Auditor, summary: SessionSummary
    ) -> Lot:
        """The lot in use: the first to expire that is in date and keeps more than a few vials (the
        nearly exhausted one stays on the shelf as the stock page's low-stock example). When none
        is left, a new delivery arrives that morning."""
        lots = Lot.objects.filter(product=product, expiry_date__gte=day, quantity_left__gt=LOW_STOCK + vials)
        lot = lots.order_by("expiry_date", "received_at", "id").first()
        if lot is not None:
            return lot
        spec = self.codes.get(product.name)
        code = spec.code if spec else "LOT"
        box = spec.box if spec else 20
        taken = set(Lot.objects.filter(product=product).values_list("lot_number", flat=True))
        number = next(
            f"{code}-{day:%y%m}{letter}"
            for letter in "RSTUVWXYZ"
            if f"{code}-{day:%y%m}{letter}" not in taken
        )
        summary.restocked += 1
        return lot_receive(
            product=product,
            auditor=nurse,
            lot_number=number,
            expiry_date=schedule.add_months(day, 15),
            quantity=box * 4,
            received_at=day,
        )

    def _delivery(self, plan: TreatmentPlan, record: SessionRecord, started: dt.datetime) -> dict:
        """Technique, needle and depth (the plan's, or the clinic's usual), the anaesthetic, the start."""
        patient = plan.patient
        habits = self.rng(f"patient:{patient.record_number}")
        technique = record.technique or habits.choice([Technique.NAPPAGE, Technique.POINT_BY_POINT])
        anaesthetic = habits.random() < ANAESTHETIC_CHANCE
        fields = {
            "technique": technique,
            "needle_gauge": record.needle_gauge or (32 if habits.random() < 0.2 else 30),
            "needle_length_mm": record.needle_length_mm or Decimal("4"),
            "depth_mm": record.depth_mm or DEPTH.get(technique, Decimal("1.5")),
            "topical_anaesthetic": anaesthetic,
            "started_at": started,
        }
        if anaesthetic:
            fields["anaesthetic_detail"] = ANAESTHETIC[_lang(self.nurse.user)]
        return fields

    def _pain(self, rng: random.Random, anaesthetic: bool) -> int:
        pain = rng.choices(range(1, 7), weights=(8, 20, 26, 22, 15, 9))[0]
        if anaesthetic:
            pain = max(1, pain - rng.randint(1, 2))
        return pain

    def _zones(self, rng: random.Random, plan: TreatmentPlan, record: SessionRecord) -> dict:
        """The plan's zones, 20–60 points each, sharing 85–100 % of the prepared volume."""
        zones = list(plan.zones or []) or ["mid_scalp", "vertex"]
        points = {zone: rng.randint(20, 60) for zone in zones}
        prepared = record.prepared_volume_ml or Decimal("2")
        used = prepared * Decimal(str(round(rng.uniform(0.85, 1.0), 2)))
        step = Decimal("0.05")
        total_points = sum(points.values())
        rows = {}
        for zone, count in points.items():
            share = (used * count / total_points / step).to_integral_value(rounding=ROUND_FLOOR) * step
            rows[zone] = (count, max(share, step))
        return rows

    def _therapies(self, rng: random.Random, due) -> dict:
        lang = _lang(self.nurse.user)
        confirmations = {}
        for therapy in due:
            status = rng.choices(
                [TherapyStatus.TAKING, TherapyStatus.IRREGULAR, TherapyStatus.PAUSED], weights=(85, 11, 4)
            )[0]
            note = THERAPY_NOTES[status][lang] if status in THERAPY_NOTES else ""
            confirmations[therapy] = (str(status), note)
        return confirmations

    # ----------------------------------------------------------------------- adverse events
    def _next_session_day(self, record: SessionRecord) -> dt.date | None:
        session = record.planned_session
        following = (
            PlannedSession.objects.filter(
                plan=record.plan, number__gt=session.number, status=SessionStatus.PLANNED
            )
            .order_by("number")
            .values_list("planned_date", flat=True)
            .first()
        )
        return following

    def _event(
        self, rng: random.Random, record: SessionRecord, doctor: Staff, signed: dt.datetime
    ) -> AdverseEvent | None:
        """A mild event after a signed session: reported, followed up, resolved before the next session."""
        spec = rng.choices(MILD_TERMS, weights=[s.weight for s in MILD_TERMS])[0]
        day = timezone.localtime(record.appointment.starts_at).date()
        late = spec.term == "headache" or (spec.term == "bruising_haematoma" and rng.random() < 0.4)
        onset = day + dt.timedelta(days=1 if late and rng.random() < 0.5 else 0)
        if onset == day and spec.term != "headache":
            reporter, reported = doctor, signed + dt.timedelta(minutes=rng.randint(1, 4))
        else:  # the patient phones the next morning
            reporter = self.nurse
            reported = self._at(day + dt.timedelta(days=1), rng.randint(9, 12), rng.randint(0, 59))
        if reported > self.now:
            return None  # not heard of yet
        limit = self.days.get(spec.term, 14)
        length = min(rng.randint(*spec.days), limit)
        resolved_on = onset + dt.timedelta(days=length)
        following = self._next_session_day(record)
        if following is not None and following > onset:
            resolved_on = min(resolved_on, following - dt.timedelta(days=1))
        resolved_on = max(resolved_on, onset)
        grade = (
            Grade.MODERATE
            if spec.term in ("erythema_oedema", "bruising_haematoma") and rng.random() < 0.1
            else Grade.MILD
        )
        event = self._report(
            record,
            reporter,
            reported,
            term=spec.term,
            grade=grade,
            onset=onset,
            description=spec.description,
            action=spec.action,
        )
        settle_at = max(
            self._at(resolved_on, rng.randint(10, 17), rng.randint(0, 59)), reported + dt.timedelta(hours=2)
        )
        if settle_at > self.now - MINUTE:
            # Not settled yet (or not heard of since): a call so far, if a day has passed.
            count = rng.randint(0, 1) if self.now - reported > dt.timedelta(hours=20) else 0
            self._follow_ups(
                rng, event, reported, self.now - 30 * MINUTE, count, spec.improving, spec.unchanged
            )
            return event
        self._follow_ups(rng, event, reported, settle_at, rng.randint(1, 3), spec.improving, spec.unchanged)
        with _travel(settle_at):
            safety.adverse_event_resolve(
                event=event,
                auditor=doctor.auditor(self.clinic),
                resolved_on=resolved_on,
                outcome=Outcome.RECOVERED,
                note=spec.resolved[_lang(doctor.user)],
            )
        return event

    def _at(self, day: dt.date, hour: int, minute: int) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=self.tz)

    def _report(
        self,
        record: SessionRecord,
        reporter: Staff,
        at: dt.datetime,
        *,
        term: str,
        grade: int,
        onset: dt.date,
        description: tuple[str, str],
        action: tuple[str, str],
        serious: bool = False,
        lots=None,
    ) -> AdverseEvent:
        lang = _lang(reporter.user)
        with _travel(at):
            return safety.adverse_event_report(
                patient=record.patient,
                auditor=reporter.auditor(self.clinic),
                term=term,
                grade=grade,
                onset_date=onset,
                session=record,
                description=description[lang],
                serious=serious,
                seriousness_criteria=[Seriousness.MEDICALLY_IMPORTANT] if serious else [],
                action_taken=action[lang],
                lots=lots,
            )

    def _follow_ups(
        self, rng, event, after: dt.datetime, before: dt.datetime, count: int, improving, unchanged
    ):
        """`count` follow-ups spread between the report and `before`, by the nurse (a phone call)."""
        if count <= 0 or before <= after:
            return
        span = before - after
        lang = _lang(self.nurse.user)
        for n in range(1, count + 1):
            at = after + span * n / (count + 1)
            worse = n == 1 and count > 1 and rng.random() < 0.3
            trend, text = (Trend.UNCHANGED, unchanged) if worse else (Trend.IMPROVING, improving)
            with _travel(at):
                safety.adverse_event_follow_up(
                    event=event, auditor=self.nurse.auditor(self.clinic), trend=trend, note=text[lang]
                )

    # ----------------------------------------------------------------------- the clinic's dashboard
    def finish(self) -> None:
        """The special clinic's overdue, serious and recent open events; then the overdue flags."""
        if self.clinic.name == SPECIAL_EVENTS_CLINIC:
            with transaction.atomic():
                self._special_events()
        safety.flag_overdue(
            clinic=self.clinic, auditor=Auditor.system(clinic=self.clinic, label="system:demo")
        )

    def _candidates(self) -> list[SessionRecord]:
        """Signed records that are their patient's latest (no later record at all) of patients with
        no adverse event yet: an event put there contradicts no later safety check."""
        records = list(
            SessionRecord.objects.filter(clinic=self.clinic)
            .select_related("appointment", "patient", "plan", "planned_session")
            .order_by("appointment__starts_at", "id")
        )
        latest = {}
        for record in records:
            latest[record.patient_id] = record
        with_events = set(
            AdverseEvent.objects.filter(clinic=self.clinic)
            .exclude(status=EventStatus.ENTERED_IN_ERROR)
            .values_list("patient_id", flat=True)
        )
        return [
            r for r in latest.values() if r.status == RecordStatus.SIGNED and r.patient_id not in with_events
        ]

    def _special_events(self) -> None:
        events = AdverseEvent.objects.filter(clinic=self.clinic).exclude(status=EventStatus.ENTERED_IN_ERROR)
        rng = self.rng("special")
        candidates = sorted(self._candidates(), key=lambda r: r.appointment.starts_at)
        used: set[int] = set()

        def day_of(record):
            return timezone.localtime(record.appointment.starts_at).date()

        def signed_at(record):
            return timezone.localtime(record.signed_at)

        # One open event overdue for review: the oldest latest-session whose term's review date has passed.
        overdue = [
            e for e in events.filter(status=EventStatus.OPEN) if policy.overdue_since(e, today=self.today)
        ]
        if not overdue:
            for term in ("bruising_haematoma", "erythema_oedema", "headache", "pain"):
                limit = self.days.get(term, 14)
                found = [r for r in candidates if (self.today - day_of(r)).days > limit + 1]
                if not found:
                    continue
                record = found[0]
                used.add(record.pk)
                spec = TERMS[term]
                description, action = (
                    OVERDUE if term == "erythema_oedema" else (spec.description, spec.action)
                )
                doctor = self._practitioner(record.appointment)
                event = self._report(
                    record,
                    doctor,
                    signed_at(record) + 3 * MINUTE,
                    term=term,
                    grade=Grade.MODERATE if term == "erythema_oedema" else Grade.MILD,  # a steroid cream
                    onset=day_of(record),
                    description=description,
                    action=action,
                )
                lang = _lang(self.nurse.user)
                for days in (2, 5):
                    at = self._at(day_of(record) + dt.timedelta(days=days), 11, rng.randint(0, 59))
                    if at < self.now and days <= limit:
                        with _travel(at):
                            safety.adverse_event_follow_up(
                                event=event,
                                auditor=self.nurse.auditor(self.clinic),
                                trend=Trend.UNCHANGED,
                                note=spec.unchanged[lang],
                            )
                break

        # One serious event: an allergic reaction in the clinic, the session's main lot suspected.
        if not events.filter(serious=True).exists():
            # A few days ago (a history of follow-ups, not yet due for review), else the nearest.
            left = [r for r in candidates if r.pk not in used and day_of(r) < self.today]
            recent = [r for r in left if 3 <= (self.today - day_of(r)).days <= 6]
            pool = recent or left or [r for r in candidates if r.pk not in used]
            if pool:
                record = (
                    pool[-1]
                    if recent or not left
                    else min(left, key=lambda r: abs((self.today - day_of(r)).days - 4))
                )
                used.add(record.pk)
                self._serious(rng, record)

        # A couple of recent mild events still open (not yet due for review).
        open_mild = events.filter(status=EventStatus.OPEN, serious=False, overdue_since__isnull=True)
        missing = OPEN_RECENT - sum(1 for e in open_mild if not policy.overdue_since(e, today=self.today))
        recent = [r for r in reversed(candidates) if r.pk not in used and (self.today - day_of(r)).days <= 5]
        for record in recent[: max(0, missing)]:
            used.add(record.pk)
            term = "bruising_haematoma" if rng.random() < 0.6 else "erythema_oedema"
            spec = TERMS[term]
            doctor = self._practitioner(record.appointment)
            event = self._report(
                record,
                doctor,
                signed_at(record) + 2 * MINUTE,
                term=term,
                grade=Grade.MILD,
                onset=day_of(record),
                description=spec.description,
                action=spec.action,
            )
            if self.now - signed_at(record) > dt.timedelta(days=1):
                self._follow_ups(
                    rng, event, signed_at(record), self.now - MINUTE, 1, spec.improving, spec.unchanged
                )

    def _serious(self, rng: random.Random, record: SessionRecord) -> None:
        doctor = self._practitioner(record.appointment)
        auditor = doctor.auditor(self.clinic)
        lang = _lang(doctor.user)
        day = timezone.localtime(record.appointment.starts_at).date()
        volumes = {c.product_id: c.volume_ml for c in record.formulation_version.components.all()}
        lines = sorted(record.lots.select_related("lot"), key=lambda line: -volumes.get(line.product_id, 0))
        reported = min(timezone.localtime(record.signed_at) + dt.timedelta(minutes=25), self.now - MINUTE)
        event = self._report(
            record,
            doctor,
            reported,
            term="allergic_reaction",
            grade=Grade.SEVERE,
            onset=day,
            description=SERIOUS["description"],
            action=SERIOUS["action"],
            serious=True,
            lots=[lines[0].lot] if lines else None,
        )
        notes = SERIOUS["follow_ups"]
        for days, hour, note in ((1, 10, notes[0]), (3, 12, notes[1]), (5, 13, notes[2])):
            at = self._at(day + dt.timedelta(days=days), hour, rng.randint(0, 59))
            if at >= self.now:
                break
            with _travel(at):
                safety.adverse_event_follow_up(
                    event=event, auditor=auditor, trend=Trend.IMPROVING, note=note[lang]
                )
        resolved_on = day + dt.timedelta(days=5)
        settle_at = self._at(resolved_on, 15, 30)  # after that day's visit
        if settle_at < self.now:
            with _travel(settle_at):
                safety.adverse_event_resolve(
                    event=event,
                    auditor=auditor,
                    resolved_on=resolved_on,
                    outcome=Outcome.RECOVERED,
                    note=SERIOUS["resolved"][lang],
                )
