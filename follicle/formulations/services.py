"""Writes for products, lots and formulations. One transaction, `full_clean()`, audited, each.

Versioning (DESIGN.md: what was given stays on record): a formulation's components live on its
newest FormulationVersion. Editing them replaces them in place while no plan or session uses that
version, and creates a new version once one does ("used" is decided by the checks other apps
register in versions.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from follicle.core.audit import Auditor
from follicle.core.models import Clinic
from follicle.formulations.models import (
    Formulation,
    FormulationComponent,
    FormulationVersion,
    Lot,
    LotMovement,
    Product,
    ProductIngredient,
)
from follicle.formulations.versions import version_is_used
from follicle.reference.selectors import Kind, entry_list

PRODUCT_FIELDS = (
    "name",
    "manufacturer",
    "kind",
    "volume_per_vial_ml",
    "sterile",
    "single_use",
    "vehicle",
    "suspension",
    "notes",
    "is_active",
)


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _check_fields(fields: dict, allowed: Iterable[str]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})


# --------------------------------------------------------------------------- products
def _ingredient_rows(rows) -> list[tuple[str, Decimal | None, str]]:
    """Check (ingredient key, concentration, unit) rows: catalogue ingredients, each once."""
    known = set(entry_list(kind=Kind.INGREDIENT).values_list("key", flat=True))
    clean, seen = [], set()
    for key, concentration, unit in rows:
        key = (key or "").strip()
        if key not in known:
            raise ValidationError(
                {"ingredients": _("“%(key)s” is not an ingredient of the catalogue.") % {"key": key}}
            )
        if key in seen:
            raise ValidationError({"ingredients": _("Each ingredient can be listed once per product.")})
        if concentration is not None and concentration < 0:
            raise ValidationError({"ingredients": _("A concentration cannot be negative.")})
        if concentration is not None and not unit:
            raise ValidationError({"ingredients": _("Give the unit of each concentration.")})
        seen.add(key)
        clean.append((key, concentration, unit or ""))
    return clean


def _replace_ingredients(product: Product, rows) -> None:
    product.ingredients.all().delete()
    for key, concentration, unit in rows:
        row = ProductIngredient(product=product, ingredient=key, concentration=concentration, unit=unit)
        row.full_clean()
        row.save()


@transaction.atomic
def product_create(*, clinic: Clinic, auditor: Auditor, ingredients=(), **fields) -> Product:
    """Add a product to the clinic's list, with its ingredients as (key, concentration, unit) rows."""
    _check_fields(fields, PRODUCT_FIELDS)
    rows = _ingredient_rows(ingredients)
    product = Product(clinic=clinic, **fields)
    product.full_clean()
    product.save()
    _replace_ingredients(product, rows)
    auditor.log(
        "product.create",
        obj=product,
        detail={"name": product.name, "ingredients": [key for key, _c, _u in rows]},
    )
    return product


@transaction.atomic
def product_update(*, product: Product, auditor: Auditor, **fields) -> Product:
    """Change a product's details (its lots and formulations keep pointing at it)."""
    _check_fields(fields, PRODUCT_FIELDS)
    product = Product.objects.select_for_update().get(pk=product.pk)
    changes = {}
    for name, value in fields.items():
        old = getattr(product, name)
        if old != value:
            changes[name] = {"old": _plain(old), "new": _plain(value)}
            setattr(product, name, value)
    if not changes:
        return product
    product.full_clean()
    product.save()
    auditor.log("product.update", obj=product, detail={"changes": changes})
    return product


@transaction.atomic
def product_ingredients_set(*, product: Product, auditor: Auditor, ingredients) -> Product:
    """Replace what a product's vial holds: (ingredient key, concentration or None, unit) rows."""
    rows = _ingredient_rows(ingredients)
    old = [(r.ingredient, _plain(r.concentration), r.unit) for r in product.ingredients.all()]
    _replace_ingredients(product, rows)
    new = [(key, _plain(concentration), unit) for key, concentration, unit in rows]
    auditor.log("product.ingredients", obj=product, detail={"old": old, "new": new})
    return product


# --------------------------------------------------------------------------- lots
def _movement(lot: Lot, kind: str, change: int, auditor: Auditor, reason: str = "") -> LotMovement:
    return LotMovement.objects.create(
        lot=lot,
        kind=kind,
        change=change,
        quantity_after=lot.quantity_left,
        reason=reason,
        created_by=auditor.actor,
    )


