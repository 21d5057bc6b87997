"""Demo patients: a deterministic generator that goes through the same services as real use.

For one clinic, `DemoPatients(clinic, seed=…).create(index, visit)` registers patient number
`index` and takes them through a first visit: reception registers them, the nurse records the
medical history (and the consents), the practitioner assesses and screens. Every call carries an
`Auditor` of the staff member who would really do it, so the audit trail reads like real use.
Clinics without a receptionist or nurse (the demo's Thessaloniki) register through the
administrator and do the clinical steps with the practitioner.

Each patient draws from its own `random.Random`, seeded with the seed, the clinic and the index:
the same seed gives the same people, and a failed patient does not shift the ones after it.

Services stamp the current time on histories, consents and screenings and audit rows keep the
time they were written (the chain is never rewritten); only the assessment takes a date
(`assessed_at`), so the visits are spread over the past ~18 months there.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from follicle.accounts.models import Membership
from follicle.accounts.roles import Role
from follicle.assessments.models import ScreeningResult
from follicle.assessments.selectors import finding_ids
from follicle.assessments.services import assessment_create, screening_compute, screening_decide
from follicle.core.audit import Auditor
from follicle.core.models import Clinic
from follicle.core.text import light_key
from follicle.demo import names
from follicle.demo.consent_texts import CONSENT_TEXTS
from follicle.demo.holidays import greek_public_holidays
from follicle.patients.models import Answer, ConsentKind, ConsentText, MedicalHistory, Patient
from follicle.patients.services import (
    consent_sign,
    consent_text_publish,
    consent_withdraw,
    history_record,
    patient_create,
)
from follicle.reference.models import ReferenceEntry
from follicle.reference.selectors import diagnosis_list, entry_list, scale_grading, scales_for_diagnosis

YES, NO, UNKNOWN = Answer.YES.value, Answer.NO.value, Answer.UNKNOWN.value
HISTORY_DAYS = 540  # visits spread over the past ~18 months


# --------------------------------------------------------------------------- staff
@dataclass(frozen=True)
class Staff:
    user: object
    role: str

    def auditor(self, clinic: Clinic) -> Auditor:
        # A fixed workstation address per person, as a clinic's LAN would give.
        return Auditor(actor=self.user, role=self.role, clinic=clinic, ip=f"10.0.0.{10 + self.user.pk % 240}")


@dataclass(frozen=True)
class ClinicStaff:
    registrar: Staff  # registers patients: reception, else the administrator
    nurse: Staff | None  # history and consents; the practitioner does them when there is no nurse
    practitioners: list[Staff]  # the clinic's own practitioner first, then locums
    admin: Staff | None


def clinic_staff(clinic: Clinic) -> ClinicStaff:
    by_role: dict[str, list[Staff]] = {}
    memberships = Membership.objects.active().filter(clinic=clinic).select_related("user")
    for membership in memberships.order_by("created_at", "id"):
        by_role.setdefault(membership.role, []).append(Staff(membership.user, membership.role))
    practitioners = by_role.get(Role.PRACTITIONER, [])
    if not practitioners:
        raise ValueError(f"{clinic.name} has no practitioner to assess the demo patients.")
    admin = (by_role.get(Role.ADMIN) or [None])[0]
    registrar = (by_role.get(Role.RECEPTIONIST) or [admin or practitioners[0]])[0]
    nurse = (by_role.get(Role.NURSE) or [None])[0]
    return ClinicStaff(registrar=registrar, nurse=nurse, practitioners=practitioners, admin=admin)


def consent_texts_ensure(clinic: Clinic, auditor: Auditor) -> dict[tuple[str, str], ConsentText]:
    """The clinic's current treatment and photo texts in Greek and English; publishes missing ones."""
    texts = {}
    for (kind, language), (title, body) in CONSENT_TEXTS.items():
        current = (
            ConsentText.objects.filter(clinic=clinic, kind=kind, language=language)
            .order_by("-version")
            .first()
        )
        texts[kind, language] = current or consent_text_publish(
            clinic=clinic, auditor=auditor, kind=kind, language=language, title=title, body=body
        )
    return texts


# --------------------------------------------------------------------------- what goes in a history
@dataclass(frozen=True)
class Condition:
    """A contraindication as a patient would report it: the answers and what the nurse writes down."""

    key: str
    weight: int
    answers: dict[str, str]
    text_field: str = ""  # medications / conditions / allergies / notes
    el: str = ""
    en: str = ""
    sex: str = ""  # "female"/"male": only for that sex
    ages: tuple[int, int] = (0, 200)


