"""Pages for the catalogue's ingredients, the clinic's products and lots, and formulations. Thin views.

Read = catalogue "r" (admin, practitioner, nurse); write = catalogue "w" (admin, practitioner).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from follicle.accounts.roles import can
from follicle.core.access import staff_view
from follicle.core.audit import Auditor
from follicle.core.forms import add_service_errors
from follicle.formulations import presenters, selectors, services
from follicle.formulations.access import get_formulation, get_lot, get_product
from follicle.formulations.forms import (
    ComponentFormSet,
    FormulationEditForm,
    FormulationForm,
    IngredientFormSet,
    LotAdjustForm,
    LotReceiveForm,
    LotSearchForm,
    ProductForm,
    with_added_row,
)
from follicle.formulations.lots import lot_trace_sections
from follicle.reference.models import ReferenceEntry

PAGE_SIZE = 25


def _can_write(request) -> bool:
    return can(request.membership.role, "catalogue", "w")


# --------------------------------------------------------------------------- ingredients
@staff_view("catalogue", "r")
def ingredient_list(request):
    search = request.GET.get("q", "").strip()[:100]
    ingredients = [selectors.ingredient_summary(e) for e in selectors.ingredient_list(search=search)]
    context = {"ingredients": ingredients, "search": search}
    template = (
        "formulations/ingredient_list.html#results" if request.htmx else "formulations/ingredient_list.html"
    )
    response = render(request, template, context)
    response["Vary"] = "HX-Request"
    return response


@staff_view("catalogue", "r")
def ingredient_detail(request, key):
    try:
        entry = selectors.ingredient_get(key=key)
    except ReferenceEntry.DoesNotExist as exc:
        raise Http404 from exc
    context = {
        "entry": entry,
        "ingredient": selectors.ingredient_summary(entry),
        "contraindications": selectors.ingredient_contraindications(key=entry.key),
        "products": selectors.products_with_ingredient(clinic=request.clinic, key=entry.key),
    }
    return render(request, "formulations/ingredient_detail.html", context)


# --------------------------------------------------------------------------- products
def _ingredient_rows(formset) -> list[tuple]:
    return [(row["ingredient"], row.get("concentration"), row.get("unit") or "") for row in formset.rows()]


def _ingredient_formset(data=None, product=None):
    initial = (
        [
            {"ingredient": r.ingredient, "concentration": r.concentration, "unit": r.unit}
            for r in product.ingredients.all()
        ]
        if product is not None
        else None
    )
    return IngredientFormSet(
        data,
        initial=initial,
        prefix="ingredients",
        form_kwargs={"ingredients": selectors.ingredient_choices()},
    )


@staff_view("catalogue", "r")
def product_list(request):
    products = selectors.product_list(clinic=request.clinic)
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    names = dict(selectors.ingredient_choices())
    return render(
        request,
        "formulations/product_list.html",
        {"page": page, "names": names, "can_write": _can_write(request)},
    )


@staff_view("catalogue", "w")
def product_create(request):
    data = request.POST or None
    if data is not None and "add_row" in data:
        data = with_added_row(data, "ingredients")
    form = ProductForm(data)
    formset = _ingredient_formset(data)
    if request.method == "POST" and "add_row" not in request.POST and form.is_valid() and formset.is_valid():
        try:
            product = services.product_create(
                clinic=request.clinic,
                auditor=Auditor.from_request(request),
                ingredients=_ingredient_rows(formset),
                **form.cleaned_data,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("%(name)s was added to the clinic's products.") % {"name": product.name}
            )
            return redirect("formulations:product_detail", uuid=product.uuid)
    return render(request, "formulations/product_form.html", {"form": form, "formset": formset})


def _product_context(request, product, *, receive_form=None, formset=None) -> dict:
    lots = list(selectors.lot_list(clinic=request.clinic, product=product))
    return {
        "product": product,
        "names": dict(selectors.ingredient_choices()),
        "warnings": selectors.product_warning_list(product),
        "lots": [{"lot": lot, "usable": selectors.lot_usable(lot)} for lot in lots],
        "receive_form": receive_form or LotReceiveForm(),
        "formset": formset or _ingredient_formset(product=product),
        "can_write": _can_write(request),
    }


@staff_view("catalogue", "r")
def product_detail(request, uuid):
    product = get_product(request, uuid)
    return render(request, "formulations/product_detail.html", _product_context(request, product))


@staff_view("catalogue", "w")
def product_edit(request, uuid):
    product = get_product(request, uuid)
    form = ProductForm(request.POST or None, instance=selectors.product_get(clinic=request.clinic, uuid=uuid))
    if request.method == "POST" and form.is_valid():
        try:
            services.product_update(
                product=product, auditor=Auditor.from_request(request), **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The product was saved."))
            return redirect("formulations:product_detail", uuid=product.uuid)
    return render(request, "formulations/product_edit.html", {"form": form, "product": product})


@staff_view("catalogue", "w")
@require_POST
def product_ingredients(request, uuid):
    product = get_product(request, uuid)
    data = request.POST
    if "add_row" in data:
        formset = _ingredient_formset(with_added_row(data, "ingredients"))
    else:
        formset = _ingredient_formset(data)
        if formset.is_valid():
            try:
                services.product_ingredients_set(
                    product=product,
                    auditor=Auditor.from_request(request),
                    ingredients=_ingredient_rows(formset),
                )
            except ValidationError as exc:
                formset._non_form_errors = formset.error_class(exc.messages)
            else:
                messages.success(request, _("The product's ingredients were saved."))
                return redirect("formulations:product_detail", uuid=product.uuid)
    context = _product_context(request, product, formset=formset)
    return render(
        request, "formulations/product_detail.html", context, status=200 if "add_row" in data else 422
    )


@staff_view("catalogue", "w")
@require_POST
def lot_receive(request, uuid):
    product = get_product(request, uuid)
    form = LotReceiveForm(request.POST)
    if form.is_valid():
        try:
            lot = services.lot_receive(
                product=product, auditor=Auditor.from_request(request), **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Lot %(number)s was received.") % {"number": lot.lot_number})
            return redirect("formulations:product_detail", uuid=product.uuid)
    context = _product_context(request, product, receive_form=form)
    return render(request, "formulations/product_detail.html", context, status=422)


# --------------------------------------------------------------------------- lots
@staff_view("catalogue", "r")
def lot_search(request):
    form = LotSearchForm(request.GET or None)
    query, usable = "", False
    if form.is_valid():
        query, usable = form.cleaned_data["q"].strip(), form.cleaned_data["usable"]
    lots = selectors.lot_search(clinic=request.clinic, query=query, usable_only=usable)
    page = Paginator(lots, PAGE_SIZE).get_page(request.GET.get("page"))
    Auditor.from_request(request).log_list(
        "lot.search",
        query={"q": query, "usable": usable or None, "page": page.number},
        count=page.paginator.count,
    )
    results = [
        {
            "lot": lot,
            "usable": selectors.lot_usable(lot),
            "recipients": selectors.lot_recipients(lot) if query else None,
        }
        for lot in page.object_list
    ]
    context = {
        "form": form,
        "page": page,
        "results": results,
        "search": query,
        "query": urlencode({"q": query, **({"usable": "on"} if usable else {})}) if query or usable else "",
    }
    template = "formulations/lot_search.html#results" if request.htmx else "formulations/lot_search.html"
    response = render(request, template, context)
    response["Vary"] = "HX-Request"
    return response


# A traceability section is shown only to roles that may read what it lists (an admin manages the
# catalogue but reads no session record and only counts of adverse events).
TRACE_RESOURCES = {"sessions": "session_records", "adverse_events": "adverse_events"}


def _lot_trace(request, lot) -> list:
    role = request.membership.role
    return [
        section
        for section in lot_trace_sections(lot)
        if section.key not in TRACE_RESOURCES or can(role, TRACE_RESOURCES[section.key], "r")
    ]


@staff_view("catalogue", "r")
def lot_detail(request, uuid):
    lot = get_lot(request, uuid)
    trace = _lot_trace(request, lot)
    # The traceability sections name patients: one audit row for the list, as for a search.
    Auditor.from_request(request).log_list(
        "lot.trace", query={"lot": str(lot.uuid)}, count=sum(len(section.rows) for section in trace)
    )
    context = {
        "lot": lot,
        "usable": selectors.lot_usable(lot),
        "movements": selectors.lot_movements(lot=lot),
        "recipients": selectors.lot_recipients(lot),
        "trace": trace,
        "form": LotAdjustForm() if _can_write(request) else None,
    }
    return render(request, "formulations/lot_detail.html", context)


@staff_view("catalogue", "w")
@require_POST
def lot_adjust(request, uuid):
    lot = get_lot(request, uuid)
    form = LotAdjustForm(request.POST)
    if form.is_valid():
        try:
            services.lot_adjust(lot=lot, auditor=Auditor.from_request(request), **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("The stock of lot %(number)s was adjusted.") % {"number": lot.lot_number}
            )
            return redirect("formulations:lot_detail", uuid=lot.uuid)
    context = {
        "lot": lot,
        "usable": selectors.lot_usable(lot),
        "movements": selectors.lot_movements(lot=lot),
        "recipients": selectors.lot_recipients(lot),
        "trace": _lot_trace(request, lot),
        "form": form,
    }
    return render(request, "formulations/lot_detail.html", context, status=422)


# --------------------------------------------------------------------------- formulations
@staff_view("catalogue", "r")
def formulation_list(request):
    archived = request.GET.get("archived") == "1"
    formulations = selectors.formulation_list(clinic=request.clinic, include_archived=archived)
    page = Paginator(formulations, PAGE_SIZE).get_page(request.GET.get("page"))
    currents = {f.pk: selectors.current_of(f) for f in page.object_list}
    coverages = selectors.coverage_many([v for v in currents.values() if v is not None])
    rows = [
        {
            "formulation": f,
            "version": currents[f.pk],
            "coverage": coverages.get(currents[f.pk].pk) if currents[f.pk] else None,
        }
        for f in page.object_list
    ]
    context = {
        "page": page,
        "rows": rows,
        "archived": archived,
        "query": "archived=1" if archived else "",
        "can_write": _can_write(request),
    }
    return render(request, "formulations/formulation_list.html", context)


def _component_formset(request, data=None, initial=None):
    products = selectors.product_list(clinic=request.clinic, active_only=True)
    return ComponentFormSet(data, initial=initial, prefix="components", form_kwargs={"products": products})


def _components(formset) -> list[tuple]:
    return [(row["product"], row["volume_ml"]) for row in formset.rows()]


@staff_view("catalogue", "w")
def formulation_create(request):
    data = request.POST or None
    adding = data is not None and "add_row" in data
    form = FormulationForm(data)
    formset = _component_formset(request, with_added_row(data, "components") if adding else data)
    if request.method == "POST" and not adding and form.is_valid() and formset.is_valid():
        try:
            formulation = services.formulation_create(
                clinic=request.clinic,
                auditor=Auditor.from_request(request),
                components=_components(formset),
                **form.cleaned_data,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s was created.") % {"name": formulation.name})
            return redirect("formulations:detail", uuid=formulation.uuid)
    context = {"form": form, "formset": formset, "has_products": formset.form_kwargs["products"].exists()}
    return render(request, "formulations/formulation_form.html", context)


@staff_view("catalogue", "r")
def formulation_detail(request, uuid):
    formulation = get_formulation(request, uuid)
    versions = list(selectors.version_list(formulation=formulation))
    current = versions[0] if versions else None
    coverage = selectors.coverage_many([current])[current.pk] if current else None
    context = {
        "formulation": formulation,
        "versions": versions,
        "current": current,
        "coverage": coverage,
        "chart": presenters.coverage_chart(coverage) if coverage else None,
        "can_write": _can_write(request),
    }
    return render(request, "formulations/formulation_detail.html", context)


@staff_view("catalogue", "w")
def formulation_edit(request, uuid):
    formulation = get_formulation(request, uuid)
    current = selectors.version_current(formulation=formulation)
    data = request.POST or None
    adding = data is not None and "add_row" in data
    form = FormulationEditForm(
        data, initial={"name": formulation.name, "description": formulation.description}
    )
    initial = (
        [{"product": c.product, "volume_ml": c.volume_ml} for c in current.components.all()]
        if current
        else []
    )
    formset = _component_formset(
        request, with_added_row(data, "components") if adding else data, initial=initial
    )
    if request.method == "POST" and not adding and form.is_valid() and formset.is_valid():
        try:
            services.formulation_update(
                formulation=formulation,
                auditor=Auditor.from_request(request),
                components=_components(formset),
                **form.cleaned_data,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The formulation was saved."))
            return redirect("formulations:detail", uuid=formulation.uuid)
    context = {
        "form": form,
        "formset": formset,
        "formulation": formulation,
        "current": current,
        "has_products": True,
    }
    return render(request, "formulations/formulation_form.html", context)


@staff_view("catalogue", "w")
@require_POST
def formulation_archive(request, uuid):
    formulation = get_formulation(request, uuid)
    archived = request.POST.get("archived", "1") == "1"
    services.formulation_archive(
        formulation=formulation, auditor=Auditor.from_request(request), archived=archived
    )
    messages.success(
        request,
        _("The formulation was archived.") if archived else _("The formulation was brought back into use."),
    )
    return redirect("formulations:detail", uuid=formulation.uuid)
