"""iCalendar (RFC 5545) text for appointments, written by hand: no runtime dependency.

Two uses: the .ics file attached to a patient's reminder e-mail (one event, METHOD:PUBLISH — a
one-way notice, not a meeting invitation the patient could answer), and a practitioner's private
feed (all their events in a window, METHOD:PUBLISH).

Times are written in UTC ("Z"), so no VTIMEZONE is needed. Text values are escaped (backslash,
comma, semicolon, newline), lines end with CRLF and are folded at 75 octets without splitting a
UTF-8 character (Greek letters are two octets each).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _

from follicle.scheduling.models import Appointment, AppointmentStatus

PRODID = "-//Follicle//EN"
CRLF = "\r\n"
MAX_OCTETS = 75

PATIENT = "patient"
PRACTITIONER = "practitioner"


def escape_text(value: object) -> str:
    """A TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and newlines escaped."""
    text = str(value or "")
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold one content line at 75 octets (§3.1); continuation lines start with a space.

    Splits only between characters, never inside a UTF-8 sequence. Returns the folded line
    without the final CRLF.
    """
    parts: list[str] = []
    current: list[str] = []
    size = 0
    limit = MAX_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append("".join(current))
            current, size = [], 0
            limit = MAX_OCTETS - 1  # the leading space of a continuation line counts
        current.append(char)
        size += width
    parts.append("".join(current))
    return (CRLF + " ").join(parts)


def format_utc(value: dt.datetime) -> str:
    """A DATE-TIME in UTC form: 20250501T073000Z."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _line(name: str, value: str) -> str:
    return fold(f"{name}:{value}")


def calendar(event_blocks: Iterable[list[str]], *, name: str = "", method: str = "PUBLISH") -> str:
    """A VCALENDAR around already-built VEVENT blocks (lists of unfolded content lines)."""
    lines = [
        "BEGIN:VCALENDAR",
        f"PRODID:{PRODID}",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
    ]
    if name:
        lines += [
            f"X-WR-CALNAME:{escape_text(name)}",
            "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
            "X-PUBLISHED-TTL:PT1H",
        ]
    for block in event_blocks:
        lines += block
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)


def event(
    *,
    uid: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    summary: str,
    location: str = "",
    description: str = "",
    cancelled: bool = False,
    sequence: int = 0,
    stamp: dt.datetime | None = None,
    created: dt.datetime | None = None,
) -> list[str]:
    """One VEVENT as unfolded content lines (folding happens when the calendar is written)."""
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{format_utc(stamp or timezone.now())}",
        f"DTSTART:{format_utc(starts_at)}",
        f"DTEND:{format_utc(ends_at)}",
        f"SEQUENCE:{max(int(sequence), 0)}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        f"SUMMARY:{escape_text(summary)}",
    ]
    if created is not None:
        lines.append(f"CREATED:{format_utc(created)}")
    if location:
        lines.append(f"LOCATION:{escape_text(location)}")
    if description:
        lines.append(f"DESCRIPTION:{escape_text(description)}")
    lines += ["TRANSP:OPAQUE", "END:VEVENT"]
    return lines


def appointment_uid(appointment: Appointment) -> str:
    return f"{appointment.uuid}@follicle"


def clinic_location(clinic) -> str:
    address = " ".join(part.strip() for part in (clinic.address or "").splitlines() if part.strip())
    return f"{clinic.name}, {address}" if address else clinic.name


def appointment_sequence(appointment: Appointment) -> int:
    """Bumped by every status change or move, so calendar programs replace their copy."""
    annotated = getattr(appointment, "history_count", None)
    if annotated is not None:
        return annotated
    return appointment.status_changes.count()


def _practitioner_name(appointment: Appointment) -> str:
    user = appointment.practitioner
    return user.get_full_name() or user.get_username()


def appointment_event(appointment: Appointment, *, audience: str = PATIENT, stamp=None) -> list[str]:
    """The VEVENT for an appointment, worded for the patient or for the practitioner's own feed.

    Patient wording uses the active language (callers wrap it in translation.override), and the
    kind of appointment (translated) rather than the clinic's own type name.
    """
    clinic = appointment.clinic
    cancelled = appointment.status == AppointmentStatus.CANCELLED
    if audience == PATIENT:
        summary = _("%(type)s at %(clinic)s") % {
            "type": appointment.type.get_code_display(),
            "clinic": clinic.name,
        }
        description_parts = [
            _("With %(practitioner)s.") % {"practitioner": _practitioner_name(appointment)},
        ]
        if clinic.phone:
            description_parts.append(
                _("If you cannot come, please call us on %(phone)s.") % {"phone": clinic.phone}
            )
        description = "\n".join(description_parts)
    else:
        patient = appointment.patient
        summary = f"{patient.full_name} – {appointment.type.name}"
        description_parts = [
            f"{_('Record number')}: {patient.record_number}",
            f"{_('Status')}: {appointment.get_status_display()}",
        ]
        if appointment.room_id:
            description_parts.append(f"{_('Room')}: {appointment.room.name}")
        description = "\n".join(description_parts)
    return event(
        uid=appointment_uid(appointment),
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        summary=summary,
        location=clinic_location(clinic),
        description=description,
        cancelled=cancelled,
        sequence=appointment_sequence(appointment),
        stamp=stamp,
        created=appointment.created_at,
    )


def appointment_ics(appointment: Appointment) -> str:
    """The .ics file for a patient's reminder: one event, METHOD:PUBLISH."""
    return calendar([appointment_event(appointment, audience=PATIENT)], method="PUBLISH")


def practitioner_feed_ics(appointments: Iterable[Appointment], *, name: str) -> str:
    """A practitioner's feed: every given appointment, in their words."""
    stamp = timezone.now()
    return calendar(
        (appointment_event(a, audience=PRACTITIONER, stamp=stamp) for a in appointments),
        name=name,
        method="PUBLISH",
    )
