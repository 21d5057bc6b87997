"""Demo stock and treatment: products, lots, formulations, protocol templates and plans.

For one clinic, `DemoTreatments(clinic, seed=…)`:

- `setup()` adds the clinic's products (ingredients at the concentrations the reference catalogue
  reports, where it reports one), a few lots of each (one expired on the shelf, one nearly used
  up), three formulations and the default protocol templates. Each part is skipped when the
  clinic has it already, so running the demo again adds nothing twice.
- `create(patient)` gives one screened patient a treatment plan at some stage (draft, active,
  paused, completed or stopped), in one transaction, or returns None when the patient gets none.
  The sessions a plan held before the diary's fortnight (follicle/demo/appointments.py) are
  marked done or missed here, without appointments; an active plan's sessions in that fortnight
  that the patient came to are left planned, for the diary to book and for
  follicle/demo/sessions.py to record and sign. A paused, completed or stopped plan stopped
  before the fortnight.

Everything goes through the services, as the clinic's staff (the administrator sets up the
products, the nurse receives stock and records sessions, the practitioner composes formulations
and plans), so the audit trail reads like real use. The one exception is the expired lot: see
`expire_on_the_shelf`.

Like the patients, each plan draws from its own `random.Random` (seed, clinic, record number).
Services stamp the current time on status changes and audit rows; plans take a start date, so
their sessions are spread over the past ~10 months and the next month.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from follicle.assessments.models import ScreeningResult
from follicle.assessments.selectors import assessment_latest, screening_latest
from follicle.core.models import Clinic
from follicle.demo.appointments import BACK_DAYS
from follicle.demo.patients import Staff, clinic_staff
from follicle.formulations.models import Formulation, FormulationVersion, Lot, Product
from follicle.formulations.services import formulation_create, lot_adjust, lot_receive, product_create
from follicle.patients.models import Answer, ConsentKind, Patient
from follicle.patients.selectors import consent_status, history_current
from follicle.reference.models import ReferenceEntry
from follicle.reference.selectors import entry_list
from follicle.treatments import schedule
from follicle.treatments.checks import run_patient_check
from follicle.treatments.models import (
    PlannedSession,
    PlanStatus,
    ProtocolTemplate,
    SessionStatus,
    TherapyKind,
    TreatmentPlan,
)
from follicle.treatments.selectors import is_open_for
from follicle.treatments.services import (
    default_protocol_data,
    plan_acknowledge,
    plan_activate,
    plan_create,
    plan_shift_apply,
    plan_status_change,
    planned_session_mark,
    protocol_templates_install_defaults,
)

LOW_STOCK = 2  # vials left at or below which a usable lot counts as nearly exhausted
PLAN_CHANCE = 0.9  # of the patients who could have a plan (screened suitable or with caution, …)
PLAN_HISTORY_DAYS = 300  # plans started over the past ~10 months …
PLAN_AHEAD_DAYS = 30  # … and drafts that start within the next month
MISSED_CHANCE = 0.05  # a past session the patient did not come to
SHIFT_CHANCE = 0.35  # a missed session after which the rest of the schedule was shifted


# --------------------------------------------------------------------------- products
@dataclass(frozen=True)
class Reported:
    """A concentration read from the catalogue entry's `concentrations_reported` (a "0.01%" value)."""

    value: str


@dataclass(frozen=True)
class ProductSpec:
    code: str  # short name: lot-number prefix and how formulations refer to the product
    name: str
    manufacturer: str
    kind: str
    vial_ml: str
    # (ingredient key, Reported(…) | (concentration, unit) | None for "not stated")
    ingredients: tuple
    box: int  # vials in one delivery
    notes: str = ""