@transaction.atomic
def lot_receive(
    *,
    product: Product,
    auditor: Auditor,
    lot_number: str,
    expiry_date: dt.date,
    quantity: int,
    received_at: dt.date | None = None,
) -> Lot:
    """Record a delivery of `quantity` vials of one lot of `product`."""
    lot_number = (lot_number or "").strip()
    if quantity is None or quantity < 1:
        raise ValidationError({"quantity": _("Receive at least one vial.")})
    if expiry_date < timezone.localdate():
        raise ValidationError(
            {"expiry_date": _("This lot has already expired; do not receive it into stock.")}
        )
    lot = Lot(
        product=product,
        lot_number=lot_number,
        expiry_date=expiry_date,
        quantity_received=quantity,
        quantity_left=quantity,
        received_at=received_at or timezone.localdate(),
        created_by=auditor.actor,
    )
    lot.full_clean()
    lot.save()
    _movement(lot, LotMovement.Kind.RECEIVE, quantity, auditor)
    auditor.log(
        "lot.receive",
        obj=lot,
        detail={
            "product": str(product.uuid),
            "lot_number": lot.lot_number,
            "expiry_date": lot.expiry_date.isoformat(),
            "quantity": quantity,
        },
    )
    return lot


@transaction.atomic
def lot_adjust(*, lot: Lot, auditor: Auditor, change: int, reason: str) -> Lot:
    """Correct the vials left by `change` (e.g. -1 for a broken vial, +2 after a recount), with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the stock is adjusted.")})
    if not change:
        raise ValidationError({"change": _("An adjustment changes the stock by at least one vial.")})
    lot = Lot.objects.select_for_update().get(pk=lot.pk)
    new = lot.quantity_left + change
    if new < 0:
        raise ValidationError(
            {
                "change": _("Only %(left)s vials are left; the stock cannot go below zero.")
                % {"left": lot.quantity_left}
            }
        )
    if new > lot.quantity_received:
        raise ValidationError(
            {
                "change": _("The stock cannot exceed the %(received)s vials received.")
                % {"received": lot.quantity_received}
            }
        )
    old = lot.quantity_left
    lot.quantity_left = new
    lot.full_clean()
    lot.save(update_fields=["quantity_left"])
    _movement(lot, LotMovement.Kind.ADJUST, change, auditor, reason)
    auditor.log("lot.adjust", obj=lot, detail={"old": old, "new": new, "change": change, "reason": reason})
    return lot


@transaction.atomic
def lot_consume(*, lot: Lot, vials: int, auditor: Auditor) -> Lot:
    """Take `vials` vials from a lot (a session's preparation). Refuses an expired or exhausted lot,
    or more vials than are left. The row is locked (select_for_update) and re-read first, so two
    nurses preparing at once can never take the same last vial."""
    if vials is None or vials < 1:
        raise ValidationError({"vials": _("Use at least one vial.")})
    lot = Lot.objects.select_for_update().select_related("product").get(pk=lot.pk)
    if lot.expiry_date < timezone.localdate():
        raise ValidationError(
            {
                "lot": _("Lot %(number)s expired on %(date)s and must not be used.")
                % {"number": lot.lot_number, "date": lot.expiry_date.isoformat()}
            }
        )
    if lot.quantity_left == 0:
        raise ValidationError({"lot": _("Lot %(number)s has no vials left.") % {"number": lot.lot_number}})
    if vials > lot.quantity_left:
        raise ValidationError(
            {
                "vials": _("Only %(left)s vials of lot %(number)s are left.")
                % {"left": lot.quantity_left, "number": lot.lot_number}
            }
        )
    lot.quantity_left -= vials
    lot.save(update_fields=["quantity_left"])
    _movement(lot, LotMovement.Kind.CONSUME, -vials, auditor)
    auditor.log("lot.consume", obj=lot, detail={"vials": vials, "left": lot.quantity_left})
    return lot


@transaction.atomic
def lot_return(*, lot: Lot, vials: int, auditor: Auditor, reason: str) -> Lot:
    """Put back vials taken by `lot_consume` that were not used after all (a draft session record
    corrected before signing). Never more than were received."""
    if vials is None or vials < 1:
        raise ValidationError({"vials": _("Return at least one vial.")})
    lot = Lot.objects.select_for_update().select_related("product").get(pk=lot.pk)
    if lot.quantity_left + vials > lot.quantity_received:
        raise ValidationError({"vials": _("More vials would be left than were received.")})
    lot.quantity_left += vials
    lot.save(update_fields=["quantity_left"])
    _movement(lot, LotMovement.Kind.RETURN, vials, auditor, reason=reason)
    auditor.log("lot.return", obj=lot, detail={"vials": vials, "left": lot.quantity_left, "reason": reason})
    return lot


# --------------------------------------------------------------------------- formulations
def _check_components(clinic: Clinic, components) -> list[tuple[Product, Decimal]]:
    components = [(product, Decimal(str(volume))) for product, volume in (components or [])]
    if not components:
        raise ValidationError({"components": _("A formulation needs at least one product.")})
    seen = set()
    for product, volume in components:
        if product.clinic_id != clinic.pk:
            raise ValidationError({"components": _("Use products of this clinic only.")})
        if not product.is_active:
            raise ValidationError(
                {"components": _("%(product)s is no longer in use.") % {"product": product.name}}
            )
        if volume <= 0:
            raise ValidationError(
                {"components": _("Give a positive volume for %(product)s.") % {"product": product.name}}
            )
        if product.pk in seen:
            raise ValidationError(
                {"components": _("%(product)s is listed twice; give it once.") % {"product": product.name}}
            )
        seen.add(product.pk)
    return components


def _add_components(version: FormulationVersion, components) -> None:
    for product, volume in components:
        component = FormulationComponent(version=version, product=product, volume_ml=volume)
        component.full_clean()
        component.save()


def _components_detail(components) -> list[dict]:
    return [{"product": str(p.uuid), "name": p.name, "volume_ml": str(v)} for p, v in components]


@transaction.atomic
def formulation_create(
    *, clinic: Clinic, auditor: Auditor, name: str, description: str = "", components
) -> Formulation:
    """Compose a formulation from (product, volume per session in mL) pairs; it starts at version 1."""
    components = _check_components(clinic, components)
    formulation = Formulation(
        clinic=clinic, name=(name or "").strip(), description=description or "", created_by=auditor.actor
    )
    formulation.full_clean()
    formulation.save()
    version = FormulationVersion(formulation=formulation, version=1, created_by=auditor.actor)
    version.full_clean()
    version.save()
    _add_components(version, components)
    auditor.log(
        "formulation.create",
        obj=formulation,
        detail={"name": formulation.name, "version": 1, "components": _components_detail(components)},
    )
    return formulation


def _same(version: FormulationVersion, components) -> bool:
    current = sorted((c.product_id, c.volume_ml) for c in version.components.all())
    return current == sorted((p.pk, v) for p, v in components)


@transaction.atomic
def formulation_update(
    *,
    formulation: Formulation,
    auditor: Auditor,
    name: str | None = None,
    description: str | None = None,
    components=None,
    notes: str = "",
) -> Formulation:
    """Change the name, description and/or components (None leaves a part as it is).

    New components replace the current version's in place while it is unused; once a registered
    check says it is used, they go into a new version (with `notes`: what changed) and the old
    version keeps its components."""
    formulation = Formulation.objects.select_for_update().get(pk=formulation.pk)
    if formulation.is_archived:
        raise ValidationError(_("An archived formulation cannot be changed."))
    detail: dict = {}
    for field, value in (("name", name), ("description", description)):
        if value is not None and value != getattr(formulation, field):
            detail[field] = {"old": getattr(formulation, field), "new": value}
            setattr(formulation, field, value.strip() if field == "name" else value)
    if detail:
        formulation.full_clean()
        formulation.save()
    if components is not None:
        components = _check_components(formulation.clinic, components)
        current = formulation.versions.order_by("-version").first()
        if current is None or (not _same(current, components) and version_is_used(current)):
            version = FormulationVersion(
                formulation=formulation,
                version=(current.version + 1) if current else 1,
                notes=notes or "",
                created_by=auditor.actor,
            )
            version.full_clean()
            version.save()
            _add_components(version, components)
            detail["version"] = {"created": version.version, "components": _components_detail(components)}
        elif not _same(current, components):
            current.components.all().delete()
            _add_components(current, components)
            if notes:
                current.notes = notes
                current.save(update_fields=["notes"])
            detail["version"] = {"replaced": current.version, "components": _components_detail(components)}
    if detail:
        auditor.log("formulation.update", obj=formulation, detail=detail)
    return formulation


@transaction.atomic
def formulation_archive(*, formulation: Formulation, auditor: Auditor, archived: bool = True) -> Formulation:
    """Take a formulation off the list for new prescriptions (or bring it back); nothing is deleted."""
    formulation = Formulation.objects.select_for_update().get(pk=formulation.pk)
    if formulation.is_archived != archived:
        formulation.is_archived = archived
        formulation.save(update_fields=["is_archived"])
        auditor.log("formulation.archive" if archived else "formulation.restore", obj=formulation)
    return formulation
