"""Reads for products, lots, formulations and the catalogue's ingredients. Queries take the clinic.

Mechanism coverage and warnings live in `selectors.coverage` (pure, with loaders).
"""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from follicle.core.models import Clinic
from follicle.formulations import evidence
from follicle.formulations.lots import lot_usage_providers
from follicle.formulations.models import (
    Formulation,
    FormulationComponent,
    FormulationVersion,
    Lot,
    LotMovement,
    Product,
)
from follicle.formulations.selectors.coverage import (  # noqa: F401 - the selectors' public face
    Coverage,
    coverage_many,
    product_warning_list,
    version_coverage,
)
from follicle.reference.models import ReferenceEntry
from follicle.reference.selectors import Kind, contraindication_list, entry_get, entry_list


# --------------------------------------------------------------------------- products
def product_list(*, clinic: Clinic, active_only: bool = False, search: str = "") -> QuerySet[Product]:
    products = Product.objects.filter(clinic=clinic).prefetch_related("ingredients")
    if active_only:
        products = products.filter(is_active=True)
    if search.strip():
        products = products.filter(
            Q(name__icontains=search.strip()) | Q(manufacturer__icontains=search.strip())
        )
    return products.order_by("name")


def product_get(*, clinic: Clinic, uuid) -> Product:
    """One product of the clinic; raises Product.DoesNotExist (also for another clinic's)."""
    return Product.objects.prefetch_related("ingredients").get(clinic=clinic, uuid=uuid)


def products_with_ingredient(*, clinic: Clinic, key: str) -> QuerySet[Product]:
    return Product.objects.filter(clinic=clinic, ingredients__ingredient=key).distinct().order_by("name")


# --------------------------------------------------------------------------- lots
def _usable(lots: QuerySet[Lot]) -> QuerySet[Lot]:
    return lots.filter(expiry_date__gte=timezone.localdate(), quantity_left__gt=0)


def lot_list(*, clinic: Clinic, product: Product | None = None, usable_only: bool = False) -> QuerySet[Lot]:
    """The clinic's lots, soonest expiry first; usable = not expired and vials left."""
    lots = Lot.objects.filter(product__clinic=clinic).select_related("product")
    if product is not None:
        lots = lots.filter(product=product)
    if usable_only:
        lots = _usable(lots)
    return lots.order_by("expiry_date", "product__name", "lot_number")


def lot_usable(lot: Lot) -> bool:
    """Not expired (expiry on or after today) and at least one vial left."""
    return lot.expiry_date >= timezone.localdate() and lot.quantity_left > 0


def lot_search(*, clinic: Clinic, query: str = "", usable_only: bool = False) -> QuerySet[Lot]:
    """Lots of the clinic's products whose number contains `query` (case-insensitive, spaces ignored)."""
    lots = lot_list(clinic=clinic, usable_only=usable_only)
    query = "".join(query.split())
    return lots.filter(lot_number__icontains=query) if query else lots


def lot_get(*, clinic: Clinic, uuid) -> Lot:
    return Lot.objects.select_related("product").get(product__clinic=clinic, uuid=uuid)


def lot_movements(*, lot: Lot) -> QuerySet[LotMovement]:
    return lot.movements.select_related("created_by").order_by("-created_at", "-id")


def lot_recipients(lot: Lot) -> list:
    """The patients who received `lot`, from every registered provider (see lots.py).

    Only the lot's clinic's patients are kept; each patient once, by name."""
    found: dict[int, object] = {}
    for provider in lot_usage_providers():
        for patient in provider(lot) or ():
            if getattr(patient, "clinic_id", None) == lot.product.clinic_id:
                found.setdefault(patient.pk, patient)
    return sorted(
        found.values(), key=lambda p: (getattr(p, "last_name", ""), getattr(p, "first_name", ""), p.pk)
    )


# --------------------------------------------------------------------------- formulations
def _components() -> Prefetch:
    return Prefetch(
        "components",
        queryset=FormulationComponent.objects.select_related("product").prefetch_related(
            "product__ingredients"
        ),
    )


