"""Assessment and screening-decision forms. The choices come from the reference catalogue."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from follicle.assessments.models import Assessment, ScreeningResult
from follicle.assessments.selectors import finding_choices, grading_for
from follicle.core.forms import StyledForm, StyledModelForm
from follicle.reference.selectors import diagnosis_list, scales_for_diagnosis


def _refreshing(url: str) -> forms.Select:
    """A select whose change re-renders the scale and grade fields (htmx, see the template)."""
    return forms.Select(
        attrs={
            "hx-get": url,
            "hx-trigger": "change",
            "hx-target": "#scale-fields",
            "hx-include": "#id_diagnosis, #id_scale",
        }
    )


class AssessmentForm(StyledModelForm):
    trichoscopy_findings = forms.MultipleChoiceField(
        label=_("Trichoscopy findings"), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Assessment
        fields = [
            "diagnosis",
            "scale",
            "grade",
            "pull_test",
            "pull_test_hairs",
            "sebum",
            "scaling",
            "erythema",
            "inflammation",
            "trichoscopy_findings",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, patient, refresh_url: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient
        diagnoses = list(diagnosis_list())
        self.diagnoses = {d.key: d for d in diagnoses}
        self.fields["diagnosis"] = forms.ChoiceField(
            label=_("Diagnosis"),
            choices=[("", "—")] + [(d.key, d.name) for d in diagnoses],
            widget=_refreshing(refresh_url),
        )
        diagnosis = self.data.get("diagnosis") if self.is_bound else self.initial.get("diagnosis")
        scales = scales_for_diagnosis(diagnosis, patient.sex) if diagnosis in self.diagnoses else []
        self.scales = scales
        self.fields["scale"] = forms.ChoiceField(
            label=_("Scale"),
            required=False,
            choices=[("", _("No scale") if diagnosis else _("Choose the diagnosis first"))]
            + [(s.key, s.name) for s in scales],
            help_text=_("Only the scales that fit the diagnosis and the patient's sex are offered."),
            widget=_refreshing(refresh_url),
        )
        scale = self.data.get("scale") if self.is_bound else self.initial.get("scale")
        self.grading = grading_for(scale) if scale in {s.key for s in scales} else None
        self.cleaned_scale = scale if self.grading else ""
        self.fields["grade"] = self._grade_field()
        self.fields["trichoscopy_findings"].choices = finding_choices()

    def _grade_field(self) -> forms.Field:
        grading = self.grading
        if grading is None or grading.kind == "none":
            return forms.CharField(
                label=_("Grade"),
                required=False,
                widget=forms.TextInput(attrs={"disabled": True}),
                help_text=_("Choose a scale first."),
            )
        if grading.kind == "score":
            return forms.IntegerField(
                label=_("Score"),
                min_value=grading.minimum,
                max_value=grading.maximum,
                help_text=_("From %(min)s to %(max)s.") % {"min": grading.minimum, "max": grading.maximum},
            )
        if grading.kind == "types":
            return forms.CharField(
                label=_("Type"),
                max_length=40,
                help_text=_(
                    "One basic type (%(basic)s), then any specific types (%(specific)s), e.g. “M2 V1”."
                )
                % {"basic": ", ".join(grading.basic), "specific": ", ".join(grading.specific)},
            )
        descriptions = {g.value: g.description for g in grading.grades}
        return forms.ChoiceField(
            label=_("Grade"),
            choices=[("", "—")] + [(c, f"{c} — {descriptions.get(c, '')}"[:140]) for c in grading.choices],
        )

    def clean_grade(self):
        value = self.cleaned_data.get("grade")
        return "" if value is None else str(value)

    def diagnosis_entry(self):
        key = self.data.get("diagnosis") if self.is_bound else self.initial.get("diagnosis")
        return self.diagnoses.get(key)


class ScreeningDecisionForm(StyledForm):
    result = forms.ChoiceField(
        label=_("Your decision"), choices=ScreeningResult.choices, widget=forms.RadioSelect
    )
    override_reason = forms.CharField(
        label=_("Reason, if your decision differs from the computed result"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class EnteredInErrorForm(StyledForm):
    reason = forms.CharField(
        label=_("Why was this entered in error?"), widget=forms.Textarea(attrs={"rows": 2})
    )
