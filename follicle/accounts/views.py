"""Sign-in, profile, language, clinic switching, staff and tokens: thin views over services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from follicle.accounts import selectors, services
from follicle.accounts.forms import (
    LanguageForm,
    LoginForm,
    MembershipForm,
    PasswordChangeForm,
    PasswordResetForm,
    ProfileForm,
    SetPasswordForm,
    StaffCreateForm,
    TokenCreateForm,
)
from follicle.accounts.models import ApiToken, Membership
from follicle.core.access import staff_view
from follicle.core.audit import Auditor, client_ip
from follicle.core.forms import add_service_errors
from follicle.core.middleware import SESSION_CLINIC_KEY

PAGE_SIZE = 25


def _apply_language(response, language: str):
    from django.conf import settings

    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=False,
    )
    return response


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        Auditor.from_request(self.request).log("auth.login", obj=form.get_user())
        return _apply_language(response, form.get_user().language)

    def form_invalid(self, form):
        username = (self.request.POST.get("username") or "")[:150]
        Auditor.from_request(self.request).log("auth.login_failed", detail={"username": username})
        return super().form_invalid(form)


def locked_out(request, response, credentials):
    """django-axes calls this when a user name and address are locked out."""
    from django.conf import settings

    username = (credentials or {}).get("username", "")[:150]
    Auditor.from_request(request).log("auth.locked_out", detail={"username": username})
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        Auditor.from_request(request).log("auth.logout", obj=request.user)
    return auth_views.LogoutView.as_view()(request)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = PasswordChangeForm
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):
        response = super().form_valid(form)
        Auditor.from_request(self.request).log("auth.password_change", obj=self.request.user)
        messages.success(self.request, _("Your password was changed."))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    form_class = PasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        # Whether or not the address is known, the same page follows (no account discovery).
        Auditor.from_request(self.request).log(
            "auth.password_reset_request", detail={"email": form.cleaned_data["email"]}
        )
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    form_class = SetPasswordForm
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        # Not signed in: the actor is the user the reset link proved to be.
        auditor = Auditor(actor=form.user, ip=client_ip(self.request), request_id=self.request.request_id)
        auditor.log("auth.password_reset", obj=form.user)
        return response


@login_required
def profile(request):
    auditor = Auditor.from_request(request)
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=request.user)
        if form.is_valid():
            user = services.user_update_profile(user=request.user, auditor=auditor, **form.cleaned_data)
            messages.success(request, _("Your profile was saved."))
            return _apply_language(redirect("accounts:profile"), user.language)
    else:
        form = ProfileForm(instance=request.user)
    context = {
        "form": form,
        "token_form": TokenCreateForm(memberships=request.memberships),
        "tokens": selectors.token_list_for_user(user=request.user),
        "new_key": request.session.pop("new_token_key", None),
    }
    return render(request, "accounts/profile.html", context)


@login_required
@require_POST
def token_create(request):
    form = TokenCreateForm(request.POST, memberships=request.memberships)
    if not form.is_valid():
        messages.error(request, _("Choose one of your clinics for the token."))
        return redirect("accounts:profile")
    membership = form.cleaned_data["membership"]
    _token, key = services.token_create(
        membership=membership, auditor=Auditor.from_request(request), name=form.cleaned_data["name"]
    )
    # Shown once on the next page, then gone: only its hash is kept.
    request.session["new_token_key"] = key
    return redirect("accounts:profile")


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = (
        ApiToken.objects.filter(pk=pk, membership__user=request.user)
        .select_related("membership__clinic")
        .first()
    )
    if token is None:
        raise Http404
    services.token_revoke(token=token, auditor=Auditor.from_request(request))
    messages.success(request, _("The token was revoked."))
    return redirect("accounts:profile")


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_POST
def set_language(request):
    form = LanguageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown language."))
        return redirect(_safe_next(request, reverse("core:home")))
    language = form.cleaned_data["language"]
    if request.user.is_authenticated:
        services.user_set_language(
            user=request.user, auditor=Auditor.from_request(request), language=language
        )
    return _apply_language(HttpResponseRedirect(_safe_next(request, reverse("core:home"))), language)


@login_required
@require_POST
def switch_clinic(request):
    wanted = request.POST.get("clinic", "")
    membership = next((m for m in request.memberships if str(m.clinic.uuid) == wanted), None)
    if membership is None:
        raise Http404
    request.session[SESSION_CLINIC_KEY] = membership.clinic_id
    request.membership, request.clinic = membership, membership.clinic
    Auditor.from_request(request).log("auth.switch_clinic", obj=membership.clinic)
    messages.success(request, _("You are now working in %(clinic)s.") % {"clinic": membership.clinic.name})
    return redirect("core:home")


@staff_view("staff", "r")
def staff_list(request):
    search = request.GET.get("q", "").strip()[:100]
    members = selectors.membership_list(clinic=request.clinic, search=search)
    page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    Auditor.from_request(request).log_list(
        "staff.list", query={"q": search, "page": page.number}, count=page.paginator.count
    )
    template = "accounts/staff_list.html#results" if request.htmx else "accounts/staff_list.html"
    response = render(request, template, {"page": page, "search": search})
    response["Vary"] = "HX-Request"
    return response


@staff_view("staff", "w")
def staff_create(request):
    if request.method == "POST":
        form = StaffCreateForm(request.POST)
        if form.is_valid():
            try:
                membership = services.staff_create(
                    clinic=request.clinic, auditor=Auditor.from_request(request), **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, _("%(name)s was added to the staff.") % {"name": membership.user.display_name}
                )
                return redirect("accounts:staff_list")
    else:
        form = StaffCreateForm()
    return render(request, "accounts/staff_form.html", {"form": form})


@staff_view("staff", "w")
def staff_edit(request, uuid):
    try:
        membership = selectors.membership_get(clinic=request.clinic, uuid=uuid)
    except (Membership.DoesNotExist, ValidationError) as exc:
        raise Http404 from exc
    if request.method == "POST":
        form = MembershipForm(
            request.POST, instance=Membership(role=membership.role, is_active=membership.is_active)
        )
        if form.is_valid():
            try:
                services.membership_update(
                    membership=membership,
                    auditor=Auditor.from_request(request),
                    role=form.cleaned_data["role"],
                    is_active=form.cleaned_data["is_active"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The changes were saved."))
                return redirect("accounts:staff_list")
    else:
        form = MembershipForm(instance=membership)
    return render(request, "accounts/staff_edit.html", {"form": form, "membership": membership})
