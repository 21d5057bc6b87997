"""Extension point: whether a formulation version has been *used*.

A used version is frozen: editing the formulation's components then creates a new version, so
what a plan prescribed or a session gave stays on record (`services.formulation_update`). What
counts as "used" belongs to later apps (treatments: "a plan references it"; sessions: "a session
gave it"), which this app must not import. They register a check here, typically in their
AppConfig.ready():

    from follicle.formulations.versions import register_version_usage_check

    def referenced_by_a_plan(version):
        return TreatmentPlan.objects.filter(formulation_version=version).exists()

    register_version_usage_check(referenced_by_a_plan)

A check takes a `FormulationVersion` and returns True when it is used. A version is used when any
registered check says so; with none registered, no version is used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

VersionUsageCheck = Callable[[Any], bool]

_checks: list[VersionUsageCheck] = []


def register_version_usage_check(fn: VersionUsageCheck) -> VersionUsageCheck:
    """Register `fn(version) -> bool`; registering the same function twice has no effect.

    Returns `fn`, so it can be used as a decorator."""
    if fn not in _checks:
        _checks.append(fn)
    return fn


def unregister_version_usage_check(fn: VersionUsageCheck) -> None:
    if fn in _checks:
        _checks.remove(fn)


def version_is_used(version) -> bool:
    """Whether any registered check says `version` is used."""
    return any(check(version) for check in tuple(_checks))