# Manufacturers are made up (and say so). Concentrations: `Reported` ones are looked up in the
# catalogue; a product label's own strength is written out with where it comes from; the rest
# are left empty, as the catalogue reports no concentration for them ("not standardised").
PRODUCTS = [
    ProductSpec(
        "DU",
        "Dutasteride 0.01 % solution",
        "Ariadne Sterile Compounding (fictional)",
        Product.Kind.COMPOUNDED,
        "2",
        # 0.01 %: Saceda-Corralo 2017 pilot, in the catalogue's dutasteride entry.
        (("dutasteride", Reported("0.01%")),),
        box=20,
        notes="Compounded to prescription; store at 2–8 °C, protect from light.",
    ),
    ProductSpec(
        "MX",
        "Minoxidil 0.5 %",
        "Ariadne Sterile Compounding (fictional)",
        Product.Kind.COMPOUNDED,
        "2",
        # 0.5 % × 2 mL: Uzel 2021 trial, in the catalogue's minoxidil entry.
        (("minoxidil", Reported("0.5%")),),
        box=20,
        notes="Compounded to prescription.",
    ),
    ProductSpec(
        "BV",
        "Biotin + B-complex vitamins",
        "Kyklos Meso Labs (fictional)",
        Product.Kind.COMMERCIAL,
        "2",
        (("biotin", None), ("b_complex", None)),  # the catalogue reports no concentration
        box=25,
    ),
    ProductSpec(
        "DX",
        "Dexpanthenol 250 mg/2 mL",
        "Kyklos Meso Labs (fictional)",
        Product.Kind.COMMERCIAL,
        "2",
        # 125 mg/mL: the label strength in the product's name (250 mg per 2 mL ampoule); the
        # catalogue reports no concentration for dexpanthenol.
        (("dexpanthenol", (Decimal("125"), "mg/mL")),),
        box=50,
    ),
    ProductSpec(
        "HA",
        "Hyaluronic acid + amino acids + zinc complex",
        "Thalassa Dermaceuticals (fictional)",
        Product.Kind.COMMERCIAL,
        "5",
        (("hyaluronic_acid", None), ("glycine_arginine_other_amino_acids", None), ("zinc", None)),
        box=10,
        notes="Non-cross-linked hyaluronic acid with amino acids and zinc.",
    ),
    ProductSpec(
        "CP",
        "Copper peptides GHK-Cu",
        "Thalassa Dermaceuticals (fictional)",
        Product.Kind.COMMERCIAL,
        "2",
        (("copper_peptides", None),),  # the catalogue reports no concentration
        box=10,
    ),
]

# (product code, received months ago, expiry months ahead, boxes delivered, vials used before
# Follicle). The newer deliveries are sized for the sessions the demo records in its diary
# (follicle/demo/sessions.py): about two weeks of the clinic's sessions, with room to spare.
LOTS = [
    ("DU", 7, 4, 1, 19),  # the nearly exhausted lot: 1 vial of 20 left
    ("DU", 2, 9, 2, 0),
    ("MX", 8, 3, 1, 12),
    ("MX", 3, 10, 3, 14),
    ("MX", 1, 14, 5, 0),
    ("BV", 9, 5, 1, 15),
    ("BV", 3, 12, 4, 40),
    ("BV", 1, 17, 4, 0),
    ("DX", 14, None, 1, 38),  # expired on the shelf: see expire_on_the_shelf()
    ("DX", 5, 12, 1, 20),
    ("DX", 1, 17, 2, 0),
    ("HA", 6, 6, 1, 5),
    ("HA", 1, 15, 4, 0),
    ("CP", 4, 8, 1, 3),
    ("CP", 1, 16, 4, 0),
]
EXPIRED_DAYS_AGO = 24
BEFORE_FOLLICLE = "Used in sessions before Follicle (stock count at go-live)."

# name, description, [(product code, mL per session)] — 3 mL a session each.
FORMULATIONS = {
    "dutasteride": (
        "Men's AGA — dutasteride cocktail",
        "Men with androgenetic alopecia: dutasteride 0.01 % with biotin and B-complex vitamins. "
        "Never for women who are or may become pregnant.",
        [("DU", "2"), ("BV", "1")],
    ),
    "minoxidil": (
        "Women's FPHL — minoxidil & vitamins",
        "Female pattern hair loss: minoxidil 0.5 % with dexpanthenol, biotin and B-complex vitamins.",
        [("MX", "2"), ("DX", "0.5"), ("BV", "0.5")],
    ),
    "scalp": (
        "Scalp health & regeneration",
        "Telogen effluvium and scalp care: hyaluronic-acid complex with amino acids and zinc, and "
        "copper peptides.",
        [("HA", "2.5"), ("CP", "0.5")],
    ),
}

# Which protocol template suits which formulation: the published protocol it derives from.
PROTOCOL_SOURCES = {
    "dutasteride": "dutasteride_abdallah_2009",
    "minoxidil": "minoxidil_uzel_2021",
    "scalp": "ha_complex_siquier_dameto_2024",
}

