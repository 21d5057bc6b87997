"""Template helpers for the reference catalogue: verification badges and evidence labels."""

from django import template

from follicle.reference import presenters

register = template.Library()


@register.inclusion_tag("reference/includes/verification_badge.html")
def verification_badge(value):
    return {"badge": presenters.verification_badge(value)}


@register.filter
def evidence_label(level):
    return presenters.evidence_label(level or "")
