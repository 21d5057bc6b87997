"""Reading the reference data files: YAML in, plain entries out (no database here).

Each file in reference/data/ is one dataset. `parse_file` checks it and maps its entry lists to
`ParsedEntry` rows of one kind each; every other top-level part (overviews, general notes,
summaries, hair_cycle's keyed `sources`) becomes the dataset's `document`. The service in
services.py writes the result. Nothing here reads ../shared: the files ship inside the package.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.utils.text import slugify

from follicle.reference.models import ReferenceEntry, Verification

DEFAULT_DATA_DIR = Path(__file__).resolve().parent / "data"
SCHEMA_VERSION = 1
EVIDENCE_LEVELS = ("RCT", "controlled", "case_series", "none")  # data/SOURCES.md, "Shared conventions"
KEY_MAX = 100
NAME_MAX = 300
SLUG_KEY_MAX = 60  # keys made from an entry's text (effect sizes have no id)

Kind = ReferenceEntry.Kind


class ReferenceDataError(Exception):
    """A data file that cannot be loaded; the message names the file and what is wrong."""


@dataclass(frozen=True)
class ParsedEntry:
    kind: str
    key: str
    name: str
    data: Any
    verification: str = ""
    evidence_level: str = ""
    sources: list[str] = field(default_factory=list)
    unverified_facts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ParsedDataset:
    name: str
    version: str
    schema_version: int
    document: dict[str, Any]
    entries: list[ParsedEntry]


def file_version(path: Path) -> str:
    """A dataset's version: the SHA-256 of the file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def data_files(data_dir: Path) -> list[Path]:
    files = sorted(Path(data_dir).glob("*.yaml"))
    if not files:
        raise ReferenceDataError(f"No reference data files (*.yaml) in {data_dir}.")
    return files


