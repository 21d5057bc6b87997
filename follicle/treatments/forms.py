"""Forms for protocol templates, treatment settings, plans and moving sessions. They never write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from follicle.core.forms import StyledForm, StyledModelForm
from follicle.reference.models import ReferenceEntry
from follicle.reference.selectors import entry_list
from follicle.treatments.models import (
    CombinedTherapy,
    ProtocolTemplate,
    TreatmentSettings,
    Zone,
)

DATE_WIDGET = {"type": "date"}


class MonthsField(forms.CharField):
    """Whole months as "0, 3, 6, 12"."""

    def to_python(self, value):
        text = super().to_python(value) or ""
        try:
            months = sorted({int(part) for part in text.replace(";", ",").split(",") if part.strip()})
        except ValueError as exc:
            raise forms.ValidationError(
                _("Give whole months separated by commas, e.g. 0, 3, 6, 12.")
            ) from exc
        if any(m < 0 or m > 120 for m in months):
            raise forms.ValidationError(_("Give whole months from 0 to 120."))
        return months

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(str(m) for m in value)
        return value


class ProtocolTemplateForm(StyledModelForm):
    zones = forms.MultipleChoiceField(
        label=_("Zones treated"), choices=Zone.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    checkpoints_months = MonthsField(
        label=_("Outcome checkpoints (months after start)"),
        required=False,
        initial="0, 3, 6, 12",
        help_text=_("Month 0 is the baseline, e.g. 0, 3, 6, 12."),
    )
    source_keys = forms.MultipleChoiceField(
        label=_("Derived from published protocols"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Their citations are shown with the protocol."),
    )

    class Meta:
        model = ProtocolTemplate
        fields = [
            "name",
            "description",
            "technique",
            "depth_mm",
            "needle",
            "volume_ml",
            "zones",
            "checkpoints_months",
            "source_keys",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source_keys"].choices = [
            (entry.key, entry.name) for entry in entry_list(kind=ReferenceEntry.Kind.PROTOCOL)
        ]


class PhaseForm(StyledForm):
    name = forms.CharField(label=_("Phase"), max_length=80, required=False)
    sessions = forms.IntegerField(
        label=_("Sessions"),
        required=False,
        min_value=1,
        max_value=100,
        help_text=_("Empty: until stopped (last phase only)."),
    )
    interval_days = forms.IntegerField(label=_("Every (days)"), min_value=1, max_value=366)
    interval_max_days = forms.IntegerField(
        label=_("Up to (days)"), required=False, min_value=1, max_value=366
    )
    source = forms.CharField(label=_("Source"), required=False, widget=forms.TextInput())


PhaseFormSet = forms.formset_factory(PhaseForm, extra=2, can_delete=True, max_num=12)


def phase_rows(formset) -> list[dict]:
    """The filled-in phases of a valid formset, in order."""
    return [
        {
            k: form.cleaned_data.get(k)
            for k in ("name", "sessions", "interval_days", "interval_max_days", "source")
        }
        for form in formset.forms
        if form.has_changed() and form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


class TreatmentSettingsForm(StyledModelForm):
    class Meta:
        model = TreatmentSettings
        fields = ["base_minutes", "minutes_per_zone", "horizon_months"]


class PlanForm(StyledForm):
    assessment = forms.ModelChoiceField(label=_("Assessment"), queryset=None, empty_label=None)
    formulation_version = forms.ModelChoiceField(label=_("Formulation"), queryset=None)
    protocol = forms.ModelChoiceField(label=_("Protocol"), queryset=None)
    start_date = forms.DateField(label=_("Start date"), widget=forms.DateInput(attrs=DATE_WIDGET))
    zones = forms.MultipleChoiceField(
        label=_("Zones treated"),
        choices=Zone.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty to use the protocol's zones."),
    )
    goals = forms.CharField(label=_("Goals"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, assessments, formulation_versions, protocols, names=None, **kwargs):
        super().__init__(*args, **kwargs)
        names = names or {}
        self.fields["assessment"].queryset = assessments
        self.fields["assessment"].label_from_instance = lambda a: (
            f"{a.assessed_at:%d/%m/%Y} · {names.get(a.diagnosis, a.diagnosis)} {a.grade}".strip()
        )
        self.fields["formulation_version"].queryset = formulation_versions
        self.fields["formulation_version"].label_from_instance = lambda v: (
            f"{v.formulation.name} · v{v.version}"
        )
        self.fields["protocol"].queryset = protocols


class TherapyForm(StyledModelForm):
    class Meta:
        model = CombinedTherapy
        fields = ["kind", "start", "stop", "dose", "instructions"]
        widgets = {
            "start": forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
            "stop": forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
            "instructions": forms.Textarea(attrs={"rows": 2}),
        }


class StatusForm(StyledForm):
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class AcknowledgeForm(StyledForm):
    code = forms.CharField(widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class MoveForm(StyledForm):
    MOVE, MISSED = "move", "missed"
    action = forms.ChoiceField(
        label=_("What happened"),
        choices=[
            (MOVE, _("Move this session to another date")),
            (MISSED, _("The session was missed: mark it missed and plan the next one on the date")),
        ],
        initial=MOVE,
        widget=forms.RadioSelect,
    )
    new_date = forms.DateField(
        label=_("New date"), widget=forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d")
    )
