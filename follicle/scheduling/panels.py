"""The appointment page's extension point: apps below `scheduling` add a panel to it.

The session-record app, for instance, shows the pre-session safety check and the session record of
a plan session's appointment. A provider takes (appointment, request) and returns a ChartSection
(template + context) or None; providers are registered in AppConfig.ready().
"""

from __future__ import annotations

from collections.abc import Callable

from follicle.patients.chart import ChartSection

_PANELS: list[Callable] = []


def register_appointment_panel(provider: Callable) -> None:
    if provider not in _PANELS:
        _PANELS.append(provider)


def appointment_panels(appointment, request) -> list[ChartSection]:
    found = [panel for provider in _PANELS if (panel := provider(appointment, request)) is not None]
    return sorted(found, key=lambda p: p.order)
