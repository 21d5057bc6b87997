"""The patient chart's extension point: apps below `patients` add timeline entries here.

An app registers a provider in its AppConfig.ready(); the chart asks each provider for the events
the viewer's role may see. Explicit and ordered, not a signal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TimelineEvent:
    when: dt.datetime
    kind: str  # a short code for the icon and filters: "registered", "history", "consent", …
    title: str
    detail: str = ""
    actor: str = ""
    url: str = ""
    icon: str = "dot"
    tone: str = "secondary"  # Bootstrap colour name
    extra: dict = field(default_factory=dict)


# provider(patient, role) -> list[TimelineEvent]
_PROVIDERS: list[Callable] = []


def register_timeline_provider(provider: Callable) -> None:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def timeline(patient, role: str) -> list[TimelineEvent]:
    events: list[TimelineEvent] = []
    for provider in _PROVIDERS:
        events.extend(provider(patient, role))
    return sorted(events, key=lambda e: e.when, reverse=True)


# provider(patient, request) -> list[ChartSection]
_SECTIONS: list[Callable] = []


@dataclass(frozen=True)
class ChartSection:
    """A card on the chart, rendered from `template` with `context` (plus patient and request)."""

    template: str
    context: dict = field(default_factory=dict)
    order: int = 100


def register_section_provider(provider: Callable) -> None:
    if provider not in _SECTIONS:
        _SECTIONS.append(provider)


def sections(patient, request) -> list[ChartSection]:
    found: list[ChartSection] = []
    for provider in _SECTIONS:
        found.extend(provider(patient, request))
    return sorted(found, key=lambda s: s.order)
