"""The vocabulary for reading the catalogue's evidence: mechanisms, evidence levels, routes.

Pure (no database): the codes and levels are the reference data's own (ingredients.yaml header);
only their display labels and the reading of the free-text `evidence.route` live here. No medical
fact is stated in this module.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

# The six mechanism codes of ingredients.yaml (`mechanism_codes`), in the file's order.
MECHANISMS: tuple[str, ...] = (
    "circulation",
    "dht_blockade",
    "nutrient_delivery",
    "anti_inflammatory",
    "regeneration",
    "scalp_health",
)

MECHANISM_LABELS = {
    "circulation": _("Blood circulation"),
    "dht_blockade": _("DHT blockade"),
    "nutrient_delivery": _("Nutrient delivery"),
    "anti_inflammatory": _("Anti-inflammatory"),
    "regeneration": _("Cellular activity"),
    "scalp_health": _("Scalp health"),
}

# evidence.level, strongest first (ingredients.yaml: "highest level found FOR THIS USE").
LEVELS: tuple[str, ...] = ("RCT", "controlled", "case_series", "none")
LEVEL_RANK = {"RCT": 3, "controlled": 2, "case_series": 1, "none": 0}

LEVEL_LABELS = {
    "RCT": _("Randomised controlled trial"),
    "controlled": _("Controlled study"),
    "case_series": _("Case series"),
    "none": _("No clinical hair data"),
}

# What the evidence route is, read from the free text of `evidence.route`.
INJECTION = "injection"
ORAL = "oral"
TOPICAL = "topical"
PRECLINICAL = "preclinical"
NO_ROUTE = "none"

ROUTE_LABELS = {
    INJECTION: _("Injection (intradermal, intralesional or mesotherapy)"),
    ORAL: _("Oral"),
    TOPICAL: _("Topical"),
    PRECLINICAL: _("Laboratory or animal studies"),
    NO_ROUTE: _("No route reported"),
}

# Phrases that say a route has *no* evidence ("intradermal: none", "(not injection)",
# "none for injection"): removed before looking for the route the evidence does concern.
_NEGATED = re.compile(
    r"[a-z/]+\s*:\s*none\b|\(?\bnot (?:for )?injections?\)?|\bnone for injections?\b", re.IGNORECASE
)
_ROUTE_WORDS = (
    (INJECTION, re.compile(r"intradermal|intralesional|intramuscular|subcutaneous|inject|mesotherap", re.I)),
    (ORAL, re.compile(r"\boral", re.I)),
    (TOPICAL, re.compile(r"topical|microneedling", re.I)),
    (PRECLINICAL, re.compile(r"in vitro|animal", re.I)),
)


def route_kind(route: str | None) -> str:
    """The route the cited evidence concerns: the first route the text names, negations removed.

    "intradermal mesotherapy" → injection; "ORAL combination supplements only (not injection)" →
    oral; "intradermal: none; oral: case reports …" → oral; "mostly topical/microneedling; few
    injection reports" → topical; "none for injection" → none.
    """
    text = _NEGATED.sub(" ", str(route or ""))
    found = [(m.start(), kind) for kind, pattern in _ROUTE_WORDS if (m := pattern.search(text))]
    return min(found)[1] if found else NO_ROUTE


def is_injection_route(route: str | None) -> bool:
    return route_kind(route) == INJECTION


def level_for_injection(level: str | None, route: str | None) -> str:
    """The evidence level as evidence *for injection*: "none" unless the route is an injection."""
    level = level if level in LEVEL_RANK else "none"
    return level if is_injection_route(route) else "none"


def strongest(levels) -> str:
    """The strongest of some evidence levels ("none" for none)."""
    return max(levels, key=lambda level: LEVEL_RANK.get(level, 0), default="none")
