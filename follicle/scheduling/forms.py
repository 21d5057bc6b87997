"""Input shapes for the scheduling pages. They never write; the views hand clean data to services."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from follicle.core.forms import StyledForm, StyledModelForm
from follicle.core.models import Clinic, OpeningHours
from follicle.patients.selectors import patient_list
from follicle.scheduling import selectors
from follicle.scheduling.models import AppointmentStatus, AppointmentType, Room, SchedulingSettings

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.username


class PatientChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.last_name} {obj.first_name} · {obj.record_number}"


class _WhenMixin:
    """A date and a time; a free-slot radio button ("slot", HH:MM) wins over the typed time."""

    def clean(self):
        cleaned = super().clean()
        slot = (self.data.get("slot") or "").strip()
        if slot:
            try:
                cleaned["time"] = dt.time.fromisoformat(slot)
            except ValueError:
                self.add_error("time", _("Choose a time."))
        day, time = cleaned.get("date"), cleaned.get("time")
        if day and time:
            cleaned["starts_at"] = dt.datetime.combine(day, time, tzinfo=timezone.get_current_timezone())
        elif day and "time" not in self.errors:
            self.add_error("time", _("Choose a free slot or type a time."))
        return cleaned


class BookForm(_WhenMixin, StyledForm):
    patient = PatientChoiceField(label=_("Patient"), queryset=None, to_field_name="uuid")
    type = forms.ModelChoiceField(label=_("Kind"), queryset=None, to_field_name="code")
    practitioner = PersonChoiceField(label=_("Practitioner"), queryset=None, to_field_name="uuid")
    room = forms.ModelChoiceField(label=_("Room"), queryset=None, to_field_name="uuid", required=False)
    date = forms.DateField(label=_("Date"), widget=DATE)
    time = forms.TimeField(label=_("Time"), widget=TIME, required=False)
    minutes = forms.IntegerField(
        label=_("Length (minutes)"),
        min_value=5,
        max_value=480,
        required=False,
        help_text=_("Empty: the kind's default length."),
    )
    notes = forms.CharField(
        label=_("Notes for the front desk"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, clinic: Clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = patient_list(clinic=clinic).order_by("last_name", "first_name")
        self.fields["type"].queryset = selectors.appointment_type_list(clinic=clinic)
        self.fields["practitioner"].queryset = selectors.practitioner_list(clinic=clinic)
        self.fields["room"].queryset = selectors.room_list(clinic=clinic)


class MoveForm(_WhenMixin, StyledForm):
    practitioner = PersonChoiceField(label=_("Practitioner"), queryset=None, to_field_name="uuid")
    room = forms.ModelChoiceField(label=_("Room"), queryset=None, to_field_name="uuid", required=False)
    date = forms.DateField(label=_("New date"), widget=DATE)
    time = forms.TimeField(label=_("New time"), widget=TIME, required=False)

    def __init__(self, *args, clinic: Clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = selectors.practitioner_list(clinic=clinic)
        self.fields["room"].queryset = selectors.room_list(clinic=clinic)


class StatusForm(StyledForm):
    status = forms.ChoiceField(label=_("New status"), choices=AppointmentStatus.choices)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class SeriesForm(StyledForm):
    practitioner = PersonChoiceField(label=_("Practitioner"), queryset=None, to_field_name="uuid")
    room = forms.ModelChoiceField(label=_("Room"), queryset=None, to_field_name="uuid", required=False)
    preferred = forms.TimeField(label=_("Preferred time of day"), widget=TIME, required=False)

    def __init__(self, *args, clinic: Clinic, sessions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = selectors.practitioner_list(clinic=clinic)
        self.fields["room"].queryset = selectors.room_list(clinic=clinic)
        self.sessions = list(sessions)
        for session in self.sessions:
            self.fields[f"at_{session.number}"] = forms.DateTimeField(
                label=_("Session %(n)s") % {"n": session.number},
                required=False,
                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            )

    def times(self) -> list[dt.datetime]:
        """The times typed for the sessions, in order, up to the first left empty."""
        found = []
        for session in self.sessions:
            value = self.cleaned_data.get(f"at_{session.number}")
            if value is None:
                break
            found.append(value)
        return found

    def time_fields(self):
        return [(s, self[f"at_{s.number}"]) for s in self.sessions]


class RoomForm(StyledModelForm):
    class Meta:
        model = Room
        fields = ["name", "is_active"]


class AppointmentTypeForm(StyledModelForm):
    class Meta:
        model = AppointmentType
        fields = ["name", "default_minutes", "needs_room"]


class SchedulingSettingsForm(StyledModelForm):
    class Meta:
        model = SchedulingSettings
        fields = ["slot_minutes", "reminder_hours_before"]


class PractitionerHoursForm(StyledForm):
    """A practitioner's week: for each weekday the clinic opens, working or not and the hours."""

    def __init__(self, *args, clinic: Clinic, rows, **kwargs):
        super().__init__(*args, **kwargs)
        current = {r.weekday: r for r in rows}
        opening = {h.weekday: h for h in clinic.opening_hours.all()}
        self.days = []
        for value, label in OpeningHours.Weekday.choices:
            if value not in opening:
                continue
            row, clinic_hours = current.get(value), opening[value]
            self.fields[f"works_{value}"] = forms.BooleanField(
                label=_("Works on %(day)s") % {"day": label}, required=False, initial=row is not None
            )
            self.fields[f"from_{value}"] = forms.TimeField(
                label=_("%(day)s from") % {"day": label},
                required=False,
                widget=TIME,
                initial=row.starts_at if row else clinic_hours.opens_at,
            )
            self.fields[f"until_{value}"] = forms.TimeField(
                label=_("%(day)s until") % {"day": label},
                required=False,
                widget=TIME,
                initial=row.ends_at if row else clinic_hours.closes_at,
            )
            self.days.append((value, label, clinic_hours))

    def rows(self):
        for value, label, clinic_hours in self.days:
            yield {
                "label": label,
                "clinic": clinic_hours,
                "works": self[f"works_{value}"],
                "from": self[f"from_{value}"],
                "until": self[f"until_{value}"],
            }

    def clean(self):
        cleaned = super().clean()
        hours = {}
        for value, label, _clinic in self.days:
            if not cleaned.get(f"works_{value}"):
                continue
            start, end = cleaned.get(f"from_{value}"), cleaned.get(f"until_{value}")
            if start is None or end is None or end <= start:
                self.add_error(f"until_{value}", _("Give a time range for %(day)s.") % {"day": label})
                continue
            hours[value] = (start, end)
        cleaned["hours"] = hours
        return cleaned


class AbsenceForm(StyledForm):
    start_date = forms.DateField(label=_("From"), widget=DATE)
    end_date = forms.DateField(label=_("Until (inclusive)"), widget=DATE)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=120)


class CalendarForm(StyledForm):
    """What the calendar shows: a day or a week, of one practitioner or one room."""

    view = forms.ChoiceField(choices=[("day", _("Day")), ("week", _("Week"))], required=False)
    date = forms.DateField(required=False, widget=DATE)
    practitioner = forms.UUIDField(required=False)
    room = forms.UUIDField(required=False)
