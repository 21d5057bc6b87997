"""The role × resource matrix over every page and endpoint, for every role, own and other clinic.

DESIGN.md: another clinic's data is a 404; a role that may not is a 403; pages and API alike.
And no body a user may see ever carries another clinic's data.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from follicle.accounts.models import Membership
from follicle.accounts.roles import Role
from follicle.accounts.services import token_create
from follicle.core.audit import Auditor
from follicle.core.models import ClosedDay

ROLES = [r.value for r in Role]
ADMIN_ONLY = {Role.ADMIN}
EVERYONE = set(ROLES)

OTHER_CLINIC_MARKERS = ("Thessaloniki", "admin.other", "doctor.other")


@pytest.fixture
def world(personas, clinic, other_clinic):
    closed_own = ClosedDay.objects.create(clinic=clinic, date="2030-01-01", reason="Own holiday")
    closed_other = ClosedDay.objects.create(
        clinic=other_clinic, date="2030-01-02", reason="Thessaloniki holiday"
    )
    return {
        "own_member": Membership.objects.get(user=personas["nurse"]),
        "other_member": Membership.objects.get(user=personas["other_admin"]),
        "closed_own": closed_own,
        "closed_other": closed_other,
    }


# (name, method, path template, roles allowed, status when allowed)
PAGES = [
    ("home", "get", "/", EVERYONE, 200),
    ("profile", "get", "/accounts/profile/", EVERYONE, 200),
    ("password change", "get", "/accounts/password/change/", EVERYONE, 200),
    ("staff list", "get", "/accounts/staff/", ADMIN_ONLY, 200),
    ("staff search (htmx)", "get", "/accounts/staff/?q=nurse", ADMIN_ONLY, 200),
    ("staff new", "get", "/accounts/staff/new/", ADMIN_ONLY, 200),
    ("staff edit", "get", "/accounts/staff/{own_member}/", ADMIN_ONLY, 200),
    ("clinic settings", "get", "/settings/clinic/", ADMIN_ONLY, 200),
    ("audit log", "get", "/audit/", ADMIN_ONLY, 200),
    ("tasks", "get", "/tasks/", ADMIN_ONLY, 200),
    ("remove closed day", "post", "/settings/clinic/closed/{closed_own}/remove/", ADMIN_ONLY, 302),
]

# Objects of the other clinic: a 404 for whoever may use the page at all.
OTHER_CLINIC_PAGES = [
    ("other staff edit", "get", "/accounts/staff/{other_member}/"),
    ("other closed day", "post", "/settings/clinic/closed/{closed_other}/remove/"),
]

API = [
    ("me", "get", "/api/v1/me", EVERYONE, 200, None),
    ("clinics", "get", "/api/v1/clinics", EVERYONE, 200, None),
    ("clinic", "get", "/api/v1/clinic", EVERYONE, 200, None),
    ("clinic patch", "patch", "/api/v1/clinic", ADMIN_ONLY, 200, {"phone": "+30 210 111 1111"}),
    ("staff list", "get", "/api/v1/staff", ADMIN_ONLY, 200, None),
    ("staff get", "get", "/api/v1/staff/{own_member}", ADMIN_ONLY, 200, None),
    ("staff patch", "patch", "/api/v1/staff/{own_member}", ADMIN_ONLY, 200, {"role": "nurse"}),
    (
        "staff create",
        "post",
        "/api/v1/staff",
        ADMIN_ONLY,
        201,
        {
            "username": "new.person",
            "first_name": "New",
            "last_name": "Person",
            "email": "new@example.org",
            "role": "nurse",
        },
    ),
    ("audit", "get", "/api/v1/audit", ADMIN_ONLY, 200, None),
    ("tasks", "get", "/api/v1/tasks", ADMIN_ONLY, 200, None),
]

OTHER_CLINIC_API = [
    ("other staff get", "get", "/api/v1/staff/{other_member}", None),
    ("other staff patch", "patch", "/api/v1/staff/{other_member}", {"role": "nurse"}),
]


def _path(template: str, world) -> str:
    values = {
        "own_member": world["own_member"].uuid,
        "other_member": world["other_member"].uuid,
        "closed_own": world["closed_own"].pk,
        "closed_other": world["closed_other"].pk,
    }
    return template.format(**values)


def _assert_no_other_clinic_data(response):
    body = response.content.decode()
    for marker in OTHER_CLINIC_MARKERS:
        assert marker not in body, f"{marker!r} leaked into {response.request['PATH_INFO']}"


def _page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method", "template", "allowed", "ok"), PAGES, ids=[p[0] for p in PAGES])
def test_pages(role, name, method, template, allowed, ok, personas, world):
    client = _page_client(personas[role])
    response = getattr(client, method)(_path(template, world))
    if role in allowed:
        assert response.status_code == ok, response.content[:500]
    else:
        assert response.status_code == 403
    _assert_no_other_clinic_data(response)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "method", "template"), OTHER_CLINIC_PAGES, ids=[p[0] for p in OTHER_CLINIC_PAGES]
)
def test_other_clinic_objects_are_404_or_403(role, name, method, template, personas, world):
    response = getattr(_page_client(personas[role]), method)(_path(template, world))
    # Admins may use these pages, so another clinic's object is simply not found; other roles
    # are stopped by their role before anything is looked up.
    assert response.status_code == (404 if role == Role.ADMIN else 403)
    _assert_no_other_clinic_data(response)
    assert ClosedDay.objects.filter(pk=world["closed_other"].pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/", "/accounts/profile/", "/accounts/staff/", "/settings/clinic/", "/audit/", "/tasks/"]
)
def test_pages_need_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def _api_call(client: Client, method: str, path: str, payload, **headers):
    if payload is None:
        return getattr(client, method)(path, **headers)
    return getattr(client, method)(path, data=json.dumps(payload), content_type="application/json", **headers)


@pytest.fixture
def bearer(personas):
    def make(role):
        membership = Membership.objects.get(user=personas[role])
        _token, key = token_create(membership=membership, auditor=Auditor.system())
        return {"HTTP_AUTHORIZATION": f"Bearer {key}"}

    return make


@pytest.mark.django_db
@pytest.mark.parametrize("auth", ["token", "session"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "method", "template", "allowed", "ok", "payload"), API, ids=[a[0] for a in API]
)
def test_api(auth, role, name, method, template, allowed, ok, payload, personas, world, bearer):
    if auth == "token":
        client, headers = Client(), bearer(role)
    else:
        client, headers = Client(enforce_csrf_checks=False), {}
        client.force_login(personas[role])
    response = _api_call(client, method, _path(template, world), payload, **headers)
    if role in allowed:
        assert response.status_code == ok, response.content[:500]
    else:
        assert response.status_code == 403
        assert "detail" in response.json()
    _assert_no_other_clinic_data(response)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "method", "template", "payload"), OTHER_CLINIC_API, ids=[a[0] for a in OTHER_CLINIC_API]
)
def test_api_other_clinic(role, name, method, template, payload, world, bearer):
    response = _api_call(Client(), method, _path(template, world), payload, **bearer(role))
    assert response.status_code == (404 if role == Role.ADMIN else 403)
    assert response.json()["detail"]
    _assert_no_other_clinic_data(response)
    assert Membership.objects.get(pk=world["other_member"].pk).role == Role.ADMIN


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/staff", "/api/v1/clinic", "/api/v1/audit"])
def test_api_needs_authentication(client, path):
    response = client.get(path)
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}
    response = client.get(path, HTTP_AUTHORIZATION="Bearer flc_not-a-real-token")
    assert response.status_code == 401


@pytest.mark.django_db
def test_api_token_of_other_clinic_sees_only_that_clinic(personas, bearer):
    response = Client().get("/api/v1/clinic", **bearer("other_admin"))
    assert response.json()["name"] == "Thessaloniki"
    staff = Client().get("/api/v1/staff", **bearer("other_admin")).json()
    assert {s["username"] for s in staff["items"]} == {"admin.other", "doctor.other"}
    assert staff["count"] == 2
