"""Reads of the reference catalogue, for its pages and API and for other apps (screening, assessment).

The catalogue is the same for every clinic (it is the project's published data), so these
selectors take no clinic. Lookups by key also find entries that a newer data file dropped
(`is_current=False`), so records that cite them keep resolving; lists offer current entries only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from follicle.reference.loader import KINDS_BY_DATASET
from follicle.reference.models import ReferenceDataset, ReferenceEntry

Kind = ReferenceEntry.Kind

DATASET_OF_KIND: dict[str, str] = {kind: name for name, kinds in KINDS_BY_DATASET.items() for kind in kinds}

# Fields whose values are keys of other entries: (kind of the entry, field) -> kind they refer to.
LINK_FIELDS: dict[tuple[str, str], str] = {
    (Kind.INGREDIENT, "claimed_mechanisms"): Kind.MECHANISM,
    (Kind.DIAGNOSIS, "staging_scales"): Kind.SCALE,
    (Kind.PROTOCOL, "technique"): Kind.INJECTION_TECHNIQUE,
    (Kind.CONTRAINDICATION, "applies_to"): Kind.INGREDIENT,
    (Kind.HAIR_CYCLE_MODEL, "states"): Kind.HAIR_CYCLE_PHASE,
}


def kind_or_none(value: str) -> str | None:
    """The Kind for a URL or API path segment, or None when there is no such kind."""
    return value if value in Kind.values else None


# --------------------------------------------------------------------------- catalogue pages and API
def entry_list(*, kind: str, search: str = "", current_only: bool = True) -> QuerySet[ReferenceEntry]:
    """One kind's entries by name; `search` matches the name or the key (case-insensitive)."""
    entries = ReferenceEntry.objects.filter(kind=kind).select_related("dataset")
    if current_only:
        entries = entries.filter(is_current=True)
    search = search.strip()
    if search:
        entries = entries.filter(Q(name__icontains=search) | Q(key__icontains=search.replace(" ", "_")))
    return entries.order_by("name", "key")


def entry_get(*, kind: str, key: str) -> ReferenceEntry:
    """One entry, current or not; raises ReferenceEntry.DoesNotExist."""
    return ReferenceEntry.objects.select_related("dataset").get(kind=kind, key=key)


def kind_counts() -> list[dict]:
    """Every kind, in the model's order: {"kind", "label", "count" (current entries), "dataset"}.

    `dataset` is the ReferenceDataset the kind comes from, or None before the first load.
    """
    counts = dict(
        ReferenceEntry.objects.filter(is_current=True)
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    datasets = {d.name: d for d in ReferenceDataset.objects.all()}
    return [
        {
            "kind": kind.value,
            "label": kind.label,
            "count": counts.get(kind.value, 0),
            "dataset": datasets.get(DATASET_OF_KIND[kind.value]),
        }
        for kind in Kind
    ]


def dataset_list() -> QuerySet[ReferenceDataset]:
    return ReferenceDataset.objects.order_by("name")


def dataset_for_kind(kind: str) -> ReferenceDataset | None:
    return ReferenceDataset.objects.filter(name=DATASET_OF_KIND[kind]).first()


def linked_entries(entry: ReferenceEntry) -> dict[tuple[str, str], ReferenceEntry]:
    """The entries this one names in its LINK_FIELDS, keyed by (kind, key); missing ones are left out."""
    wanted: dict[str, set[str]] = {}
    data = entry.data if isinstance(entry.data, dict) else {}
    for (kind, name), target in LINK_FIELDS.items():
        if kind == entry.kind and name in data:
            value = data[name]
            values = value if isinstance(value, list) else [value]
            wanted.setdefault(target, set()).update(str(v) for v in values if isinstance(v, str))
    query = Q(pk__in=[])
    for target, keys in wanted.items():
        query |= Q(kind=target, key__in=keys)
    return {(e.kind, e.key): e for e in ReferenceEntry.objects.filter(query)} if wanted else {}


def ingredients_for_mechanism(code: str) -> list[ReferenceEntry]:
    """Current ingredients whose claimed mechanisms include `code` (about 30 rows: filtered in Python,
    as JSON containment differs between SQLite and PostgreSQL)."""
    return [
        e
        for e in entry_list(kind=Kind.INGREDIENT)
        if code in (e.data.get("claimed_mechanisms") or [] if isinstance(e.data, dict) else [])
    ]


# --------------------------------------------------------------------------- helpers for screening
def contraindication_list() -> QuerySet[ReferenceEntry]:
    """Current contraindications by name. data: condition, type (absolute | relative | caution |
    agent_specific), applies_to (["all_injections"] or ingredient keys), rationale."""
    return entry_list(kind=Kind.CONTRAINDICATION)


def diagnosis_list() -> QuerySet[ReferenceEntry]:
    """Current diagnoses by name. data: key_features, mesotherapy_suitability, staging_scales (scale keys)."""
    return entry_list(kind=Kind.DIAGNOSIS)


def scale_list() -> QuerySet[ReferenceEntry]:
    """Current hair-loss scales by name. data: population, grades or basic_types/specific_types, notes."""
    return entry_list(kind=Kind.SCALE)


_SEXES = {
    "male": "male",
    "m": "male",
    "man": "male",
    "men": "male",
    "female": "female",
    "f": "female",
    "woman": "female",
    "women": "female",
}


def _population_sexes(population: str) -> set[str]:
    """Which sexes a scale's population string names; empty when it names none (e.g. "alopecia areata").

    The strings in classification_scales.yaml: "men", "women", "men and women", "women (modified
    version validated for men with female-pattern loss)", "women (and men: 1992 male method)".
    """
    text = population.lower()
    sexes = set()
    if re.search(r"\b(women|woman|female)", text):
        sexes.add("female")
    if re.search(r"\b(men|man|male)\b", text):
        sexes.add("male")
    return sexes


def scales_for_diagnosis(diagnosis_key: str, sex: str | None = None) -> list[ReferenceEntry]:
    """The current scales a diagnosis is staged with (its `staging_scales`, in the file's order) that
    apply to a patient of `sex`.

    `sex` is "male" or "female" (also "m"/"f"/"man"/"woman"); anything else (None, "", "other",
    "unknown") applies no filter. A scale applies when its population names that sex or names no
    sex at all (SALT's "alopecia areata"). Raises ReferenceEntry.DoesNotExist for an unknown diagnosis.
    """
    diagnosis = entry_get(kind=Kind.DIAGNOSIS, key=diagnosis_key)
    keys = [k for k in (diagnosis.data.get("staging_scales") or []) if isinstance(k, str)]
    scales = {e.key: e for e in scale_list().filter(key__in=keys)}
    wanted = _SEXES.get((sex or "").strip().lower())
    result = []
    for key in keys:
        scale = scales.get(key)
        if scale is None:
            continue
        sexes = _population_sexes(str(scale.data.get("population") or ""))
        if wanted is None or not sexes or wanted in sexes:
            result.append(scale)
    return result


@dataclass(frozen=True)
class Grade:
    value: str
    description: str


@dataclass(frozen=True)
class ScaleGrading:
    """How a scale is graded, for a form.

    - "ordinal": `grades` in the file's order (Hamilton-Norwood "I" … "VII", Ludwig, Sinclair "1"-"5",
      Savin, Olsen, Ebling & Rook "I-II"/"III-V"); `choices` are the grade labels.
    - "score": an integer score from `minimum` to `maximum` (SALT 0-100 % scalp hair loss, FPHL-SI
      0-20); `grades` are the file's score bands with their meaning; `choices` every integer as text.
    - "types": a combination of codes (BASP: one basic type plus any specific types, e.g. "M2V1");
      `grades` and `choices` are the single codes, basic types first ("L", "M0" … "U3", "F1" … "V3"),
      `basic`/`specific` split them.
    - "none": the scale gives no grades.
    """

    kind: str
    grades: list[Grade] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)
    minimum: int | None = None
    maximum: int | None = None
    basic: list[str] = field(default_factory=list)
    specific: list[str] = field(default_factory=list)


