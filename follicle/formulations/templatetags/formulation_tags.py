"""Labels and badge styles for formulation pages (presenters, so templates stay dumb)."""

from __future__ import annotations

from django import template

from follicle.formulations import evidence, presenters

register = template.Library()


@register.filter
def level_label(level: str) -> str:
    return presenters.level_label(level)


@register.filter
def level_badge(level: str) -> str:
    return presenters.LEVEL_BADGES.get(level, "secondary")


@register.filter
def route_label(kind: str) -> str:
    return str(evidence.ROUTE_LABELS.get(kind, kind))


@register.filter
def warning_type(value: str) -> str:
    return str(presenters.WARNING_TYPE_LABELS.get(value, value))


@register.filter
def warning_style(value: str) -> str:
    return presenters.WARNING_TYPE_STYLES.get(value, "secondary")


@register.filter
def mechanism_label(code: str) -> str:
    return str(evidence.MECHANISM_LABELS.get(code, code))


@register.filter
def citation_parts(citation: str) -> list[dict]:
    """A citation as text and links (DOIs, PMIDs), as the catalogue's pages show them."""
    from follicle.reference.presenters import citation_parts as parts

    return parts(str(citation))


@register.filter
def volume(value) -> str:
    """A volume without trailing zeros: Decimal("3.50") → "3.5", Decimal("2.00") → "2"."""
    from decimal import Decimal, InvalidOperation

    try:
        number = Decimal(str(value)).normalize()
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    return f"{number:f}"