CONTRAINDICATIONS = [
    Condition("pregnant", 3, {"pregnant": YES}, "notes", "Έγκυος, 2ο τρίμηνο.", "Pregnant, second trimester.",
              sex="female", ages=(20, 40)),
    Condition("breastfeeding", 3, {"breastfeeding": YES}, "notes", "Θηλάζει· τοκετός πριν από 4 μήνες.",
              "Breast-feeding; gave birth 4 months ago.", sex="female", ages=(20, 40)),
    Condition("anticoagulants", 4, {"anticoagulants": YES}, "medications",
              "Απιξαμπάνη 5 mg × 2 (κολπική μαρμαρυγή)", "Apixaban 5 mg twice daily (atrial fibrillation)",
              ages=(45, 200)),
    Condition("antiplatelets", 3, {"antiplatelets": YES}, "medications", "Ασπιρίνη 100 mg ημερησίως",
              "Aspirin 100 mg daily", ages=(45, 200)),
    Condition("bleeding_disorder", 1, {"bleeding_disorder": YES}, "conditions",
              "Ιδιοπαθής θρομβοπενία, αιμοπετάλια ~90.000/μL",
              "Immune thrombocytopenia, platelets ~90,000/µL"),
    Condition("active_scalp_infection", 3, {"active_scalp_infection": YES}, "notes",
              "Θυλακίτιδα στο τριχωτό, σε αγωγή από δερματολόγο.",
              "Scalp folliculitis, being treated by a dermatologist."),
    Condition("scalp_wound", 2, {"scalp_inflammation_or_wound": YES}, "conditions",
              "Ψωρίαση τριχωτού σε έξαρση", "Scalp psoriasis, flaring"),
    Condition("diabetes", 4, {"diabetes": YES}, "medications", "Μετφορμίνη 850 mg × 2 (ΣΔ τύπου 2)",
              "Metformin 850 mg twice daily (type 2 diabetes)", ages=(35, 200)),
    Condition("keloid_tendency", 2, {"keloid_tendency": YES}, "conditions",
              "Χηλοειδές στον θώρακα μετά από χειρουργείο", "Keloid scar on the chest after surgery"),
    Condition("autoimmune_hashimoto", 2, {"autoimmune_disease": YES}, "conditions",
              "Θυρεοειδίτιδα Hashimoto, σε λεβοθυροξίνη", "Hashimoto's thyroiditis, on levothyroxine"),
    Condition("autoimmune_lupus", 1, {"autoimmune_disease": YES}, "conditions",
              "Συστηματικός ερυθηματώδης λύκος, σταθερός", "Systemic lupus erythematosus, stable",
              sex="female"),
    Condition("anaesthetic_allergy", 1, {"anaesthetic_allergy": YES}, "allergies",
              "Αντίδραση σε τοπικό αναισθητικό στον οδοντίατρο",
              "Reaction to a local anaesthetic at the dentist"),
    Condition("ingredient_allergy", 3, {}, "allergies", "", ""),  # filled with a catalogue ingredient
    Condition("severe_hypertension", 2, {"severe_hypertension": YES}, "medications",
              "Αμλοδιπίνη 10 mg, βαλσαρτάνη 160 mg", "Amlodipine 10 mg, valsartan 160 mg", ages=(45, 200)),
    Condition("active_cancer", 1, {"active_cancer": YES}, "conditions", "Λέμφωμα, σε χημειοθεραπεία",
              "Lymphoma, on chemotherapy", ages=(30, 200)),
    Condition("acute_infection", 1, {"acute_infection": YES}, "notes",
              "Εμπύρετη λοίμωξη αναπνευστικού αυτή την εβδομάδα.", "Feverish chest infection this week."),
]  # fmt: skip

# Ingredients people are most often allergic to, tried first for the allergy case.
LIKELY_ALLERGENS = ["procaine_lidocaine", "b_complex", "biotin", "hyaluronic_acid", "copper_peptides", "zinc"]

