"""Input shapes for the adverse-event pages. They never write; the views hand clean data to services."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from follicle.core.forms import StyledForm
from follicle.formulations.models import Lot
from follicle.safety.models import EventStatus, Grade, Outcome, Seriousness, Trend
from follicle.safety.selectors import term_choices

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class LotChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return _("%(product)s · lot %(number)s (expires %(expiry)s)") % {
            "product": obj.product.name,
            "number": obj.lot_number,
            "expiry": obj.expiry_date.strftime("%d/%m/%Y"),
        }


class _EventFieldsMixin:
    """Grade, seriousness, action taken and suspected lots: shared by the report and edit forms.

    `lots` is a queryset of the lots the staff may tick (the session's); with none the field goes."""

    def _setup_event_fields(self, lots) -> None:
        if lots is None or not lots.exists():
            del self.fields["lots"]
        else:
            self.fields["lots"].queryset = lots


def _description_field():
    return forms.CharField(
        label=_("Description"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for “other”; otherwise any detail worth keeping."),
    )


def _grade_field():
    return forms.TypedChoiceField(
        label=_("Severity grade"), choices=Grade.choices, coerce=int, widget=forms.RadioSelect
    )


def _serious_field():
    return forms.BooleanField(
        label=_("Serious"),
        required=False,
        help_text=_("Tick if it meets one of the seriousness criteria below."),
    )


def _criteria_field():
    return forms.MultipleChoiceField(
        label=_("Seriousness criteria"),
        choices=Seriousness.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


def _action_field():
    return forms.CharField(
        label=_("Action taken"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was done: cold compress, antibiotics, referral, sessions paused…"),
    )


def _lots_field():
    return LotChoiceField(
        label=_("Suspected lots"),
        queryset=None,
        required=False,
        to_field_name="uuid",
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The lots used in the session. Tick only those you suspect."),
    )


class ReportForm(_EventFieldsMixin, StyledForm):
    term = forms.ChoiceField(label=_("What happened"), choices=())
    description = _description_field()
    grade = _grade_field()
    serious = _serious_field()
    seriousness_criteria = _criteria_field()
    onset_date = forms.DateField(label=_("Onset"), widget=DATE)
    lots = _lots_field()
    action_taken = _action_field()

    def __init__(self, *args, lots=None, term_info_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["term"].choices = [("", _("Choose the event…")), *term_choices()]
        if term_info_url:  # htmx: show the catalogue's description of the chosen term beside it
            self.fields["term"].widget.attrs.update(
                {"hx-get": term_info_url, "hx-trigger": "change", "hx-target": "#term-info"}
            )
        self.fields["onset_date"].initial = timezone.localdate()
        self._setup_event_fields(lots)


class EditForm(_EventFieldsMixin, StyledForm):
    """What may change on an event once reported (the term and onset may not: mark it in error)."""

    description = _description_field()
    grade = _grade_field()
    serious = _serious_field()
    seriousness_criteria = _criteria_field()
    lots = _lots_field()
    action_taken = _action_field()

    def __init__(self, *args, lots=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_event_fields(lots)


class FollowUpForm(StyledForm):
    trend = forms.ChoiceField(label=_("Since last time"), choices=Trend.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("What was found"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ResolveForm(StyledForm):
    resolved_on = forms.DateField(label=_("Resolved on"), widget=DATE)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", "—"), *Outcome.choices])
    note = forms.CharField(
        label=_("Note"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resolved_on"].initial = timezone.localdate()


class ReasonForm(StyledForm):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class EventFilterForm(StyledForm):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Open and resolved")), *EventStatus.choices],
    )
    serious = forms.BooleanField(label=_("Serious only"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)


class OverduePolicyForm(StyledForm):
    """One number of days per term; the field of term `key` is named `days_<key>`."""

    def __init__(self, *args, terms: list[tuple[str, str]], days: dict[str, int], **kwargs):
        super().__init__(*args, **kwargs)
        self.terms = terms
        for key, name in terms:
            self.fields[f"days_{key}"] = forms.IntegerField(
                label=_("Days for %(term)s") % {"term": name},
                min_value=1,
                max_value=365,
                initial=days.get(key),
                widget=forms.NumberInput(attrs={"class": "form-control-sm", "inputmode": "numeric"}),
            )

    def field_for(self, key: str):
        return self[f"days_{key}"]

    def days_by_term(self) -> dict[str, int]:
        return {key: self.cleaned_data[f"days_{key}"] for key, _name in self.terms}


def suspect_lots(*, session=None, event=None):
    """The lots staff may tick as suspected: the session's, and any the event already names."""
    query = Q(pk__in=[])
    if session is not None:
        query |= Q(session_uses__record=session)
    if event is not None and event.pk:
        query |= Q(adverse_events=event)
    return (
        Lot.objects.filter(query).select_related("product").distinct().order_by("product__name", "lot_number")
    )