_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%")


def reported_concentration(entry: ReferenceEntry | None, wanted: str) -> tuple[Decimal | None, str]:
    """The concentration `wanted` ("0.01%") as the catalogue entry reports it.

    Falls back to the first percentage the entry reports (and to none) when the catalogue no
    longer lists the wanted value, so an edited catalogue never breaks the demo."""
    values = []
    for item in (entry.data.get("concentrations_reported") or []) if entry else []:
        match = _PERCENT.match(str(item.get("value", "")))
        if match:
            values.append(match.group(1))
    want = _PERCENT.match(wanted).group(1)
    chosen = want if want in values else (values[0] if values else None)
    return (Decimal(chosen), "%") if chosen else (None, "")


def _months(day: dt.date, months: int) -> dt.date:
    return schedule.add_months(day, months)


# --------------------------------------------------------------------------- what goes in a plan
ZONES = {
    "aga_male": [
        ["frontal", "temporal_left", "temporal_right"],
        ["frontal", "mid_scalp", "vertex"],
        ["vertex", "mid_scalp"],
        ["frontal", "temporal_left", "temporal_right", "mid_scalp", "vertex"],
    ],
    "fphl": [["frontal", "mid_scalp"], ["mid_scalp", "vertex"], ["frontal", "mid_scalp", "vertex"]],
    "telogen_effluvium": [
        ["frontal", "mid_scalp", "vertex"],
        ["frontal", "mid_scalp", "vertex", "temporal_left", "temporal_right", "occipital"],
    ],
}
GOALS = {
    "aga_male": [
        (
            "Σταθεροποίηση της αραίωσης στην κορυφή και στους κροτάφους· καλύτερη πυκνότητα στο "
            "τριχοσκόπιο στους 6 μήνες.",
            "Stabilise the thinning at the crown and temples; better density on trichoscopy at 6 months.",
        ),
        (
            "Να σταματήσει η υποχώρηση της μετωπιαίας γραμμής· σύγκριση φωτογραφιών στους 3 και 6 μήνες.",
            "Stop the frontal hairline receding; photo comparison at 3 and 6 months.",
        ),
    ],
    "fphl": [
        (
            "Λιγότερη τριχόπτωση και πυκνότερη χωρίστρα· σύγκριση φωτογραφιών στους 3 και 6 μήνες.",
            "Less shedding and a denser parting; photo comparison at 3 and 6 months.",
        ),
        (
            "Παχύτερες τρίχες στην κορυφή· μέτρηση διαμέτρου στο τριχοσκόπιο πριν και μετά τον κύκλο.",
            "Thicker hairs over the crown; shaft diameter on trichoscopy before and after the course.",
        ),
    ],
    "telogen_effluvium": [
        (
            "Μείωση της τριχόπτωσης και υγιέστερο τριχωτό· αρνητικό τεστ έλξης στους 3 μήνες.",
            "Less shedding and a healthier scalp; a negative pull test at 3 months.",
        ),
        (
            "Να επανέλθει η πυκνότητα μετά την τριχόπτωση· λιγότερη λιπαρότητα και πιτυρίδα.",
            "Density back after the shedding; less oiliness and scaling.",
        ),
    ],
}
THERAPY_TEXT = {
    TherapyKind.TOPICAL_MINOXIDIL: (
        "αφρός 5 %, 1 mL μία φορά την ημέρα",
        "5 % foam, 1 mL once daily",
        "Σε στεγνό τριχωτό· όχι την ημέρα της συνεδρίας.",
        "On the dry scalp; not on session days.",
    ),
    TherapyKind.FINASTERIDE: (
        "1 mg από το στόμα, μία φορά την ημέρα",
        "1 mg by mouth once daily",
        "Συνταγή του δερματολόγου· ενημερώθηκε για τις πιθανές ανεπιθύμητες ενέργειες.",
        "Prescribed by the dermatologist; told about the possible side effects.",
    ),
    TherapyKind.SHAMPOO: (
        "σαμπουάν κετοκοναζόλης 2 %, δύο φορές την εβδομάδα",
        "ketoconazole 2 % shampoo twice a week",
        "Όχι λούσιμο για 24 ώρες μετά από κάθε συνεδρία.",
        "No hair washing for 24 hours after each session.",
    ),
}
ALREADY = ("Τη χρησιμοποιούσε ήδη πριν από το πλάνο.", "Already using it before the plan.")
ACK_NOTES = {
    "screening_caution": (
        "Συζητήθηκαν με τον ασθενή οι λόγοι της επιφύλαξης· συνεχίζουμε με τις συνήθεις προφυλάξεις.",
        "Went through the screening's reasons with the patient; going ahead with the usual precautions.",
    ),
    "other": (
        "Ενημερώθηκε ο ασθενής· το όφελος υπερτερεί, παρακολούθηση σε κάθε συνεδρία.",
        "Patient informed; the benefit outweighs the risk, reviewed at every session.",
    ),
}
PAUSE_REASONS = [
    ("Ταξίδι για δουλειά δύο μηνών· θα συνεχίσει με την επιστροφή.",
     "Two months abroad for work; resumes on return."),
    ("Ερεθισμός του τριχωτού μετά την τελευταία συνεδρία· παύση μέχρι να υποχωρήσει.",
     "Scalp irritation after the last session; paused until it settles."),
    ("Οικονομικοί λόγοι· θα επικοινωνήσει για να συνεχίσει.", "Financial reasons; will call to carry on."),
    ("Εμπύρετη λοίμωξη· οι συνεδρίες αναβάλλονται μέχρι την ανάρρωση.",
     "Feverish infection; sessions put off until recovered."),
]  # fmt: skip
STOP_REASONS = [
    ("Μετακόμισε στο εξωτερικό.", "Moved abroad."),
    ("Δεν ανέχεται τις ενέσεις, ούτε με αναισθητική κρέμα.",
     "Could not tolerate the injections, even with an anaesthetic cream."),
    ("Προτίμησε να συνεχίσει μόνο με φαρμακευτική αγωγή.", "Chose to carry on with medication alone."),
]  # fmt: skip
NO_IMPROVEMENT = (
    "Καμία ορατή βελτίωση στους 6 μήνες· συζητήθηκαν άλλες επιλογές.",
    "No improvement at 6 months; other options discussed.",
)
NOT_STARTED = ("Αποφάσισε να μην ξεκινήσει τη θεραπεία.", "Decided not to start treatment.")
COMPLETED = ("Ολοκληρώθηκε ο κύκλος· επανεκτίμηση σε 3 μήνες.", "Course completed; review in 3 months.")