# Medicines and habits that hair-loss patients report, which screening does not count against them.
BACKGROUND = [
    # answers, probability, sex, ages, field, el, en
    ({"minoxidil": YES}, 0.30, "", (16, 200), "medications", "Μινοξιδίλη 5% τοπικά", "Minoxidil 5% topical"),
    ({"five_alpha_reductase_inhibitor": YES}, 0.18, "male", (20, 200), "medications", "Φιναστερίδη 1 mg",
     "Finasteride 1 mg"),
    ({"high_dose_biotin": YES}, 0.08, "", (16, 200), "medications", "Βιοτίνη 10 mg", "Biotin 10 mg"),
    ({"blood_donor": YES}, 0.08, "", (18, 65), "", "", ""),
    ({"heavy_smoking_or_alcohol": YES}, 0.10, "", (18, 200), "notes", "Καπνίζει 30 τσιγάρα την ημέρα.",
     "Smokes 30 cigarettes a day."),
    ({"hyperandrogenism": YES, "antiandrogen_therapy": YES}, 0.05, "female", (18, 45), "conditions",
     "Σύνδρομο πολυκυστικών ωοθηκών, σε σπιρονολακτόνη", "Polycystic ovary syndrome, on spironolactone"),
    ({"planning_pregnancy": YES}, 0.06, "female", (22, 42), "", "", ""),
    ({"isotretinoin": YES}, 0.03, "", (16, 30), "medications", "Ισοτρετινοΐνη 20 mg", "Isotretinoin 20 mg"),
    ({"cardiovascular_disease": YES}, 0.05, "", (55, 200), "conditions", "Στεφανιαία νόσος, σταθερή",
     "Stable coronary artery disease"),
    ({"prostate_cancer_surveillance": YES}, 0.05, "male", (50, 200), "conditions",
     "Παρακολούθηση PSA από ουρολόγο", "PSA monitoring by a urologist"),
    ({"trying_to_conceive": YES}, 0.03, "male", (25, 50), "", "", ""),
]  # fmt: skip

# Questions for one sex only: the other sex answers "no".
FEMALE_ONLY = ("pregnant", "breastfeeding", "planning_pregnancy", "hyperandrogenism")
MALE_ONLY = ("trying_to_conceive", "prostate_cancer_surveillance")

# --------------------------------------------------------------------------- assessment vocabulary
DIAGNOSES = {
    "male": [("aga_male", 82), ("telogen_effluvium", 11), ("alopecia_areata", 7)],
    "female": [("fphl", 66), ("telogen_effluvium", 27), ("alopecia_areata", 7)],
}
FINDINGS = {
    "aga_male": ["shaft_thickness_variability", "vellus_increased", "single_hair_units", "peripilar_sign",
                 "yellow_dots"],
    "fphl": ["shaft_thickness_variability", "vellus_increased", "single_hair_units", "peripilar_sign"],
    "telogen_effluvium": ["upright_regrowing_hairs", "greasy_scalp", "diffuse_scaling"],
    "alopecia_areata": ["yellow_dots", "black_dots", "exclamation_mark_hairs", "broken_hairs",
                        "upright_regrowing_hairs"],
}  # fmt: skip
NOTES = {
    "aga_male": [
        (
            "Σταδιακή αραίωση στην κορυφή και στις κροταφικές γωνίες εδώ και {years} χρόνια. Ο πατέρας με "
            "παρόμοια εικόνα.",
            "Gradual thinning at the crown and temples for {years} years. Father similar.",
        ),
        (
            "Υποχώρηση της μετωπιαίας γραμμής και αραίωση της κορυφής. Συζητήθηκαν ρεαλιστικές προσδοκίες.",
            "Receding frontal hairline and thinning crown. Realistic expectations discussed.",
        ),
    ],
    "fphl": [
        (
            "Διάχυτη αραίωση στην κορυφή, η μετωπιαία γραμμή διατηρείται. Ξεκίνησε πριν από {years} χρόνια.",
            "Diffuse thinning over the crown, frontal hairline preserved. Started {years} years ago.",
        ),
        (
            "Διεύρυνση της χωρίστρας, χωρίς σημεία υπερανδρογοναιμίας. Συστάθηκε έλεγχος φερριτίνης.",
            "Widening parting, no signs of hyperandrogenism. Ferritin check advised.",
        ),
    ],
    "telogen_effluvium": [
        (
            "Αυξημένη τριχόπτωση εδώ και {months} μήνες, μετά από εμπύρετη λοίμωξη. Αναμένεται βελτίωση.",
            "Increased shedding for {months} months after a feverish illness. Expected to improve.",
        ),
        (
            "Έντονη τριχόπτωση εδώ και {months} μήνες, σε περίοδο έντονου στρες. Έλεγχος θυρεοειδούς και "
            "φερριτίνης.",
            "Heavy shedding for {months} months during a stressful period. Thyroid and ferritin checked.",
        ),
    ],
    "alopecia_areata": [
        (
            "Μία κυκλική πλάκα αλωπεκίας ινιακά, διαμέτρου 3 cm. Παραπομπή σε δερματολόγο.",
            "Single round patch at the occiput, 3 cm across. Referred to a dermatologist.",
        ),
        (
            "Δύο μικρές πλάκες αλωπεκίας βρεγματικά εδώ και {months} μήνες. Θετικό οικογενειακό ιστορικό.",
            "Two small patches on the crown for {months} months. Positive family history.",
        ),
    ],
}
OILY = ("Λιπαρό τριχωτό.", "Oily scalp.")

