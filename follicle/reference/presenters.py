"""Display logic for catalogue entries: any entry's data as a tree of simple nodes the templates draw.

The data files differ in shape (strings, lists, nested mappings, lists of uniform rows such as a
scale's grades), so `present_data` turns any value into nodes:

- {"type": "text", "text", "multiline"}        a string or number ("multiline" keeps line breaks)
- {"type": "empty", "text"}                     null ("Not reported") or an empty list
- {"type": "list", "items": [node]}             a list of mixed values
- {"type": "fields", "fields": [{"key", "label", "node"}]}   a mapping
- {"type": "table", "caption", "columns", "rows": [[node]]}  a list of flat mappings (grades…)
- {"type": "links", "items": [{"text", "url"}]} keys of other entries (claimed mechanisms, scales…)
- {"type": "refs", "items": [{"number", "anchor"}]}  hair_cycle's source_ref, as citation numbers
"""

from __future__ import annotations

import re
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from follicle.reference.models import ReferenceEntry, Verification
from follicle.reference.selectors import LINK_FIELDS

Kind = ReferenceEntry.Kind

# Shown elsewhere on the page (heading, badge, warning box, numbered sources).
HIDDEN_FIELDS = {"id", "verification", "unverified_facts", "sources", "source_refs"}
NAME_FIELDS = ("name", "condition", "parameter", "agent", "label")

# Headings for each kind's pages (the model's labels are singular).
KIND_PLURALS = {
    Kind.MECHANISM: _("Mechanisms"),
    Kind.INGREDIENT: _("Ingredients"),
    Kind.CONTRAINDICATION: _("Contraindications"),
    Kind.ADVERSE_EVENT: _("Adverse events"),
    Kind.SCALE: _("Hair-loss scales"),
    Kind.DIAGNOSIS: _("Diagnoses"),
    Kind.OUTCOME_MEASURE: _("Outcome measures"),
    Kind.EFFECT_SIZE: _("Effect sizes"),
    Kind.INJECTION_TECHNIQUE: _("Injection techniques"),
    Kind.PROTOCOL: _("Published protocols"),
    Kind.PROTOCOL_PARAMETER: _("Protocol parameters"),
    Kind.HAIR_CYCLE_PHASE: _("Hair-cycle phases"),
    Kind.SCALP_PARAMETER: _("Scalp parameters"),
    Kind.HAIR_CYCLE_MODEL: _("Hair-cycle models"),
}

EVIDENCE_LABELS = {
    "RCT": _("Randomised controlled trial"),
    "controlled": _("Controlled study"),
    "case_series": _("Case series"),
    "none": _("No clinical hair data"),
}

