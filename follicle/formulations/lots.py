"""Extension point: which patients received a lot.

Session records (a later app) say which lot each injection came from; this app must not import
that app (DESIGN.md: apps import only from apps above them). So the later app registers a
*provider* here, typically in its AppConfig.ready():

    from follicle.formulations.lots import register_lot_usage_provider

    def patients_given_lot(lot):
        return Patient.objects.filter(sessions__lots=lot)

    register_lot_usage_provider(patients_given_lot)

A provider takes a `Lot` and returns an iterable of `Patient` objects (a queryset is best).
`selectors.lot_recipients(lot)` merges every provider's answer, keeps only patients of the lot's
clinic, drops duplicates and sorts by name. With no provider, no patient has received a lot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

LotUsageProvider = Callable[[Any], Iterable[Any]]

_providers: list[LotUsageProvider] = []


def register_lot_usage_provider(fn: LotUsageProvider) -> LotUsageProvider:
    """Register `fn(lot) -> patients`; registering the same function twice has no effect.

    Returns `fn`, so it can be used as a decorator."""
    if fn not in _providers:
        _providers.append(fn)
    return fn


def unregister_lot_usage_provider(fn: LotUsageProvider) -> None:
    """Remove a provider (for tests, and apps that are switched off)."""
    if fn in _providers:
        _providers.remove(fn)


def lot_usage_providers() -> tuple[LotUsageProvider, ...]:
    return tuple(_providers)


# --------------------------------------------------------------------------- traceability sections
@dataclass(frozen=True)
class TraceRow:
    """One thing that involved a lot: a session, an adverse event… with a link to it."""

    when: Any  # a date or datetime, for sorting and display
    patient: Any
    title: str
    url: str = ""
    detail: str = ""
    tone: str = "secondary"


@dataclass(frozen=True)
class TraceSection:
    key: str  # "sessions", "adverse_events"
    title: str
    rows: list[TraceRow] = field(default_factory=list)
    empty: str = ""
    order: int = 100


# provider(lot) -> TraceSection | None
LotTraceProvider = Callable[[Any], Any]
_trace_providers: list[LotTraceProvider] = []


def register_lot_trace_provider(fn: LotTraceProvider) -> LotTraceProvider:
    """Register `fn(lot) -> TraceSection`: the lot page shows each provider's section."""
    if fn not in _trace_providers:
        _trace_providers.append(fn)
    return fn


def lot_trace_sections(lot) -> list[TraceSection]:
    found = [section for fn in _trace_providers if (section := fn(lot)) is not None]
    return sorted(found, key=lambda s: s.order)
