"""Patients, their versioned medical history, and consents signed against versioned texts."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from follicle.core.models import Clinic


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other / intersex")
    UNKNOWN = "unknown", _("Not recorded")


class PatientQuerySet(models.QuerySet):
    def for_clinic(self, clinic: Clinic):
        return self.filter(clinic=clinic)

    def active(self):
        return self.filter(entered_in_error=False)


class Patient(models.Model):
    """A patient of one clinic. Never deleted: a record made by mistake is marked entered in error."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    record_number = models.CharField(_("record number"), max_length=20)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    date_of_birth = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.TextField(_("address"), blank=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="el")
    search_text = models.TextField(editable=False, default="")
    entered_in_error = models.BooleanField(default=False)
    entered_in_error_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "record_number"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "record_number"], name="one_record_number_per_clinic"),
            models.CheckConstraint(
                condition=models.Q(date_of_birth__gt=dt.date(1900, 1, 1)), name="born_after_1900"
            ),
        ]
        indexes = [models.Index(fields=["clinic", "last_name", "first_name"], name="patient_clinic_name")]
        verbose_name = _("patient")
        verbose_name_plural = _("patients")

    def __str__(self) -> str:
        return f"{self.full_name} ({self.record_number})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day: dt.date | None = None) -> int:
        day = day or timezone.localdate()
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def age(self) -> int:
        return self.age_on()


