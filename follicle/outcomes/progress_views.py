"""Progress pages: a plan's measured progress at each site, and the clinic's response policy.

The plan page reads "measurements" (practitioner, nurse); admins and receptionists get a 403 and
another clinic's plan is a 404. For each site and metric it shows a server-drawn chart (charts.py)
*and* the same numbers as a table, then the response status at each checkpoint, named by the
clinic's policy — shown as policy, since no minimal important difference has been published.

The policy page is the admin's to change ("clinic_settings" w); practitioners and nurses read it,
since it decides what their progress pages say. It lists the reference catalogue's outcome
measures with their sources, so a clinic sees what published measures exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import formats
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from follicle.accounts.roles import can
from follicle.core.access import staff_view
from follicle.core.audit import Auditor
from follicle.core.forms import add_service_errors
from follicle.outcomes import progress
from follicle.outcomes.charts import line_chart
from follicle.outcomes.measuring import outcome_settings_update
from follicle.outcomes.models import OutcomeSettings
from follicle.outcomes.progress_forms import ResponsePolicyForm
from follicle.reference.models import ReferenceEntry
from follicle.reference.selectors import entry_list
from follicle.treatments.models import TreatmentPlan
from follicle.treatments.selectors import plan_get

NARROW = (360, 260)  # the chart's drawing size on a phone (the wide one is charts.py's default)

# Bootstrap badge classes and icons of each response status.
STATUS_STYLE = {
    "responder": ("text-bg-success", "arrow-up-circle"),
    "partial": ("text-bg-info", "arrow-up-right-circle"),
    "stable": ("text-bg-secondary", "dash-circle"),
    "worse": ("text-bg-danger", "arrow-down-circle"),
    "no_baseline": ("text-bg-warning", "question-circle"),
    "no_visit": ("text-bg-warning", "calendar-x"),
    "not_due": ("text-bg-light border", "hourglass-split"),
}


# --------------------------------------------------------------------------- display helpers
def number(value: float | None, places: int = 1) -> str:
    if value is None:
        return "—"
    return formats.number_format(value, decimal_pos=places, use_l10n=True)


def threshold(value: float, *, sign: bool = False) -> str:
    """A policy number as people write it: 10, not 10.0; 7.5 stays 7.5; −5 with `sign`."""
    places = 0 if float(value).is_integer() else 1
    return signed(value, places) if sign else number(value, places)


def signed(value: float | None, places: int = 1) -> str:
    """A change with its sign: +12.0, −5.0 (a true minus sign), 0.0."""
    if value is None:
        return "—"
    sign = "+" if value > 0 else "−" if value < 0 else ""
    return sign + number(abs(value), places)


def day(value) -> str:
    return formats.date_format(value, "d/m/Y")


def _url(name: str, *args) -> str:
    """A link to a page another part of the app provides; none (not an error) if it is missing."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def month_label(months: int) -> str:
    return _("M%(months)s") % {"months": months}


def source_label(source: str) -> str:
    return {
        "trichoscopy": _("Trichoscopy"),
        "pair": _("Two-visit pair"),
        "manual": _("Entered by hand"),
    }.get(source, source)


@dataclass
class MetricView:
    key: str
    label: str
    unit: str
    chart: SafeString
    chart_narrow: SafeString
    summary: str
    rows: list[dict]


@dataclass
class SiteView:
    site: object
    url: str
    metrics: list[MetricView] = field(default_factory=list)
    checkpoints: list[dict] = field(default_factory=list)

    @property
    def has_data(self) -> bool:
        return bool(self.metrics)


