"""Writes for staff accounts: creating staff, roles, language, API tokens. Each one audited."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from follicle.accounts.models import ApiToken, Membership, User
from follicle.accounts.roles import Role
from follicle.core.audit import Auditor
from follicle.core.models import Clinic


def _send_set_password_email(user: User, clinic: Clinic) -> None:
    """E-mail a new member of staff a link to choose a password (Django's reset token)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = settings.SITE_URL + reverse("accounts:password_reset_confirm", args=[uid, token])
    with translation.override(user.language):
        body = render_to_string("accounts/email/welcome.txt", {"user": user, "clinic": clinic, "link": link})
        send_mail(
            _("Your Follicle account at %(clinic)s") % {"clinic": clinic.name}, body, None, [user.email]
        )


@transaction.atomic
def staff_create(
    *,
    clinic: Clinic,
    auditor: Auditor,
    username: str,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    language: str = "en",
    password: str | None = None,
    send_invite: bool = True,
) -> Membership:
    """Add a member of staff to a clinic.

    A user who already exists (same user name) gets a membership in this clinic, keeping their
    password; a new user gets an unusable password and an e-mail link to choose one.
    """
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    user = User.objects.filter(username__iexact=username).first()
    new_user = user is None
    if new_user:
        user = User(
            username=username, email=email, first_name=first_name, last_name=last_name, language=language
        )
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean()
        user.save()
    elif Membership.objects.filter(user=user, clinic=clinic).exists():
        raise ValidationError({"username": _("This person is already a member of this clinic.")})
    membership = Membership(user=user, clinic=clinic, role=role)
    membership.full_clean()
    membership.save()
    auditor.log(
        "staff.create",
        obj=membership,
        clinic=clinic,
        detail={"username": user.username, "role": role, "new_user": new_user},
    )
    if new_user and send_invite and user.email and not password:
        transaction.on_commit(lambda: _send_set_password_email(user, clinic))
    return membership


@transaction.atomic
def membership_update(*, membership: Membership, auditor: Auditor, role: str, is_active: bool) -> Membership:
    """Change a member's role or (de)activate them in this clinic.

    The last active admin of a clinic cannot be demoted or deactivated: someone must be able to
    manage its staff.
    """
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    losing_admin = (
        membership.role == Role.ADMIN and membership.is_active and (role != Role.ADMIN or not is_active)
    )
    if losing_admin:
        other_admins = (
            Membership.objects.active()
            .filter(clinic=membership.clinic, role=Role.ADMIN)
            .exclude(pk=membership.pk)
            .select_for_update()
        )
        if not other_admins.exists():
            raise ValidationError(_("A clinic needs at least one active administrator."))
    changes = {}
    if membership.role != role:
        changes["role"] = {"old": membership.role, "new": role}
    if membership.is_active != is_active:
        changes["is_active"] = {"old": membership.is_active, "new": is_active}
    if not changes:
        return membership
    membership.role, membership.is_active = role, is_active
    membership.full_clean()
    membership.save()
    if not is_active:
        # A deactivated membership's API token stops working at once.
        membership.tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    auditor.log(
        "staff.update",
        obj=membership,
        clinic=membership.clinic,
        detail={"username": membership.user.username, "changes": changes},
    )
    return membership


@transaction.atomic
def user_update_profile(
    *, user: User, auditor: Auditor, first_name: str, last_name: str, email: str, language: str
) -> User:
    changes = {}
    for field, value in (
        ("first_name", first_name),
        ("last_name", last_name),
        ("email", email),
        ("language", language),
    ):
        if getattr(user, field) != value:
            changes[field] = {"old": getattr(user, field), "new": value}
            setattr(user, field, value)
    if changes:
        user.full_clean()
        user.save()
        auditor.log("user.update_profile", obj=user, detail={"changes": changes})
    return user


@transaction.atomic
def user_set_language(*, user: User, auditor: Auditor, language: str) -> User:
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Unknown language.")})
    if user.language != language:
        old = user.language
        user.language = language
        user.save(update_fields=["language"])
        auditor.log("user.language", obj=user, detail={"old": old, "new": language})
    return user


@transaction.atomic
def token_create(*, membership: Membership, auditor: Auditor, name: str = "") -> tuple[ApiToken, str]:
    """Create the membership's API token, revoking the one it had. Returns (token, key): the key
    is shown once and never stored."""
    now = timezone.now()
    revoked = list(
        ApiToken.objects.select_for_update().filter(membership=membership, revoked_at__isnull=True)
    )
    for old in revoked:
        old.revoked_at = now
        old.save(update_fields=["revoked_at"])
    key = settings.API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        membership=membership, name=name.strip(), key_hash=ApiToken.hash_key(key), prefix=key[:10]
    )
    token.full_clean()
    token.save()
    auditor.log(
        "token.create",
        obj=token,
        clinic=membership.clinic,
        detail={"prefix": token.prefix, "replaced": [t.prefix for t in revoked]},
    )
    return token, key


@transaction.atomic
def token_revoke(*, token: ApiToken, auditor: Auditor) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        auditor.log(
            "token.revoke", obj=token, clinic=token.membership.clinic, detail={"prefix": token.prefix}
        )
    return token


def token_authenticate(key: str) -> ApiToken | None:
    """The active token for a key, with its membership, user and clinic; None if unknown or revoked."""
    if not key or not key.startswith(settings.API_TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("membership__user", "membership__clinic")
        .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.membership.is_active or not token.membership.user.is_active:
        return None
    # Write last-used at most once a minute per token, not on every request.
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
