"""Mechanism coverage and catalogue warnings of a formulation version (and of one product).

`compute_coverage` and `product_warnings` are pure: they take the products' facts and catalogue
entries (anything with `key`, `name`, `data`, `sources`, `verification`, `unverified_facts`, as
`ReferenceEntry` rows have) and touch no database, so they are unit-tested with hand-made data.
`version_coverage(version)` and `product_warning_list(product)` load those inputs and call them.

The rules, all readings of the catalogue (no medical fact is stated here):
- an ingredient counts for a mechanism when its `claimed_mechanisms` names it;
- a mechanism's "strongest evidence for injection" is the strongest `evidence.level` among its
  ingredients whose `evidence.route` is an injection (RCT > controlled > case_series > none);
  evidence for another route (oral, topical, laboratory) is listed but counts as "none";
- warnings: the product-level contraindication entries a product's facts trigger (not sterile or
  not single-use; an oil or alcohol vehicle) and the contraindications whose `applies_to` names
  one of the ingredients (entries for "all_injections" are screening's concern, not listed here);
- sources: the citations of the ingredients used, each once, in order of first appearance.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from follicle.formulations import evidence

# Product facts → the product-level contraindication entry (contraindications.yaml) they trigger.
PRODUCT_RULES: tuple[tuple[str, Callable[[Any], bool]], ...] = (
    ("non_sterile_or_multidose_products", lambda p: not p.sterile or not p.single_use),
    ("oil_or_alcohol_based_injectables", lambda p: p.vehicle in ("oil", "alcohol")),
)
ALL_INJECTIONS = "all_injections"
TYPE_ORDER = {"absolute": 0, "agent_specific": 1, "relative": 2, "caution": 3}


@dataclass(frozen=True)
class ProductFacts:
    """What coverage needs to know of a product (and of its volume in the formulation)."""

    name: str
    ingredients: tuple[str, ...] = ()  # catalogue keys
    sterile: bool = True
    single_use: bool = True
    vehicle: str = "aqueous"
    suspension: bool = False
    volume_ml: Decimal = Decimal("0")


@dataclass(frozen=True)
class CatalogueWarning:
    key: str  # the contraindication entry's key
    condition: str
    type: str  # absolute | relative | caution | agent_specific ("" when the entry is missing)
    rationale: str
    sources: tuple[str, ...]
    verification: str
    unverified_facts: tuple[str, ...]
    triggered_by: tuple[str, ...]  # product names (product rules) or ingredient names
    found: bool = True  # False when the catalogue (not loaded?) lacks the entry


@dataclass(frozen=True)
class IngredientEvidence:
    key: str
    name: str
    level: str  # evidence.level as published
    route: str  # evidence.route as published
    route_kind: str  # injection | oral | topical | preclinical | none (evidence.route_kind)
    level_for_injection: str  # `level` when the route is an injection, else "none"
    verification: str
    products: tuple[str, ...]  # names of the formulation's products that hold it

    @property
    def for_injection(self) -> bool:
        return self.route_kind == evidence.INJECTION


@dataclass(frozen=True)
class MechanismCoverage:
    code: str
    label: str
    ingredients: tuple[IngredientEvidence, ...]
    strongest_for_injection: str  # RCT | controlled | case_series | none

    @property
    def covered(self) -> bool:
        return bool(self.ingredients)


@dataclass(frozen=True)
class Coverage:
    mechanisms: tuple[MechanismCoverage, ...]
    ingredients: tuple[IngredientEvidence, ...]
    total_volume_ml: Decimal
    warnings: tuple[CatalogueWarning, ...]
    sources: tuple[str, ...]
    unknown_ingredients: tuple[str, ...] = field(default=())  # keys the catalogue does not know

    def as_json(self) -> dict:
        """Plain data for the API (labels in the active language)."""
        data = asdict(self)
        for mechanism, raw in zip(self.mechanisms, data["mechanisms"], strict=True):
            raw["label"] = str(mechanism.label)
            raw["covered"] = mechanism.covered
            for ingredient, raw_ingredient in zip(mechanism.ingredients, raw["ingredients"], strict=True):
                raw_ingredient["for_injection"] = ingredient.for_injection
        for ingredient, raw in zip(self.ingredients, data["ingredients"], strict=True):
            raw["for_injection"] = ingredient.for_injection
        return data


def _data(entry) -> dict:
    return entry.data if isinstance(getattr(entry, "data", None), dict) else {}


def _warning(entry, key: str, triggered_by: Iterable[str]) -> CatalogueWarning:
    if entry is None:
        return CatalogueWarning(
            key=key,
            condition=key.replace("_", " "),
            type="",
            rationale="",
            sources=(),
            verification="",
            unverified_facts=(),
            triggered_by=tuple(triggered_by),
            found=False,
        )
    data = _data(entry)
    return CatalogueWarning(
        key=entry.key,
        condition=str(data.get("condition") or entry.name),
        type=str(data.get("type") or ""),
        rationale=str(data.get("rationale") or ""),
        sources=tuple(entry.sources or ()),
        verification=entry.verification or "",
        unverified_facts=tuple(entry.unverified_facts or ()),
        triggered_by=tuple(triggered_by),
    )


def _sorted(warnings: Iterable[CatalogueWarning]) -> tuple[CatalogueWarning, ...]:
    return tuple(sorted(warnings, key=lambda w: (TYPE_ORDER.get(w.type, 9), w.condition)))


def _collect(
    products: Iterable[ProductFacts], contraindications: Iterable, ingredient_names: dict[str, str]
) -> tuple[CatalogueWarning, ...]:
    by_key = {entry.key: entry for entry in contraindications}
    triggers: dict[str, list[str]] = {}
    products = list(products)
    for key, applies in PRODUCT_RULES:
        for product in products:
            if applies(product):
                triggers.setdefault(key, []).append(product.name)
    used = []
    for product in products:
        used.extend(k for k in product.ingredients if k not in used)
    for entry in by_key.values():
        named = [k for k in (_data(entry).get("applies_to") or []) if k != ALL_INJECTIONS]
        for key in used:
            if key in named:
                name = ingredient_names.get(key, key)
                if name not in triggers.setdefault(entry.key, []):
                    triggers[entry.key].append(name)
    return _sorted(_warning(by_key.get(key), key, names) for key, names in triggers.items())


def product_warnings(
    product: ProductFacts, contraindications: Iterable, ingredient_names: dict[str, str] | None = None
) -> tuple[CatalogueWarning, ...]:
    """The catalogue warnings for one product: product-level entries and its ingredients' entries."""
    return _collect([product], contraindications, ingredient_names or {})


