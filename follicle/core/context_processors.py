"""What every page's layout needs: the active clinic, the clinic switcher and the navigation."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from follicle.accounts.roles import can

# (label, url name, icon, resource needed or None for everyone)
NAVIGATION = [
    (_("Home"), "core:home", "house", None),
    (_("Patients"), "patients:list", "person-vcard", "demographics"),
    (_("Reference"), "reference:index", "book", "catalogue"),
    (_("Staff"), "accounts:staff_list", "people", "staff"),
    (_("Clinic settings"), "core:clinic_settings", "building-gear", "clinic_settings"),
    (_("Audit log"), "core:audit_log", "journal-check", "audit_log"),
    (_("Background tasks"), "core:task_list", "cpu", "tasks"),
]

# Pages of these namespaces highlight one navigation item.
SECTION_OF_NAMESPACE = {
    "patients": "patients:list",
    "assessments": "patients:list",
    "reference": "reference:index",
}


def shell(request):
    membership = getattr(request, "membership", None)
    if membership is None:
        return {"nav_items": []}
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    namespace = match.namespace if match else ""
    items = [
        {
            "label": label,
            "url": reverse(name),
            "icon": icon,
            "active": current == name or SECTION_OF_NAMESPACE.get(namespace) == name,
        }
        for label, name, icon, resource in NAVIGATION
        if resource is None or can(membership.role, resource, "r")
    ]
    return {"nav_items": items, "active_clinic": request.clinic, "active_membership": membership}
