"""Patient, medical-history and consent forms: input shape only; services do the writing."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from follicle.core.forms import StyledForm, StyledModelForm
from follicle.patients.models import Answer, ConsentKind, MedicalHistory, Patient


class PatientForm(StyledModelForm):
    class Meta:
        model = Patient
        fields = ["first_name", "last_name", "date_of_birth", "sex", "phone", "email", "address", "language"]
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "address": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].help_text = _("With the country code for numbers outside Greece, e.g. +44 …")


class MedicalHistoryForm(StyledModelForm):
    """All structured answers as Yes / No / Not asked, grouped for the page."""

    GROUPS = [
        (
            _("Pregnancy and fertility"),
            ["pregnant", "breastfeeding", "planning_pregnancy", "trying_to_conceive"],
        ),
        (_("Bleeding"), ["anticoagulants", "antiplatelets", "bleeding_disorder"]),
        (
            _("Medicines"),
            [
                "five_alpha_reductase_inhibitor",
                "isotretinoin",
                "antiandrogen_therapy",
                "high_dose_biotin",
                "minoxidil",
                "blood_donor",
                "medications",
            ],
        ),
        (_("Allergies"), ["anaesthetic_allergy", "allergy_ingredients", "allergies"]),
        (_("Scalp"), ["active_scalp_infection", "scalp_inflammation_or_wound", "keloid_tendency"]),
        (
            _("Conditions"),
            [
                "autoimmune_disease",
                "diabetes",
                "cardiovascular_disease",
                "severe_hypertension",
                "hepatic_impairment",
                "chronic_renal_failure",
                "active_cancer",
                "pacemaker",
                "acute_infection",
                "hyperandrogenism",
                "prostate_cancer_surveillance",
                "heavy_smoking_or_alcohol",
                "conditions",
            ],
        ),
        (_("Notes"), ["notes"]),
    ]

    allergy_ingredients = forms.MultipleChoiceField(
        label=_("Allergies to cocktail ingredients"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = MedicalHistory
        fields = [*MedicalHistory.YES_NO_FIELDS, "allergies", "medications", "conditions", "notes"]
        widgets = {
            **{name: forms.RadioSelect for name in MedicalHistory.YES_NO_FIELDS},
            "allergies": forms.Textarea(attrs={"rows": 2}),
            "medications": forms.Textarea(attrs={"rows": 2}),
            "conditions": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, ingredients: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["allergy_ingredients"].choices = ingredients
        if self.instance and self.instance.pk:
            self.initial["allergy_ingredients"] = self.instance.allergy_ingredients
        for name in MedicalHistory.YES_NO_FIELDS:
            self.fields[name].choices = Answer.choices
            self.fields[name].label = self.fields[name].label[:1].upper() + self.fields[name].label[1:]
        self.field_order = [*MedicalHistory.YES_NO_FIELDS]

    def groups(self):
        for title, names in self.GROUPS:
            yield title, [self[name] for name in names]


class ConsentSignForm(StyledForm):
    signed_name = forms.CharField(
        label=_("Patient's full name, typed by the patient"),
        max_length=200,
        help_text=_("Typing the name here is the patient's signature of the text above."),
    )
    confirm = forms.BooleanField(label=_("The patient has read the text and agrees"), required=True)


class ConsentWithdrawForm(StyledForm):
    reason = forms.CharField(
        label=_("Reason (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ConsentTextForm(StyledForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=ConsentKind.choices)
    language = forms.ChoiceField(label=_("Language"), choices=[("el", _("Greek")), ("en", _("English"))])
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 12}))


class EnteredInErrorForm(StyledForm):
    reason = forms.CharField(
        label=_("Why was this record entered in error?"), widget=forms.Textarea(attrs={"rows": 2})
    )