# --------------------------------------------------------------------------- entry mapping
def _humanise(identifier: str) -> str:
    text = str(identifier).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _strings(value: Any, *, what: str) -> list[str]:
    """A list of strings (a lone string becomes a one-item list)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{what} must be a list of strings")
    return list(value)


def _common(raw: dict, *, sources: list[str] | None = None) -> dict[str, Any]:
    """The fields every kind shares: verification, evidence level, sources, unverified facts."""
    verification = raw.get("verification") or ""
    if verification not in Verification.values:
        raise ValueError(f"unknown verification {verification!r}")
    evidence = raw.get("evidence")
    level = str(evidence.get("level") or "") if isinstance(evidence, dict) else ""
    if level and level not in EVIDENCE_LEVELS:
        raise ValueError(f"unknown evidence level {level!r}")
    return {
        "verification": verification,
        "evidence_level": level,
        "sources": sources if sources is not None else _strings(raw.get("sources"), what="sources"),
        "unverified_facts": _strings(raw.get("unverified_facts"), what="unverified_facts"),
    }


def _entry(kind: str, key: str, name: str, data: Any, **common) -> ParsedEntry:
    if not key or slugify(key) != key.lower() or len(key) > KEY_MAX:
        raise ValueError(f"id {key!r} is not a usable key (letters, digits, '-' or '_', at most {KEY_MAX})")
    if not name:
        raise ValueError(f"entry {key!r} has no name")
    return ParsedEntry(kind=kind, key=key, name=str(name)[:NAME_MAX], data=data, **common)


def _id_entries(kind: str, *, name_fields: tuple[str, ...] = ("name",)):
    """Entries that carry an `id`: the usual case."""

    def build(items: list, context: dict) -> list[ParsedEntry]:
        entries = []
        for raw in items:
            if not isinstance(raw, dict) or not raw.get("id"):
                raise ValueError(f"every {kind} entry needs an id")
            name = next((raw[f] for f in name_fields if raw.get(f)), None) or _humanise(raw["id"])
            sources = _resolve_refs(raw, context["source_map"]) if context.get("source_map") else None
            entries.append(_entry(kind, str(raw["id"]), name, raw, **_common(raw, sources=sources)))
        return entries

    return build


def _mechanisms(codes: dict, context: dict) -> list[ParsedEntry]:
    if not isinstance(codes, dict):
        raise ValueError("mechanism_codes must map codes to labels")
    return [
        _entry(Kind.MECHANISM, str(code), str(label), {"code": code, "label": label}, **_common({}))
        for code, label in codes.items()
    ]


def _slug_key(text: str, taken: set[str]) -> str:
    """A stable key for entries without an id: a slug of their text, a suffix when it repeats."""
    base = slugify(text)
    if len(base) > SLUG_KEY_MAX:  # cut at a word boundary: short enough for a readable URL
        base = base[: SLUG_KEY_MAX + 1].rsplit("-", 1)[0]
    base = base.strip("-") or "entry"
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    taken.add(key)
    return key


def _effect_sizes(items: list, context: dict) -> list[ParsedEntry]:
    taken: set[str] = set()
    entries = []
    for raw in items:
        if not isinstance(raw, dict) or not raw.get("agent"):
            raise ValueError("every effect size needs an agent")
        key = _slug_key(f"{raw['agent']} {raw.get('design', '')}", taken)
        entries.append(_entry(Kind.EFFECT_SIZE, key, raw["agent"], raw, **_common(raw)))
    return entries


def _parameters(items: list, context: dict) -> list[ParsedEntry]:
    taken: set[str] = set()
    entries = []
    for raw in items:
        if not isinstance(raw, dict) or not raw.get("parameter"):
            raise ValueError("every general parameter needs a parameter name")
        key = _slug_key(str(raw["parameter"]), taken)
        entries.append(_entry(Kind.PROTOCOL_PARAMETER, key, _humanise(raw["parameter"]), raw, **_common(raw)))
    return entries


def _resolve_refs(raw: dict, source_map: dict[str, str]) -> list[str]:
    """Citations for every `source_ref`/`source_refs` anywhere in the entry, in order, once each."""
    refs: list[str] = []

    def walk(value):
        if isinstance(value, dict):
            for k, v in value.items():
                if k == "source_ref" and isinstance(v, str):
                    refs.append(v)
                elif k == "source_refs":
                    refs.extend(_strings(v, what="source_refs"))
                else:
                    walk(v)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(raw)
    unknown = sorted({ref for ref in refs if ref not in source_map})
    if unknown:
        raise ValueError(f"unknown source reference(s) {', '.join(unknown)}")
    return list(dict.fromkeys(source_map[ref] for ref in refs)) + _strings(raw.get("sources"), what="sources")


Builder = Callable[[Any, dict], list[ParsedEntry]]

# For each file (by stem): the top-level parts that hold entries, and how to read them.
# Every other top-level part except schema_version goes into the dataset's document.
SECTIONS: dict[str, dict[str, Builder]] = {
    "ingredients": {
        "mechanism_codes": _mechanisms,
        "ingredients": _id_entries(Kind.INGREDIENT),
    },
    "contraindications": {
        "contraindications": _id_entries(Kind.CONTRAINDICATION, name_fields=("condition",))
    },
    "adverse_events": {"adverse_events": _id_entries(Kind.ADVERSE_EVENT)},
    "classification_scales": {
        "scales": _id_entries(Kind.SCALE),
        "diagnoses": _id_entries(Kind.DIAGNOSIS),
    },
    "outcome_measures": {
        "measures": _id_entries(Kind.OUTCOME_MEASURE),
        "effect_sizes": _effect_sizes,
    },
    "protocols": {
        "injection_techniques": _id_entries(Kind.INJECTION_TECHNIQUE),
        "general_parameters": _parameters,
        "protocols": _id_entries(Kind.PROTOCOL, name_fields=("name", "agent")),
    },
    "hair_cycle": {
        "phases": _id_entries(Kind.HAIR_CYCLE_PHASE),
        "scalp_parameters": _id_entries(Kind.SCALP_PARAMETER),
        "models": _id_entries(Kind.HAIR_CYCLE_MODEL),
    },
}

# The kinds each file provides (a kind always comes from one file).
KINDS_BY_DATASET: dict[str, set[str]] = {
    "ingredients": {Kind.MECHANISM, Kind.INGREDIENT},
    "contraindications": {Kind.CONTRAINDICATION},
    "adverse_events": {Kind.ADVERSE_EVENT},
    "classification_scales": {Kind.SCALE, Kind.DIAGNOSIS},
    "outcome_measures": {Kind.OUTCOME_MEASURE, Kind.EFFECT_SIZE},
    "protocols": {Kind.INJECTION_TECHNIQUE, Kind.PROTOCOL_PARAMETER, Kind.PROTOCOL},
    "hair_cycle": {Kind.HAIR_CYCLE_PHASE, Kind.SCALP_PARAMETER, Kind.HAIR_CYCLE_MODEL},
}


# --------------------------------------------------------------------------- files
def parse_file(path: Path) -> ParsedDataset:
    """Read and check one data file; raise ReferenceDataError naming the file on any problem."""
    path = Path(path)
    name = path.stem
    if name not in SECTIONS:
        raise ReferenceDataError(
            f"{path.name}: not a known reference data file (expected one of {', '.join(sorted(SECTIONS))})."
        )
    content = path.read_bytes()
    try:
        parsed = yaml.safe_load(content)
    except yaml.YAMLError as exc:
        raise ReferenceDataError(f"{path.name}: not valid YAML: {exc}") from exc
    if not isinstance(parsed, dict):
        raise ReferenceDataError(f"{path.name}: expected a mapping at the top level.")
    schema_version = parsed.get("schema_version")
    if schema_version != SCHEMA_VERSION:
        raise ReferenceDataError(
            f"{path.name}: schema_version is {schema_version!r}; this Follicle reads schema_version "
            f"{SCHEMA_VERSION} only."
        )
    sections = SECTIONS[name]
    missing = [section for section in sections if section not in parsed]
    if missing:
        raise ReferenceDataError(f"{path.name}: missing section(s) {', '.join(missing)}.")
    source_map = parsed.get("sources") if isinstance(parsed.get("sources"), dict) else None
    context = {"source_map": source_map}
    entries: list[ParsedEntry] = []
    for section, build in sections.items():
        items = parsed[section]
        if section != "mechanism_codes" and not isinstance(items, list):
            raise ReferenceDataError(f"{path.name}: {section} must be a list.")
        try:
            entries.extend(build(items, context))
        except (ValueError, TypeError, AttributeError) as exc:
            raise ReferenceDataError(f"{path.name}: {section}: {exc}.") from exc
    seen: set[tuple[str, str]] = set()
    for entry in entries:
        if (entry.kind, entry.key) in seen:
            raise ReferenceDataError(f"{path.name}: {entry.kind} {entry.key!r} appears twice.")
        seen.add((entry.kind, entry.key))
    document = {k: v for k, v in parsed.items() if k != "schema_version" and k not in sections}
    try:
        # JSON columns hold it: YAML dates or other non-JSON values are refused here, not mid-write.
        json.dumps([document, [e.data for e in entries]])
    except (TypeError, ValueError) as exc:
        raise ReferenceDataError(f"{path.name}: a value cannot be stored as JSON ({exc}).") from exc
    return ParsedDataset(
        name=name,
        version=hashlib.sha256(content).hexdigest(),
        schema_version=schema_version,
        document=document,
        entries=entries,
    )
