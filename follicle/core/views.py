"""Home, clinic settings, the audit log and background tasks: thin views over services/selectors."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from follicle.accounts.roles import can
from follicle.accounts.selectors import clinic_staff_users
from follicle.core import selectors, services
from follicle.core.access import staff_view
from follicle.core.audit import Auditor
from follicle.core.forms import AuditFilterForm, ClinicForm, ClosedDayForm, OpeningHoursForm, TestEmailForm
from follicle.core.models import ClosedDay
from follicle.core.tasks import enqueue_tracked, send_test_email

PAGE_SIZE = 50


def _partial(request, template: str, partial: str, context: dict):
    """One view serves the page and, for htmx requests, just the named partial."""
    response = render(request, f"{template}#{partial}" if request.htmx else template, context)
    response["Vary"] = "HX-Request"
    return response


@staff_view()
def home(request):
    role = request.membership.role
    cards = {
        "staff": can(role, "staff", "r"),
        "clinic_settings": can(role, "clinic_settings", "r"),
        "audit_log": can(role, "audit_log", "r"),
        "tasks": can(role, "tasks", "r"),
    }
    context = {
        "cards": cards,
        "opening_hours": request.clinic.opening_hours.all(),
        "closed_days": selectors.closed_day_list(clinic=request.clinic, upcoming_only=True)[:5],
    }
    return render(request, "core/home.html", context)


@staff_view("clinic_settings", "w")
def clinic_settings(request):
    clinic = request.clinic
    auditor = Auditor.from_request(request)
    clinic_form = ClinicForm(instance=clinic, prefix="clinic")
    hours_form = OpeningHoursForm(clinic=clinic, prefix="hours")
    closed_form = ClosedDayForm(clinic=clinic, prefix="closed")
    if request.method == "POST":
        section = request.POST.get("section")
        if section == "details":
            clinic_form = ClinicForm(
                request.POST, instance=clinic.__class__.objects.get(pk=clinic.pk), prefix="clinic"
            )
            if clinic_form.is_valid():
                services.clinic_update(clinic=clinic, auditor=auditor, **clinic_form.cleaned_data)
                messages.success(request, _("The clinic's details were saved."))
                return redirect("core:clinic_settings")
        elif section == "hours":
            hours_form = OpeningHoursForm(request.POST, clinic=clinic, prefix="hours")
            if hours_form.is_valid():
                services.opening_hours_set(
                    clinic=clinic, auditor=auditor, hours=hours_form.cleaned_data["hours"]
                )
                messages.success(request, _("The opening hours were saved."))
                return redirect("core:clinic_settings")
        elif section == "closed":
            closed_form = ClosedDayForm(request.POST, clinic=clinic, prefix="closed")
            if closed_form.is_valid():
                try:
                    services.closed_day_add(clinic=clinic, auditor=auditor, **closed_form.cleaned_data)
                except ValidationError as exc:
                    closed_form.add_error(None, exc)
                else:
                    messages.success(request, _("The closed day was added."))
                    return redirect("core:clinic_settings")
        else:
            messages.error(request, _("Unknown form section."))
    context = {
        "clinic_form": clinic_form,
        "hours_form": hours_form,
        "closed_form": closed_form,
        "closed_days": selectors.closed_day_list(clinic=clinic),
    }
    return render(request, "core/clinic_settings.html", context)


@staff_view("clinic_settings", "w")
@require_POST
def closed_day_remove(request, pk: int):
    day = ClosedDay.objects.filter(clinic=request.clinic, pk=pk).first()
    if day is None:
        raise Http404
    services.closed_day_remove(day=day, auditor=Auditor.from_request(request))
    messages.success(request, _("The closed day was removed."))
    return redirect("core:clinic_settings")


@staff_view("audit_log", "r")
def audit_log(request):
    form = AuditFilterForm(
        request.GET or None,
        users=clinic_staff_users(clinic=request.clinic),
        actions=selectors.audit_action_choices(clinic=request.clinic),
    )
    filters = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {
            "date_from": data["date_from"],
            "date_to": data["date_to"],
            "actor_id": data["user"],
            "patient_uuid": data["patient"],
            "action": data["action"],
        }
    events = selectors.audit_event_list(clinic=request.clinic, **filters)
    if form.is_bound and not form.is_valid():
        events = events.none()  # the errors show beside the filters; never silently unfiltered
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    Auditor.from_request(request).log_list(
        "audit.list",
        query={k: str(v) for k, v in filters.items() if v} | {"page": page.number},
        count=page.paginator.count,
    )
    query = request.GET.copy()
    query.pop("page", None)
    return _partial(
        request, "core/audit_log.html", "results", {"form": form, "page": page, "query": query.urlencode()}
    )


@staff_view("tasks", "r")
def task_list(request):
    form = TestEmailForm(request.POST or None, initial={"recipient": request.user.email})
    if request.method == "POST":
        if form.is_valid():
            recipient = form.cleaned_data["recipient"]
            enqueue_tracked(
                send_test_email,
                recipient,
                request.clinic.name,
                label=_("Test e-mail to %(recipient)s") % {"recipient": recipient},
                clinic=request.clinic,
                requested_by=request.user,
            )
            Auditor.from_request(request).log("task.test_email", detail={"recipient": recipient})
            messages.success(request, _("The test e-mail was queued. Its progress shows below."))
            return redirect("core:task_list")
    page = Paginator(selectors.task_run_list(clinic=request.clinic), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return _partial(request, "core/task_list.html", "runs", {"form": form, "page": page})
