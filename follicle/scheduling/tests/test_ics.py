"""The hand-written iCalendar text, parsed back by the `icalendar` library."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from django.utils import timezone, translation

from follicle.scheduling import ics
from follicle.scheduling.models import (
    Appointment,
    AppointmentStatus,
    AppointmentStatusChange,
    AppointmentType,
    Room,
)


def make_appointment(
    clinic, patient, practitioner, *, starts_in=dt.timedelta(days=3), minutes=45, code="session", **fields
):
    """An appointment written straight to the database (the booking services are not needed)."""
    kind, _created = AppointmentType.objects.get_or_create(
        clinic=clinic,
        code=code,
        defaults={"name": dict(AppointmentType.Code.choices)[code], "default_minutes": minutes},
    )
    room, _created = Room.objects.get_or_create(clinic=clinic, name="Room 1")
    starts_at = fields.pop("starts_at", None) or (timezone.now() + starts_in).replace(microsecond=0)
    return Appointment.objects.create(
        clinic=clinic,
        patient=patient,
        practitioner=practitioner,
        room=room,
        type=kind,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=minutes),
        **fields,
    )


def parse(text: str) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(text)


def only_event(calendar: icalendar.Calendar) -> icalendar.Event:
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    return events[0]


# --- the primitives -------------------------------------------------------------------------


def test_escape_text():
    assert ics.escape_text("a, b; c\\d\ne\r\nf") == "a\\, b\\; c\\\\d\\ne\\nf"


def test_fold_keeps_lines_within_75_octets_and_never_splits_a_greek_letter():
    line = "SUMMARY:" + "Συνεδρία μεσοθεραπείας τριχωτού κεφαλής " * 5
    folded = ics.fold(line)
    physical = folded.split("\r\n")
    assert len(physical) > 1
    for index, part in enumerate(physical):
        encoded = part.encode("utf-8")  # would raise if a character had been cut in half
        assert len(encoded) <= 75
        if index:
            assert part.startswith(" ")
    assert "".join(p[1:] if i else p for i, p in enumerate(physical)) == line


def test_short_line_is_not_folded():
    assert ics.fold("UID:x@follicle") == "UID:x@follicle"
    exactly = "X" * 75
    assert ics.fold(exactly) == exactly
    assert ics.fold(exactly + "Y") == exactly + "\r\n Y"


def test_format_utc():
    athens = dt.datetime(2025, 7, 1, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=3)))
    assert ics.format_utc(athens) == "20250701T073000Z"


# --- a patient's appointment --------------------------------------------------------------


@pytest.fixture
def appointment(clinic, personas, make_patient):
    clinic.address = "Λεωφόρος Κηφισίας 10, Αθήνα\n115 26"
    clinic.phone = "+30 210 000 0000"
    clinic.save()
    patient = make_patient(email="eleni@example.org", language="el")
    return make_appointment(clinic, patient, personas["practitioner"])


@pytest.mark.django_db
def test_patient_ics_parses_back_with_all_fields(appointment):
    text = ics.appointment_ics(appointment)
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")  # CRLF line endings only
    calendar = parse(text)
    assert str(calendar["PRODID"]) == "-//Follicle//EN"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["METHOD"]) == "PUBLISH"
    event = only_event(calendar)
    assert str(event["UID"]) == f"{appointment.uuid}@follicle"
    assert event.decoded("DTSTART") == appointment.starts_at
    assert event.decoded("DTEND") == appointment.ends_at
    assert event.decoded("DTSTART").utcoffset() == dt.timedelta(0)
    assert "DTSTART:" in text and text.split("DTSTART:")[1].split("\r\n")[0].endswith("Z")
    assert event["DTSTAMP"] is not None
    assert str(event["STATUS"]) == "CONFIRMED"
    assert int(event["SEQUENCE"]) == 0
    # The clinic's address, with its comma escaped in the text and restored by the parser.
    assert str(event["LOCATION"]) == "Athens, Λεωφόρος Κηφισίας 10, Αθήνα 115 26"
    assert "Λεωφόρος Κηφισίας 10\\, Αθήνα" in text
    assert "+30 210 000 0000" in str(event["DESCRIPTION"])


@pytest.mark.django_db
def test_patient_summary_is_in_the_active_language(appointment):
    with translation.override("en"):
        event = only_event(parse(ics.appointment_ics(appointment)))
    assert str(event["SUMMARY"]) == "Mesotherapy session at Athens"


@pytest.mark.django_db
def test_greek_text_round_trips_through_folding(appointment):
    patient = appointment.patient
    patient.first_name, patient.last_name = "Αικατερίνη-Παναγιώτα", "Παπαδοπούλου-Χατζηγεωργίου"
    patient.save()
    kind = appointment.type
    kind.name = "Μεσοθεραπεία τριχωτού; δερμοσκόπηση, φωτογραφίες \\ σημειώσεις"
    kind.save()
    text = ics.practitioner_feed_ics([appointment], name="Follicle · Αθήνα")
    for physical in text.split("\r\n"):
        assert len(physical.encode("utf-8")) <= 75
    assert any(line.startswith(" ") for line in text.split("\r\n"))  # something was folded
    calendar = parse(text)
    event = only_event(calendar)
    assert str(event["SUMMARY"]) == f"{patient.full_name} – {kind.name}"
    assert str(calendar["X-WR-CALNAME"]) == "Follicle · Αθήνα"
    assert f"Record number: {patient.record_number}" in str(event["DESCRIPTION"]).replace("\r", "")


@pytest.mark.django_db
def test_escaping_of_commas_semicolons_backslashes_and_newlines(appointment):
    appointment.clinic.name = "Hair; Scalp, \\ Co"
    appointment.clinic.address = "Line one\nLine two"
    lines = ics.event(
        uid="x@follicle",
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        summary="A, B; C \\ D",
        description="first line\nsecond, line",
        location=ics.clinic_location(appointment.clinic),
    )
    event = only_event(parse(ics.calendar([lines])))
    assert str(event["SUMMARY"]) == "A, B; C \\ D"
    assert str(event["DESCRIPTION"]) == "first line\nsecond, line"
    assert str(event["LOCATION"]) == "Hair; Scalp, \\ Co, Line one Line two"


@pytest.mark.django_db
def test_cancelled_and_moved_appointment(appointment, personas):
    old_start = appointment.starts_at
    appointment.starts_at += dt.timedelta(days=1)
    appointment.ends_at += dt.timedelta(days=1)
    appointment.save()
    AppointmentStatusChange.objects.create(
        appointment=appointment,
        from_status="booked",
        to_status="booked",
        old_starts_at=old_start,
        new_starts_at=appointment.starts_at,
    )
    appointment.status = AppointmentStatus.CANCELLED
    appointment.save()
    AppointmentStatusChange.objects.create(
        appointment=appointment, from_status="booked", to_status="cancelled"
    )
    event = only_event(parse(ics.appointment_ics(appointment)))
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 2
    assert event.decoded("DTSTART") == appointment.starts_at
