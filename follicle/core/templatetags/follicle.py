"""Small display helpers for templates (presenters in the STYLE.md sense)."""

from __future__ import annotations

import json

from django import template

from follicle.accounts.roles import Role

register = template.Library()


@register.filter
def role_label(value: str) -> str:
    """A role's display name in the current language ("" stays "")."""
    try:
        return Role(value).label
    except ValueError:
        return value


@register.filter
def as_json(value) -> str:
    """Structured details as compact, readable JSON (Greek stays Greek)."""
    if not value:
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))