# Practitioner decisions that differ from the computed result, with the reason given.
# computed result -> contraindication key ("" for none, "not_asked" for unanswered questions).
OVERRIDES = {
    ScreeningResult.CAUTION: {
        "anticoagulants_bleeding_disorders": (
            "Η αντιπηκτική αγωγή διακόπτεται με οδηγία του καρδιολόγου για τη διάρκεια των συνεδριών.",
            "Anticoagulant stopped by the cardiologist for the course of sessions.",
        ),
        "diabetes": (
            "Καλά ρυθμισμένος διαβήτης (HbA1c 6,2%), χωρίς προβλήματα επούλωσης.",
            "Well-controlled diabetes (HbA1c 6.2%), no healing problems.",
        ),
        "age_limits": (
            "Υγιής, χωρίς άλλους παράγοντες κινδύνου· συζητήθηκαν τα όρια της θεραπείας.",
            "Healthy, no other risk factors; the limits of treatment were discussed.",
        ),
        "keloid_tendency": (
            "Χηλοειδές μόνο μετά από μεγάλη χειρουργική τομή· δοκιμαστική ένεση χωρίς αντίδραση.",
            "Keloid only after a large surgical scar; a test injection healed normally.",
        ),
        "autoimmune_disease": (
            "Σταθερή νόσος, χωρίς έξαρση τον τελευταίο χρόνο· σε συνεννόηση με τον θεράποντα ιατρό.",
            "Stable disease with no flare in the past year; agreed with the treating doctor.",
        ),
        "other_clinic_listed": (
            "Πίεση ρυθμισμένη (130/80 σήμερα), σε συνεννόηση με τον θεράποντα ιατρό.",
            "Blood pressure controlled (130/80 today), agreed with the patient's doctor.",
        ),
        "not_asked": (
            "Ρωτήθηκε στην επίσκεψη: η απάντηση σε όσες ερωτήσεις έλειπαν είναι «όχι».",
            "Asked at the visit: the answer to each unanswered question is no.",
        ),
    },
    ScreeningResult.SUITABLE: {
        "": (
            "Έντονη φοβία για βελόνες με λιποθυμικό επεισόδιο στο παρελθόν: θεραπεία σε ύπτια θέση.",
            "Marked needle phobia with a past fainting episode: treat lying down.",
        ),
    },
    ScreeningResult.NOT_SUITABLE: {
        "active_scalp_infection_or_dermatosis": (
            "Η θυλακίτιδα υποχώρησε με την αγωγή· καθαρό τριχωτό στην εξέταση σήμερα, επανέλεγχος πριν "
            "από κάθε συνεδρία.",
            "Folliculitis cleared with treatment; scalp clear on examination today, re-checked before every "
            "session.",
        ),
    },
}
OVERRIDE_TO = {
    ScreeningResult.CAUTION: ScreeningResult.SUITABLE,
    ScreeningResult.SUITABLE: ScreeningResult.CAUTION,
    ScreeningResult.NOT_SUITABLE: ScreeningResult.CAUTION,
}
OVERRIDE_CHANCE = {
    ScreeningResult.CAUTION: 0.22,
    ScreeningResult.SUITABLE: 0.02,
    ScreeningResult.NOT_SUITABLE: 0.3,
}

WITHDRAWALS = {
    ConsentKind.TREATMENT: ("Αποφάσισε να μη συνεχίσει τη θεραπεία.", "Decided not to go on with treatment."),
    ConsentKind.PHOTO: ("Δεν επιθυμεί πλέον να φωτογραφίζεται.", "No longer wishes to be photographed."),
}


# --------------------------------------------------------------------------- the summary
@dataclass
class Outcome:
    contraindicated: bool = False
    screening: str = ""
    override: bool = False
    out_of_date: bool = False
    consents: list[str] = field(default_factory=list)
    withdrawn: int = 0


