"""Progress series, changes from baseline and the response status at checkpoints, from known values."""

from __future__ import annotations

import datetime as dt

import pytest

from follicle.outcomes import progress
from follicle.outcomes.charts import line_chart
from follicle.outcomes.models import (
    AnalysisStatus,
    Measurement,
    MeasurementSite,
    OutcomeSettings,
    TrichoscopyImage,
    TrichoscopyPair,
)
from follicle.treatments.tests import conftest as treatments

MONDAY = treatments.MONDAY  # the plan starts on Monday 4 March 2030; checkpoints at 0, 3, 6 months
auditor = treatments.auditor
formulation = treatments.formulation
make_plan = treatments.make_plan
open_clinic = treatments.open_clinic
patient = treatments.patient
protocol = treatments.protocol


@pytest.fixture
def site(patient, personas):
    return MeasurementSite.objects.create(
        clinic=patient.clinic,
        patient=patient,
        name="Vertex",
        zone="vertex",
        landmark="Crown whorl",
        created_by=personas["nurse"],
    )


def visit(site, day, count, *, corrected=None, thickness=60.0, vellus=0.2, in_error=False):
    return TrichoscopyImage.objects.create(
        clinic=site.clinic,
        patient=site.patient,
        site=site,
        taken_on=day,
        um_per_px=5.0,
        file=f"trichoscopy/x/{day}.png",
        width=1600,
        height=1200,
        sha256="0" * 64,
        original_sha256=f"{day}{count}",
        uploaded_by=site.created_by,
        status=AnalysisStatus.DONE,
        hair_count=count,
        area_cm2=0.5,
        density_per_cm2=count / 0.5,
        mean_thickness_um=thickness,
        vellus_fraction=vellus,
        corrected_count=corrected,
        entered_in_error=in_error,
    )


@pytest.fixture
def measured(site, make_plan):
    plan = make_plan()
    visit(site, dt.date(2030, 3, 1), 50)  # baseline: 100 /cm²
    visit(site, dt.date(2030, 4, 15), 51, in_error=True)  # ignored
    visit(site, dt.date(2030, 6, 1), 54, corrected=56, thickness=64, vellus=0.15)  # 112 /cm² (+12 %)
    visit(site, dt.date(2030, 9, 10), 52)  # 104 /cm² (+4 %)
    Measurement.objects.create(
        clinic=site.clinic,
        patient=site.patient,
        site=site,
        measured_on=dt.date(2030, 4, 1),
        kind="density_per_cm2",
        value=105,
        source="TrichoScan report",
        entered_by=site.created_by,
    )
    return plan


def test_series_and_changes_from_baseline(site, measured):
    result = progress.site_progress(site=site, plan=measured, today=dt.date(2030, 9, 20))
    density = result.series["density"]
    assert [(p.when.isoformat(), p.value, p.source) for p in density.points] == [
        ("2030-03-01", 100.0, "trichoscopy"),
        ("2030-04-01", 105.0, "manual"),
        ("2030-06-01", 112.0, "trichoscopy"),
        ("2030-09-10", 104.0, "trichoscopy"),
    ]
    assert density.baseline.when == dt.date(2030, 3, 1)
    june = density.points[2]
    assert (june.change, june.change_pct, june.corrected) == (12.0, 12.0, True)
    vellus = result.series["vellus"]
    assert [p.value for p in vellus.points] == [20.0, 15.0, 20.0]  # per cent
    assert vellus.points[1].change == -5.0


def test_response_status_at_checkpoints_by_default_policy(site, measured):
    result = progress.site_progress(site=site, plan=measured, today=dt.date(2030, 9, 20))
    statuses = {c.months: (c.status, c.visit.when if c.visit else None) for c in result.checkpoints}
    assert statuses == {3: ("responder", dt.date(2030, 6, 1)), 6: ("stable", dt.date(2030, 9, 10))}
    assert result.policy.is_default


def test_clinic_policy_changes_the_status(site, measured, clinic):
    OutcomeSettings.objects.create(
        clinic=clinic, responder_pct=15, partial_pct=3, worse_pct=-5, window_days=30
    )
    result = progress.site_progress(site=site, plan=measured, today=dt.date(2030, 9, 20))
    assert [c.status for c in result.checkpoints] == ["partial", "partial"]
    assert not result.policy.is_default


def test_not_due_and_no_visit(site, measured):
    later = TrichoscopyImage.objects.filter(taken_on__gt=dt.date(2030, 3, 10))
    later.update(entered_in_error=True)
    early = progress.site_progress(site=site, plan=measured, today=dt.date(2030, 3, 10))
    assert [c.status for c in early.checkpoints] == ["not_due", "not_due"]
    later.exclude(taken_on=dt.date(2030, 9, 10)).exclude(taken_on=dt.date(2030, 4, 15)).update(
        entered_in_error=False
    )
    late = progress.site_progress(site=site, plan=measured, today=dt.date(2030, 11, 1))
    assert late.checkpoints[1].status == "no_visit"


@pytest.mark.parametrize(
    ("change", "status"),
    [
        (None, "no_baseline"),
        (10, "responder"),
        (9.9, "partial"),
        (5, "partial"),
        (0, "stable"),
        (-5, "worse"),
    ],
)
def test_response_status_boundaries(change, status):
    assert progress.response_status(change, progress.default_policy()) == status


def test_anagen_from_pairs(site, measured, personas):
    images = list(TrichoscopyImage.objects.filter(entered_in_error=False).order_by("taken_on"))
    TrichoscopyPair.objects.create(
        clinic=site.clinic,
        patient=site.patient,
        site=site,
        day0=images[0],
        day2=images[1],
        status=AnalysisStatus.DONE,
        anagen_fraction=0.72,
        created_by=personas["nurse"],
    )
    result = progress.site_progress(site=site, plan=measured, today=dt.date(2030, 9, 20))
    assert [(p.when, p.value) for p in result.series["anagen"].points] == [(dt.date(2030, 3, 1), 72.0)]


def test_chart_has_every_point_and_the_baseline(site, measured):
    result = progress.site_progress(site=site, plan=measured, today=dt.date(2030, 9, 20))
    svg = line_chart(
        result.series["density"],
        sessions=[dt.date(2030, 3, 4), dt.date(2030, 3, 11)],
        checkpoints=[("M3", dt.date(2030, 6, 4))],
        title="Density <Vertex>",
        description="Hair density at the vertex",
    )
    assert svg.startswith("<svg") and svg.count("<circle") == 3 and svg.count("<rect") == 1
    assert svg.count('class="session-marker"') == 2
    assert "Density &lt;Vertex&gt;" in svg and 'stroke-dasharray="6 4"' in svg
    assert "style=" not in svg, "no inline styles under the CSP"


def test_policy_update_is_checked_and_audited(clinic, personas):
    from django.core.exceptions import ValidationError

    from follicle.core.audit import Auditor
    from follicle.core.models import AuditEvent
    from follicle.outcomes.measuring import outcome_settings_update

    admin = Auditor(actor=personas["admin"], role="admin", clinic=clinic)
    with pytest.raises(ValidationError):
        outcome_settings_update(clinic=clinic, auditor=admin, responder_pct=5, partial_pct=8)
    row = outcome_settings_update(clinic=clinic, auditor=admin, responder_pct=20)
    assert (row.responder_pct, row.partial_pct) == (20, 5)
    assert AuditEvent.objects.filter(action="outcomes.policy").exists()
    assert progress.policy_for(clinic).responder_pct == 20
