"""Forms for sign-in, profile, staff and tokens: input shape only; services do the writing."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _

from follicle.accounts.models import Membership, User
from follicle.accounts.roles import Role
from follicle.core.forms import StyledBoundField, StyledForm, StyledModelForm


class LoginForm(auth_forms.AuthenticationForm):
    bound_field_class = StyledBoundField


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    bound_field_class = StyledBoundField


class PasswordResetForm(auth_forms.PasswordResetForm):
    bound_field_class = StyledBoundField


class SetPasswordForm(auth_forms.SetPasswordForm):
    bound_field_class = StyledBoundField


class ProfileForm(StyledModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "language"]


class LanguageForm(StyledForm):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    next = forms.CharField(required=False)


class StaffCreateForm(StyledForm):
    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text=_("Letters, digits and . _ - only. An existing user name adds that person to this clinic."),
    )
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"), help_text=_("A link to choose a password is sent here."))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES, initial="el")


class MembershipForm(StyledModelForm):
    class Meta:
        model = Membership
        fields = ["role", "is_active"]


class TokenCreateForm(StyledForm):
    membership = forms.ChoiceField(label=_("Clinic"))
    name = forms.CharField(label=_("What the token is for"), max_length=80, required=False)

    def __init__(self, *args, memberships, **kwargs):
        super().__init__(*args, **kwargs)
        self.memberships = {str(m.uuid): m for m in memberships}
        self.fields["membership"].choices = [
            (str(m.uuid), f"{m.clinic.name} — {m.get_role_display()}") for m in memberships
        ]

    def clean_membership(self):
        return self.memberships[self.cleaned_data["membership"]]
