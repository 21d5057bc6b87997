"""The clinic's response policy as a form: input shape only; `outcome_settings_update` checks the rest
(a partial response needing more than a full one, for instance) and saves it."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from follicle.core.forms import StyledForm


def _percent(**attrs) -> forms.NumberInput:
    return forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal", **attrs})


class ResponsePolicyForm(StyledForm):
    responder_pct = forms.FloatField(
        label=_("Responder: density change at least (%)"),
        min_value=0,
        max_value=500,
        widget=_percent(),
        help_text=_("Density at the checkpoint this many per cent above baseline, or more."),
    )
    partial_pct = forms.FloatField(
        label=_("Partial response: density change at least (%)"),
        min_value=0,
        max_value=500,
        widget=_percent(),
        help_text=_("At least this, but below the responder threshold."),
    )
    worse_pct = forms.FloatField(
        label=_("Worse: density change at most (%)"),
        min_value=-100,
        max_value=0,
        widget=_percent(),
        help_text=_("A negative number: this far below baseline, or further. Between the two: stable."),
    )
    window_days = forms.IntegerField(
        label=_("A visit counts for a checkpoint within (days)"),
        min_value=1,
        max_value=120,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("The visit nearest the checkpoint's due date, at most this many days before or after."),
    )

    @classmethod
    def initial_for(cls, policy) -> dict:
        """The policy's numbers as the inputs show them: 10 rather than 10.0."""

        def plain(value: float) -> float | int:
            return int(value) if float(value).is_integer() else value

        return {
            "responder_pct": plain(policy.responder_pct),
            "partial_pct": plain(policy.partial_pct),
            "worse_pct": plain(policy.worse_pct),
            "window_days": policy.window_days,
        }
