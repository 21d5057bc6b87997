"""API conventions: errors, validation, pagination, docs and the schema snapshot."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from django.test import Client

from follicle.accounts.models import Membership
from follicle.accounts.services import token_create
from follicle.core.audit import Auditor
from follicle.core.models import AuditEvent

SNAPSHOT = Path(__file__).parent / "openapi.json"


@pytest.fixture
def admin_api(personas):
    _token, key = token_create(
        membership=Membership.objects.get(user=personas["admin"]), auditor=Auditor.system()
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def _patch(client, path, payload):
    return client.patch(path, data=json.dumps(payload), content_type="application/json")


@pytest.mark.django_db
class TestConventions:
    def test_me(self, admin_api):
        me = admin_api.get("/api/v1/me").json()
        assert me["username"] == "admin.athens" and me["role"] == "admin"
        assert me["active_clinic"]["name"] == "Athens"
        assert me["permissions"]["staff"] == "rw" and me["permissions"]["medical_history"] == ""

    def test_list_envelope_and_pagination(self, admin_api):
        page = admin_api.get("/api/v1/staff?limit=2&offset=1").json()
        assert set(page) == {"items", "count"}
        assert page["count"] == 4 and len(page["items"]) == 2
        assert set(page["items"][0]) == {
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "role",
            "is_active",
        }

    def test_bad_pagination_is_422(self, admin_api):
        response = admin_api.get("/api/v1/staff?limit=0")
        assert response.status_code == 422
        assert "detail" in response.json()
        assert admin_api.get("/api/v1/staff?limit=1000").status_code == 422

    def test_bad_uuid_is_422_and_unknown_is_404(self, admin_api):
        assert admin_api.get("/api/v1/staff/not-a-uuid").status_code == 422
        response = admin_api.get("/api/v1/staff/00000000-0000-0000-0000-000000000000")
        assert response.status_code == 404 and response.json() == {"detail": "Not found."}

    def test_create_staff_validation(self, admin_api):
        response = admin_api.post(
            "/api/v1/staff",
            data=json.dumps(
                {"username": "x y", "role": "surgeon", "first_name": "", "last_name": "L", "email": "bad"}
            ),
            content_type="application/json",
        )
        assert response.status_code == 422
        fields = {tuple(err["loc"])[-1] for err in response.json()["detail"]}
        assert {"username", "role", "first_name", "email"} <= fields

    def test_service_rules_are_422_with_detail(self, admin_api, personas):
        admin_membership = Membership.objects.get(user=personas["admin"])
        response = _patch(admin_api, f"/api/v1/staff/{admin_membership.uuid}", {"role": "nurse"})
        assert response.status_code == 422
        assert "administrator" in json.dumps(response.json()["detail"])

    def test_patch_clinic(self, admin_api, clinic):
        response = _patch(admin_api, "/api/v1/clinic", {"phone": "+30 1", "language": "en"})
        assert response.status_code == 200 and response.json()["language"] == "en"
        assert _patch(admin_api, "/api/v1/clinic", {"email": "bad"}).status_code == 422
        assert _patch(admin_api, "/api/v1/clinic", {"language": "fr"}).status_code == 422
        clinic.refresh_from_db()
        assert clinic.phone == "+30 1"

    def test_malformed_json_is_a_4xx(self, admin_api):
        response = admin_api.patch("/api/v1/clinic", data="{not json", content_type="application/json")
        assert 400 <= response.status_code < 500

    def test_api_reads_of_lists_are_audited(self, admin_api):
        admin_api.get("/api/v1/staff?q=nurse")
        event = AuditEvent.objects.filter(action="staff.list").latest("seq")
        assert event.detail["query"]["q"] == "nurse" and event.detail["count"] == 1
        assert event.role == "admin"

    def test_session_writes_need_csrf(self, personas):
        client = Client(enforce_csrf_checks=True)
        client.force_login(personas["admin"])
        assert client.get("/api/v1/me").status_code == 200
        response = _patch(client, "/api/v1/clinic", {"phone": "1"})
        assert response.status_code == 403


@pytest.mark.django_db
def test_docs_use_local_assets(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    body = response.content.decode()
    assert "cdn" not in body.lower() and "/static/ninja/swagger-ui-bundle.js" in body


@pytest.mark.django_db
def test_openapi_schema_matches_snapshot(client):
    """The API contract changes only on purpose: FOLLICLE_UPDATE_SNAPSHOTS=1 rewrites it."""
    schema = client.get("/api/openapi.json").json()
    text = json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if os.environ.get("FOLLICLE_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(text, encoding="utf-8")
    assert SNAPSHOT.exists(), "no API schema snapshot: run with FOLLICLE_UPDATE_SNAPSHOTS=1"
    assert text == SNAPSHOT.read_text(encoding="utf-8"), (
        "API schema changed: review, then FOLLICLE_UPDATE_SNAPSHOTS=1"
    )
