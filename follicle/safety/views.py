"""Adverse-event pages: the safety dashboard, reporting, an event and its follow-up, the overdue policy.

Practitioners and nurses read and write adverse events ("adverse_events" rw). Admins see the
dashboard's counts only ("counts"): no event, no patient. The overdue policy is the admin's to set
("clinic_settings" w); practitioners and nurses read it, since it decides what they see flagged.
"""

from __future__ import annotations

import uuid as uuid_lib

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Max
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from follicle.accounts.roles import can
from follicle.core.access import staff_view
from follicle.core.audit import Auditor
from follicle.core.forms import add_service_errors
from follicle.patients.access import get_patient
from follicle.procedures.models import SessionRecord
from follicle.procedures.selectors import drafts_open, record_get
from follicle.safety import policy, selectors, services
from follicle.safety.forms import (
    EditForm,
    EventFilterForm,
    FollowUpForm,
    OverduePolicyForm,
    ReasonForm,
    ReportForm,
    ResolveForm,
    suspect_lots,
)
from follicle.safety.models import (
    GRADING_SOURCE,
    SERIOUSNESS_SOURCE,
    AdverseEvent,
    EventStatus,
    Seriousness,
)

PAGE_SIZE = 25
OPEN_LIMIT = 50  # rows per open-event list on the dashboard; the filtered list has the rest


def _can_write(request) -> bool:
    return can(request.membership.role, "adverse_events", "w")


def _can_read(request) -> bool:
    return can(request.membership.role, "adverse_events", "r")


