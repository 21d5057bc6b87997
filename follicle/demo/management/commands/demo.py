"""`follicle demo`: demo clinics, staff and patients, created through the same services real use goes through.

Staff are created by the system; everything patients go through (registration, history, consents,
assessment, screening) is done as the clinic's demo staff, so the audit trail reads like real use.
After the patients, each clinic gets its products, lots, formulations and protocol templates, and
most screened patients a treatment plan at some stage (follicle/demo/treatments.py). Last, each
clinic gets its appointment types, rooms and practitioners' hours, and a month of appointments
around today: plan sessions, consultations, follow-ups and photo visits, past ones settled
(done, no-shows, cancellations) as reception and the practitioners would
(follicle/demo/appointments.py); the plan sessions that have begun are then checked in,
safety-checked, recorded (lots, injections) and signed, some followed by adverse events
(follicle/demo/sessions.py).
"""

from __future__ import annotations

import datetime as dt
import os

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from follicle.accounts import services as account_services
from follicle.accounts.models import Membership, User
from follicle.accounts.roles import Role
from follicle.core import services as core_services
from follicle.core.audit import Auditor
from follicle.core.models import Clinic
from follicle.demo.appointments import AppointmentSummary, DemoAppointments
from follicle.demo.holidays import greek_public_holidays
from follicle.demo.patients import DemoPatients, Summary
from follicle.demo.sessions import DemoSessions, SessionSummary
from follicle.demo.treatments import DemoTreatments, HardStop, TreatmentSummary
from follicle.patients.models import Patient
from follicle.reference.models import ReferenceEntry
from follicle.reference.services import reference_load

CLINICS = {
    "Athens": {
        "address": "Leoforos Vasilissis Sofias 45, 106 76 Athens",
        "phone": "+30 210 000 0000",
        "email": "athens@follicle.invalid",
        "hours": {d: (dt.time(9), dt.time(20)) for d in range(5)} | {5: (dt.time(10), dt.time(15))},
    },
    "Thessaloniki": {
        "address": "Tsimiski 60, 546 23 Thessaloniki",
        "phone": "+30 2310 000 000",
        "email": "thessaloniki@follicle.invalid",
        "hours": {d: (dt.time(10), dt.time(19)) for d in range(5)},
    },
}

# username, first name, last name, language, [(clinic, role)]
STAFF = [
    ("admin.athens", "Ελένη", "Παπαδοπούλου", "el", [("Athens", Role.ADMIN)]),
    ("doctor.athens", "Νίκος", "Γεωργίου", "el", [("Athens", Role.PRACTITIONER)]),
    ("nurse.athens", "Μαρία", "Κωνσταντίνου", "el", [("Athens", Role.NURSE)]),
    ("reception.athens", "Σοφία", "Δημητρίου", "el", [("Athens", Role.RECEPTIONIST)]),
    ("admin.thessaloniki", "Γιώργος", "Ιωαννίδης", "el", [("Thessaloniki", Role.ADMIN)]),
    ("doctor.thessaloniki", "Κατερίνα", "Βασιλείου", "el", [("Thessaloniki", Role.PRACTITIONER)]),
    (
        "locum.doctor",
        "Alex",
        "Morgan",
        "en",
        [("Athens", Role.PRACTITIONER), ("Thessaloniki", Role.PRACTITIONER)],
    ),
]


def demo_password() -> str:
    return os.environ.get("FOLLICLE_DEMO_PASSWORD") or "follicle-demo"