def formulation_list(*, clinic: Clinic, include_archived: bool = False) -> QuerySet[Formulation]:
    formulations = Formulation.objects.filter(clinic=clinic).prefetch_related(
        Prefetch("versions", queryset=FormulationVersion.objects.prefetch_related(_components()))
    )
    if not include_archived:
        formulations = formulations.filter(is_archived=False)
    return formulations.order_by("is_archived", "name")


def formulation_get(*, clinic: Clinic, uuid) -> Formulation:
    """One formulation of the clinic; raises Formulation.DoesNotExist (also for another clinic's)."""
    return Formulation.objects.select_related("created_by").get(clinic=clinic, uuid=uuid)


def version_list(*, formulation: Formulation) -> QuerySet[FormulationVersion]:
    return (
        formulation.versions.select_related("created_by").prefetch_related(_components()).order_by("-version")
    )


def version_current(*, formulation: Formulation) -> FormulationVersion | None:
    """The newest version (with components prefetched), or None."""
    return version_list(formulation=formulation).first()


def current_of(formulation: Formulation) -> FormulationVersion | None:
    """The newest version among prefetched versions (formulation_list), without a query."""
    versions = list(formulation.versions.all())
    return max(versions, key=lambda v: v.version) if versions else None


# --------------------------------------------------------------------------- catalogue ingredients
def ingredient_list(*, search: str = "") -> QuerySet[ReferenceEntry]:
    return entry_list(kind=Kind.INGREDIENT, search=search)


def ingredient_choices() -> list[tuple[str, str]]:
    return [(e.key, e.name) for e in entry_list(kind=Kind.INGREDIENT)]


def ingredient_get(*, key: str) -> ReferenceEntry:
    """One ingredient entry, current or not; raises ReferenceEntry.DoesNotExist."""
    return entry_get(kind=Kind.INGREDIENT, key=key)


def ingredient_contraindications(*, key: str) -> list[ReferenceEntry]:
    """Current contraindications whose `applies_to` names the ingredient (not "all injections")."""
    return [
        entry
        for entry in contraindication_list()
        if key in ((entry.data.get("applies_to") or []) if isinstance(entry.data, dict) else [])
    ]


def ingredient_summary(entry: ReferenceEntry) -> dict:
    """An ingredient entry read for the pages and API: class, mechanisms, evidence and its route."""
    data = entry.data if isinstance(entry.data, dict) else {}
    found = data.get("evidence") if isinstance(data.get("evidence"), dict) else {}
    level = str(found.get("level") or entry.evidence_level or "none")
    route = str(found.get("route") or "")
    route_kind = evidence.route_kind(route)
    mechanisms = [m for m in (data.get("claimed_mechanisms") or []) if isinstance(m, str)]
    concentrations = []
    for item in data.get("concentrations_reported") or []:
        if isinstance(item, dict):
            concentrations.append(
                {"value": str(item.get("value") or ""), "context": str(item.get("context") or "")}
            )
        else:
            concentrations.append({"value": str(item), "context": ""})
    return {
        "key": entry.key,
        "name": entry.name,
        "class": str(data.get("class") or ""),
        "mechanisms": [
            {"code": m, "label": evidence.MECHANISM_LABELS.get(m, m)}
            for m in evidence.MECHANISMS
            if m in mechanisms
        ]
        + [{"code": m, "label": m} for m in mechanisms if m not in evidence.MECHANISMS],
        "level": level,
        "level_label": evidence.LEVEL_LABELS.get(level, level),
        "route": route,
        "route_kind": route_kind,
        "for_injection": route_kind == evidence.INJECTION,
        "not_for_injection_note": route_kind in (evidence.ORAL, evidence.TOPICAL),
        "evidence_notes": str(found.get("notes") or ""),
        "concentrations": concentrations,
        "dose_per_session": str(data.get("dose_per_session") or ""),
        "safety_notes": [str(s) for s in (data.get("safety_notes") or [])],
        "verification": entry.verification,
        "unverified_facts": list(entry.unverified_facts or []),
        "sources": list(entry.sources or []),
    }
