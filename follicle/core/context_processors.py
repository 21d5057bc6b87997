"""What every page's layout needs: the active clinic, the clinic switcher and the navigation."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from follicle.accounts.roles import access

PRACTITIONERS_ONLY = "@practitioner"

# An item: (label, url name, icon, resource needed or None for everyone, or PRACTITIONERS_ONLY).
# A group: (label, icon, [items]) — a dropdown shown when any of its items is.
NAVIGATION = [
    (_("Home"), "core:home", "house", None),
    (_("Patients"), "patients:list", "person-vcard", "demographics"),
    (
        _("Appointments"),
        "calendar-week",
        [
            (_("Today"), "scheduling:today", "list-check", "appointments"),
            (_("Calendar"), "scheduling:calendar", "calendar3", "appointments"),
            (_("Book an appointment"), "scheduling:book", "calendar-plus", "appointments"),
            (_("Session records"), "procedures:list", "clipboard2-pulse", "session_records"),
            (_("My calendar feed"), "calendar:manage", "rss", PRACTITIONERS_ONLY),
        ],
    ),
    (_("Safety"), "safety:dashboard", "shield-exclamation", "adverse_events"),
    (
        _("Catalogue"),
        "capsule",
        [
            (_("Formulations"), "formulations:list", "droplet-half", "catalogue"),
            (_("Products and lots"), "formulations:product_list", "box-seam", "catalogue"),
            (_("Protocols"), "treatments:protocol_list", "calendar-range", "catalogue"),
            (_("Ingredients"), "formulations:ingredient_list", "eyedropper", "catalogue"),
            (_("Reference catalogue"), "reference:index", "book", "catalogue"),
        ],
    ),
    (
        _("Clinic"),
        "building",
        [
            (_("Staff"), "accounts:staff_list", "people", "staff"),
            (_("Clinic settings"), "core:clinic_settings", "building-gear", "clinic_settings"),
            (_("Consent texts"), "patients:consent_texts", "file-earmark-text", "clinic_settings"),
            (_("Treatment settings"), "treatments:settings", "sliders", "clinic_settings"),
            (_("Adverse-event policy"), "safety:settings", "shield-check", "clinic_settings"),
            (_("Response policy"), "progress:settings", "graph-up-arrow", "clinic_settings"),
            (_("Rooms, hours and appointment types"), "scheduling:resources", "door-open", "clinic_settings"),
            (_("Audit log"), "core:audit_log", "journal-check", "audit_log"),
            (_("Background tasks"), "core:task_list", "cpu", "tasks"),
        ],
    ),
]

# Which navigation item a page belongs to, by its view name's prefix (longest first).
SECTION_OF_VIEW = [
    ("scheduling:today", "scheduling:today"),
    ("scheduling:calendar", "scheduling:calendar"),
    ("scheduling:book", "scheduling:book"),
    ("scheduling:resources", "scheduling:resources"),
    ("scheduling:room", "scheduling:resources"),
    ("scheduling:type", "scheduling:resources"),
    ("scheduling:practitioner_hours", "scheduling:resources"),
    ("scheduling:", "scheduling:today"),
    ("calendar:", "calendar:manage"),
    ("procedures:list", "procedures:list"),
    ("procedures:", "scheduling:today"),
    ("safety:settings", "safety:settings"),
    ("safety:", "safety:dashboard"),
    ("treatments:protocol", "treatments:protocol_list"),
    ("treatments:settings", "treatments:settings"),
    ("treatments:", "patients:list"),
    ("outcomes:", "patients:list"),
    ("progress:settings", "progress:settings"),
    ("progress:", "patients:list"),
    ("assessments:", "patients:list"),
    ("patients:consent_texts", "patients:consent_texts"),
    ("patients:", "patients:list"),
    ("formulations:product", "formulations:product_list"),
    ("formulations:lot", "formulations:product_list"),
    ("formulations:ingredient", "formulations:ingredient_list"),
    ("formulations:", "formulations:list"),
    ("reference:", "reference:index"),
    ("accounts:staff", "accounts:staff_list"),
]


def _section(view_name: str) -> str:
    for prefix, section in SECTION_OF_VIEW:
        if view_name.startswith(prefix):
            return section
    return view_name


def _item(entry, role: str, section: str):
    label, name, icon, resource = entry
    if resource == PRACTITIONERS_ONLY:
        if role != "practitioner":
            return None
    elif resource is not None and not access(role, resource):  # any access, e.g. "counts"
        return None
    return {"label": label, "url": reverse(name), "icon": icon, "active": section == name}


def shell(request):
    membership = getattr(request, "membership", None)
    if membership is None:
        return {"nav_items": []}
    match = getattr(request, "resolver_match", None)
    section = _section(match.view_name if match else "")
    items = []
    for entry in NAVIGATION:
        if len(entry) == 3:
            label, icon, children = entry
            visible = [
                item for item in (_item(child, membership.role, section) for child in children) if item
            ]
            if visible:
                items.append(
                    {
                        "label": label,
                        "icon": icon,
                        "children": visible,
                        "active": any(child["active"] for child in visible),
                    }
                )
        else:
            item = _item(entry, membership.role, section)
            if item:
                items.append(item)
    return {"nav_items": items, "active_clinic": request.clinic, "active_membership": membership}
