"""API: the clinic's products and lots, formulations with their coverage, the catalogue's ingredients.

Read = catalogue "r" (admin, practitioner, nurse); write = catalogue "w" (admin, practitioner);
another clinic's product, lot or formulation is a 404. The same services as the pages.
"""

from __future__ import annotations

import datetime as dt
import uuid as uuid_module
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Query, Router, Schema, Status
from pydantic import Field

from follicle.api.schemas import Detail, Page, PageParams, paginate
from follicle.core.access import require
from follicle.core.audit import Auditor
from follicle.formulations import selectors, services
from follicle.formulations.access import get_formulation, get_product
from follicle.formulations.models import Product, ProductIngredient
from follicle.reference.models import ReferenceEntry

router = Router(tags=["formulations"])


# --------------------------------------------------------------------------- schemas
class IngredientRowOut(Schema):
    ingredient: str
    concentration: Decimal | None
    unit: str


class ProductOut(Schema):
    id: uuid_module.UUID = Field(alias="uuid")
    name: str
    manufacturer: str
    kind: str
    volume_per_vial_ml: Decimal
    sterile: bool
    single_use: bool
    vehicle: str
    suspension: bool
    notes: str
    is_active: bool
    ingredients: list[IngredientRowOut]

    @staticmethod
    def resolve_ingredients(obj):
        return list(obj.ingredients.all())


class WarningOut(Schema):
    key: str
    condition: str
    type: str
    rationale: str
    sources: list[str]
    verification: str
    unverified_facts: list[str]
    triggered_by: list[str]
    found: bool


class ProductDetailOut(ProductOut):
    warnings: list[WarningOut]

    @staticmethod
    def resolve_warnings(obj):
        return [w.__dict__ for w in selectors.product_warning_list(obj)]


class IngredientRowIn(Schema):
    ingredient: str = Field(min_length=1, max_length=100)
    concentration: Decimal | None = Field(None, ge=0)
    unit: ProductIngredient.Unit | None = None


class ProductIn(Schema):
    name: str = Field(min_length=1, max_length=150)
    manufacturer: str = Field("", max_length=150)
    kind: Product.Kind = Product.Kind.COMMERCIAL
    volume_per_vial_ml: Decimal = Field(gt=0, max_digits=6, decimal_places=2)
    sterile: bool = True
    single_use: bool = True
    vehicle: Product.Vehicle = Product.Vehicle.AQUEOUS
    suspension: bool = False
    notes: str = ""
    ingredients: list[IngredientRowIn] = Field(default_factory=list)


class LotOut(Schema):
    id: uuid_module.UUID = Field(alias="uuid")
    product_id: uuid_module.UUID
    product_name: str
    lot_number: str
    expiry_date: dt.date
    quantity_received: int
    quantity_left: int
    received_at: dt.date
    usable: bool

    @staticmethod
    def resolve_product_id(obj):
        return obj.product.uuid

    @staticmethod
    def resolve_product_name(obj):
        return obj.product.name

    @staticmethod
    def resolve_usable(obj):
        return selectors.lot_usable(obj)


class LotIn(Schema):
    lot_number: str = Field(min_length=1, max_length=60)
    expiry_date: dt.date
    quantity: int = Field(ge=1, le=100000)


class LotFilter(PageParams):
    q: str = Field("", max_length=60)
    usable: bool = False


class ComponentOut(Schema):
    product_id: uuid_module.UUID
    product_name: str
    volume_ml: Decimal

    @staticmethod
    def resolve_product_id(obj):
        return obj.product.uuid

    @staticmethod
    def resolve_product_name(obj):
        return obj.product.name


class VersionOut(Schema):
    id: uuid_module.UUID = Field(alias="uuid")
    version: int
    notes: str
    created_at: dt.datetime
    components: list[ComponentOut]

    @staticmethod
    def resolve_components(obj):
        return list(obj.components.all())


class FormulationOut(Schema):
    id: uuid_module.UUID = Field(alias="uuid")
    name: str
    description: str
    is_archived: bool
    current_version: VersionOut | None
    version_count: int

    @staticmethod
    def resolve_current_version(obj):
        return selectors.current_of(obj)

    @staticmethod
    def resolve_version_count(obj):
        return len(obj.versions.all())


