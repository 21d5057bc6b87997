"""Writes to the reference catalogue: loading the data files shipped in reference/data/."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from follicle.core.audit import Auditor
from follicle.reference.loader import (
    DEFAULT_DATA_DIR,
    KINDS_BY_DATASET,
    ParsedDataset,
    data_files,
    file_version,
    parse_file,
)
from follicle.reference.models import ReferenceDataset, ReferenceEntry

AUDIT_LABEL = "system:load-reference"


@dataclass(frozen=True)
class DatasetResult:
    name: str
    status: str  # "loaded" (new or changed file) or "unchanged"
    version: str
    entries: int  # current entries of the dataset
    retired: int = 0  # entries this load marked no longer current


@dataclass
class LoadReport:
    datasets: list[DatasetResult] = field(default_factory=list)

    @property
    def changed(self) -> list[DatasetResult]:
        return [d for d in self.datasets if d.status == "loaded"]


def reference_load(
    *,
    auditor: Auditor,
    data_dir: Path = DEFAULT_DATA_DIR,
    progress: Callable[[str], None] | None = None,
) -> LoadReport:
    """Load every data file whose content changed since the last load; skip the others.

    All changed files are parsed and checked before anything is written, so a malformed file
    raises ReferenceDataError and stores nothing. Each file is then written in its own
    transaction with one audit row. Entries a newer file drops are marked not current, never
    deleted: records that cite them keep resolving. `progress` is called with each file's name.
    """
    known = dict(ReferenceDataset.objects.values_list("name", "version"))
    unchanged: dict[str, str] = {}
    parsed: list[ParsedDataset] = []
    for path in data_files(data_dir):
        version = file_version(path)
        if known.get(path.stem) == version:
            unchanged[path.stem] = version
        else:
            parsed.append(parse_file(path))
    results: dict[str, DatasetResult] = {}
    for name, version in unchanged.items():
        count = ReferenceEntry.objects.filter(dataset__name=name, is_current=True).count()
        results[name] = DatasetResult(name=name, status="unchanged", version=version, entries=count)
        if progress:
            progress(name)
    for dataset in parsed:
        results[dataset.name] = _write_dataset(dataset, auditor=auditor)
        if progress:
            progress(dataset.name)
    return LoadReport(datasets=[results[name] for name in sorted(results)])


@transaction.atomic
def _write_dataset(parsed: ParsedDataset, *, auditor: Auditor) -> DatasetResult:
    """Insert or update (on kind + key) the file's entries and retire the ones it no longer has."""
    dataset, _ = ReferenceDataset.objects.update_or_create(
        name=parsed.name,
        defaults={
            "version": parsed.version,
            "schema_version": parsed.schema_version,
            "loaded_at": timezone.now(),
            "entry_count": len(parsed.entries),
            "document": parsed.document,
        },
    )
    kinds = KINDS_BY_DATASET[parsed.name]
    existing = {(e.kind, e.key): e for e in ReferenceEntry.objects.filter(kind__in=kinds)}
    fields = ["dataset", "name", "data", "verification", "evidence_level", "sources", "unverified_facts"]
    to_create, to_update, seen = [], [], set()
    for item in parsed.entries:
        row = existing.get((item.kind, item.key)) or ReferenceEntry(kind=item.kind, key=item.key)
        for name in fields:
            setattr(row, name, dataset if name == "dataset" else getattr(item, name))
        row.version, row.is_current = parsed.version, True
        row.full_clean(exclude=["dataset"], validate_unique=False, validate_constraints=False)
        (to_update if row.pk else to_create).append(row)
        seen.add((item.kind, item.key))
    ReferenceEntry.objects.bulk_create(to_create)
    ReferenceEntry.objects.bulk_update(to_update, [*fields, "version", "is_current"])
    gone = [e.pk for k, e in existing.items() if k not in seen and e.is_current]
    retired = ReferenceEntry.objects.filter(pk__in=gone).update(is_current=False)
    auditor.log(
        "reference.load",
        obj=dataset,
        detail={
            "dataset": parsed.name,
            "version": parsed.version,
            "entries": len(parsed.entries),
            "retired": retired,
        },
    )
    return DatasetResult(
        name=parsed.name,
        status="loaded",
        version=parsed.version,
        entries=len(parsed.entries),
        retired=retired,
    )
