"""Form rendering shared by every app (Bootstrap classes, inline errors) and the clinic forms."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.forms.boundfield import BoundField
from django.forms.renderers import TemplatesSetting
from django.utils.translation import gettext_lazy as _

from follicle.core.models import Clinic, ClosedDay, OpeningHours


class FormRenderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


def _widget_class(widget: forms.Widget) -> str:
    if isinstance(widget, forms.CheckboxInput):
        return "form-check-input"
    if isinstance(widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)):
        return "form-check-input"  # applied to each option's input
    if isinstance(widget, (forms.Select, forms.SelectMultiple)):
        return "form-select"
    return "form-control"


class StyledBoundField(BoundField):
    """Give widgets Bootstrap's classes at render time, and mark invalid ones (Django adds aria-invalid)."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        classes = [widget.attrs.get("class", ""), _widget_class(widget)]
        if self.errors:
            classes.append("is-invalid")
        attrs["class"] = " ".join(c for c in classes if c)
        return attrs


class StyledForm(forms.Form):
    bound_field_class = StyledBoundField


class StyledModelForm(forms.ModelForm):
    bound_field_class = StyledBoundField


class ClinicForm(StyledModelForm):
    class Meta:
        model = Clinic
        fields = ["name", "address", "phone", "email", "language"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}


class OpeningHoursForm(StyledForm):
    """The week's hours as one form: for each weekday open/closed and the interval."""

    def __init__(self, *args, clinic: Clinic, **kwargs):
        super().__init__(*args, **kwargs)
        current = {h.weekday: h for h in clinic.opening_hours.all()}
        self.days = []
        for value, label in OpeningHours.Weekday.choices:
            row = current.get(value)
            self.fields[f"open_{value}"] = forms.BooleanField(
                label=_("Open on %(day)s") % {"day": label},
                required=False,
                initial=row is not None,
            )
            self.fields[f"opens_{value}"] = forms.TimeField(
                label=_("%(day)s opens at") % {"day": label},
                required=False,
                initial=row.opens_at if row else dt.time(9, 0),
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            )
            self.fields[f"closes_{value}"] = forms.TimeField(
                label=_("%(day)s closes at") % {"day": label},
                required=False,
                initial=row.closes_at if row else dt.time(17, 0),
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            )
            self.days.append((value, label))

    def rows(self):
        for value, label in self.days:
            yield {
                "label": label,
                "open": self[f"open_{value}"],
                "opens": self[f"opens_{value}"],
                "closes": self[f"closes_{value}"],
            }

    def clean(self):
        cleaned = super().clean()
        hours = {}
        for value, label in self.days:
            if not cleaned.get(f"open_{value}"):
                hours[value] = None
                continue
            opens, closes = cleaned.get(f"opens_{value}"), cleaned.get(f"closes_{value}")
            if opens is None or closes is None:
                self.add_error(
                    f"opens_{value}", _("Give both times for %(day)s, or mark it closed.") % {"day": label}
                )
                continue
            if closes <= opens:
                self.add_error(f"closes_{value}", _("%(day)s must close after it opens.") % {"day": label})
                continue
            hours[value] = (opens, closes)
        cleaned["hours"] = hours
        return cleaned


class ClosedDayForm(StyledModelForm):
    class Meta:
        model = ClosedDay
        fields = ["date", "reason"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, clinic: Clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic

    def clean_date(self):
        date = self.cleaned_data["date"]
        if ClosedDay.objects.filter(clinic=self.clinic, date=date).exists():
            raise forms.ValidationError(_("This date is already marked as closed."))
        return date


class AuditFilterForm(StyledForm):
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    user = forms.TypedChoiceField(label=_("User"), required=False, coerce=int, empty_value=None)
    patient = forms.UUIDField(label=_("Patient ID"), required=False)
    action = forms.ChoiceField(label=_("Action"), required=False)

    def __init__(self, *args, users, actions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [("", _("Anyone"))] + [(u.pk, u.username) for u in users]
        self.fields["action"].choices = [("", _("Any action"))] + [(a, a) for a in actions]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned


class TestEmailForm(StyledForm):
    recipient = forms.EmailField(label=_("Send a test e-mail to"))


def add_service_errors(form: forms.Form, exc) -> None:
    """Show a service's ValidationError on the form: by field where it names one, else on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