def get_event(request, uuid) -> AdverseEvent:
    """An event of the active clinic, or a 404."""
    try:
        return selectors.event_get(clinic=request.clinic, uuid=uuid)
    except (AdverseEvent.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404 from exc


def _session_of(request, patient):
    """The session record named by ?session=, which must be this patient's; None if not given."""
    value = request.GET.get("session", "").strip()
    if not value:
        return None
    try:
        record = record_get(clinic=request.clinic, uuid=uuid_lib.UUID(value))
    except (ValueError, ValidationError, SessionRecord.DoesNotExist) as exc:
        raise Http404 from exc
    if record.patient_id != patient.pk:
        raise Http404
    return record


# --------------------------------------------------------------------------- dashboard
# Drawn at its own size (scaled down on narrow screens), so the text stays legible on a phone.
CHART_WIDTH = 340
CHART_ROW = 42  # label line + bar
CHART_BAR = 14
CHART_LABEL_CHARS = 48
CHART_VALUE_SPACE = 80  # room right of the longest bar for its value


def _term_chart(rows: list[dict]) -> dict | None:
    """Horizontal bars per term (total, with the open part darker), as numbers for an inline SVG."""
    if not rows:
        return None
    largest = max(row["total"] for row in rows) or 1
    span = CHART_WIDTH - CHART_VALUE_SPACE
    bars, summary = [], []
    for n, row in enumerate(rows):
        y = n * CHART_ROW
        total_width = max(round(span * row["total"] / largest), 2)
        open_width = round(span * row["open"] / largest) if row["open"] else 0
        value = _("%(total)s (%(open)s open)") % {"total": row["total"], "open": row["open"]}
        bars.append(
            {
                "name": row["term_name"],
                "label": Truncator(row["term_name"]).chars(CHART_LABEL_CHARS),
                "label_y": y + 13,
                "bar_y": y + 19,
                "total_width": total_width,
                "open_width": open_width,
                "value": value,
                "value_x": total_width + 6,
                "value_y": y + 19 + CHART_BAR - 3,
            }
        )
        summary.append(f"{row['term_name']}: {value}")
    return {
        "width": CHART_WIDTH,
        "height": len(rows) * CHART_ROW + 4,
        "bar_height": CHART_BAR,
        "bars": bars,
        "summary": "; ".join(summary),
    }


def _with_last_follow_up(rows):
    return rows.annotate(last_follow_up=Max("follow_ups__at"))


@staff_view("adverse_events", "counts")
def dashboard(request):
    by_term = selectors.counts_by_term(clinic=request.clinic)
    context = {
        "counts": selectors.dashboard_counts(clinic=request.clinic),
        "by_term": by_term,
        "chart": _term_chart(by_term),
        "can_read": _can_read(request),
        "can_report": _can_write(request),
        "can_policy": _can_read(request) or can(request.membership.role, "clinic_settings", "w"),
    }
    if not context["can_read"]:  # an admin: counts only, no patient-level rows
        return render(request, "safety/dashboard.html", context)
    auditor = Auditor.from_request(request)
    open_events = list(
        _with_last_follow_up(selectors.event_list(clinic=request.clinic, status=EventStatus.OPEN))
    )
    overdue = [e for e in open_events if e.overdue_since]
    serious = [e for e in open_events if e.serious and not e.overdue_since]
    other = [e for e in open_events if not e.serious and not e.overdue_since]
    auditor.log_list(
        "adverse_event.list", query={"list": "open", "page": "dashboard"}, count=len(open_events)
    )
    form = EventFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    status, only_serious, only_overdue = (
        filters.get("status", ""),
        bool(filters.get("serious")),
        bool(filters.get("overdue")),
    )
    events = _with_last_follow_up(
        selectors.event_list(clinic=request.clinic, status=status, serious=only_serious, overdue=only_overdue)
    )
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    auditor.log_list(
        "adverse_event.list",
        query={
            "list": "all",
            "status": status,
            "serious": only_serious or None,
            "overdue": only_overdue or None,
            "page": page.number,
        },
        count=page.paginator.count,
    )
    context |= {
        "lists": [
            {
                "key": "overdue",
                "title": _("Overdue open events"),
                "empty": _("No open event is overdue."),
                "rows": overdue[:OPEN_LIMIT],
                "more": len(overdue) - OPEN_LIMIT,
                "link": urlencode({"status": "open", "overdue": "on"}),
            },
            {
                "key": "serious",
                "title": _("Serious open events"),
                "empty": _("No serious event is open."),
                "rows": serious[:OPEN_LIMIT],
                "more": len(serious) - OPEN_LIMIT,
                "link": urlencode({"status": "open", "serious": "on"}),
            },
            {
                "key": "open",
                "title": _("Other open events"),
                "empty": _("No other event is open."),
                "rows": other[:OPEN_LIMIT],
                "more": len(other) - OPEN_LIMIT,
                "link": urlencode({"status": "open"}),
            },
        ],
        "form": form,
        "page": page,
        "query": urlencode(
            {
                k: v
                for k, v in {
                    "status": status,
                    "serious": "on" if only_serious else "",
                    "overdue": "on" if only_overdue else "",
                }.items()
                if v
            }
        ),
        "drafts": drafts_open(clinic=request.clinic).count(),
    }
    return render(request, "safety/dashboard.html", context)


# --------------------------------------------------------------------------- report
def _term_info(term: str) -> dict:
    entry = selectors.term_entry(term) if term else None
    return {"term": term, "entry": entry, "other": term == services.OTHER}


@staff_view("adverse_events", "w")
def report(request, uuid):
    patient = get_patient(request, uuid)
    record = _session_of(request, patient)
    if request.htmx and request.method == "GET":  # the term's reference description, nothing else
        response = render(request, "safety/report.html#term-info", _term_info(request.GET.get("term", "")))
        response["Vary"] = "HX-Request"
        return response
    here = reverse("safety:report", args=[patient.uuid])
    if record is not None:
        here += "?" + urlencode({"session": record.uuid})
    form = ReportForm(request.POST or None, lots=suspect_lots(session=record), term_info_url=here)
    if request.method == "POST" and form.is_valid():
        try:
            event = services.adverse_event_report(
                patient=patient, auditor=Auditor.from_request(request), session=record, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The adverse event was reported."))
            return redirect("safety:event", uuid=event.uuid)
    if request.method == "GET":
        Auditor.from_request(request).log(
            "adverse_event.report_form", obj=record, patient=patient, detail={"session": bool(record)}
        )
    context = {
        "patient": patient,
        "record": record,
        "form": form,
        "action": here,
        "grading_source": GRADING_SOURCE,
        "seriousness_source": SERIOUSNESS_SOURCE,
        **_term_info(form["term"].value() or ""),
    }
    return render(request, "safety/report.html", context, status=422 if form.is_bound else 200)


# --------------------------------------------------------------------------- an event
def _event_context(request, event: AdverseEvent, **forms) -> dict:
    days = policy.days_by_term(event.clinic)
    can_write = _can_write(request)
    is_open = event.status == EventStatus.OPEN
    context = {
        "event": event,
        "patient": event.patient,
        "entry": selectors.term_entry(event.term),
        "criteria": [Seriousness(c).label for c in event.seriousness_criteria if c in Seriousness.values],
        "policy_days": days.get(event.term, policy.default_days(event.term)),
        "due_date": policy.due_date(event, days),
        "lots": selectors.other_patients_of_lots(event=event),
        "follow_ups": event.follow_ups.select_related("by"),
        "history": event.status_changes.select_related("changed_by"),
        "grading_source": GRADING_SOURCE,
        "seriousness_source": SERIOUSNESS_SOURCE,
        "can_write": can_write,
        "is_open": is_open,
    }
    if can_write:
        context |= {
            "follow_up_form": forms.get("follow_up") or (FollowUpForm() if is_open else None),
            "resolve_form": forms.get("resolve") or (ResolveForm() if is_open else None),
            "reopen_form": forms.get("reopen")
            or (ReasonForm(prefix="reopen") if event.status == EventStatus.RESOLVED else None),
            "in_error_form": forms.get("in_error")
            or (ReasonForm(prefix="in_error") if event.status != EventStatus.ENTERED_IN_ERROR else None),
        }
    return context


def _render_event(request, event, status=200, **forms):
    context = _event_context(request, event, **forms)
    others = sum(len(row["patients"]) for row in context["lots"])
    auditor = Auditor.from_request(request)
    auditor.log("adverse_event.view", obj=event, patient=event.patient)
    if others:  # the lot section names other patients who received a suspected lot
        auditor.log_list("adverse_event.lot_recipients", query={"event": str(event.uuid)}, count=others)
    return render(request, "safety/event_detail.html", context, status=status)


@staff_view("adverse_events", "r")
def event_detail(request, uuid):
    return _render_event(request, get_event(request, uuid))


@staff_view("adverse_events", "w")
@require_POST
def follow_up(request, uuid):
    event = get_event(request, uuid)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            services.adverse_event_follow_up(
                event=event, auditor=Auditor.from_request(request), **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The follow-up was recorded."))
            return redirect("safety:event", uuid=event.uuid)
    return _render_event(request, event, status=422, follow_up=form)


@staff_view("adverse_events", "w")
@require_POST
def resolve(request, uuid):
    event = get_event(request, uuid)
    form = ResolveForm(request.POST)
    if form.is_valid():
        try:
            services.adverse_event_resolve(
                event=event, auditor=Auditor.from_request(request), **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The event was marked resolved."))
            return redirect("safety:event", uuid=event.uuid)
    return _render_event(request, event, status=422, resolve=form)


def _reason_action(request, uuid, *, key: str, service, done: str):
    event = get_event(request, uuid)
    form = ReasonForm(request.POST, prefix=key)
    if form.is_valid():
        try:
            service(event=event, auditor=Auditor.from_request(request), reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("safety:event", uuid=event.uuid)
    return _render_event(request, event, status=422, **{key: form})


@staff_view("adverse_events", "w")
@require_POST
def reopen(request, uuid):
    return _reason_action(
        request, uuid, key="reopen", service=services.adverse_event_reopen, done=_("The event was reopened.")
    )


@staff_view("adverse_events", "w")
@require_POST
def in_error(request, uuid):
    return _reason_action(
        request,
        uuid,
        key="in_error",
        service=services.adverse_event_mark_in_error,
        done=_("The event was marked entered in error."),
    )


@staff_view("adverse_events", "w")
def edit(request, uuid):
    event = get_event(request, uuid)
    if event.status == EventStatus.ENTERED_IN_ERROR:
        messages.error(request, _("This event was entered in error and is locked."))
        return redirect("safety:event", uuid=event.uuid)
    initial = {
        "description": event.description,
        "grade": event.grade,
        "serious": event.serious,
        "seriousness_criteria": event.seriousness_criteria,
        "action_taken": event.action_taken,
        "lots": [lot.uuid for lot in event.lots.all()],
    }
    form = EditForm(
        request.POST or None, initial=initial, lots=suspect_lots(session=event.session, event=event)
    )
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        lots = fields.pop("lots", None)
        try:
            services.adverse_event_update(
                event=event, auditor=Auditor.from_request(request), lots=lots, **fields
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The event was saved."))
            return redirect("safety:event", uuid=event.uuid)
    if request.method == "GET":
        Auditor.from_request(request).log("adverse_event.view", obj=event, patient=event.patient)
    context = {
        "event": event,
        "patient": event.patient,
        "form": form,
        "grading_source": GRADING_SOURCE,
        "seriousness_source": SERIOUSNESS_SOURCE,
    }
    return render(request, "safety/event_edit.html", context, status=422 if form.is_bound else 200)


# --------------------------------------------------------------------------- the clinic's policy
@staff_view()
def overdue_settings(request):
    role = request.membership.role
    can_edit = can(role, "clinic_settings", "w")
    if not (can_edit or _can_read(request)):
        raise PermissionDenied(_("Your role does not allow this."))
    if request.method == "POST" and not can_edit:
        raise PermissionDenied(_("Only an administrator changes the clinic's policy."))
    terms = selectors.term_choices()
    days = policy.days_by_term(request.clinic)
    form = OverduePolicyForm(request.POST or None, terms=terms, days=days)
    if request.method == "POST" and form.is_valid():
        try:
            services.overdue_policy_set(
                clinic=request.clinic, auditor=Auditor.from_request(request), days_by_term=form.days_by_term()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The clinic's overdue policy was saved."))
            return redirect("safety:settings")
    rows = []
    for key, name in terms:
        entry = selectors.term_entry(key)
        rows.append(
            {
                "key": key,
                "name": name,
                "days": days.get(key),
                "default": policy.default_days(key),
                "field": form.field_for(key) if can_edit else None,
                "usual": (entry.data.get("time_to_resolution") if entry else "") or "",
                "sources": entry.sources if entry else [],
            }
        )
    context = {"rows": rows, "form": form, "can_edit": can_edit}
    return render(request, "safety/settings.html", context, status=422 if form.is_bound else 200)
