"""Scheduling pages: today's list, calendars, booking, an appointment, a plan's series, resources.

Every staff role books, moves and checks in ("appointments" rw). What these pages show of a
patient is the schedule only — name, time, kind, status — never a plan's clinical content.
Resources (rooms, hours, kinds, settings) are for admins ("clinic_settings" w).
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from follicle.core.access import require, staff_view
from follicle.core.audit import Auditor
from follicle.core.forms import add_service_errors
from follicle.patients.access import get_patient
from follicle.patients.selectors import patient_list
from follicle.scheduling import selectors, services
from follicle.scheduling.forms import (
    AbsenceForm,
    AppointmentTypeForm,
    BookForm,
    CalendarForm,
    MoveForm,
    PractitionerHoursForm,
    RoomForm,
    SchedulingSettingsForm,
    SeriesForm,
    StatusForm,
)
from follicle.scheduling.models import AppointmentStatus
from follicle.scheduling.panels import appointment_panels
from follicle.treatments.access import get_plan, require_plan_view

PATIENT_OPTIONS = 50  # choices offered at once while typing

ROW_MINUTES = 30  # the calendar's rows; bookings themselves use the clinic's slot grid


def _day(value: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else timezone.localdate()
    except ValueError:
        return timezone.localdate()


def _htmx(request, template: str, partial: str, context: dict):
    response = render(request, f"{template}#{partial}" if request.htmx else template, context)
    response["Vary"] = "HX-Request"
    return response


# --------------------------------------------------------------------------- today
@staff_view("appointments", "r")
def today(request):
    day = _day(request.GET.get("date"))
    appointments = list(selectors.appointment_list(clinic=request.clinic, date_from=day, date_to=day))
    Auditor.from_request(request).log_list(
        "appointment.list", query={"date": day.isoformat(), "page": "today"}, count=len(appointments)
    )
    context = {
        "day": day,
        "previous": day - dt.timedelta(days=1),
        "next": day + dt.timedelta(days=1),
        "appointments": appointments,
        "is_today": day == timezone.localdate(),
    }
    return _htmx(request, "scheduling/today.html", "day", context)


@staff_view("appointments", "w")
@require_POST
def appointment_status(request, uuid):
    appointment = selectors.get_appointment(request, uuid)
    form = StatusForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            appointment = services.appointment_set_status(
                appointment=appointment,
                auditor=Auditor.from_request(request),
                to_status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = _("Choose a status.")
    if request.htmx:
        appointment = selectors.get_appointment(request, uuid)
        return render(request, "scheduling/today.html#row", {"a": appointment, "error": error})
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Status changed to “%(s)s”.") % {"s": appointment.get_status_display()})
    return redirect(request.POST.get("next") or reverse("scheduling:appointment", args=[uuid]))


# --------------------------------------------------------------------------- calendar
def _grid(days: list[dt.date], appointments, availability) -> list[dict]:
    """Rows of ROW_MINUTES from the earliest opening to the latest closing of the days shown."""
    windows = [w for w in (availability.window(d) for d in days) if w]
    tz = timezone.get_current_timezone()
    start = min((w[0] for w in windows), default=dt.time(9))
    end = max((w[1] for w in windows), default=dt.time(17))
    for a in appointments:
        local = timezone.localtime(a.starts_at)
        start = min(start, local.time().replace(minute=local.minute - local.minute % ROW_MINUTES))
        end = max(end, timezone.localtime(a.ends_at).time())
    rows = []
    current = dt.datetime.combine(days[0], start)
    last = dt.datetime.combine(days[0], end)
    while current < last:
        row_start, row_end = current.time(), (current + dt.timedelta(minutes=ROW_MINUTES)).time()
        cells = []
        for day in days:
            begins = dt.datetime.combine(day, row_start, tzinfo=tz)
            ends = begins + dt.timedelta(minutes=ROW_MINUTES)
            window = availability.window(day)
            cells.append(
                {
                    "day": day,
                    "open": bool(window and window[0] <= row_start < window[1]),
                    "items": [a for a in appointments if begins <= a.starts_at < ends],
                }
            )
        rows.append({"time": row_start, "end": row_end, "cells": cells})
        current += dt.timedelta(minutes=ROW_MINUTES)
    return rows


@staff_view("appointments", "r")
def calendar(request):
    form = CalendarForm(request.GET)
    form.is_valid()
    data = form.cleaned_data
    view = data.get("view") or "week"
    day = data.get("date") or timezone.localdate()
    practitioners = list(selectors.practitioner_list(clinic=request.clinic))
    rooms = list(selectors.room_list(clinic=request.clinic))
    room = selectors.get_room(request, data["room"]) if data.get("room") else None
    practitioner = None
    if room is None:
        if data.get("practitioner"):
            practitioner = selectors.get_practitioner(request, data["practitioner"])
        elif practitioners:
            # Practitioners see their own calendar first; others the first practitioner's.
            practitioner = request.user if request.user in practitioners else practitioners[0]
    first = day - dt.timedelta(days=day.weekday()) if view == "week" else day
    days = [first + dt.timedelta(days=i) for i in range(7 if view == "week" else 1)]
    appointments = list(
        selectors.appointment_list(
            clinic=request.clinic, date_from=days[0], date_to=days[-1], practitioner=practitioner, room=room
        ).exclude(status=AppointmentStatus.CANCELLED)
        if practitioner or room
        else []
    )
    availability = selectors.availability(
        clinic=request.clinic, practitioner=practitioner, first=days[0], last=days[-1]
    )
    Auditor.from_request(request).log_list(
        "appointment.calendar",
        query={
            "view": view,
            "date": day.isoformat(),
            "room": str(data.get("room") or ""),
            "practitioner": str(getattr(practitioner, "uuid", "")),
        },
        count=len(appointments),
    )
    step = dt.timedelta(days=7 if view == "week" else 1)
    context = {
        "view": view,
        "day": day,
        "days": days,
        "rows": _grid(days, appointments, availability),
        "practitioners": practitioners,
        "rooms": rooms,
        "practitioner": practitioner,
        "room": room,
        "previous": day - step,
        "next": day + step,
        "today": timezone.localdate(),
    }
    return _htmx(request, "scheduling/calendar.html", "calendar", context)


# --------------------------------------------------------------------------- booking
@staff_view("appointments", "w")
def book(request):
    initial = {"date": _day(request.GET.get("date")), "practitioner": request.GET.get("practitioner")}
    patient = get_patient(request, request.GET["patient"]) if request.GET.get("patient") else None
    if patient is not None:
        initial["patient"] = patient.uuid
    form = BookForm(request.POST or None, clinic=request.clinic, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            appointment = services.appointment_book(
                clinic=request.clinic,
                auditor=Auditor.from_request(request),
                patient=data["patient"],
                practitioner=data["practitioner"],
                type=data["type"],
                starts_at=data["starts_at"],
                minutes=data["minutes"],
                room=data["room"],
                notes=data["notes"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Booked."))
            return redirect("scheduling:appointment", appointment.uuid)
    return render(request, "scheduling/book.html", {"form": form, "patient": patient})


@staff_view("appointments", "r")
def free_slots(request):
    """The free start times of a day as radio buttons (htmx, for the book and move forms)."""
    day = _day(request.GET.get("date"))
    practitioner_id = request.GET.get("practitioner")
    found: list[dt.datetime] = []
    if practitioner_id:
        practitioner = selectors.get_practitioner(request, practitioner_id)
        room = selectors.get_room(request, request.GET["room"]) if request.GET.get("room") else None
        type_code = request.GET.get("type")
        kind = selectors.get_type(request, type_code) if type_code else None
        try:
            minutes = int(request.GET.get("minutes") or 0) or (kind.default_minutes if kind else 30)
        except ValueError:
            minutes = 30
        found = selectors.free_slots(
            clinic=request.clinic, practitioner=practitioner, first=day, minutes=minutes, room=room
        ).get(day, [])
    context = {"slots": found, "asked": bool(practitioner_id), "day": day}
    return render(request, "scheduling/includes/slots.html", context)


@staff_view("appointments", "r")
def appointment_detail(request, uuid):
    appointment = selectors.get_appointment(request, uuid)
    Auditor.from_request(request).log("appointment.view", obj=appointment, patient=appointment.patient)
    local = timezone.localtime(appointment.starts_at)
    move_form = MoveForm(
        request.POST or None,
        clinic=request.clinic,
        initial={
            "practitioner": appointment.practitioner.uuid,
            "room": appointment.room.uuid if appointment.room else None,
            "date": local.date(),
            "time": local.time(),
        },
    )
    if request.method == "POST":
        require(request, "appointments", "w")
        if move_form.is_valid():
            data = move_form.cleaned_data
            try:
                services.appointment_move(
                    appointment=appointment,
                    auditor=Auditor.from_request(request),
                    starts_at=data["starts_at"],
                    practitioner=data["practitioner"],
                    room=data["room"],
                )
            except ValidationError as exc:
                add_service_errors(move_form, exc)
            else:
                messages.success(request, _("Moved."))
                return redirect("scheduling:appointment", uuid)
    context = {
        "a": appointment,
        "move_form": move_form,
        "history": list(selectors.appointment_history(appointment=appointment)),
        "reminders": list(appointment.reminders.order_by("-send_at", "-id")[:5]),
        "allowed": services.allowed_statuses(appointment),
        "minutes": int((appointment.ends_at - appointment.starts_at).total_seconds() // 60),
        "panels": appointment_panels(appointment, request),
    }
    return render(request, "scheduling/appointment_detail.html", context)


# --------------------------------------------------------------------------- a plan's series
@staff_view("appointments", "w")
def plan_book(request, uuid):
    require_plan_view(request)
    plan = get_plan(request, uuid)
    sessions = selectors.sessions_to_book(plan=plan)
    form = SeriesForm(request.POST or None, clinic=request.clinic, sessions=sessions)
    items, booked = None, False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        times = form.times() or services.proposed_times(
            plan=plan, practitioner=data["practitioner"], room=data["room"], preferred=data["preferred"]
        )
        try:
            items = services.appointment_book_series(
                plan=plan,
                auditor=Auditor.from_request(request),
                practitioner=data["practitioner"],
                room=data["room"],
                times=times,
                confirm=bool(request.POST.get("confirm")),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            booked = all(i.appointment for i in items)
            if booked:
                messages.success(request, _("%(n)s sessions booked.") % {"n": len(items)})
                return redirect(reverse("scheduling:plan_book", args=[plan.uuid]))
            form = SeriesForm(
                {
                    **{k: v for k, v in request.POST.items() if not k.startswith("at_")},
                    **{
                        f"at_{i.session.number}": timezone.localtime(i.starts_at).strftime("%Y-%m-%dT%H:%M")
                        for i in items
                    },
                },
                clinic=request.clinic,
                sessions=sessions,
            )
            form.is_valid()
    booked_sessions = list(
        selectors.appointment_list(clinic=request.clinic, patient=plan.patient)
        .filter(planned_session__plan=plan)
        .exclude(status=AppointmentStatus.CANCELLED)
    )
    context = {
        "plan": plan,
        "form": form,
        "items": items,
        "has_conflicts": bool(items) and any(i.conflicts for i in items),
        "booked": booked_sessions,
        "minutes": selectors.session_minutes(plan=plan),
    }
    return render(request, "scheduling/plan_book.html", context)


# --------------------------------------------------------------------------- resources (admins)
@staff_view("clinic_settings", "w")
def resources(request):
    auditor = Auditor.from_request(request)
    room_form = RoomForm(request.POST if request.POST.get("form") == "room" else None, prefix="room")
    settings_form = SchedulingSettingsForm(
        request.POST if request.POST.get("form") == "settings" else None,
        instance=selectors.scheduling_settings_get(clinic=request.clinic),
        prefix="settings",
    )
    if request.method == "POST":
        try:
            if request.POST.get("form") == "defaults":
                created = services.appointment_types_install_defaults(clinic=request.clinic, auditor=auditor)
                messages.success(request, _("%(n)s kinds added.") % {"n": len(created)})
                return redirect("scheduling:resources")
            if request.POST.get("form") == "room" and room_form.is_valid():
                services.room_save(clinic=request.clinic, auditor=auditor, **room_form.cleaned_data)
                messages.success(request, _("Room added."))
                return redirect("scheduling:resources")
            if request.POST.get("form") == "settings" and settings_form.is_valid():
                services.scheduling_settings_update(
                    clinic=request.clinic, auditor=auditor, **settings_form.cleaned_data
                )
                messages.success(request, _("Settings saved."))
                return redirect("scheduling:resources")
        except ValidationError as exc:
            add_service_errors(room_form if request.POST.get("form") == "room" else settings_form, exc)
    context = {
        "rooms": list(selectors.room_list(clinic=request.clinic, include_inactive=True)),
        "types": list(selectors.appointment_type_list(clinic=request.clinic)),
        "practitioners": list(selectors.practitioner_list(clinic=request.clinic)),
        "room_form": room_form,
        "settings_form": settings_form,
    }
    return render(request, "scheduling/resources.html", context)


@staff_view("clinic_settings", "w")
def room_edit(request, uuid):
    room = selectors.get_room(request, uuid)
    form = RoomForm(request.POST or None, instance=room)
    if request.method == "POST" and form.is_valid():
        try:
            services.room_save(
                clinic=request.clinic, auditor=Auditor.from_request(request), room=room, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Room saved."))
            return redirect("scheduling:resources")
    return render(request, "scheduling/resource_form.html", {"form": form, "title": room.name})


@staff_view("clinic_settings", "w")
def type_edit(request, code):
    kind = selectors.get_type(request, code)
    form = AppointmentTypeForm(request.POST or None, instance=kind)
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_type_update(
                type=kind, auditor=Auditor.from_request(request), **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("scheduling:resources")
    return render(request, "scheduling/resource_form.html", {"form": form, "title": kind.get_code_display()})


@staff_view("clinic_settings", "w")
def practitioner_hours(request, uuid):
    practitioner = selectors.get_practitioner(request, uuid)
    auditor = Auditor.from_request(request)
    rows = list(selectors.hours_list(clinic=request.clinic, practitioner=practitioner))
    action = request.POST.get("form")
    hours_form = PractitionerHoursForm(
        request.POST if action == "hours" else None, clinic=request.clinic, rows=rows
    )
    absence_form = AbsenceForm(request.POST if action == "absence" else None)
    try:
        if action == "hours" and hours_form.is_valid():
            services.practitioner_hours_set(
                clinic=request.clinic,
                auditor=auditor,
                practitioner=practitioner,
                hours=hours_form.cleaned_data["hours"],
            )
            messages.success(request, _("Working hours saved."))
            return redirect("scheduling:practitioner_hours", uuid)
        if action == "absence" and absence_form.is_valid():
            services.practitioner_absence_add(
                clinic=request.clinic, auditor=auditor, practitioner=practitioner, **absence_form.cleaned_data
            )
            messages.success(request, _("Days off added."))
            return redirect("scheduling:practitioner_hours", uuid)
        if action == "delete_absence":
            absence = (
                selectors.absence_list(clinic=request.clinic, practitioner=practitioner)
                .filter(pk=request.POST.get("absence") or 0)
                .first()
            )
            if absence is None:
                raise Http404
            services.practitioner_absence_delete(absence=absence, auditor=auditor)
            return redirect("scheduling:practitioner_hours", uuid)
    except ValidationError as exc:
        add_service_errors(hours_form if action == "hours" else absence_form, exc)
    context = {
        "practitioner": practitioner,
        "hours_form": hours_form,
        "absence_form": absence_form,
        "has_rows": bool(rows),
        "absences": list(
            selectors.absence_list(
                clinic=request.clinic, practitioner=practitioner, since=timezone.localdate()
            )
        ),
    }
    return render(request, "scheduling/practitioner_hours.html", context)


@staff_view("appointments", "w")
def patient_options(request):
    """The book form's patient choices for what was typed (name in Greek or Latin, phone, record…)."""
    query = request.GET.get("q", "").strip()[:100]
    patients = list(patient_list(clinic=request.clinic, query=query)[:PATIENT_OPTIONS])
    Auditor.from_request(request).log_list(
        "patient.list", query={"q": query, "for": "booking"}, count=len(patients)
    )
    return render(request, "scheduling/includes/patient_options.html", {"patients": patients, "query": query})