class Command(BaseCommand):
    help = (
        "Create the demo clinics (Athens, Thessaloniki), their staff and patients (histories, consents, "
        "assessments, screenings), products, lots, formulations, protocol templates, treatment plans and "
        "a month of appointments with their session records and adverse events, then print the demo logins."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (but print the logins) when the database already has clinics.",
        )
        parser.add_argument(
            "--patients",
            type=int,
            default=200,
            metavar="N",
            help="Patients per demo clinic (default 200; 0 for none). A clinic that has fewer is topped up.",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=1,
            help="Seed of the patient generator: the same seed, the same people.",
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not show a progress bar.")

    def handle(self, *args, if_empty: bool, patients: int, seed: int, no_progress: bool, **options):
        if patients < 0:
            raise CommandError("--patients must be 0 or more.")
        if if_empty and Clinic.objects.exists():
            self.stdout.write("The database already has data: kept as it is.")
        else:
            self._create()
            if patients:
                self._create_patients(patients, seed=seed, progress=not no_progress)
                self._create_treatments(seed=seed, progress=not no_progress)
                self._create_appointments(seed=seed, progress=not no_progress)
        self._print_logins()

    @transaction.atomic
    def _create(self) -> None:
        auditor = Auditor.system(label="system:demo")
        clinics = {}
        today = timezone.localdate()
        for name, info in CLINICS.items():
            clinic, _ = Clinic.objects.get_or_create(name=name, defaults={"language": "el"})
            core_services.clinic_update(
                clinic=clinic,
                auditor=auditor,
                address=info["address"],
                phone=info["phone"],
                email=info["email"],
                language="el",
            )
            core_services.opening_hours_set(clinic=clinic, auditor=auditor, hours=info["hours"])
            for year in (today.year, today.year + 1):
                for date, reason in greek_public_holidays(year):
                    if date >= today and not clinic.closed_days.filter(date=date).exists():
                        core_services.closed_day_add(clinic=clinic, auditor=auditor, date=date, reason=reason)
            clinics[name] = clinic
        for username, first, last, language, places in STAFF:
            for clinic_name, role in places:
                clinic = clinics[clinic_name]
                if Membership.objects.filter(user__username=username, clinic=clinic).exists():
                    continue
                account_services.staff_create(
                    clinic=clinic,
                    auditor=Auditor.system(clinic=clinic, label="system:demo"),
                    username=username,
                    email=f"{username}@follicle.invalid",
                    first_name=first,
                    last_name=last,
                    role=role,
                    language=language,
                    password=demo_password(),
                    send_invite=False,
                )
        self.stdout.write(self.style.SUCCESS("Demo clinics and staff created."))

    def _create_patients(self, count: int, *, seed: int, progress: bool) -> None:
        if not ReferenceEntry.objects.exists():
            report = reference_load(auditor=Auditor.system(label="system:load-reference"))
            self.stdout.write(
                f"The reference catalogue was empty: loaded it ({len(report.datasets)} datasets), "
                "as `follicle load-reference` would."
            )
        for name in CLINICS:
            clinic = Clinic.objects.get(name=name)
            existing = Patient.objects.filter(clinic=clinic).count()
            if existing >= count:
                self.stdout.write(f"{name}: already has {existing} patients, none added.")
                continue
            try:
                generator = DemoPatients(clinic, seed=seed)
            except ValueError as exc:  # no practitioner in the clinic
                raise CommandError(str(exc)) from exc
            visits = generator.visit_times(count)
            summary = Summary(clinic=name)
            with tqdm(
                total=count,
                initial=existing,
                desc=name,
                unit="patient",
                file=self.stderr._out,
                disable=not progress,
            ) as bar:
                for index in range(existing, count):
                    try:
                        summary.add(generator.create(index, visits[index]))  # one transaction each
                    except Exception as exc:
                        raise CommandError(
                            f"{name}: demo patient {index + 1} failed ({exc!r}); the {index} before it "
                            "are kept, run the command again to add the rest."
                        ) from exc
                    bar.update(1)
            self.stdout.write(self.style.SUCCESS(summary.line()))

    def _create_treatments(self, *, seed: int, progress: bool) -> None:
        """Each clinic's products, lots, formulations and protocol templates, then plans for its
        patients who have none yet (one transaction each)."""
        for name in CLINICS:
            clinic = Clinic.objects.get(name=name)
            generator = DemoTreatments(clinic, seed=seed)
            try:
                generator.setup()
            except Exception as exc:
                raise CommandError(f"{name}: demo products and formulations failed ({exc!r}).") from exc
            patients = generator.candidates()
            summary = TreatmentSummary(clinic=name)
            with tqdm(
                total=len(patients),
                desc=f"{name} plans",
                unit="patient",
                file=self.stderr._out,
                disable=not progress,
            ) as bar:
                for done, patient in enumerate(patients):
                    try:
                        summary.add(generator.create(patient))  # one transaction each
                    except HardStop:
                        summary.skipped += 1
                    except Exception as exc:
                        raise CommandError(
                            f"{name}: demo plan for patient {patient.record_number} failed ({exc!r}); "
                            f"the {done} before it are kept, run the command again to add the rest."
                        ) from exc
                    bar.update(1)
            self.stdout.write(self.style.SUCCESS(summary.line(clinic)))

    def _create_appointments(self, *, seed: int, progress: bool) -> None:
        """Each clinic's appointment types, rooms, practitioners' hours and absence, then about two
        weeks back and two ahead of appointments (one transaction each); a second run adds only
        what is missing."""
        for name in CLINICS:
            clinic = Clinic.objects.get(name=name)
            generator = DemoAppointments(clinic, seed=seed)
            try:
                generator.setup()
            except Exception as exc:
                raise CommandError(
                    f"{name}: demo rooms, hours and appointment types failed ({exc!r})."
                ) from exc
            visits = generator.visits()
            summary = AppointmentSummary(clinic=name)
            with tqdm(
                total=len(visits),
                desc=f"{name} appointments",
                unit="visit",
                file=self.stderr._out,
                disable=not progress,
            ) as bar:
                for done, visit in enumerate(visits):
                    try:
                        generator.book(visit, summary)  # one transaction each
                    except Exception as exc:
                        raise CommandError(
                            f"{name}: demo {visit.code} of patient {visit.patient.record_number} on "
                            f"{visit.day} failed ({exc!r}); the {done} before it are kept, run the command "
                            "again to add the rest."
                        ) from exc
                    bar.update(1)
            sessions = self._create_sessions(clinic, seed=seed, progress=progress)
            self.stdout.write(self.style.SUCCESS(summary.line(clinic, generator.first, generator.last)))
            self.stdout.write(self.style.SUCCESS(sessions.line(clinic)))

    def _create_sessions(self, clinic: Clinic, *, seed: int, progress: bool) -> SessionSummary:
        """The clinic's plan sessions that have begun, still booked: checked in, safety-checked,
        recorded and signed as far as they have got by now (one transaction each); then the
        clinic's adverse-event dashboard (follicle/demo/sessions.py)."""
        name = clinic.name
        try:
            generator = DemoSessions(clinic, seed=seed)
        except RuntimeError as exc:  # time-machine missing
            raise CommandError(f"{name}: {exc}") from exc
        appointments = generator.appointments()
        summary = SessionSummary(clinic=name)
        with tqdm(
            total=len(appointments),
            desc=f"{name} sessions",
            unit="session",
            file=self.stderr._out,
            disable=not progress,
        ) as bar:
            for done, appointment in enumerate(appointments):
                try:
                    generator.record(appointment, summary)  # one transaction each
                except Exception as exc:
                    raise CommandError(
                        f"{name}: demo session record of patient {appointment.patient.record_number} on "
                        f"{timezone.localtime(appointment.starts_at):%Y-%m-%d %H:%M} failed ({exc!r}); the "
                        f"{done} before it are kept, run the command again to record the rest."
                    ) from exc
                bar.update(1)
        try:
            generator.finish()
        except Exception as exc:
            raise CommandError(f"{name}: demo adverse events failed ({exc!r}).") from exc
        return summary

    def _print_logins(self) -> None:
        users = {u.username: u for u in User.objects.filter(username__in=[s[0] for s in STAFF])}
        if not users:
            return
        password = "$FOLLICLE_DEMO_PASSWORD" if os.environ.get("FOLLICLE_DEMO_PASSWORD") else "follicle-demo"
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password: {password}):")
        for username, _first, _last, _lang, places in STAFF:
            if username in users:
                where = ", ".join(f"{role.label} in {clinic}" for clinic, role in places)
                self.stdout.write(f"  {username:<22} {where}")
        self.stdout.write("")