@dataclass
class Summary:
    clinic: str
    patients: int = 0
    contraindicated: int = 0
    screened: Counter = field(default_factory=Counter)
    overrides: int = 0
    out_of_date: int = 0
    consents: Counter = field(default_factory=Counter)
    withdrawn: int = 0

    def add(self, outcome: Outcome) -> None:
        self.patients += 1
        self.contraindicated += outcome.contraindicated
        if outcome.screening:
            self.screened[outcome.screening] += 1
        self.overrides += outcome.override
        self.out_of_date += outcome.out_of_date
        self.consents.update(outcome.consents)
        self.withdrawn += outcome.withdrawn

    def line(self) -> str:
        s = self.screened
        return (
            f"{self.clinic}: {self.patients} patients, {self.contraindicated} with contraindications; "
            f"screened {s.total()}: {s[ScreeningResult.NOT_SUITABLE]} not suitable, "
            f"{s[ScreeningResult.CAUTION]} caution, {s[ScreeningResult.SUITABLE]} suitable "
            f"({self.overrides} overridden, {self.out_of_date} out of date); consents: "
            f"{self.consents[ConsentKind.TREATMENT]} treatment, {self.consents[ConsentKind.PHOTO]} photo, "
            f"{self.withdrawn} withdrawn"
        )


# --------------------------------------------------------------------------- the generator
def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _weighted(rng: random.Random, pairs):
    items, weights = zip(*pairs, strict=True)
    return rng.choices(items, weights=weights)[0]


@dataclass
class Person:
    first_name: str
    last_name: str
    sex: str
    language: str
    age: int
    signer: str  # who signs consents: the patient, or a parent for a minor