def _summary(series: progress.Series, site_name: str, sessions: int) -> str:
    """What the chart shows, in words: its <desc> for screen readers."""
    points, base, latest = series.points, series.baseline, series.latest
    values = {
        "metric": series.label,
        "site": site_name,
        "unit": series.unit,
        "count": len(points),
    }
    text = [
        ngettext(
            "%(metric)s at %(site)s: %(count)s measurement.",
            "%(metric)s at %(site)s: %(count)s measurements.",
            len(points),
        )
        % values
    ]
    if base is not None:
        text.append(
            _("Baseline %(value)s %(unit)s on %(date)s.")
            % {"value": number(base.value), "unit": series.unit, "date": day(base.when)}
        )
    if latest is not None and base is not None and latest is not base:
        text.append(
            _("Latest %(value)s %(unit)s on %(date)s: %(change)s %(unit)s (%(pct)s %%) from baseline.")
            % {
                "value": number(latest.value),
                "unit": series.unit,
                "date": day(latest.when),
                "change": signed(latest.change),
                "pct": signed(latest.change_pct),
            }
        )
        best = max(points, key=lambda p: p.value)
        if best is not latest and best is not base:
            text.append(
                _("Highest %(value)s %(unit)s on %(date)s.")
                % {"value": number(best.value), "unit": series.unit, "date": day(best.when)}
            )
    else:
        text.append(_("No later measurement yet."))
    if sessions:
        text.append(
            ngettext(
                "%(n)s treatment session is marked on the time axis.",
                "%(n)s treatment sessions are marked on the time axis.",
                sessions,
            )
            % {"n": sessions}
        )
    return " ".join(text)


def _rows(series: progress.Series) -> list[dict]:
    rows = []
    for p in series.points:
        link = {"trichoscopy": "outcomes:image", "pair": "outcomes:pair"}.get(p.source)
        baseline = p is series.baseline
        rows.append(
            {
                "when": p.when,
                "value": number(p.value),
                "change": "" if baseline else signed(p.change),
                "change_pct": "" if baseline or p.change_pct is None else signed(p.change_pct) + " %",
                "source": p.source,
                "source_label": source_label(p.source),
                "source_url": _url(link, p.ref) if link and p.ref else "",
                "note": p.note,
                "corrected": p.corrected,
                "baseline": baseline,
            }
        )
    return rows


def _checkpoint_rows(result: progress.SiteProgress) -> list[dict]:
    rows = []
    for c in result.checkpoints:
        badge, icon = STATUS_STYLE[c.status]
        visit = c.visit
        rows.append(
            {
                "label": month_label(c.months),
                "months": c.months,
                "due": c.due_date,
                "visit": visit.when if visit else None,
                "value": number(visit.value) if visit else "",
                "unit": result.series["density"].unit,
                "change_pct": signed(visit.change_pct) + " %"
                if visit is not None and visit.change_pct is not None and c.status != "no_baseline"
                else "—",
                "status": c.status,
                "status_label": c.label,
                "badge": badge,
                "icon": icon,
            }
        )
    return rows


def site_view(result: progress.SiteProgress, checkpoint_marks: list[tuple[str, object]]) -> SiteView:
    site = result.site
    view = SiteView(site=site, url=_url("outcomes:site", site.uuid))
    for key, series in result.series.items():
        if not series.points:
            continue
        summary = _summary(series, site.name, len(result.sessions))
        drawn = {
            "series": series,
            "sessions": result.sessions,
            "checkpoints": checkpoint_marks,
            "title": _("%(metric)s at %(site)s") % {"metric": series.label, "site": site.name},
            "description": summary,
        }
        view.metrics.append(
            MetricView(
                key=key,
                label=series.label,
                unit=series.unit,
                chart=line_chart(**drawn, chart_id=f"chart-{site.uuid}-{key}"),
                # A phone gets a narrower drawing, so its text is not scaled down to a few pixels;
                # only one of the two is displayed (and so read out).
                chart_narrow=line_chart(
                    **drawn, width=NARROW[0], height=NARROW[1], chart_id=f"chart-{site.uuid}-{key}-narrow"
                ),
                summary=summary,
                rows=_rows(series),
            )
        )
    view.checkpoints = _checkpoint_rows(result)
    return view


