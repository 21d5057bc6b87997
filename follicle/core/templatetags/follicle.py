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


@register.filter
def field_value(obj, name: str):
    return getattr(obj, name, "")


@register.filter
def field_label(obj, name: str) -> str:
    return str(obj._meta.get_field(name).verbose_name)


@register.filter
def get_item(mapping, key):
    """mapping[key], or "" when missing (for lookups in templates)."""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""