# Labels for the data's field names; others are made from the name ("key_features" → "Key features").
FIELD_LABELS = {
    "agent": _("Agent"),
    "applies_to": _("Applies to"),
    "basic_types": _("Basic types"),
    "caveat": _("Caveat"),
    "claimed_mechanisms": _("Claimed mechanisms"),
    "class": _("Class"),
    "code": _("Code"),
    "concentrations_reported": _("Concentrations reported"),
    "context": _("Context"),
    "data_basis": _("Data basis"),
    "density": _("Density"),
    "description": _("Description"),
    "design": _("Design"),
    "dose_per_session": _("Dose per session"),
    "duration": _("Duration"),
    "evidence": _("Evidence"),
    "final_type": _("Final type"),
    "finding": _("Finding"),
    "findings": _("Findings"),
    "follow_up": _("Follow-up"),
    "fraction_aga": _("Fraction in androgenetic alopecia"),
    "fraction_healthy": _("Fraction in healthy scalp"),
    "frequency": _("Frequency"),
    "grade": _("Grade"),
    "grades": _("Grades"),
    "interpretation": _("Interpretation"),
    "key_features": _("Key features"),
    "key_findings": _("Key findings"),
    "label": _("Label"),
    "level": _("Level"),
    "mechanism_basis": _("Mechanism basis"),
    "mesotherapy_suitability": _("Mesotherapy suitability"),
    "method": _("Method"),
    "mitigation": _("Mitigation"),
    "needle": _("Needle"),
    "notes": _("Notes"),
    "onset": _("Onset"),
    "origin": _("Origin"),
    "outcomes": _("Outcomes"),
    "population": _("Population"),
    "prevention": _("Prevention"),
    "rationale": _("Rationale"),
    "reference_values": _("Reference values"),
    "reliability": _("Reliability"),
    "result": _("Result"),
    "route": _("Route"),
    "safety": _("Safety"),
    "safety_notes": _("Safety notes"),
    "schedule": _("Schedule"),
    "score": _("Score"),
    "sessions": _("Sessions"),
    "severity": _("Severity"),
    "source_ref": _("Source"),
    "specific_types": _("Specific types"),
    "staging_scales": _("Staging scales"),
    "states": _("States"),
    "structure": _("Structure"),
    "technique": _("Technique"),
    "text": _("Text"),
    "time_to_resolution": _("Time to resolution"),
    "timepoints": _("Time points"),
    "type": _("Type"),
    "typical_timepoints": _("Typical time points"),
    "unit": _("Unit"),
    "use_in_hair": _("Use in hair loss"),
    "validation": _("Validation"),
    "value": _("Value"),
    "values": _("Values"),
    "depth_mm": _("Depth (mm)"),
    "needle_angle_deg": _("Needle angle (degrees)"),
    "spacing_mm": _("Spacing (mm)"),
    "volume_per_point_ml": _("Volume per point (mL)"),
    "volume_per_session_ml": _("Volume per session (mL)"),
}
UNIT_SUFFIXES = {"_mm": "mm", "_ml": "mL", "_deg": "°", "_months": "months"}
SPECIAL_VALUES = {"all_injections": _("All injections")}


def field_label(key: Any) -> str:
    key = str(key)
    if key in FIELD_LABELS:
        return FIELD_LABELS[key]
    unit = ""
    for suffix, name in UNIT_SUFFIXES.items():
        if key.endswith(suffix) and len(key) > len(suffix):
            key, unit = key[: -len(suffix)], f" ({name})"
            break
    if any(c.isupper() for c in key):  # a symbol such as mu_A or A: keep it as written
        return key + unit
    text = key.replace("_", " ").strip()
    return text[:1].upper() + text[1:] + unit


def evidence_label(level: str) -> str:
    return str(EVIDENCE_LABELS.get(level, level))


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _text(value: Any) -> dict:
    if value is None:
        return {"type": "empty", "text": _("Not reported")}
    if isinstance(value, bool):
        return {"type": "text", "text": _("Yes") if value else _("No"), "multiline": False}
    text = str(value)
    return {"type": "text", "text": text, "multiline": "\n" in text.strip()}


class _Presenter:
    def __init__(self, *, kind: str = "", linked=None, ref_numbers=None):
        self.kind = kind
        self.linked = linked or {}
        self.ref_numbers = ref_numbers or {}

    def value(self, value: Any, *, key: str = "", top: bool = False) -> dict:
        target = LINK_FIELDS.get((self.kind, key)) if top else None
        if target is not None:
            return self.links(value, target)
        if key == "source_ref" and isinstance(value, str) and value in self.ref_numbers:
            return self.refs([value])
        if isinstance(value, dict):
            return self.fields(value)
        if isinstance(value, list):
            if not value:
                return {"type": "empty", "text": _("None")}
            if all(isinstance(item, dict) and item for item in value) and all(
                _is_scalar(v) for item in value for v in item.values()
            ):
                return self.table(value, caption=field_label(key) if key else "")
            return {"type": "list", "items": [self.value(item) for item in value]}
        return _text(value)

    def fields(self, mapping: dict, *, hidden: set[str] = frozenset(), top: bool = False) -> dict:
        return {
            "type": "fields",
            "fields": [
                {"key": str(k), "label": field_label(k), "node": self.value(v, key=str(k), top=top)}
                for k, v in mapping.items()
                if str(k) not in hidden
            ],
        }

    def table(self, rows: list[dict], *, caption: str) -> dict:
        columns: list[str] = []
        for row in rows:
            columns.extend(str(k) for k in row if str(k) not in columns)
        return {
            "type": "table",
            "caption": caption,
            "columns": [field_label(c) for c in columns],
            "rows": [[self.value(row.get(c), key=c) for c in columns] for row in rows],
        }

    def links(self, value: Any, target: str) -> dict:
        values = value if isinstance(value, list) else [value]
        if value is None or not values:
            return _text(value) if value is None else {"type": "empty", "text": _("None")}
        items = []
        for item in values:
            entry = self.linked.get((target, item)) if isinstance(item, str) else None
            if entry is not None:
                url = reverse("reference:entry_detail", args=[target, item])
                items.append({"text": entry.name, "url": url})
            else:
                items.append({"text": str(SPECIAL_VALUES.get(item, item)), "url": ""})
        return {"type": "links", "items": items}

    def refs(self, refs: list[str]) -> dict:
        numbers = [self.ref_numbers[r] for r in refs if r in self.ref_numbers]
        return {"type": "refs", "items": [{"number": n, "anchor": f"source-{n}"} for n in numbers]}