class ComponentIn(Schema):
    product: uuid_module.UUID
    volume_ml: Decimal = Field(gt=0, max_digits=6, decimal_places=2)


class FormulationIn(Schema):
    name: str = Field(min_length=1, max_length=150)
    description: str = ""
    components: list[ComponentIn] = Field(min_length=1)


class FormulationPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=150)
    description: str | None = None
    components: list[ComponentIn] | None = None
    notes: str = ""


class IngredientEvidenceOut(Schema):
    key: str
    name: str
    level: str
    route: str
    route_kind: str
    level_for_injection: str
    for_injection: bool
    verification: str
    products: list[str]


class MechanismOut(Schema):
    code: str
    label: str
    covered: bool
    strongest_for_injection: str
    ingredients: list[IngredientEvidenceOut]


class CoverageOut(Schema):
    version: int
    mechanisms: list[MechanismOut]
    ingredients: list[IngredientEvidenceOut]
    total_volume_ml: Decimal
    warnings: list[WarningOut]
    sources: list[str]
    unknown_ingredients: list[str]


class MechanismLabelOut(Schema):
    code: str
    label: str


class IngredientOut(Schema):
    key: str
    name: str
    ingredient_class: str = Field(alias="class")
    mechanisms: list[MechanismLabelOut]
    level: str
    route: str
    route_kind: str
    for_injection: bool
    verification: str


class ConcentrationOut(Schema):
    value: str
    context: str


class ContraindicationRefOut(Schema):
    key: str
    condition: str
    type: str


class IngredientDetailOut(IngredientOut):
    evidence_notes: str
    concentrations: list[ConcentrationOut]
    dose_per_session: str
    safety_notes: list[str]
    unverified_facts: list[str]
    sources: list[str]
    contraindications: list[ContraindicationRefOut]


class IngredientFilter(PageParams):
    q: str = Field("", max_length=100)


# --------------------------------------------------------------------------- helpers
def _components(request, components: list[ComponentIn]) -> list[tuple]:
    wanted = [c.product for c in components]
    products = {p.uuid: p for p in selectors.product_list(clinic=request.clinic).filter(uuid__in=wanted)}
    missing = [str(u) for u in wanted if u not in products]
    if missing:
        raise ValidationError({"components": [f"Unknown products: {', '.join(missing)}"]})
    return [(products[c.product], c.volume_ml) for c in components]


def _formulation(request, formulation_id):
    formulation = get_formulation(request, formulation_id)
    return selectors.formulation_list(clinic=request.clinic, include_archived=True).get(pk=formulation.pk)


def _ingredient(entry: ReferenceEntry) -> dict:
    summary = selectors.ingredient_summary(entry)
    summary["mechanisms"] = [{"code": m["code"], "label": str(m["label"])} for m in summary["mechanisms"]]
    return summary


# --------------------------------------------------------------------------- formulations
@router.get("/formulations", response={200: Page[FormulationOut], 403: Detail})
def formulation_list(request, filters: Query[PageParams], archived: bool = False):
    require(request, "catalogue", "r")
    return paginate(selectors.formulation_list(clinic=request.clinic, include_archived=archived), filters)


@router.post("/formulations", response={201: FormulationOut, 403: Detail, 422: Detail})
def formulation_create(request, payload: FormulationIn):
    require(request, "catalogue", "w")
    formulation = services.formulation_create(
        clinic=request.clinic,
        auditor=Auditor.from_request(request),
        name=payload.name,
        description=payload.description,
        components=_components(request, payload.components),
    )
    return Status(201, _formulation(request, formulation.uuid))


@router.get("/formulations/{formulation_id}", response={200: FormulationOut, 403: Detail, 404: Detail})
def formulation_get(request, formulation_id: uuid_module.UUID):
    require(request, "catalogue", "r")
    return _formulation(request, formulation_id)


