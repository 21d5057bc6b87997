"""The catalogue API: same permissions as the pages, lists with limit/offset and q, 404s."""

from __future__ import annotations

import pytest

from conftest import client_for


@pytest.mark.django_db
class TestReferenceApi:
    @pytest.mark.parametrize(
        ("persona", "status"),
        [("admin", 200), ("practitioner", 200), ("nurse", 200), ("receptionist", 403)],
    )
    @pytest.mark.parametrize(
        "url", ["/api/v1/reference/kinds", "/api/v1/reference/scale", "/api/v1/reference/scale/ludwig"]
    )
    def test_roles(self, personas, reference, persona, status, url):
        response = client_for(personas[persona]).get(url)
        assert response.status_code == status
        if status == 403:
            assert "detail" in response.json()

    def test_anonymous(self, client, reference):
        assert client.get("/api/v1/reference/kinds").status_code == 401

    def test_kinds(self, personas, reference):
        body = client_for(personas["nurse"]).get("/api/v1/reference/kinds").json()
        assert body["count"] == 14
        ingredient = next(k for k in body["items"] if k["kind"] == "ingredient")
        assert ingredient["label"] == "Ingredient" and ingredient["count"] == 30
        assert ingredient["dataset"] == "ingredients" and len(ingredient["version"]) == 64

    def test_list_pagination_and_search(self, personas, reference):
        api = client_for(personas["practitioner"])
        page = api.get("/api/v1/reference/ingredient?limit=5&offset=5").json()
        assert page["count"] == 30 and len(page["items"]) == 5
        assert set(page["items"][0]) == {
            "kind",
            "key",
            "name",
            "verification",
            "evidence_level",
            "is_current",
        }
        found = api.get("/api/v1/reference/scale?q=sinclair").json()
        assert found["count"] == 1 and found["items"][0]["key"] == "sinclair"
        assert api.get("/api/v1/reference/scale?limit=0").status_code == 422

    def test_entry(self, personas, reference):
        entry = client_for(personas["admin"]).get("/api/v1/reference/scale/hamilton_norwood").json()
        assert entry["name"].startswith("Hamilton-Norwood") and entry["verification"] == "partially_verified"
        assert entry["data"]["grades"][0] == {
            "grade": "I",
            "description": "Minimal or no recession of the frontal hairline (adolescent/juvenile hairline).",
        }
        assert len(entry["sources"]) == 3 and entry["unverified_facts"]
        assert entry["dataset"] == "classification_scales" and len(entry["version"]) == 64
        assert entry["is_current"] is True and entry["evidence_level"] == ""

    @pytest.mark.parametrize(
        "url", ["/api/v1/reference/nonsense", "/api/v1/reference/scale/nope", "/api/v1/reference/nonsense/x"]
    )
    def test_not_found(self, personas, reference, url):
        response = client_for(personas["nurse"]).get(url)
        assert response.status_code == 404 and response.json() == {"detail": "Not found."}
