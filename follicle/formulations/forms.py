"""Product, lot and formulation forms: input shape only; services do the writing."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from follicle.core.forms import StyledForm, StyledModelForm
from follicle.formulations.models import Product, ProductIngredient


class ProductForm(StyledModelForm):
    class Meta:
        model = Product
        fields = [
            "name",
            "manufacturer",
            "kind",
            "volume_per_vial_ml",
            "sterile",
            "single_use",
            "vehicle",
            "suspension",
            "notes",
            "is_active",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            del self.fields["is_active"]

    def validate_unique(self):
        """The service checks uniqueness (clinic and name) with the clinic it is given."""


class IngredientRowForm(StyledForm):
    ingredient = forms.ChoiceField(label=_("Ingredient"), required=True)
    concentration = forms.DecimalField(
        label=_("Concentration"), required=False, min_value=0, max_digits=10, decimal_places=4
    )
    unit = forms.ChoiceField(
        label=_("Unit"), required=False, choices=[("", "—"), *ProductIngredient.Unit.choices]
    )

    def __init__(self, *args, ingredients=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ingredient"].choices = [("", _("Choose an ingredient")), *ingredients]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("concentration") is not None and not cleaned.get("unit"):
            self.add_error("unit", _("Give the unit of the concentration."))
        return cleaned


class BaseRowFormSet(forms.BaseFormSet):
    """Rows that are left blank are ignored; a row ticked "remove" is dropped."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove this row")

    def rows(self) -> list[dict]:
        return [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.has_changed()
        ]


IngredientFormSet = forms.formset_factory(IngredientRowForm, formset=BaseRowFormSet, extra=1, can_delete=True)


class LotReceiveForm(StyledForm):
    lot_number = forms.CharField(label=_("Lot number"), max_length=60)
    expiry_date = forms.DateField(
        label=_("Expiry date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    quantity = forms.IntegerField(label=_("Vials received"), min_value=1, max_value=100000)


class LotAdjustForm(StyledForm):
    change = forms.IntegerField(
        label=_("Change in vials"),
        help_text=_("Negative to remove vials (broken, discarded), positive after a recount."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=500)


class LotSearchForm(StyledForm):
    q = forms.CharField(label=_("Lot number"), required=False, max_length=60)
    usable = forms.BooleanField(label=_("Usable lots only (not expired, vials left)"), required=False)


class FormulationForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=150)
    description = forms.CharField(
        label=_("Purpose and notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class FormulationEditForm(FormulationForm):
    notes = forms.CharField(
        label=_("What changed"),
        required=False,
        max_length=1000,
        help_text=_("Kept with the new version when the current one is already in use."),
    )


class ComponentForm(StyledForm):
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.none(), required=True)
    volume_ml = forms.DecimalField(
        label=_("Volume per session (mL)"), min_value=0.01, max_digits=6, decimal_places=2
    )

    def __init__(self, *args, products=None, **kwargs):
        super().__init__(*args, **kwargs)
        if products is not None:
            self.fields["product"].queryset = products
        self.fields["product"].empty_label = _("Choose a product")


ComponentFormSet = forms.formset_factory(ComponentForm, formset=BaseRowFormSet, extra=1, can_delete=True)


def with_added_row(data, prefix: str):
    """A copy of POST data with one more (blank) row in the formset `prefix` ("add a row" button)."""
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    data[key] = str(int(data.get(key) or 0) + 1)
    return data
