"""Measurement sites on the patient chart: each current site with its latest analysed density."""

from __future__ import annotations

from follicle.accounts.roles import can
from follicle.outcomes import selectors
from follicle.patients.chart import ChartSection


def sections(patient, request) -> list[ChartSection]:
    role = request.membership.role
    if not can(role, "measurements", "r"):
        return []
    return [
        ChartSection(
            template="outcomes/chart_sites.html",
            order=32,
            context={
                "sites": selectors.sites_for_chart(patient=patient),
                "measurements": selectors.measurement_count(patient=patient),
                "can_write": can(role, "measurements", "w"),
            },
        )
    ]