def policy_view(clinic) -> dict:
    """The policy in force, its numbers as text, the defaults, and who last changed it."""
    policy = progress.policy_for(clinic)
    default = progress.default_policy()
    try:
        row = clinic.outcome_settings
    except OutcomeSettings.DoesNotExist:
        row = None
    return {
        "policy": policy,
        "default": default,
        "row": row,
        "responder": threshold(policy.responder_pct),
        "partial": threshold(policy.partial_pct),
        "worse": threshold(policy.worse_pct, sign=True),
        "window": policy.window_days,
        "labels": {key: str(label) for key, label in progress.STATUS_LABELS.items()},
        "same_as_default": (
            policy.responder_pct,
            policy.partial_pct,
            policy.worse_pct,
            policy.window_days,
        )
        == (default.responder_pct, default.partial_pct, default.worse_pct, default.window_days),
    }


# --------------------------------------------------------------------------- a plan's progress
def _plan(request, uuid) -> TreatmentPlan:
    try:
        return plan_get(clinic=request.clinic, uuid=uuid)
    except (TreatmentPlan.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc


@staff_view("measurements", "r")
def plan_progress(request, uuid):
    plan = _plan(request, uuid)
    marks = [(month_label(c.months), c.due_date) for c in plan.checkpoints.all() if c.months > 0]
    sites = [site_view(result, marks) for result in progress.plan_progress(plan=plan)]
    Auditor.from_request(request).log("progress.view", obj=plan, patient=plan.patient)
    context = {
        "plan": plan,
        "patient": plan.patient,
        "sites": sites,
        "has_data": any(s.has_data for s in sites),
        "sites_url": _url("outcomes:sites", plan.patient.uuid),
        "can_write": can(request.membership.role, "measurements", "w"),
        **policy_view(request.clinic),
    }
    return render(request, "outcomes/progress/plan.html", context)


# --------------------------------------------------------------------------- the clinic's policy
def _policy_rows(current: dict, form: ResponsePolicyForm | None) -> list[dict]:
    """One row per threshold: the clinic's value (or its input, for an admin) beside the default."""
    policy, default = current["policy"], current["default"]
    rows = []
    for name, unit in (("responder_pct", "%"), ("partial_pct", "%"), ("worse_pct", "%"), ("window_days", "")):
        value, fallback = getattr(policy, name), getattr(default, name)
        sign = name == "worse_pct"
        rows.append(
            {
                "key": name,
                "label": ResponsePolicyForm.base_fields[name].label,
                "help": ResponsePolicyForm.base_fields[name].help_text,
                "value": threshold(value, sign=sign),
                "default": threshold(fallback, sign=sign),
                "unit": unit or _("days"),
                "changed": value != fallback,
                "field": form[name] if form is not None else None,
            }
        )
    return rows


def _measures() -> list[ReferenceEntry]:
    return list(entry_list(kind=ReferenceEntry.Kind.OUTCOME_MEASURE))


@staff_view()
def response_policy(request):
    role = request.membership.role
    can_edit = can(role, "clinic_settings", "w")
    if not (can_edit or can(role, "measurements", "r")):
        raise PermissionDenied(_("Your role does not allow this."))
    if request.method == "POST" and not can_edit:
        raise PermissionDenied(_("Only an administrator changes the clinic's policy."))
    current = policy_view(request.clinic)
    form = ResponsePolicyForm(request.POST or None, initial=ResponsePolicyForm.initial_for(current["policy"]))
    if request.method == "POST" and form.is_valid():
        try:
            outcome_settings_update(
                clinic=request.clinic, auditor=Auditor.from_request(request), **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The clinic's response policy was saved."))
            return redirect("progress:settings")
    context = {
        **current,
        "form": form,
        "rows": _policy_rows(current, form if can_edit else None),
        "can_edit": can_edit,
        "measures": _measures(),
        "can_catalogue": can(role, "catalogue", "r"),
    }
    return render(request, "outcomes/progress/settings.html", context, status=422 if form.is_bound else 200)
