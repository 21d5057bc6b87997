"""API: every endpoint for every role, own and other clinic; versioning through PATCH; coverage."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from follicle.accounts.roles import Role
from follicle.formulations.tests.factories import LotFactory

READERS = {Role.ADMIN, Role.PRACTITIONER, Role.NURSE}
WRITERS = {Role.ADMIN, Role.PRACTITIONER}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _json(client, method, path, body=None):
    if method == "get":
        response = client.get(path)
    else:
        response = getattr(client, method)(path, data=json.dumps(body or {}), content_type="application/json")
    return response.status_code, (response.json() if response.content else None)


@pytest.fixture
def world(cocktail, other_clinic, make_product, auditor):
    from decimal import Decimal

    from follicle.formulations import services

    LotFactory(product=cocktail["duta"], lot_number="API-1")
    theirs = make_product(name="Theirs", clinic_=other_clinic)
    their_formulation = services.formulation_create(
        clinic=other_clinic, auditor=auditor, name="Theirs", components=[(theirs, Decimal("1"))]
    )
    return {**cocktail, "theirs": theirs, "their_formulation": their_formulation}


def _expiry():
    return (dt.date.today() + dt.timedelta(days=200)).isoformat()  # noqa: DTZ011


@pytest.mark.django_db
@pytest.mark.parametrize("role", [r.value for r in Role])
def test_permissions_every_endpoint(role, personas, world):
    client = _client(personas[role])
    f, p = world["formulation"].uuid, world["duta"].uuid
    reads = [
        "/api/v1/formulations",
        f"/api/v1/formulations/{f}",
        f"/api/v1/formulations/{f}/coverage",
        "/api/v1/products",
        f"/api/v1/products/{p}",
        "/api/v1/lots?q=API",
        "/api/v1/ingredients",
        "/api/v1/ingredients/biotin",
    ]
    for path in reads:
        status, body = _json(client, "get", path)
        assert status == (200 if role in READERS else 403), (role, path)
        assert "detail" in body if status == 403 else True
    writes = [
        ("post", "/api/v1/products", {"name": f"New {role}", "volume_per_vial_ml": "2"}, 201),
        (
            "post",
            f"/api/v1/products/{p}/lots",
            {"lot_number": f"L-{role}", "expiry_date": _expiry(), "quantity": 3},
            201,
        ),
        (
            "post",
            "/api/v1/formulations",
            {"name": f"F {role}", "components": [{"product": str(p), "volume_ml": "1"}]},
            201,
        ),
        ("patch", f"/api/v1/formulations/{f}", {"description": role}, 200),
    ]
    for method, path, body, ok in writes:
        status, _body = _json(client, method, path, body)
        assert status == (ok if role in WRITERS else 403), (role, path, _body)
    t, tf = world["theirs"].uuid, world["their_formulation"].uuid
    others = [
        ("get", f"/api/v1/formulations/{tf}", None, READERS),
        ("get", f"/api/v1/formulations/{tf}/coverage", None, READERS),
        ("get", f"/api/v1/products/{t}", None, READERS),
        ("patch", f"/api/v1/formulations/{tf}", {"name": "x"}, WRITERS),
        (
            "post",
            f"/api/v1/products/{t}/lots",
            {"lot_number": "Z", "expiry_date": _expiry(), "quantity": 1},
            WRITERS,
        ),
    ]
    for method, path, body, allowed in others:
        status, answer = _json(client, method, path, body)
        assert status == (404 if role in allowed else 403), (role, path)
        assert "detail" in answer


@pytest.mark.django_db
def test_lists_are_scoped_and_paginated(personas, world):
    client = _client(personas["nurse"])
    _status, body = _json(client, "get", "/api/v1/products?limit=1")
    assert body["count"] == 2 and len(body["items"]) == 1
    _status, body = _json(client, "get", "/api/v1/formulations")
    assert [f["name"] for f in body["items"]] == ["AGA cocktail"]
    assert body["items"][0]["current_version"]["components"][0]["product_name"] == "Dutasteride 0.01%"


@pytest.mark.django_db
def test_patch_components_versions_only_when_used(personas, world, registries):
    client = _client(personas["practitioner"])
    f, duta = world["formulation"], world["duta"]
    path = f"/api/v1/formulations/{f.uuid}"
    components = [{"product": str(duta.uuid), "volume_ml": "1.5"}]
    status, body = _json(client, "patch", path, {"components": components})
    assert status == 200 and body["version_count"] == 1 and body["current_version"]["version"] == 1
    registries.version_check(lambda version: True)
    status, body = _json(
        client,
        "patch",
        path,
        {"components": [{"product": str(duta.uuid), "volume_ml": "2"}], "notes": "More"},
    )
    assert status == 200 and body["version_count"] == 2
    assert body["current_version"]["version"] == 2 and body["current_version"]["notes"] == "More"
    assert f.versions.get(version=1).components.get().volume_ml == 1.5


@pytest.mark.django_db
def test_create_errors_are_detail(personas, world):
    client = _client(personas["practitioner"])
    status, body = _json(
        client,
        "post",
        "/api/v1/formulations",
        {"name": "Bad", "components": [{"product": str(world["theirs"].uuid), "volume_ml": "1"}]},
    )
    assert status == 422 and "Unknown products" in json.dumps(body["detail"])
    status, body = _json(
        client,
        "post",
        "/api/v1/products",
        {"name": "P", "volume_per_vial_ml": "1", "ingredients": [{"ingredient": "unicorn"}]},
    )
    assert status == 422 and "detail" in body


@pytest.mark.django_db
def test_coverage_and_product_warnings(personas, world):
    client = _client(personas["nurse"])
    _status, body = _json(client, "get", f"/api/v1/formulations/{world['formulation'].uuid}/coverage")
    by_code = {m["code"]: m for m in body["mechanisms"]}
    assert by_code["dht_blockade"]["strongest_for_injection"] == "RCT"
    assert by_code["nutrient_delivery"]["strongest_for_injection"] == "none"
    cys = next(i for i in by_code["nutrient_delivery"]["ingredients"] if i["key"] == "cysteine_cystine")
    assert cys["for_injection"] is False and cys["route_kind"] == "oral"
    assert body["total_volume_ml"] in ("3.5", "3.50", 3.5)
    assert body["version"] == 1 and body["sources"]
    _status, product = _json(client, "get", f"/api/v1/products/{world['duta'].uuid}")
    assert any(w["key"] == "women_childbearing_potential_5ari" for w in product["warnings"])


@pytest.mark.django_db
def test_lot_search_usable_and_ingredient_detail(personas, world):
    LotFactory(product=world["duta"], lot_number="API-OLD", expiry_date=dt.date(2001, 1, 1))
    client = _client(personas["nurse"])
    _status, body = _json(client, "get", "/api/v1/lots?q=api")
    assert body["count"] == 2
    _status, body = _json(client, "get", "/api/v1/lots?q=api&usable=true")
    assert [lot["lot_number"] for lot in body["items"]] == ["API-1"] and body["items"][0]["usable"]
    status, body = _json(client, "get", "/api/v1/ingredients/cysteine_cystine")
    assert status == 200 and body["for_injection"] is False and body["ingredient_class"]
    assert _json(client, "get", "/api/v1/ingredients/nope")[0] == 404
    _status, body = _json(client, "get", "/api/v1/ingredients?q=dutas")
    assert body["count"] == 1 and body["items"][0]["mechanisms"] == [
        {"code": "dht_blockade", "label": "DHT blockade"}
    ]