def _ref_numbers(entry: ReferenceEntry) -> dict[str, int]:
    """hair_cycle's source keys → their number in the entry's resolved (numbered) sources."""
    document = entry.dataset.document if entry.dataset_id else {}
    source_map = document.get("sources") if isinstance(document.get("sources"), dict) else {}
    position = {citation: n for n, citation in enumerate(entry.sources or [], start=1)}
    return {ref: position[citation] for ref, citation in source_map.items() if citation in position}


def present_data(entry: ReferenceEntry, *, linked=None) -> dict:
    """The entry's data as nodes, without the fields shown elsewhere on the page."""
    data = entry.data
    if not isinstance(data, dict):
        return _Presenter(kind=entry.kind).value(data)
    name_field = next((f for f in NAME_FIELDS if data.get(f)), None)
    hidden = set(HIDDEN_FIELDS)
    if name_field and str(data[name_field]) == entry.name:
        hidden.add(name_field)
    if data.get("code") == entry.key:  # a mechanism's code is its key, shown already
        hidden.add("code")
    presenter = _Presenter(kind=entry.kind, linked=linked, ref_numbers=_ref_numbers(entry))
    return presenter.fields(data, hidden=hidden, top=True)


def present_document(document: dict) -> dict:
    """A dataset's non-entry parts (overview, general notes, summaries) as nodes."""
    return _Presenter().fields(document)


_IDENTIFIERS = re.compile(r"doi:\s*(?P<doi>10\.\d{4,9}/[^\s,;]+)|PMID\s*(?P<pmid>\d{5,9})", re.IGNORECASE)


def citation_parts(citation: str) -> list[dict]:
    """A citation split into text and links: DOIs to doi.org, PMIDs to PubMed."""
    parts, position = [], 0
    for match in _IDENTIFIERS.finditer(citation):
        doi = (match.group("doi") or "").rstrip(".)")
        end = match.start("doi") + len(doi) if doi else match.end()
        if match.start() > position:
            parts.append({"text": citation[position : match.start()], "url": ""})
        url = f"https://doi.org/{doi}" if doi else f"https://pubmed.ncbi.nlm.nih.gov/{match.group('pmid')}/"
        parts.append({"text": citation[match.start() : end], "url": url})
        position = end
    if position < len(citation):
        parts.append({"text": citation[position:], "url": ""})
    return parts


def present_sources(entry: ReferenceEntry) -> list[dict]:
    return [
        {"number": n, "anchor": f"source-{n}", "parts": citation_parts(citation)}
        for n, citation in enumerate(entry.sources or [], start=1)
    ]


VERIFICATION_STYLES = {
    Verification.VERIFIED: ("success", "patch-check"),
    Verification.PARTIALLY_VERIFIED: ("warning", "exclamation-triangle"),
    Verification.UNVERIFIED: ("danger", "x-octagon"),
    Verification.NOT_STATED: ("secondary", "question-circle"),
}


def verification_badge(value: str) -> dict:
    """{"label", "style" (Bootstrap colour), "icon"} for a verification status."""
    try:
        status = Verification(value or "")
    except ValueError:
        status = Verification.NOT_STATED
    style, icon = VERIFICATION_STYLES[status]
    label = _("Verification not stated") if status == Verification.NOT_STATED else status.label
    return {"label": label, "style": style, "icon": icon, "value": status.value}