def compute_coverage(
    products: Iterable[ProductFacts], ingredients: dict[str, Any], contraindications: Iterable
) -> Coverage:
    """Coverage of the six mechanisms by a formulation's products (see the module's rules).

    `ingredients` maps catalogue keys to ingredient entries; keys a product names that are not
    in it are reported in `unknown_ingredients` and otherwise ignored.
    """
    products = list(products)
    holders: dict[str, list[str]] = {}
    for product in products:
        for key in product.ingredients:
            holders.setdefault(key, [])
            if product.name not in holders[key]:
                holders[key].append(product.name)
    unknown = tuple(key for key in holders if key not in ingredients)
    used: list[IngredientEvidence] = []
    mechanisms_of: dict[str, list[str]] = {}
    sources: list[str] = []
    for key, names in holders.items():
        entry = ingredients.get(key)
        if entry is None:
            continue
        data = _data(entry)
        found = data.get("evidence") if isinstance(data.get("evidence"), dict) else {}
        level = str(found.get("level") or entry.evidence_level or "none")
        route = str(found.get("route") or "")
        used.append(
            IngredientEvidence(
                key=key,
                name=entry.name,
                level=level,
                route=route,
                route_kind=evidence.route_kind(route),
                level_for_injection=evidence.level_for_injection(level, route),
                verification=entry.verification or "",
                products=tuple(names),
            )
        )
        mechanisms_of[key] = [m for m in (data.get("claimed_mechanisms") or []) if isinstance(m, str)]
        sources.extend(s for s in (entry.sources or []) if s not in sources)
    mechanisms = []
    for code in evidence.MECHANISMS:
        claiming = tuple(i for i in used if code in mechanisms_of[i.key])
        mechanisms.append(
            MechanismCoverage(
                code=code,
                label=evidence.MECHANISM_LABELS[code],
                ingredients=claiming,
                strongest_for_injection=evidence.strongest(i.level_for_injection for i in claiming),
            )
        )
    names = {key: entry.name for key, entry in ingredients.items()}
    return Coverage(
        mechanisms=tuple(mechanisms),
        ingredients=tuple(used),
        total_volume_ml=sum((p.volume_ml for p in products), Decimal("0")),
        warnings=_collect(products, contraindications, names),
        sources=tuple(sources),
        unknown_ingredients=unknown,
    )


# --------------------------------------------------------------------------- loading from the database
def _catalogue() -> tuple[dict[str, Any], list]:
    from follicle.reference.selectors import Kind, contraindication_list, entry_list

    ingredients = {e.key: e for e in entry_list(kind=Kind.INGREDIENT, current_only=False)}
    return ingredients, list(contraindication_list())


def facts_of(product, volume_ml: Decimal = Decimal("0")) -> ProductFacts:
    return ProductFacts(
        name=product.name,
        ingredients=tuple(row.ingredient for row in product.ingredients.all()),
        sterile=product.sterile,
        single_use=product.single_use,
        vehicle=product.vehicle,
        suspension=product.suspension,
        volume_ml=volume_ml,
    )


def version_coverage(version) -> Coverage:
    """Coverage of one FormulationVersion (its components' products, prefetched here)."""
    components = version.components.select_related("product").prefetch_related("product__ingredients")
    ingredients, contraindications = _catalogue()
    products = [facts_of(c.product, c.volume_ml) for c in components]
    return compute_coverage(products, ingredients, contraindications)


def product_warning_list(product) -> tuple[CatalogueWarning, ...]:
    ingredients, contraindications = _catalogue()
    names = {key: entry.name for key, entry in ingredients.items()}
    return product_warnings(facts_of(product), contraindications, names)


def coverage_many(versions) -> dict[int, Coverage]:
    """Coverage of several versions whose components (with products and ingredients) are prefetched,
    reading the catalogue once (for lists)."""
    ingredients, contraindications = _catalogue()
    return {
        version.pk: compute_coverage(
            [facts_of(c.product, c.volume_ml) for c in version.components.all()],
            ingredients,
            contraindications,
        )
        for version in versions
    }
