"""Forms of the treatment room: the safety check and the sections of a session record. They never write."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from follicle.core.forms import StyledForm
from follicle.procedures.models import SafetyCheck, SameDay, SessionRecord, TherapyStatus
from follicle.treatments.models import Zone

TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def plain(value):
    """A decimal as typed: 2.50 → 2.5, 5.00 → 5 (number inputs show what they are given)."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def _model_field(model, name: str, **kwargs) -> forms.Field:
    """The model field's own form field (label, validators, choices), required only if asked."""
    field = model._meta.get_field(name).formfield(**kwargs)
    field.label = capfirst(field.label)
    return field


# --------------------------------------------------------------------------- the safety check
class SafetyCheckForm(StyledForm):
    """The same-day questions (yes / no / not applicable), the medicines and notes."""

    medicines_detail = forms.CharField(
        label=_("Which new medicines or supplements"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed when the answer to new medicines is yes."),
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in reversed(SafetyCheck.QUESTIONS):
            self.fields[name] = forms.ChoiceField(
                label=capfirst(SafetyCheck._meta.get_field(name).verbose_name),
                choices=SameDay.choices,
                widget=forms.RadioSelect,
                error_messages={"required": _("Answer this question.")},
            )
        self.order_fields([*SafetyCheck.QUESTIONS, "medicines_detail", "notes"])

    def questions(self):
        return [self[name] for name in SafetyCheck.QUESTIONS]

    def answers(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in SafetyCheck.QUESTIONS}


class AcknowledgeForm(StyledForm):
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# --------------------------------------------------------------------------- the record's sections
class LotForm(StyledForm):
    """The lot of one product of the formulation, and the vials taken from it."""

    lot = forms.UUIDField(label=_("Lot"), widget=forms.Select)
    vials = forms.IntegerField(label=_("Vials"), min_value=1, max_value=50, initial=1)

    def __init__(self, *args, lots=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lot"].widget.choices = [("", _("Choose a lot"))] + [
            (
                str(lot.uuid),
                _("%(number)s · expires %(date)s · %(left)s left")
                % {
                    "number": lot.lot_number,
                    "date": lot.expiry_date.strftime("%d/%m/%Y"),
                    "left": lot.quantity_left,
                },
            )
            for lot in lots
        ]


class DeliveryForm(StyledForm):
    """How the session was given: technique, needle, depth, volume, anaesthetic, pain, times, notes."""

    def __init__(self, *args, day: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.day = day
        self.fields["technique"] = _model_field(SessionRecord, "technique", required=False)
        self.fields["technique"].choices = [("", _("Choose"))] + list(self.fields["technique"].choices)[1:]
        self.fields["needle_gauge"] = _model_field(SessionRecord, "needle_gauge", required=False)
        self.fields["needle_length_mm"] = _model_field(SessionRecord, "needle_length_mm", required=False)
        self.fields["depth_mm"] = _model_field(SessionRecord, "depth_mm", required=False)
        self.fields["prepared_volume_ml"] = _model_field(SessionRecord, "prepared_volume_ml", required=False)
        self.fields["topical_anaesthetic"] = _model_field(SessionRecord, "topical_anaesthetic")
        self.fields["anaesthetic_detail"] = _model_field(SessionRecord, "anaesthetic_detail", required=False)
        self.fields["pain_score"] = _model_field(SessionRecord, "pain_score", required=False)
        self.fields["started_at"] = forms.TimeField(label=_("Started at"), required=False, widget=TIME_WIDGET)
        self.fields["ended_at"] = forms.TimeField(label=_("Ended at"), required=False, widget=TIME_WIDGET)
        self.fields["notes"] = _model_field(SessionRecord, "notes", required=False)
        self.fields["notes"].widget.attrs["rows"] = 3
        # The model's validators, as hints to the browser (the service's full_clean() enforces them).
        for name, low, high, step in (
            ("needle_gauge", 18, 34, "1"),
            ("needle_length_mm", 1, 40, "0.1"),
            ("depth_mm", 0, 10, "0.1"),
            ("prepared_volume_ml", 0, 100, "0.05"),
            ("pain_score", 0, 10, "1"),
        ):
            self.fields[name].widget.attrs.update({"min": low, "max": high, "step": step})

    @staticmethod
    def initial_for(record: SessionRecord) -> dict:
        initial = {name: plain(getattr(record, name)) for name in _DELIVERY_FIELDS}
        for name in ("started_at", "ended_at"):
            value = getattr(record, name)
            initial[name] = (
                timezone.localtime(value).time().replace(second=0, microsecond=0) if value else None
            )
        return initial

    def clean(self):
        cleaned = super().clean()
        for name in ("started_at", "ended_at"):
            value = cleaned.get(name)
            if isinstance(value, dt.time):
                cleaned[name] = timezone.make_aware(dt.datetime.combine(self.day, value))
        return cleaned

    def fields_for_service(self) -> dict:
        data = dict(self.cleaned_data)
        data["technique"] = data.get("technique") or ""
        return data


_DELIVERY_FIELDS = (
    "technique",
    "needle_gauge",
    "needle_length_mm",
    "depth_mm",
    "prepared_volume_ml",
    "topical_anaesthetic",
    "anaesthetic_detail",
    "pain_score",
    "notes",
)


class ZonesForm(StyledForm):
    """Points and volume for each scalp zone; a zone left empty was not treated."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for zone, label in Zone.choices:
            self.fields[f"points_{zone}"] = forms.IntegerField(
                label=_("%(zone)s: injection points") % {"zone": label},
                required=False,
                min_value=0,
                max_value=500,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "data-zone-points": zone}),
            )
            self.fields[f"volume_{zone}"] = forms.DecimalField(
                label=_("%(zone)s: volume (mL)") % {"zone": label},
                required=False,
                min_value=Decimal("0"),
                max_value=Decimal("50"),
                decimal_places=2,
                widget=forms.NumberInput(
                    attrs={"step": "0.05", "inputmode": "decimal", "data-zone-volume": zone}
                ),
            )

    def rows(self):
        return [
            {"key": zone, "label": label, "points": self[f"points_{zone}"], "volume": self[f"volume_{zone}"]}
            for zone, label in Zone.choices
        ]

    @staticmethod
    def initial_for(record: SessionRecord) -> dict:
        initial = {}
        for row in record.zones.all():
            initial[f"points_{row.zone}"] = row.points
            initial[f"volume_{row.zone}"] = plain(row.volume_ml)
        return initial

    def zones(self) -> dict[str, tuple]:
        found = {}
        for zone in Zone.values:
            points, volume = self.cleaned_data.get(f"points_{zone}"), self.cleaned_data.get(f"volume_{zone}")
            if points or volume:
                found[zone] = (points, volume)
        return found

    def add_service_errors(self, exc) -> None:
        """A zone's errors go on its points input (the first of its row); the rest on top."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for key, errors in exc.error_dict.items():
            self.add_error(f"points_{key}" if key in Zone.values else None, errors)


class TherapiesForm(StyledForm):
    """How the patient keeps to each combined therapy of the plan due on the session's day."""

    def __init__(self, *args, therapies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.therapies = list(therapies)
        for therapy in self.therapies:
            key = therapy.uuid.hex
            self.fields[f"status_{key}"] = forms.ChoiceField(
                label=_("How the patient keeps to it"),
                choices=[("", _("Choose"))] + list(TherapyStatus.choices),
                error_messages={"required": _("Choose how the patient keeps to it.")},
            )
            self.fields[f"note_{key}"] = forms.CharField(label=_("Note"), required=False, max_length=300)

    @staticmethod
    def initial_for(record: SessionRecord) -> dict:
        initial = {}
        for row in record.therapies.all():
            initial[f"status_{row.therapy.uuid.hex}"] = row.status
            initial[f"note_{row.therapy.uuid.hex}"] = row.note
        return initial

    def rows(self):
        return [
            {"therapy": t, "status": self[f"status_{t.uuid.hex}"], "note": self[f"note_{t.uuid.hex}"]}
            for t in self.therapies
        ]

    def confirmations(self) -> dict:
        return {
            t: (self.cleaned_data[f"status_{t.uuid.hex}"], self.cleaned_data[f"note_{t.uuid.hex}"])
            for t in self.therapies
        }


class AddendumForm(StyledForm):
    text = forms.CharField(label=_("Addendum"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class InErrorForm(StyledForm):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: wrong patient, or a duplicate record. The record is kept, locked."),
    )