class DemoPatients:
    """Creates demo patients for one clinic. Needs the reference catalogue and the clinic's staff."""

    def __init__(self, clinic: Clinic, *, seed: int = 1, today: dt.date | None = None):
        self.clinic = clinic
        self.seed = seed
        self.today = today or timezone.localdate()
        self.city = clinic.name if clinic.name in names.AREAS else "Athens"
        self.staff = clinic_staff(clinic)
        publisher = self.staff.admin or self.staff.practitioners[0]
        self.texts = consent_texts_ensure(clinic, publisher.auditor(clinic))
        self.diagnoses = set(diagnosis_list().values_list("key", flat=True))
        ingredients = set(entry_list(kind=ReferenceEntry.Kind.INGREDIENT).values_list("key", flat=True))
        self.allergens = [k for k in LIKELY_ALLERGENS if k in ingredients] or sorted(ingredients)
        self.findings = finding_ids()
        self._gradings: dict[str, object] = {}

    def rng(self, name) -> random.Random:
        return random.Random(f"follicle-demo:{self.seed}:{self.clinic.name}:{name}")

    # ----------------------------------------------------------------------- dates
    def visit_times(self, count: int) -> list[dt.datetime]:
        """`count` first-visit times on the clinic's open days over the past ~18 months, in order."""
        rng = self.rng("visits")
        hours = {h.weekday: (h.opens_at, h.closes_at) for h in self.clinic.opening_hours.all()}
        hours = hours or {d: (dt.time(9), dt.time(17)) for d in range(5)}
        start = self.today - dt.timedelta(days=HISTORY_DAYS)
        holidays = {
            day for year in range(start.year, self.today.year + 1) for day, _ in greek_public_holidays(year)
        }
        days = [
            day
            for day in (start + dt.timedelta(days=n) for n in range(HISTORY_DAYS))
            if day.weekday() in hours and day not in holidays
        ]
        zone = timezone.get_current_timezone()
        times = []
        for _ in range(count):
            day = rng.choice(days)
            opens, closes = hours[day.weekday()]
            slots = max(1, (closes.hour * 60 + closes.minute - opens.hour * 60 - opens.minute - 30) // 15)
            minute = opens.hour * 60 + opens.minute + 15 * rng.randrange(slots)
            times.append(dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=zone))
        return sorted(times)

    # ----------------------------------------------------------------------- one patient
    def person(self, rng: random.Random) -> Person:
        sex = "female" if rng.random() < 0.55 else "male"
        female = sex == "female"
        roll = rng.random()
        if roll < 0.03:
            age = rng.randint(16, 17)
        elif roll < 0.07:
            age = rng.randint(66, 75)
        else:
            age = int(rng.triangular(18, 66, 36))
        if rng.random() < 0.85:
            first = rng.choice(names.GREEK_FEMALE_FIRST if female else names.GREEK_MALE_FIRST)
            surname = rng.choice(names.GREEK_SURNAMES)
            last, language = surname[1 if female else 0], "el"
            signer = f"{rng.choice(names.GREEK_FEMALE_FIRST)} {surname[1]}"  # the mother, for a minor
        else:
            first = rng.choice(names.INTERNATIONAL_FEMALE_FIRST if female else names.INTERNATIONAL_MALE_FIRST)
            last, language = rng.choice(names.INTERNATIONAL_SURNAMES), "en"
            signer = f"{rng.choice(names.INTERNATIONAL_FEMALE_FIRST)} {last}"
        if age >= 18:
            signer = f"{first} {last}"
        return Person(first, last, sex, language, age, signer)

    def demographics(self, rng: random.Random, person: Person) -> dict:
        latest = _years_before(self.today, person.age)
        earliest = _years_before(self.today, person.age + 1) + dt.timedelta(days=1)
        born = earliest + dt.timedelta(days=rng.randint(0, (latest - earliest).days))
        greek = person.language == "el"
        roll = rng.random()
        if roll < 0.05:
            phone = ""
        elif not greek and roll < 0.45:
            phone = f"+44 7700 900{rng.randint(0, 999):03d}"  # Ofcom's range for fiction
        elif roll < 0.8 or not greek:
            phone = f"+30 69{rng.choice('0345789')} {rng.randint(0, 999):03d} {rng.randint(0, 9999):04d}"
        else:
            prefix, length = names.LANDLINES[self.city]
            number = f"{rng.randrange(10**length):0{length}d}"
            phone = f"+30 {prefix} {number[:3]} {number[3:]}"
        email = ""
        if rng.random() < 0.82:
            first, last = (light_key(part).replace(" ", "") for part in (person.first_name, person.last_name))
            local = rng.choice([f"{first}.{last}", f"{first[0]}{last}", f"{first}{last}{rng.randint(1, 99)}"])
            email = f"{local}@{rng.choice(names.EMAIL_DOMAINS)}"
        address = ""
        if rng.random() < 0.9:
            area_el, area_en, postcode, streets = rng.choice(names.AREAS[self.city])
            street_el, street_en = rng.choice(streets)
            number = rng.randint(1, 180)
            address = (
                f"{street_el} {number}, {postcode} {area_el}"
                if greek
                else f"{street_en} {number}, {postcode} {area_en}"
            )
        return {
            "first_name": person.first_name,
            "last_name": person.last_name,
            "sex": person.sex,
            "date_of_birth": born,
            "phone": phone,
            "email": email,
            "address": address,
            "language": person.language,
        }

    def history(self, rng: random.Random, person: Person) -> tuple[dict, bool]:
        """The first history's answers, and whether it has a contraindication."""
        answers = dict.fromkeys(MedicalHistory.YES_NO_FIELDS, NO)
        texts: dict[str, list[str]] = {"medications": [], "conditions": [], "allergies": [], "notes": []}
        lang = 0 if person.language == "el" else 1

        def fits(sex: str, ages: tuple[int, int]) -> bool:
            return (not sex or sex == person.sex) and ages[0] <= person.age <= ages[1]

        for extra, chance, sex, ages, text_field, *text in BACKGROUND:
            if fits(sex, ages) and rng.random() < chance:
                answers.update(extra)
                if text_field:
                    texts[text_field].append(text[lang])
        contraindicated = rng.random() < 0.17
        if contraindicated:
            choices = [c for c in CONTRAINDICATIONS if fits(c.sex, c.ages)]
            picked = [_weighted(rng, [(c, c.weight) for c in choices])]
            if rng.random() < 0.15:
                picked.append(_weighted(rng, [(c, c.weight) for c in choices]))
            for condition in {c.key: c for c in picked}.values():
                answers.update(condition.answers)
                if condition.key == "ingredient_allergy":
                    answers["allergy_ingredients"] = [rng.choice(self.allergens)]
                elif condition.text_field:
                    texts[condition.text_field].append((condition.el, condition.en)[lang])
        elif rng.random() < 0.06:
            texts["allergies"].append(("Πενικιλίνη", "Penicillin")[lang])  # not a cocktail ingredient
        if rng.random() < 0.12:  # a question or two not asked
            unanswered = [n for n in MedicalHistory.YES_NO_FIELDS if answers[n] == NO]
            for name in rng.sample(unanswered, rng.randint(1, 2)):
                answers[name] = UNKNOWN
        for name in MALE_ONLY if person.sex == "female" else FEMALE_ONLY:
            answers[name] = NO
        answers.update({name: ", ".join(values) for name, values in texts.items() if values})
        return answers, contraindicated

    def history_change(self, rng: random.Random, person: Person, first: dict) -> tuple[dict, bool]:
        """A later version of the history: what changed, and whether it adds a contraindication."""
        lang = 0 if person.language == "el" else 1
        options = []
        if first["minoxidil"] != YES:
            meds = ", ".join(
                filter(None, [first.get("medications", ""), ("Μινοξιδίλη 5% τοπικά", "Minoxidil 5%")[lang]])
            )
            options.append(({"minoxidil": YES, "medications": meds}, False))
        unknown = [n for n in MedicalHistory.YES_NO_FIELDS if first[n] == UNKNOWN]
        if unknown:
            note = (
                "Συμπληρώθηκαν τηλεφωνικά οι ερωτήσεις που έλειπαν.",
                "Missing answers completed by phone.",
            )
            options.append(({**dict.fromkeys(unknown, NO), "notes": note[lang]}, False))
        if person.sex == "female" and 22 <= person.age <= 40 and first["pregnant"] != YES:
            note = ("Ανέφερε εγκυμοσύνη 8 εβδομάδων.", "Reported a pregnancy of 8 weeks.")
            options.append(({"pregnant": YES, "notes": note[lang]}, True))
        if person.age >= 45 and first["anticoagulants"] != YES:
            meds = ("Ριβαροξαμπάνη 20 mg μετά από εν τω βάθει φλεβοθρόμβωση", "Rivaroxaban 20 mg after a DVT")
            options.append(({"anticoagulants": YES, "medications": meds[lang]}, True))
        return rng.choice(options) if options else ({}, False)

    def assessment(self, rng: random.Random, person: Person, answers: dict, when: dt.datetime) -> dict | None:
        choices = [(d, w) for d, w in DIAGNOSES[person.sex] if d in self.diagnoses]
        if not choices:
            return None
        diagnosis = _weighted(rng, choices)
        scales = scales_for_diagnosis(diagnosis, person.sex)
        scale = grade = ""
        if scales:
            scale = _weighted(rng, [(s.key, (len(scales) - i) ** 2) for i, s in enumerate(scales)])
            grade = self.grade(rng, scale)
        if diagnosis == "telogen_effluvium":
            pull = _weighted(rng, [("positive", 75), ("negative", 20), ("not_done", 5)])
        elif diagnosis == "alopecia_areata":
            pull = _weighted(rng, [("positive", 50), ("negative", 40), ("not_done", 10)])
        else:
            pull = _weighted(rng, [("negative", 65), ("not_done", 25), ("positive", 10)])
        scores = {
            "sebum": _weighted(rng, zip(range(4), [45, 38, 13, 4], strict=True)),
            "scaling": _weighted(rng, zip(range(4), [55, 33, 10, 2], strict=True)),
            "erythema": _weighted(rng, zip(range(4), [70, 24, 5, 1], strict=True)),
            "inflammation": _weighted(rng, zip(range(4), [86, 12, 2, 0], strict=True)),
        }
        if YES in (answers["active_scalp_infection"], answers["scalp_inflammation_or_wound"]):
            scores.update(erythema=rng.randint(2, 3), inflammation=rng.randint(1, 3))
        pool = [f for f in FINDINGS.get(diagnosis, []) if f in self.findings]
        if scores["erythema"] >= 2 and "perifollicular_erythema" in self.findings:
            pool.append("perifollicular_erythema")
        count = min(len(pool), _weighted(rng, zip(range(4), [15, 35, 35, 15], strict=True)))
        lang = 0 if person.language == "el" else 1
        note = rng.choice(NOTES[diagnosis])[lang].format(years=rng.randint(2, 10), months=rng.randint(2, 6))
        if scores["sebum"] >= 2:
            note = f"{note} {OILY[lang]}"
        return {
            "diagnosis": diagnosis,
            "scale": scale,
            "grade": grade,
            "pull_test": pull,
            "pull_test_hairs": rng.randint(6, 15) if pull == "positive" else None,
            **scores,
            "trichoscopy_findings": rng.sample(pool, count),
            "notes": note,
            "assessed_at": when,
        }

    def grade(self, rng: random.Random, scale: str) -> str:
        if scale not in self._gradings:
            self._gradings[scale] = scale_grading(scale)
        grading = self._gradings[scale]
        if grading.kind == "ordinal":
            n = len(grading.choices)  # weighted to the middle grades
            return _weighted(rng, [(g, 1 + min(i, n - 1 - i)) for i, g in enumerate(grading.choices)])
        if grading.kind == "score":
            low, high = grading.minimum, grading.maximum
            return str(round(rng.triangular(low, high, low + (high - low) * 0.25)))
        if grading.kind == "types":
            n = len(grading.basic)
            codes = [_weighted(rng, [(g, 1 + min(i, n - 1 - i)) for i, g in enumerate(grading.basic)])]
            if grading.specific and rng.random() < 0.5:
                codes.append(rng.choice(grading.specific))
            return " ".join(codes)
        return ""

    def override(self, rng: random.Random, outcome, person: Person, answers: dict) -> str:
        """A practitioner's reason to differ from the computed result, now and then ("" for none)."""
        computed = ScreeningResult(outcome.result)
        if rng.random() >= OVERRIDE_CHANCE[computed]:
            return ""
        keys = [r.contraindication for r in outcome.reasons]
        if computed == ScreeningResult.SUITABLE:
            key = ""
        elif not keys and outcome.not_asked:
            key = "not_asked"
        elif len(keys) == 1:
            key = keys[0]
        else:
            return ""
        fitting = {  # the reason's wording fits only these cases
            "anticoagulants_bleeding_disorders": answers["anticoagulants"] == YES
            and NO == answers["antiplatelets"] == answers["bleeding_disorder"],
            "other_clinic_listed": answers["severe_hypertension"] == YES
            and all(answers[n] != YES for n in ("active_cancer", "chronic_renal_failure", "pacemaker")),
            "age_limits": person.age > 65,
        }
        if not fitting.get(key, True):
            return ""
        reason = OVERRIDES[computed].get(key)
        return reason[0 if person.language == "el" else 1] if reason else ""

    def create(self, index: int, when: dt.datetime) -> Outcome:
        """Register patient number `index` and take them through a first visit at `when`."""
        rng = self.rng(index)
        person = self.person(rng)
        fields = self.demographics(rng, person)
        clinic, staff = self.clinic, self.staff
        doctor = staff.practitioners[0]
        if len(staff.practitioners) > 1 and rng.random() < 0.15:
            doctor = rng.choice(staff.practitioners[1:])  # a locum saw them
        reception = staff.registrar.auditor(clinic)
        nurse = (staff.nurse or doctor).auditor(clinic)
        practitioner = doctor.auditor(clinic)
        lang = 0 if person.language == "el" else 1
        outcome = Outcome()
        stage = rng.random()  # a few have not had every step yet
        second = rng.random() < 0.1
        second_after = rng.random() < 0.5
        with transaction.atomic():
            patient = patient_create(clinic=clinic, auditor=reception, **fields)
            answers, outcome.contraindicated = self.history(rng, person)
            history_record(patient=patient, auditor=nurse, **answers)
            if stage < 0.02:
                return outcome
            if rng.random() < 0.7:
                self._sign(patient, nurse, ConsentKind.PHOTO, person, outcome)
            assessment = self.assessment(rng, person, answers, when)
            if assessment is not None:
                assessment_create(patient=patient, auditor=practitioner, **assessment)
            if stage < 0.04:
                return outcome
            change, adds = self.history_change(rng, person, answers) if second else ({}, False)
            if change and not second_after:
                history_record(patient=patient, auditor=nurse, **change)
                outcome.contraindicated |= adds
            computed = screening_compute(patient=patient)[0]
            current = {**answers, **change} if change and not second_after else answers
            reason = self.override(rng, computed, person, current)
            result = OVERRIDE_TO[ScreeningResult(computed.result)] if reason else computed.result
            screening_decide(patient=patient, auditor=practitioner, result=result, override_reason=reason)
            outcome.screening, outcome.override = str(result), bool(reason)
            if result != ScreeningResult.NOT_SUITABLE and rng.random() < 0.95:
                self._sign(patient, nurse, ConsentKind.TREATMENT, person, outcome)
            if change and second_after:
                history_record(patient=patient, auditor=nurse, **change)
                outcome.contraindicated |= adds
                outcome.out_of_date = True
            for consent in patient.consents.all():
                if rng.random() < (0.03 if consent.kind == ConsentKind.TREATMENT else 0.05):
                    reason = WITHDRAWALS[consent.kind][lang]
                    consent_withdraw(consent=consent, auditor=nurse, reason=reason)
                    outcome.withdrawn += 1
        return outcome

    def _sign(self, patient: Patient, auditor: Auditor, kind: str, person: Person, outcome: Outcome) -> None:
        text = self.texts[kind, person.language]
        consent_sign(patient=patient, auditor=auditor, text=text, signed_name=person.signer)
        outcome.consents.append(str(kind))
