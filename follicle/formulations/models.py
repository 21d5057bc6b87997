"""Products (with ingredients and lots) and formulations (cocktails), versioned once used.

Ingredients are keys of the reference catalogue (kind "ingredient"); the clinic's products say
which ingredients at what concentration a vial holds. A formulation is made of products with a
volume per session; editing one that a plan or session has used creates a new version, so what
was given stays on record.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from follicle.core.models import Clinic


class Product(models.Model):
    class Kind(models.TextChoices):
        COMMERCIAL = "commercial", _("Commercial preparation")
        COMPOUNDED = "compounded", _("Compounded preparation")

    class Vehicle(models.TextChoices):
        AQUEOUS = "aqueous", _("Aqueous solution")
        OIL = "oil", _("Oil-based")
        ALCOHOL = "alcohol", _("Alcohol-based")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(_("name"), max_length=150)
    manufacturer = models.CharField(_("manufacturer or compounding pharmacy"), max_length=150, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.COMMERCIAL)
    volume_per_vial_ml = models.DecimalField(
        _("volume per vial (mL)"), max_digits=6, decimal_places=2, validators=[MinValueValidator(0.01)]
    )
    sterile = models.BooleanField(_("sterile, pharmaceutical grade"), default=True)
    single_use = models.BooleanField(_("single-use vial"), default=True)
    vehicle = models.CharField(_("vehicle"), max_length=10, choices=Vehicle.choices, default=Vehicle.AQUEOUS)
    suspension = models.BooleanField(_("contains suspended particles"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["clinic", "name"], name="one_product_name_per_clinic")]

    def __str__(self) -> str:
        return self.name


class ProductIngredient(models.Model):
    class Unit(models.TextChoices):
        PERCENT = "%", "%"
        MG_PER_ML = "mg/mL", "mg/mL"
        MCG_PER_ML = "µg/mL", "µg/mL"
        IU_PER_ML = "IU/mL", "IU/mL"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="ingredients")
    ingredient = models.CharField(_("ingredient"), max_length=100)  # reference catalogue key
    concentration = models.DecimalField(
        _("concentration"),
        max_digits=10,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    unit = models.CharField(_("unit"), max_length=8, choices=Unit.choices, blank=True)

    class Meta:
        ordering = ["product", "ingredient"]
        constraints = [
            models.UniqueConstraint(fields=["product", "ingredient"], name="one_row_per_product_ingredient")
        ]

    def __str__(self) -> str:
        return f"{self.ingredient} {self.concentration or ''}{self.unit}"


class Lot(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="lots")
    lot_number = models.CharField(_("lot number"), max_length=60)
    expiry_date = models.DateField(_("expiry date"))
    quantity_received = models.PositiveIntegerField(_("vials received"), validators=[MinValueValidator(1)])
    quantity_left = models.PositiveIntegerField(_("vials left"))
    received_at = models.DateField(_("received on"), default=timezone.localdate)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["product", "expiry_date", "lot_number"]
        constraints = [
            models.UniqueConstraint(fields=["product", "lot_number"], name="one_lot_number_per_product"),
            models.CheckConstraint(
                condition=models.Q(quantity_left__lte=models.F("quantity_received")),
                name="lot_left_not_above_received",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} lot {self.lot_number}"


class Formulation(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="formulations")
    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("purpose and notes"), blank=True)
    is_archived = models.BooleanField(_("archived"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="one_formulation_name_per_clinic")
        ]

    def __str__(self) -> str:
        return self.name


class FormulationVersion(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    formulation = models.ForeignKey(Formulation, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    notes = models.TextField(_("what changed"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["formulation", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["formulation", "version"], name="one_formulation_version")
        ]

    def __str__(self) -> str:
        return f"{self.formulation} v{self.version}"


class FormulationComponent(models.Model):
    version = models.ForeignKey(FormulationVersion, on_delete=models.PROTECT, related_name="components")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    volume_ml = models.DecimalField(
        _("volume per session (mL)"), max_digits=6, decimal_places=2, validators=[MinValueValidator(0.01)]
    )

    class Meta:
        ordering = ["version", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "product"], name="one_component_per_product")
        ]

    def __str__(self) -> str:
        return f"{self.product} {self.volume_ml} mL"


class LotMovement(models.Model):
    """One change to a lot's stock, with who, when and why: the lot's history (audit holds the rest)."""

    class Kind(models.TextChoices):
        RECEIVE = "receive", _("Received")
        ADJUST = "adjust", _("Adjusted")
        CONSUME = "consume", _("Used")
        RETURN = "return", _("Returned (record corrected)")

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    change = models.IntegerField(_("change in vials"))
    quantity_after = models.PositiveIntegerField(_("vials left after"))
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["lot", "-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.lot} {self.change:+d}"
