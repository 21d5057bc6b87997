"""The reference catalogue: the project's sourced clinical facts (YAML in reference/data/), as rows.

Each data file is a dataset with a version (the SHA-256 of its content). Each entry keeps the data
as published, its sources, evidence level and verification status. Entries dropped by a newer
file stay, marked not current, so records that cite them keep resolving.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Verification(models.TextChoices):
    VERIFIED = "verified", _("Verified")
    PARTIALLY_VERIFIED = "partially_verified", _("Partially verified")
    UNVERIFIED = "unverified", _("Unverified")
    NOT_STATED = "", _("Not stated")


class ReferenceDataset(models.Model):
    """One loaded data file: its name, content version and the parts that are not entries."""

    name = models.CharField(max_length=60, unique=True)  # the file's stem: "contraindications"
    version = models.CharField(max_length=64)  # SHA-256 of the file's bytes
    schema_version = models.PositiveIntegerField()
    loaded_at = models.DateTimeField()
    entry_count = models.PositiveIntegerField(default=0)
    document = models.JSONField(default=dict, blank=True)  # top-level keys that are not entry lists

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.version[:8]})"


class ReferenceEntry(models.Model):
    class Kind(models.TextChoices):
        MECHANISM = "mechanism", _("Mechanism")
        INGREDIENT = "ingredient", _("Ingredient")
        CONTRAINDICATION = "contraindication", _("Contraindication")
        ADVERSE_EVENT = "adverse_event", _("Adverse event")
        SCALE = "scale", _("Hair-loss scale")
        DIAGNOSIS = "diagnosis", _("Diagnosis")
        OUTCOME_MEASURE = "outcome_measure", _("Outcome measure")
        EFFECT_SIZE = "effect_size", _("Effect size")
        INJECTION_TECHNIQUE = "injection_technique", _("Injection technique")
        PROTOCOL = "protocol", _("Published protocol")
        PROTOCOL_PARAMETER = "protocol_parameter", _("Protocol parameter")
        HAIR_CYCLE_PHASE = "hair_cycle_phase", _("Hair-cycle phase")
        SCALP_PARAMETER = "scalp_parameter", _("Scalp parameter")
        HAIR_CYCLE_MODEL = "hair_cycle_model", _("Hair-cycle model")

    dataset = models.ForeignKey(ReferenceDataset, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    key = models.SlugField(max_length=100)  # the entry's id in the data (or a slug of its name)
    name = models.CharField(max_length=300)
    data = models.JSONField()  # the entry exactly as in the file
    verification = models.CharField(max_length=20, choices=Verification.choices, blank=True)
    evidence_level = models.CharField(max_length=20, blank=True)  # RCT | controlled | case_series | none
    sources = models.JSONField(default=list, blank=True)  # citation strings
    unverified_facts = models.JSONField(default=list, blank=True)
    version = models.CharField(max_length=64)  # the dataset version this row was last loaded from
    is_current = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="one_reference_entry_per_kind_key")
        ]
        verbose_name = _("reference entry")
        verbose_name_plural = _("reference entries")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"