STAGES = [
    (PlanStatus.DRAFT, 9),
    (PlanStatus.ACTIVE, 52),
    (PlanStatus.PAUSED, 9),
    (PlanStatus.COMPLETED, 18),
    (PlanStatus.STOPPED, 12),
]


def _weighted(rng: random.Random, pairs):
    items, weights = zip(*pairs, strict=True)
    return rng.choices(items, weights=weights)[0]


def _lang(language: str) -> int:
    return 0 if language == "el" else 1


def _course_days(template: ProtocolTemplate) -> int | None:
    """Days from the first to the last session of a template with counted phases (None: open-ended)."""
    phases = list(template.phases.order_by("position"))
    if any(p.sessions is None for p in phases):
        return None
    return sum(p.sessions * p.interval_days for p in phases) - phases[0].interval_days


@dataclass
class PlanOutcome:
    status: str
    done: int = 0
    missed: int = 0
    shifted: int = 0
    acknowledged: int = 0
    in_diary: int = 0  # held in the diary's fortnight: left for the sessions demo to record


@dataclass
class TreatmentSummary:
    clinic: str
    plans: Counter = field(default_factory=Counter)
    skipped: int = 0  # patients who could have had a plan but a hard stop kept them off one
    sessions: Counter = field(default_factory=Counter)

    def add(self, outcome: PlanOutcome | None) -> None:
        if outcome is None:
            return
        self.plans[outcome.status] += 1
        self.sessions.update(
            done=outcome.done,
            missed=outcome.missed,
            shifted=outcome.shifted,
            acknowledged=outcome.acknowledged,
            in_diary=outcome.in_diary,
        )

    def line(self, clinic: Clinic) -> str:
        """The clinic's stock and plans as they are in the database now."""
        today = timezone.localdate()
        products = Product.objects.filter(clinic=clinic).count()
        lots = Lot.objects.filter(product__clinic=clinic)
        expired = lots.filter(expiry_date__lt=today).count()
        low = lots.filter(expiry_date__gte=today, quantity_left__gt=0, quantity_left__lte=LOW_STOCK).count()
        formulations = Formulation.objects.filter(clinic=clinic).count()
        templates = ProtocolTemplate.objects.filter(clinic=clinic).count()
        statuses = Counter(
            TreatmentPlan.objects.filter(clinic=clinic).values_list("status", flat=True).order_by()
        )
        by_status = ", ".join(f"{statuses[s]} {s}" for s in PlanStatus.values)
        s = self.sessions
        return (
            f"{self.clinic}: {products} products, {lots.count()} lots ({expired} expired, {low} low), "
            f"{formulations} formulations, {templates} protocol templates; "
            f"{statuses.total()} plans: {by_status}; this run: {s['done']} sessions done "
            f"({s['in_diary']} more left to the diary's session records), "
            f"{s['missed']} missed ({s['shifted']} shifted), {s['acknowledged']} cautions acknowledged, "
            f"no plan for {self.skipped} stopped by the patient check"
        )