class PatientRevision(models.Model):
    """Every change to a patient's demographics: who, when, and each field's old and new value."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="revisions")
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    changes = models.JSONField()  # {field: {"old": …, "new": …}}; the first revision records creation

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.patient_id} @ {self.changed_at:%Y-%m-%d %H:%M}"


class Answer(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNKNOWN = "unknown", _("Not asked / unknown")


class MedicalHistory(models.Model):
    """One version of a patient's medical history. Rows are never changed: an edit adds a version.

    The structured answers are what the contraindication data needs (follicle/assessments/data/
    screening_rules.yaml maps them to the reference catalogue's entries).
    """

    YES_NO_FIELDS = [
        # reproductive
        "pregnant",
        "breastfeeding",
        "planning_pregnancy",
        "trying_to_conceive",
        # bleeding
        "anticoagulants",
        "antiplatelets",
        "bleeding_disorder",
        # medicines
        "five_alpha_reductase_inhibitor",
        "isotretinoin",
        "antiandrogen_therapy",
        "high_dose_biotin",
        "minoxidil",
        "blood_donor",
        # allergies
        "anaesthetic_allergy",
        # scalp
        "active_scalp_infection",
        "scalp_inflammation_or_wound",
        "keloid_tendency",
        # conditions
        "autoimmune_disease",
        "diabetes",
        "cardiovascular_disease",
        "severe_hypertension",
        "hepatic_impairment",
        "chronic_renal_failure",
        "active_cancer",
        "pacemaker",
        "acute_infection",
        "hyperandrogenism",
        "prostate_cancer_surveillance",
        "heavy_smoking_or_alcohol",
    ]

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="histories")
    version = models.PositiveIntegerField()
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    pregnant = models.CharField(_("pregnant"), max_length=8, choices=Answer.choices, default=Answer.UNKNOWN)
    breastfeeding = models.CharField(
        _("breast-feeding"), max_length=8, choices=Answer.choices, default=Answer.UNKNOWN
    )
    planning_pregnancy = models.CharField(
        _("planning a pregnancy or could become pregnant"),
        max_length=8,
        choices=Answer.choices,
        default=Answer.UNKNOWN,
    )
    trying_to_conceive = models.CharField(
        _("(men) trying to conceive, abnormal semen analysis or erectile/ejaculatory dysfunction"),
        max_length=8,
        choices=Answer.choices,
        default=Answer.UNKNOWN,
    )
    anticoagulants = models.CharField(
        _("takes anticoagulants"), max_length=8, choices=Answer.choices, default=Answer.UNKNOWN
    )
    antiplatelets = models.CharField(
        _("takes antiplatelets (e.g. aspirin, clopidogrel)"),
        max_length=8,
        choices=Answer.choices,
        default=Answer.UNKNOWN,
    )
    bleeding_disorder = models.CharField(
        _("bleeding or clotting disorder, low platelets"),
        max_length=8,
        choices=Answer.choices,
        default=Answer.UNKNOWN,
    )
    five_alpha_reductase_inhibitor = models.CharField(
        _("takes a 5-alpha-reductase inhibitor (finasteride, dutasteride)"),
        max_length=8,
        choices=Answer.choices,
        default=Answer.UNKNOWN,
    )
    isotretinoin = models.CharField(
        _("isotretinoin now or in the last 6 months"),
        max_length=8,
        choices=Answer.choices,
        default=Answer.UNKNOWN,
    )
    antiandrogen_therapy = models.CharField(
        _("anti-androgen therapy"), max_length=8, choices=Answer.choices, default=Answer.UNKNOWN
    )
    high_dose_biotin = models.CharField(
        _("takes high-dose biotin"), max_length=8, choices=Answer.choices, default=Answer.UNKNOWN
    )
    minoxidil = models.CharField(
        _("uses minoxidil"), max_length=8, choices=Answer.choices, default=Answer.UNKNOWN
    )
    blood_donor = models.CharField(
        _("donates blood"), max_length=8, choices=Answer.choices, default=Answer.UNKNOWN
    )
    anaesthetic_allergy = models.CharField(
        _("allergy to local anaesthetics"), max_length=8, choices=Answer.choices, default=Answer.UNKNOWN
    )
    allergy_ingredients = models.JSONField(
        _("allergies to cocktail ingredients"),
        default=list,
        blank=True,
        help_text=_("Ingredients of the reference catalogue the patient is allergic to."),
    )
    allergies = models.TextField(_("other allergies"), blank=True)
    active_scalp_infection = models.CharField(
        _("active scalp infection (bacterial, fungal, herpes)"),
        max_length=8,
        choices=Answer.choices,
        default=Answer.UNKNOWN,
    )
    scalp_inflammation_or_wound = models.CharField(
        _("inflamed or broken skin where injections would go"),
        max_length=8,
        choices=Answer.choices,
        default=Answer.UNKNOWN,
    )
    keloid_tendency = models.CharField(
        _("keloid or hypertrophic-scar tendency"),
        max_length=8,
        choices=Answer.choices,
        default=Answer.UNKNOWN,
    )
    autoimmune_disease = models.CharField(
        _("autoimmune disease"), max_length=8, choices=Answer.choices, default=Answer.UNKNOWN
    )
    diabetes = models.CharField(_("diabetes"), max_length=8, choices=Answer.choices, default=Answer.UNKNOWN)
    cardiovascular_disease = models.CharField(
        _("significant heart disease, low blood pressure or arrhythmia"),
        max_length=8,
        choices=Answer.choices,
        default=Answer.UNKNOWN,
    )
    severe_hypertension = models.CharField(
        _("severe high blood pressure"), max_length=8, choices=Answer.choices, default=Answer.UNKNOWN
    )
    hepatic_impairment = models.CharField(
        _("liver disease or impairment"), max_length=8, choices=Answer.choices, default=Answer.UNKNOWN
    )
    chronic_renal_failure = models.CharField(
        _("chronic kidney failure"), max_length=8, choices=Answer.choices, default=Answer.UNKNOWN
    )
    active_cancer = models.CharField(
        _("active cancer or chemotherapy"), max_length=8, choices=Answer.choices, default=Answer.UNKNOWN
    )
    pacemaker = models.CharField(_("pacemaker"), max_length=8, choices=Answer.choices, default=Answer.UNKNOWN)
    acute_infection = models.CharField(
        _("acute infectious illness now"), max_length=8, choices=Answer.choices, default=Answer.UNKNOWN
    )
    hyperandrogenism = models.CharField(
        _("(women) signs of hyperandrogenism"), max_length=8, choices=Answer.choices, default=Answer.UNKNOWN
    )
    prostate_cancer_surveillance = models.CharField(
        _("(men) under prostate-cancer (PSA) surveillance"),
        max_length=8,
        choices=Answer.choices,
        default=Answer.UNKNOWN,
    )
    heavy_smoking_or_alcohol = models.CharField(
        _("heavy smoking or alcohol use"), max_length=8, choices=Answer.choices, default=Answer.UNKNOWN
    )
    medications = models.TextField(_("current medicines"), blank=True)
    conditions = models.TextField(_("other conditions and previous hair-loss treatments"), blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["patient", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "version"], name="one_history_version_number")
        ]
        verbose_name = _("medical history")
        verbose_name_plural = _("medical histories")

    def __str__(self) -> str:
        return f"history v{self.version} of {self.patient_id}"

    def answers(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.YES_NO_FIELDS}

    @property
    def flags(self) -> list[str]:
        """Labels of the questions answered yes, plus named ingredient allergies."""
        labels = [
            str(self._meta.get_field(n).verbose_name)
            for n in self.YES_NO_FIELDS
            if getattr(self, n) == Answer.YES
        ]
        labels = [label[:1].upper() + label[1:] for label in labels]
        if self.allergy_ingredients:
            labels.append(
                str(_("Allergy to: %(names)s"))
                % {"names": ", ".join(k.replace("_", " ") for k in self.allergy_ingredients)}
            )
        return labels

    @property
    def unanswered_count(self) -> int:
        return sum(1 for n in self.YES_NO_FIELDS if getattr(self, n) == Answer.UNKNOWN)


class ConsentKind(models.TextChoices):
    TREATMENT = "treatment", _("Treatment consent")
    PHOTO = "photo", _("Photo-use consent")


class ConsentText(models.Model):
    """A version of the clinic's consent text of one kind and language. Editing adds a version."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="consent_texts")
    kind = models.CharField(_("kind"), max_length=12, choices=ConsentKind.choices)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    version = models.PositiveIntegerField()
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["clinic", "kind", "language", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "kind", "language", "version"], name="one_consent_text_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version} ({self.language})"


class Consent(models.Model):
    """A patient's signed consent, against one text version; withdrawn, never deleted."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    text = models.ForeignKey(ConsentText, on_delete=models.PROTECT, related_name="consents")
    kind = models.CharField(max_length=12, choices=ConsentKind.choices)
    signed_name = models.CharField(_("typed name of the signer"), max_length=200)
    signed_at = models.DateTimeField(default=timezone.now)
    signed_ip = models.GenericIPAddressField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    withdrawal_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-signed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.patient_id} ({self.signed_at:%Y-%m-%d})"

    @property
    def is_current(self) -> bool:
        return self.withdrawn_at is None