_RANGE = re.compile(r"^(\d+)\s*-\s*(\d+)$")
_CODE_RANGE = re.compile(r"^([A-Za-z]+)(\d+)\s*-\s*\1(\d+)$")


def _expand_codes(types: list) -> list[Grade]:
    """BASP codes: "M0-M3" stands for M0, M1, M2, M3."""
    grades = []
    for item in types:
        if not isinstance(item, dict) or not item.get("code"):
            continue
        code, description = str(item["code"]), str(item.get("description") or "")
        match = _CODE_RANGE.match(code)
        if match:
            prefix, low, high = match.group(1), int(match.group(2)), int(match.group(3))
            grades.extend(Grade(f"{prefix}{n}", description) for n in range(low, high + 1))
        else:
            grades.append(Grade(code, description))
    return grades


def scale_grading(scale_key: str) -> ScaleGrading:
    """How the scale `scale_key` is graded (see ScaleGrading). Raises ReferenceEntry.DoesNotExist."""
    data = entry_get(kind=Kind.SCALE, key=scale_key).data
    raw_grades = [g for g in data.get("grades") or [] if isinstance(g, dict) and "grade" in g]
    if raw_grades:
        grades = [Grade(str(g["grade"]), str(g.get("description") or "")) for g in raw_grades]
        ranges = [_RANGE.match(g.value) for g in grades]
        if all(ranges):
            low = min(int(m.group(1)) for m in ranges)
            high = max(int(m.group(2)) for m in ranges)
            return ScaleGrading(
                kind="score",
                grades=grades,
                choices=[str(n) for n in range(low, high + 1)],
                minimum=low,
                maximum=high,
            )
        return ScaleGrading(kind="ordinal", grades=grades, choices=[g.value for g in grades])
    basic = _expand_codes(data.get("basic_types") or [])
    specific = _expand_codes(data.get("specific_types") or [])
    if basic or specific:
        return ScaleGrading(
            kind="types",
            grades=basic + specific,
            choices=[g.value for g in basic + specific],
            basic=[g.value for g in basic],
            specific=[g.value for g in specific],
        )
    return ScaleGrading(kind="none")


def scale_grades(scale_key: str) -> list[str]:
    """What a form can offer as the grade of `scale_key`: `scale_grading(scale_key).choices`.

    Ordinal scales give their grade labels in order (["I", "II", "IIa", …, "VII"]); score scales
    every integer as text (SALT: ["0", …, "100"]); BASP its single codes (["L", "M0", …, "V3"]).
    Raises ReferenceEntry.DoesNotExist for an unknown scale.
    """
    return scale_grading(scale_key).choices
