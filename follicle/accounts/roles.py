"""Staff roles and what each may do: DESIGN.md's "Who may do what" table, as data.

Each resource maps a role to the access it has: "rw" (read and write), "r" (read), or a named
partial access that the resource's own code interprets ("status" for consents, "schedule" for
treatment plans, "counts" for adverse events). A role missing from a resource has no access.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    PRACTITIONER = "practitioner", _("Practitioner")
    NURSE = "nurse", _("Nurse")
    RECEPTIONIST = "receptionist", _("Receptionist")


A, P, N, R = Role.ADMIN, Role.PRACTITIONER, Role.NURSE, Role.RECEPTIONIST

PERMISSIONS: dict[str, dict[str, str]] = {
    "demographics": {A: "rw", P: "rw", N: "r", R: "rw"},
    "medical_history": {P: "rw", N: "rw"},
    "screening": {P: "rw", N: "r"},
    "consents": {A: "r", P: "rw", N: "rw", R: "status"},
    "assessments": {P: "rw", N: "r"},
    "catalogue": {A: "rw", P: "rw", N: "r"},
    "treatment_plans": {A: "schedule", P: "rw", N: "r", R: "schedule"},
    "appointments": {A: "rw", P: "rw", N: "rw", R: "rw"},
    "session_records": {P: "rw", N: "rw"},
    "clinical_signoff": {P: "rw"},  # sign session records, acknowledge same-day cautions
    "adverse_events": {A: "counts", P: "rw", N: "rw"},
    "measurements": {P: "rw", N: "rw"},
    "audit_log": {A: "r"},
    "staff": {A: "rw"},
    "clinic_settings": {A: "rw"},
    "tasks": {A: "rw"},
}


def access(role: str | None, resource: str) -> str:
    """The access string a role has to a resource ("" for none)."""
    if resource not in PERMISSIONS:
        raise KeyError(f"unknown resource {resource!r}")
    if role is None:
        return ""
    return PERMISSIONS[resource].get(role, "")


def can(role: str | None, resource: str, mode: str = "r") -> bool:
    """Whether `role` has `mode` on `resource`: "r", "w", or a named partial access."""
    granted = access(role, resource)
    if mode in ("r", "w"):
        return mode in granted if granted in ("r", "rw") else False
    return granted == mode or granted == "rw"
