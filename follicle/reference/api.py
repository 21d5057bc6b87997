"""API for the reference catalogue: the same read-only data and permissions as its pages."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from ninja import Query, Router, Schema
from pydantic import Field

from follicle.api.schemas import Detail, Page, PageParams, paginate
from follicle.core.access import require
from follicle.core.audit import Auditor
from follicle.reference import selectors
from follicle.reference.models import ReferenceEntry

router = Router(tags=["reference"])


class KindOut(Schema):
    kind: str
    label: str
    count: int
    dataset: str | None = None
    version: str | None = None


class EntrySummary(Schema):
    kind: str
    key: str
    name: str
    verification: str
    evidence_level: str
    is_current: bool


class EntryOut(EntrySummary):
    data: Any
    sources: list[str]
    unverified_facts: list[str]
    version: str
    dataset: str = Field(alias="dataset.name")


class EntryFilter(PageParams):
    q: str = Field("", max_length=100)


def _kind(kind: str) -> str:
    value = selectors.kind_or_none(kind)
    if value is None:
        raise Http404
    return value


@router.get("/kinds", response={200: Page[KindOut], 403: Detail})
def kind_list(request):
    require(request, "catalogue", "r")
    items = [
        {
            "kind": k["kind"],
            "label": str(k["label"]),
            "count": k["count"],
            "dataset": k["dataset"].name if k["dataset"] else None,
            "version": k["dataset"].version if k["dataset"] else None,
        }
        for k in selectors.kind_counts()
    ]
    return {"items": items, "count": len(items)}


@router.get("/{kind}", response={200: Page[EntrySummary], 403: Detail, 404: Detail})
def entry_list(request, kind: str, filters: Query[EntryFilter]):
    require(request, "catalogue", "r")
    kind = _kind(kind)
    result = paginate(selectors.entry_list(kind=kind, search=filters.q), filters)
    Auditor.from_request(request).log_list(
        "reference.list",
        query={"kind": kind, "q": filters.q, "limit": filters.limit, "offset": filters.offset},
        count=result["count"],
    )
    return result


@router.get("/{kind}/{key}", response={200: EntryOut, 403: Detail, 404: Detail})
def entry_get(request, kind: str, key: str):
    require(request, "catalogue", "r")
    try:
        return selectors.entry_get(kind=_kind(kind), key=key)
    except ReferenceEntry.DoesNotExist as exc:
        raise Http404 from exc
