"""The reference catalogue's pages: read-only, for roles with catalogue access (not receptionists)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.http import urlencode

from follicle.core.access import staff_view
from follicle.core.audit import Auditor
from follicle.reference import presenters, selectors
from follicle.reference.models import ReferenceEntry

PAGE_SIZE = 25


def _kind_context(kind: ReferenceEntry.Kind) -> dict:
    return {"kind": kind, "kind_plural": presenters.KIND_PLURALS[kind]}


def _kind(value: str) -> ReferenceEntry.Kind:
    kind = selectors.kind_or_none(value)
    if kind is None:
        raise Http404
    return ReferenceEntry.Kind(kind)


@staff_view("catalogue", "r")
def index(request):
    kinds = [{**k, "plural": presenters.KIND_PLURALS[k["kind"]]} for k in selectors.kind_counts()]
    return render(request, "reference/index.html", {"kinds": kinds, "loaded": any(k["count"] for k in kinds)})


@staff_view("catalogue", "r")
def entry_list(request, kind):
    kind = _kind(kind)
    search = request.GET.get("q", "").strip()[:100]
    entries = selectors.entry_list(kind=kind, search=search)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    Auditor.from_request(request).log_list(
        "reference.list",
        query={"kind": kind.value, "q": search, "page": page.number},
        count=page.paginator.count,
    )
    context = {
        **_kind_context(kind),
        "page": page,
        "search": search,
        "query": urlencode({"q": search}) if search else "",
        "show_evidence": any(e.evidence_level for e in page.object_list),
    }
    if request.htmx:
        response = render(request, "reference/entry_list.html#results", context)
    else:
        dataset = selectors.dataset_for_kind(kind)
        document = presenters.present_document(dataset.document) if dataset and dataset.document else None
        response = render(
            request, "reference/entry_list.html", {**context, "dataset": dataset, "document": document}
        )
    response["Vary"] = "HX-Request"
    return response


@staff_view("catalogue", "r")
def entry_detail(request, kind, key):
    kind = _kind(kind)
    try:
        entry = selectors.entry_get(kind=kind, key=key)
    except ReferenceEntry.DoesNotExist as exc:
        raise Http404 from exc
    context = {
        **_kind_context(kind),
        "entry": entry,
        "data": presenters.present_data(entry, linked=selectors.linked_entries(entry)),
        "sources": presenters.present_sources(entry),
        "evidence": presenters.evidence_label(entry.evidence_level) if entry.evidence_level else "",
        "ingredients": selectors.ingredients_for_mechanism(entry.key) if kind == kind.MECHANISM else None,
    }
    return render(request, "reference/entry_detail.html", context)
