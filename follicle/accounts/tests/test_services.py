"""Staff, roles and tokens: the rules their services enforce."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from follicle.accounts import services
from follicle.accounts.models import ApiToken, Membership
from follicle.accounts.roles import Role, access, can
from follicle.core.audit import Auditor
from follicle.core.models import AuditEvent


@pytest.fixture
def auditor(clinic):
    return Auditor.system(clinic=clinic, label="test")


@pytest.mark.django_db
class TestStaffCreate:
    def test_new_user_gets_invite_and_unusable_password(
        self, clinic, auditor, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            membership = services.staff_create(
                clinic=clinic,
                auditor=auditor,
                username="new.nurse",
                email="nn@example.org",
                first_name="Νέα",
                last_name="Νοσηλεύτρια",
                role=Role.NURSE,
                language="el",
            )
        assert membership.role == Role.NURSE
        assert not membership.user.has_usable_password()
        assert len(mail.outbox) == 1
        assert "/accounts/password/reset/" in mail.outbox[0].body
        assert "Athens" in mail.outbox[0].subject
        event = AuditEvent.objects.get(action="staff.create")
        assert event.detail == {"username": "new.nurse", "role": "nurse", "new_user": True}

    def test_existing_user_joins_another_clinic(self, clinic, other_clinic, personas):
        auditor = Auditor.system(clinic=other_clinic)
        membership = services.staff_create(
            clinic=other_clinic,
            auditor=auditor,
            username="nurse.athens",
            email="x@example.org",
            first_name="x",
            last_name="y",
            role=Role.PRACTITIONER,
        )
        assert membership.user == personas["nurse"]
        assert personas["nurse"].memberships.count() == 2
        assert mail.outbox == []

    def test_twice_in_the_same_clinic_is_refused(self, clinic, auditor, personas):
        with pytest.raises(ValidationError, match="already a member"):
            services.staff_create(
                clinic=clinic,
                auditor=auditor,
                username="nurse.athens",
                email="x@example.org",
                first_name="x",
                last_name="y",
                role=Role.NURSE,
            )

    def test_unknown_role_is_refused(self, clinic, auditor):
        with pytest.raises(ValidationError):
            services.staff_create(
                clinic=clinic,
                auditor=auditor,
                username="a",
                email="a@example.org",
                first_name="a",
                last_name="b",
                role="surgeon",
            )


@pytest.mark.django_db
class TestMembershipUpdate:
    def test_role_change_is_audited_with_old_and_new(self, personas, auditor):
        membership = Membership.objects.get(user=personas["nurse"])
        services.membership_update(
            membership=membership, auditor=auditor, role=Role.PRACTITIONER, is_active=True
        )
        event = AuditEvent.objects.get(action="staff.update")
        assert event.detail["changes"] == {"role": {"old": "nurse", "new": "practitioner"}}

    def test_last_admin_cannot_be_demoted_or_deactivated(self, personas, auditor):
        admin = Membership.objects.get(user=personas["admin"])
        with pytest.raises(ValidationError, match="at least one active administrator"):
            services.membership_update(membership=admin, auditor=auditor, role=Role.NURSE, is_active=True)
        with pytest.raises(ValidationError):
            services.membership_update(membership=admin, auditor=auditor, role=Role.ADMIN, is_active=False)
        admin.refresh_from_db()
        assert admin.role == Role.ADMIN and admin.is_active

    def test_admin_can_step_down_when_another_admin_exists(self, personas, auditor):
        nurse = Membership.objects.get(user=personas["nurse"])
        services.membership_update(membership=nurse, auditor=auditor, role=Role.ADMIN, is_active=True)
        admin = Membership.objects.get(user=personas["admin"])
        services.membership_update(membership=admin, auditor=auditor, role=Role.PRACTITIONER, is_active=True)
        assert Membership.objects.get(pk=admin.pk).role == Role.PRACTITIONER

    def test_deactivation_revokes_token(self, personas, auditor):
        membership = Membership.objects.get(user=personas["nurse"])
        _token, key = services.token_create(membership=membership, auditor=auditor)
        assert services.token_authenticate(key) is not None
        services.membership_update(membership=membership, auditor=auditor, role=Role.NURSE, is_active=False)
        assert services.token_authenticate(key) is None


@pytest.mark.django_db
class TestTokens:
    def test_key_is_returned_once_and_only_its_hash_stored(self, personas, auditor):
        membership = Membership.objects.get(user=personas["nurse"])
        token, key = services.token_create(membership=membership, auditor=auditor, name="scripts")
        assert key.startswith("flc_") and len(key) > 40
        stored = ApiToken.objects.get(pk=token.pk)
        assert key not in (stored.key_hash, stored.prefix) and stored.key_hash == ApiToken.hash_key(key)
        assert services.token_authenticate(key).membership == membership

    def test_a_new_token_replaces_the_old_one(self, personas, auditor):
        membership = Membership.objects.get(user=personas["nurse"])
        _old, old_key = services.token_create(membership=membership, auditor=auditor)
        _new, new_key = services.token_create(membership=membership, auditor=auditor)
        assert services.token_authenticate(old_key) is None
        assert services.token_authenticate(new_key) is not None
        assert ApiToken.objects.filter(membership=membership, revoked_at__isnull=True).count() == 1

    def test_database_allows_one_active_token_per_membership(self, personas):
        membership = Membership.objects.get(user=personas["nurse"])
        ApiToken.objects.create(membership=membership, key_hash="a" * 64, prefix="flc_a")
        with pytest.raises(IntegrityError), transaction.atomic():
            ApiToken.objects.create(membership=membership, key_hash="b" * 64, prefix="flc_b")

    def test_revoked_and_unknown_keys_fail(self, personas, auditor):
        membership = Membership.objects.get(user=personas["nurse"])
        token, key = services.token_create(membership=membership, auditor=auditor)
        services.token_revoke(token=token, auditor=auditor)
        assert services.token_authenticate(key) is None
        assert services.token_authenticate("flc_unknown") is None
        assert services.token_authenticate("not-even-our-format") is None

    def test_inactive_user_token_fails(self, personas, auditor):
        membership = Membership.objects.get(user=personas["nurse"])
        _token, key = services.token_create(membership=membership, auditor=auditor)
        personas["nurse"].is_active = False
        personas["nurse"].save()
        assert services.token_authenticate(key) is None


def test_permission_table_follows_design():
    assert can(Role.ADMIN, "staff", "w") and not can(Role.PRACTITIONER, "staff", "r")
    assert can(Role.RECEPTIONIST, "demographics", "w")
    assert not can(Role.RECEPTIONIST, "medical_history", "r")
    assert can(Role.NURSE, "medical_history", "w")
    assert can(Role.RECEPTIONIST, "consents", "status") and not can(Role.RECEPTIONIST, "consents", "r")
    assert access(Role.ADMIN, "adverse_events") == "counts"
    assert not can(Role.ADMIN, "session_records", "r")
    assert can(Role.ADMIN, "audit_log", "r") and not can(Role.ADMIN, "audit_log", "w")
    assert not can(None, "demographics", "r")
    with pytest.raises(KeyError):
        can(Role.ADMIN, "nonexistent")