class HardStop(Exception):
    """No formulation can be planned for this patient: the patient check has a hard stop for each."""


# --------------------------------------------------------------------------- the generator
class DemoTreatments:
    """Creates one clinic's demo stock and plans. Needs the catalogue, the staff and the patients."""

    def __init__(self, clinic: Clinic, *, seed: int = 1, today: dt.date | None = None):
        self.clinic = clinic
        self.seed = seed
        self.today = today or timezone.localdate()
        # Sessions from here on are in the diary (follicle/demo/appointments.py) and get records.
        self.diary_from = self.today - dt.timedelta(days=BACK_DAYS)
        self.staff = clinic_staff(clinic)
        self.admin = self.staff.admin or self.staff.practitioners[0]
        self.nurse = self.staff.nurse or self.staff.practitioners[0]
        self.versions: dict[str, FormulationVersion] = {}  # the newest of each formulation
        self.protocols: dict[str, list[ProtocolTemplate]] = {}
        self._course: dict[int, int | None] = {}
        self._is_open = None

    def rng(self, name) -> random.Random:
        return random.Random(f"follicle-demo-treatments:{self.seed}:{self.clinic.name}:{name}")

    # ----------------------------------------------------------------------- stock and templates
    @transaction.atomic
    def setup(self) -> None:
        """Products, lots, formulations and protocol templates; the parts the clinic has are kept."""
        clinic = self.clinic
        admin = self.admin.auditor(clinic)
        products = {p.name: p for p in Product.objects.filter(clinic=clinic)}
        by_code = {}
        ingredients = {e.key: e for e in entry_list(kind=ReferenceEntry.Kind.INGREDIENT)}
        for spec in PRODUCTS:
            product = products.get(spec.name)
            if product is None:
                rows = []
                for key, concentration in spec.ingredients:
                    if key not in ingredients:
                        continue  # retired from the catalogue: the product is listed without it
                    if isinstance(concentration, Reported):
                        value, unit = reported_concentration(ingredients[key], concentration.value)
                    else:
                        value, unit = concentration or (None, "")
                    rows.append((key, value, unit))
                product = product_create(
                    clinic=clinic,
                    auditor=admin,
                    ingredients=rows,
                    name=spec.name,
                    manufacturer=spec.manufacturer,
                    kind=spec.kind,
                    volume_per_vial_ml=Decimal(spec.vial_ml),
                    sterile=True,
                    single_use=True,
                    vehicle=Product.Vehicle.AQUEOUS,
                    notes=spec.notes,
                )
                self._receive_lots(spec, product)
            by_code[spec.code] = product
        practitioner = self.staff.practitioners[0].auditor(clinic)
        existing = {f.name: f for f in Formulation.objects.filter(clinic=clinic)}
        for key, (name, description, components) in FORMULATIONS.items():
            formulation = existing.get(name) or formulation_create(
                clinic=clinic,
                auditor=practitioner,
                name=name,
                description=description,
                components=[(by_code[code], Decimal(volume)) for code, volume in components],
            )
            self.versions[key] = formulation.versions.order_by("-version").first()
        names = set(ProtocolTemplate.objects.filter(clinic=clinic).values_list("name", flat=True))
        if any(spec["name"] not in names for spec in default_protocol_data()):
            protocol_templates_install_defaults(clinic=clinic, auditor=admin)
        templates = ProtocolTemplate.objects.filter(clinic=clinic, is_archived=False).prefetch_related(
            "phases"
        )
        for key, source in PROTOCOL_SOURCES.items():
            self.protocols[key] = [t for t in templates if source in (t.source_keys or [])]
        for template in templates:
            self._course[template.pk] = _course_days(template)

    def _receive_lots(self, spec: ProductSpec, product: Product) -> None:
        rng = self.rng(f"lots:{spec.code}")
        nurse = self.nurse.auditor(self.clinic)
        letters = iter("ABCDEFGH")
        for code, received_months, expiry_months, boxes, used in LOTS:
            if code != spec.code:
                continue
            quantity = spec.box * boxes
            received = _months(self.today, -received_months) - dt.timedelta(days=rng.randint(0, 20))
            lot_number = f"{spec.code}-{received:%y%m}{next(letters)}"
            if expiry_months is None:
                lot = lot_receive(
                    product=product,
                    auditor=nurse,
                    lot_number=lot_number,
                    expiry_date=self.today,  # the service compares with today: the latest it takes
                    quantity=quantity,
                    received_at=received,
                )
                expire_on_the_shelf(lot, self.today - dt.timedelta(days=EXPIRED_DAYS_AGO))
            else:
                expiry = _months(self.today, expiry_months) + dt.timedelta(days=rng.randint(0, 20))
                lot = lot_receive(
                    product=product,
                    auditor=nurse,
                    lot_number=lot_number,
                    expiry_date=expiry,
                    quantity=quantity,
                    received_at=received,
                )
            if used:
                lot_adjust(lot=lot, auditor=nurse, change=-min(used, quantity - 1), reason=BEFORE_FOLLICLE)

    # ----------------------------------------------------------------------- plans
    def candidates(self) -> list[Patient]:
        """The clinic's patients without a plan yet, in record order."""
        return list(
            Patient.objects.filter(clinic=self.clinic, entered_in_error=False, treatment_plans__isnull=True)
            .select_related("clinic")
            .order_by("record_number")
        )

    def is_open(self, day: dt.date) -> bool:
        if self._is_open is None:
            self._is_open = is_open_for(clinic=self.clinic)
        return self._is_open(day)

    def formulation_keys(self, patient: Patient, diagnosis: str, rng: random.Random) -> list[str]:
        """Formulations to try, the first that the patient check does not stop being used."""
        if diagnosis == "aga_male" and patient.sex == "male":
            history = history_current(patient=patient)
            conceiving = history is not None and history.trying_to_conceive == Answer.YES
            if conceiving or rng.random() >= 0.85:  # trying for a child, or would rather not
                keys = ["minoxidil", "scalp"]
            else:
                keys = ["dutasteride", "minoxidil", "scalp"]
        elif diagnosis == "fphl":
            keys = ["minoxidil", "scalp"]
        elif diagnosis == "telogen_effluvium":
            keys = ["scalp"]
        else:  # alopecia areata is referred to a dermatologist, not treated with mesotherapy here
            return []
        if patient.sex != "male":  # never dutasteride for a woman, whatever her history says
            keys = [k for k in keys if k != "dutasteride"]
        return keys

    def create(self, patient: Patient) -> PlanOutcome | None:
        """A plan for `patient` at some stage, in one transaction; None when they get none.

        Raises HardStop when the patient could have had a plan but the check stops every one."""
        rng = self.rng(patient.record_number)
        if rng.random() >= PLAN_CHANCE:
            return None
        decision = screening_latest(patient=patient)
        if decision is None or decision.result == ScreeningResult.NOT_SUITABLE:
            return None
        if consent_status(patient=patient)[ConsentKind.TREATMENT] is None:
            return None
        assessment = assessment_latest(patient=patient)
        if assessment is None:
            return None
        keys = self.formulation_keys(patient, assessment.diagnosis, rng)
        if not keys:
            return None
        version = None
        for key in keys:
            candidate = self.versions[key]
            # The check on a plan not yet saved: what activation would say, without writing anything.
            if not run_patient_check(
                TreatmentPlan(patient=patient, formulation_version=candidate)
            ).hard_stops:
                version, formulation_key = candidate, key
                break
        if version is None:
            raise HardStop
        stage = _weighted(rng, STAGES)
        templates = self.protocols[formulation_key]
        if not templates:
            return None
        counted = [t for t in templates if self._course[t.pk] is not None]
        open_ended = [t for t in templates if self._course[t.pk] is None]
        if stage == PlanStatus.COMPLETED and counted:
            protocol = rng.choice(counted)
        elif open_ended and (not counted or rng.random() < 0.75):
            protocol = rng.choice(open_ended)
        else:
            protocol = rng.choice(counted or templates)
        stage, start = self.start_date(rng, stage, protocol, assessment.assessed_at)
        doctor = self._doctor(assessment)
        with transaction.atomic():
            return self._plan(rng, patient, assessment, version, protocol, stage, start, doctor)

    def _doctor(self, assessment) -> Staff:
        for staff in self.staff.practitioners:
            if staff.user.pk == assessment.assessed_by_id:
                return staff
        return self.staff.practitioners[0]

    def start_date(
        self, rng: random.Random, stage: str, protocol: ProtocolTemplate, assessed_at: dt.datetime
    ) -> tuple[str, dt.date]:
        """(stage, start date): a start that fits the stage, after the assessment, on an open day."""
        today = self.today
        earliest = timezone.localtime(assessed_at).date() + dt.timedelta(days=rng.randint(5, 21))
        oldest = today - dt.timedelta(days=PLAN_HISTORY_DAYS)
        course = self._course[protocol.pk]
        windows = {
            PlanStatus.DRAFT: (today + dt.timedelta(days=3), today + dt.timedelta(days=PLAN_AHEAD_DAYS)),
            PlanStatus.ACTIVE: (  # a counted course still has a session or two to go
                oldest if course is None else today - dt.timedelta(days=course - 7),
                today,
            ),
            PlanStatus.PAUSED: (
                oldest if course is None else today - dt.timedelta(days=course - 7),
                today - dt.timedelta(days=21),
            ),
            PlanStatus.COMPLETED: (oldest, today - dt.timedelta(days=(course or 10_000) + 14)),
            PlanStatus.STOPPED: (oldest, today - dt.timedelta(days=30)),
        }
        low, high = windows[stage]
        low = max(low, earliest)
        if low > high:  # assessed too recently for this stage: started lately, or starting soon
            stage = PlanStatus.ACTIVE if earliest <= today else PlanStatus.DRAFT
            low, high = (earliest, today) if stage == PlanStatus.ACTIVE else (earliest, earliest)
        day = low + dt.timedelta(days=rng.randint(0, (high - low).days))
        start = schedule.next_open(day, self.is_open)
        if stage != PlanStatus.DRAFT and start > today:
            stage = PlanStatus.DRAFT
        return stage, start

    def therapies(self, rng: random.Random, patient: Patient, assessment, start: dt.date) -> list[dict]:
        lang = _lang(patient.language)
        history = history_current(patient=patient)
        rows = []

        def add(kind, already: bool):
            dose_el, dose_en, how_el, how_en = THERAPY_TEXT[kind]
            how = (how_el, how_en)[lang]
            if already:
                how = f"{ALREADY[lang]} {how}"
            rows.append(
                {
                    "kind": kind,
                    "dose": (dose_el, dose_en)[lang],
                    "instructions": how,
                    "start": None if already else start,
                }
            )

        using_minoxidil = history is not None and history.minoxidil == Answer.YES
        if using_minoxidil or rng.random() < 0.25:
            add(TherapyKind.TOPICAL_MINOXIDIL, using_minoxidil)
        if patient.sex == "male" and assessment.diagnosis == "aga_male":
            on_finasteride = history is not None and history.five_alpha_reductase_inhibitor == Answer.YES
            if on_finasteride or rng.random() < 0.12:
                add(TherapyKind.FINASTERIDE, on_finasteride)
        if max(assessment.sebum, assessment.scaling) >= 2 and rng.random() < 0.6:
            add(TherapyKind.SHAMPOO, False)
        return rows

    def _plan(self, rng, patient, assessment, version, protocol, stage, start, doctor) -> PlanOutcome:
        clinic = self.clinic
        practitioner = doctor.auditor(clinic)
        staff_lang = _lang(doctor.user.language)
        diagnosis = assessment.diagnosis
        plan = plan_create(
            patient=patient,
            auditor=practitioner,
            assessment=assessment,
            formulation_version=version,
            protocol=protocol,
            start_date=start,
            goals=rng.choice(GOALS[diagnosis])[_lang(patient.language)],
            zones=rng.choice(ZONES[diagnosis]),
            therapies=self.therapies(rng, patient, assessment, start),
        )
        outcome = PlanOutcome(status=PlanStatus.DRAFT)
        if stage == PlanStatus.DRAFT:
            return outcome
        if stage == PlanStatus.STOPPED and rng.random() < 0.2:  # never started
            plan_status_change(
                plan=plan, auditor=practitioner, to_status=PlanStatus.STOPPED, reason=NOT_STARTED[staff_lang]
            )
            outcome.status = PlanStatus.STOPPED
            return outcome
        for item in run_patient_check(plan).cautions:
            note = ACK_NOTES["screening_caution" if item.code.startswith("screening_caution") else "other"]
            plan_acknowledge(plan=plan, auditor=practitioner, code=item.code, note=note[staff_lang])
            outcome.acknowledged += 1
        plan_activate(plan=plan, auditor=practitioner)
        outcome.status = PlanStatus.ACTIVE
        until = self.today
        if stage == PlanStatus.STOPPED:  # came for a while, then stopped
            elapsed = (self.today - start).days
            until = start + dt.timedelta(days=max(1, int(elapsed * rng.uniform(0.3, 0.9))))
        if stage == PlanStatus.ACTIVE:
            self._hold_sessions(rng, plan, until, outcome, diary_from=self.diary_from)
        else:  # paused, completed or stopped before the diary's fortnight: none of it in the diary
            self._hold_sessions(rng, plan, min(until, self.diary_from), outcome)
        if stage == PlanStatus.PAUSED:
            reason = rng.choice(PAUSE_REASONS)[staff_lang]
        elif stage == PlanStatus.COMPLETED:
            reason = COMPLETED[staff_lang]
        elif stage == PlanStatus.STOPPED:
            six_months = (self.today - start).days >= 180 and rng.random() < 0.5
            reason = (NO_IMPROVEMENT if six_months else rng.choice(STOP_REASONS))[staff_lang]
        else:
            return outcome
        plan_status_change(plan=plan, auditor=practitioner, to_status=stage, reason=reason)
        outcome.status = stage
        return outcome

    def _hold_sessions(
        self,
        rng: random.Random,
        plan: TreatmentPlan,
        until: dt.date,
        outcome: PlanOutcome,
        diary_from: dt.date | None = None,
    ):
        """Mark the plan's sessions before `until` done, now and then missed (and the rest shifted).

        From `diary_from` on, the sessions the patient came to are left planned: the appointments
        demo books them in the diary and the sessions demo records and signs them, which marks
        them done (follicle/demo/sessions.py)."""
        nurse = self.nurse.auditor(self.clinic)
        in_diary: list[int] = []
        while True:
            session = (
                PlannedSession.objects.filter(plan=plan, status=SessionStatus.PLANNED, planned_date__lt=until)
                .exclude(pk__in=in_diary)
                .order_by("number")
                .first()
            )
            if session is None:
                return
            if session.number > 1 and rng.random() < MISSED_CHANCE:
                outcome.missed += 1
                if rng.random() < SHIFT_CHANCE:
                    # Rebooked a week later; the later sessions keep their intervals from there.
                    new_date = schedule.next_open(session.planned_date + dt.timedelta(days=7), self.is_open)
                    plan_shift_apply(
                        plan=plan, session=session, new_date=new_date, auditor=nurse, mark_missed=True
                    )
                    outcome.shifted += 1
                else:
                    planned_session_mark(session=session, status=SessionStatus.MISSED, auditor=nurse)
            elif diary_from is not None and session.planned_date >= diary_from:
                in_diary.append(session.pk)
                outcome.in_diary += 1
            else:
                planned_session_mark(session=session, status=SessionStatus.DONE, auditor=nurse)
                outcome.done += 1


def expire_on_the_shelf(lot: Lot, expiry: dt.date) -> None:
    """The one write of the demo that goes around the services.

    `lot_receive` rightly refuses a lot that has already expired (it compares the expiry with
    today, whatever the delivery date), and no service changes a lot's expiry date. Stock that was
    valid when it was delivered and has since expired on the shelf is exactly what the demo should
    show (it must not be used: `lot_consume` refuses it), so the lot is received with an expiry
    the service accepts and its date is then set in the past with a queryset update. The audit
    row of the receipt keeps the expiry it was received with.
    """
    Lot.objects.filter(pk=lot.pk).update(expiry_date=expiry)