@router.patch(
    "/formulations/{formulation_id}", response={200: FormulationOut, 403: Detail, 404: Detail, 422: Detail}
)
def formulation_update(request, formulation_id: uuid_module.UUID, payload: FormulationPatch):
    """Components replace the current version's while it is unused, else make a new version."""
    require(request, "catalogue", "w")
    formulation = get_formulation(request, formulation_id)
    services.formulation_update(
        formulation=formulation,
        auditor=Auditor.from_request(request),
        name=payload.name,
        description=payload.description,
        components=_components(request, payload.components) if payload.components is not None else None,
        notes=payload.notes,
    )
    return _formulation(request, formulation_id)


@router.get("/formulations/{formulation_id}/coverage", response={200: CoverageOut, 403: Detail, 404: Detail})
def formulation_coverage(request, formulation_id: uuid_module.UUID, version: int | None = None):
    """Mechanism coverage of the current version (or of `version`)."""
    require(request, "catalogue", "r")
    formulation = get_formulation(request, formulation_id)
    versions = selectors.version_list(formulation=formulation)
    chosen = versions.filter(version=version).first() if version is not None else versions.first()
    if chosen is None:
        raise Http404
    return {"version": chosen.version, **selectors.coverage_many([chosen])[chosen.pk].as_json()}


# --------------------------------------------------------------------------- products and lots
@router.get("/products", response={200: Page[ProductOut], 403: Detail})
def product_list(request, filters: Query[PageParams], active: bool = False):
    require(request, "catalogue", "r")
    return paginate(selectors.product_list(clinic=request.clinic, active_only=active), filters)


@router.post("/products", response={201: ProductDetailOut, 403: Detail, 422: Detail})
def product_create(request, payload: ProductIn):
    require(request, "catalogue", "w")
    fields = payload.dict(exclude={"ingredients"})
    rows = [(r.ingredient, r.concentration, r.unit or "") for r in payload.ingredients]
    product = services.product_create(
        clinic=request.clinic, auditor=Auditor.from_request(request), ingredients=rows, **fields
    )
    return Status(201, get_product(request, product.uuid))


@router.get("/products/{product_id}", response={200: ProductDetailOut, 403: Detail, 404: Detail})
def product_get(request, product_id: uuid_module.UUID):
    require(request, "catalogue", "r")
    return get_product(request, product_id)


@router.post("/products/{product_id}/lots", response={201: LotOut, 403: Detail, 404: Detail, 422: Detail})
def lot_receive(request, product_id: uuid_module.UUID, payload: LotIn):
    require(request, "catalogue", "w")
    product = get_product(request, product_id)
    lot = services.lot_receive(product=product, auditor=Auditor.from_request(request), **payload.dict())
    return Status(201, lot)


@router.get("/lots", response={200: Page[LotOut], 403: Detail})
def lot_search(request, filters: Query[LotFilter]):
    """Lots of the clinic's products whose number contains `q`; `usable=true`: not expired, vials left."""
    require(request, "catalogue", "r")
    result = paginate(
        selectors.lot_search(clinic=request.clinic, query=filters.q, usable_only=filters.usable), filters
    )
    Auditor.from_request(request).log_list(
        "lot.search",
        query={"q": filters.q, "usable": filters.usable, "limit": filters.limit, "offset": filters.offset},
        count=result["count"],
    )
    return result


# --------------------------------------------------------------------------- catalogue ingredients
@router.get("/ingredients", response={200: Page[IngredientOut], 403: Detail})
def ingredient_list(request, filters: Query[IngredientFilter]):
    require(request, "catalogue", "r")
    result = paginate(selectors.ingredient_list(search=filters.q), filters)
    return {"items": [_ingredient(e) for e in result["items"]], "count": result["count"]}


@router.get("/ingredients/{key}", response={200: IngredientDetailOut, 403: Detail, 404: Detail})
def ingredient_get(request, key: str):
    require(request, "catalogue", "r")
    try:
        entry = selectors.ingredient_get(key=key)
    except ReferenceEntry.DoesNotExist as exc:
        raise Http404 from exc
    return {
        **_ingredient(entry),
        "contraindications": [
            {"key": c.key, "condition": c.name, "type": str(c.data.get("type") or "")}
            for c in selectors.ingredient_contraindications(key=entry.key)
        ],
    }
