"""Progress at a measurement site: density, thickness, vellus and anagen shares over time.

For a site (and optionally a plan) the visits' values form a series per metric; the baseline is
the last visit on or before the plan's start (else the first visit); every later point carries
its absolute and percentage change from baseline. At each of the plan's outcome checkpoints the
visit nearest to the due date (within the clinic's window) is named by the clinic's response
policy (OutcomeSettings, defaults in data/response_policy.yaml — clinic policy, not evidence).
Sessions signed in the plan are returned as dates for the chart's time axis.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from follicle.outcomes.models import (
    AnalysisStatus,
    Measurement,
    MeasurementKind,
    MeasurementSite,
    OutcomeSettings,
    TrichoscopyImage,
    TrichoscopyPair,
)

POLICY_FILE = Path(__file__).parent / "data" / "response_policy.yaml"

METRICS = {
    "density": (_("Hair density"), _("hairs/cm²"), MeasurementKind.DENSITY),
    "thickness": (_("Mean thickness"), _("µm"), MeasurementKind.THICKNESS),
    "vellus": (_("Vellus share"), "%", MeasurementKind.VELLUS),
    "anagen": (_("Anagen share"), "%", MeasurementKind.ANAGEN),
}
SHARES = {"vellus", "anagen"}  # stored as 0–1, shown as per cent

STATUS_LABELS = {
    "responder": _("Responder"),
    "partial": _("Partial response"),
    "stable": _("Stable"),
    "worse": _("Worse"),
    "no_baseline": _("No baseline"),
    "no_visit": _("No visit near the checkpoint"),
    "not_due": _("Not due yet"),
}


@dataclass(frozen=True)
class Policy:
    responder_pct: float
    partial_pct: float
    worse_pct: float
    window_days: int
    is_default: bool


@cache
def default_policy(path: Path = POLICY_FILE) -> Policy:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if doc.get("schema_version") != 1:
        raise ValueError(f"{path.name}: unsupported schema_version {doc.get('schema_version')!r}")
    return Policy(
        responder_pct=float(doc["responder_pct"]),
        partial_pct=float(doc["partial_pct"]),
        worse_pct=float(doc["worse_pct"]),
        window_days=int(doc["window_days"]),
        is_default=True,
    )


def policy_for(clinic) -> Policy:
    row = OutcomeSettings.objects.filter(clinic=clinic).first()
    if row is None:
        return default_policy()
    return Policy(row.responder_pct, row.partial_pct, row.worse_pct, row.window_days, is_default=False)


def response_status(change_pct: float | None, policy: Policy) -> str:
    if change_pct is None:
        return "no_baseline"
    if change_pct >= policy.responder_pct:
        return "responder"
    if change_pct >= policy.partial_pct:
        return "partial"
    if change_pct <= policy.worse_pct:
        return "worse"
    return "stable"


@dataclass
class Point:
    when: dt.date
    value: float  # in display units (shares as per cent)
    source: str  # "trichoscopy", "pair" or "manual"
    corrected: bool = False
    ref: str = ""  # the image, pair or measurement UUID
    note: str = ""  # a manual measurement's source
    change: float | None = None  # from baseline, display units
    change_pct: float | None = None

    @property
    def is_baseline(self) -> bool:
        return self.change == 0 and self.change_pct == 0


@dataclass
class Series:
    key: str
    label: str
    unit: str
    points: list[Point] = field(default_factory=list)
    baseline: Point | None = None

    @property
    def latest(self) -> Point | None:
        return self.points[-1] if self.points else None


@dataclass
class CheckpointStatus:
    months: int
    due_date: dt.date
    status: str
    visit: Point | None = None

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self.status])


@dataclass
class SiteProgress:
    site: MeasurementSite
    series: dict[str, Series]
    sessions: list[dt.date]
    checkpoints: list[CheckpointStatus]
    policy: Policy

    @property
    def has_data(self) -> bool:
        return any(s.points for s in self.series.values())


def _display(key: str, value: float) -> float:
    return round(value * 100, 2) if key in SHARES else round(value, 2)


def _points(site: MeasurementSite) -> dict[str, list[Point]]:
    found: dict[str, list[Point]] = {key: [] for key in METRICS}
    images = TrichoscopyImage.objects.filter(site=site, status=AnalysisStatus.DONE, entered_in_error=False)
    for image in images.order_by("taken_on", "id"):
        values = {
            "density": image.density_used,
            "thickness": image.mean_thickness_um,
            "vellus": image.vellus_fraction,
        }
        for key, value in values.items():
            if value is not None:
                found[key].append(
                    Point(
                        when=image.taken_on,
                        value=_display(key, value),
                        source="trichoscopy",
                        corrected=key == "density" and image.corrected_count is not None,
                        ref=str(image.uuid),
                    )
                )
    pairs = TrichoscopyPair.objects.filter(site=site, status=AnalysisStatus.DONE).select_related("day0")
    for pair in pairs.order_by("day0__taken_on", "id"):
        if pair.anagen_fraction is not None and not pair.day0.entered_in_error:
            found["anagen"].append(
                Point(
                    when=pair.day0.taken_on,
                    value=_display("anagen", pair.anagen_fraction),
                    source="pair",
                    ref=str(pair.uuid),
                )
            )
    by_kind = {kind: key for key, (_l, _u, kind) in METRICS.items()}
    for m in Measurement.objects.filter(site=site, entered_in_error=False).order_by("measured_on", "id"):
        key = by_kind.get(m.kind)
        if key:
            found[key].append(
                Point(
                    when=m.measured_on,
                    value=_display(key, m.value),
                    source="manual",
                    ref=str(m.uuid),
                    note=m.source,
                )
            )
    for key in found:
        found[key].sort(key=lambda p: (p.when, p.source != "trichoscopy"))
    return found


def _baseline(points: list[Point], start: dt.date | None) -> Point | None:
    if not points:
        return None
    if start is not None:
        before = [p for p in points if p.when <= start]
        if before:
            return before[-1]
    return points[0]


def site_progress(*, site: MeasurementSite, plan=None, today: dt.date | None = None) -> SiteProgress:
    today = today or timezone.localdate()
    policy = policy_for(site.clinic)
    start = plan.start_date if plan is not None else None
    series: dict[str, Series] = {}
    for key, points in _points(site).items():
        label, unit, _kind = METRICS[key]
        base = _baseline(points, start)
        if base is not None:
            points = [p for p in points if p.when >= base.when]
            for p in points:
                p.change = round(p.value - base.value, 2)
                p.change_pct = round(100 * (p.value - base.value) / base.value, 1) if base.value else None
        series[key] = Series(key=key, label=str(label), unit=str(unit), points=points, baseline=base)
    sessions: list[dt.date] = []
    checkpoints: list[CheckpointStatus] = []
    if plan is not None:
        from follicle.procedures.models import RecordStatus, SessionRecord

        records = SessionRecord.objects.filter(plan=plan, status=RecordStatus.SIGNED).select_related(
            "appointment"
        )
        sessions = sorted({timezone.localtime(r.appointment.starts_at).date() for r in records})
        density = series["density"]
        for checkpoint in plan.checkpoints.order_by("months"):
            if checkpoint.months == 0:
                continue  # the baseline itself
            near = [
                p for p in density.points if abs((p.when - checkpoint.due_date).days) <= policy.window_days
            ]
            visit = min(near, key=lambda p: abs((p.when - checkpoint.due_date).days)) if near else None
            if visit is None:
                status = (
                    "not_due"
                    if checkpoint.due_date - dt.timedelta(days=policy.window_days) > today
                    else "no_visit"
                )
            elif density.baseline is None or visit is density.baseline:
                status = "no_baseline"
            else:
                status = response_status(visit.change_pct, policy)
            checkpoints.append(
                CheckpointStatus(
                    months=checkpoint.months, due_date=checkpoint.due_date, status=status, visit=visit
                )
            )
    return SiteProgress(site=site, series=series, sessions=sessions, checkpoints=checkpoints, policy=policy)


def plan_progress(*, plan, today: dt.date | None = None) -> list[SiteProgress]:
    """Every measured site of the plan's patient, treated sites first."""
    sites = MeasurementSite.objects.filter(patient=plan.patient, is_archived=False).order_by(
        "is_reference", "name"
    )
    return [site_progress(site=site, plan=plan, today=today) for site in sites]
