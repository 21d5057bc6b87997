"""Pages: the permission matrix (every role, own and other clinic), forms with inline errors,
the lot search with its recipients section, the coverage chart, the ingredient pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from follicle.accounts.roles import Role
from follicle.core.models import AuditEvent
from follicle.formulations import services
from follicle.formulations.models import Formulation, Lot, Product
from follicle.formulations.tests.factories import LotFactory

READERS = {Role.ADMIN, Role.PRACTITIONER, Role.NURSE}
WRITERS = {Role.ADMIN, Role.PRACTITIONER}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(cocktail, clinic, other_clinic, auditor, make_product):
    lot = LotFactory(product=cocktail["duta"], lot_number="DU-2024-01")
    theirs = make_product(name="Theirs", clinic_=other_clinic)
    their_formulation = services.formulation_create(
        clinic=other_clinic, auditor=auditor, name="Theirs", components=[(theirs, Decimal("1"))]
    )
    return {
        "formulation": cocktail["formulation"].uuid,
        "product": cocktail["duta"].uuid,
        "lot": lot.uuid,
        "other_formulation": their_formulation.uuid,
        "other_product": theirs.uuid,
        "other_lot": LotFactory(product=theirs, lot_number="DU-2024-01").uuid,
    }


READ_PAGES = [
    "/formulations/",
    "/formulations/{formulation}/",
    "/formulations/products/",
    "/formulations/products/{product}/",
    "/formulations/lots/",
    "/formulations/lots/?q=DU-2024",
    "/formulations/lots/{lot}/",
    "/formulations/ingredients/",
    "/formulations/ingredients/dutasteride/",
]
WRITE_PAGES = [
    "/formulations/new/",
    "/formulations/{formulation}/edit/",
    "/formulations/products/new/",
    "/formulations/products/{product}/edit/",
]
OTHER_PAGES = [
    "/formulations/{other_formulation}/",
    "/formulations/{other_formulation}/edit/",
    "/formulations/products/{other_product}/",
    "/formulations/products/{other_product}/edit/",
    "/formulations/lots/{other_lot}/",
]
OTHER_POSTS = [
    "/formulations/{other_formulation}/archive/",
    "/formulations/products/{other_product}/lots/",
    "/formulations/products/{other_product}/ingredients/",
    "/formulations/lots/{other_lot}/adjust/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", [r.value for r in Role])
def test_permission_matrix(role, personas, world):
    client = _client(personas[role])
    for path in READ_PAGES:
        response = client.get(path.format(**world))
        assert response.status_code == (200 if role in READERS else 403), (role, path)
        if response.status_code == 200:
            assert "Thessaloniki" not in response.content.decode() or path.startswith(
                "/formulations/ingredients"
            )
    for path in WRITE_PAGES:
        assert client.get(path.format(**world)).status_code == (200 if role in WRITERS else 403), (role, path)
    for path in OTHER_PAGES:
        expected = 403 if role not in READERS or (path.endswith("edit/") and role not in WRITERS) else 404
        assert client.get(path.format(**world)).status_code == expected, (role, path)
    for path in OTHER_POSTS:
        assert client.post(path.format(**world), {}).status_code == (404 if role in WRITERS else 403), (
            role,
            path,
        )


@pytest.mark.django_db
def test_other_clinic_staff_get_404_for_our_objects(personas, world):
    client = _client(personas["other_practitioner"])
    for path in [
        "/formulations/{formulation}/",
        "/formulations/products/{product}/",
        "/formulations/lots/{lot}/",
    ]:
        assert client.get(path.format(**world)).status_code == 404
    assert "DU-2024-01" in client.get("/formulations/lots/?q=DU").content.decode()  # their own lot only
    assert "Dutasteride 0.01%" not in client.get("/formulations/lots/?q=DU").content.decode()


@pytest.mark.django_db
def test_nurse_sees_no_write_controls(personas, world):
    body = (
        _client(personas["nurse"]).get("/formulations/products/{product}/".format(**world)).content.decode()
    )
    assert "Receive a lot" not in body and "Save the ingredients" not in body


@pytest.mark.django_db
class TestFormulationPages:
    def test_detail_has_chart_table_warnings_versions_sources(self, personas, world):
        body = _client(personas["nurse"]).get("/formulations/{formulation}/".format(**world)).content.decode()
        assert 'role="img"' in body and '<title id="coverage-chart-title">' in body and "style=" not in body
        assert 'data-mechanism="dht_blockade"' in body and "Randomised controlled trial" in body
        assert "not evidence for injection" in body  # cysteine: oral evidence
        assert "3.5 mL" in body
        assert 'data-warning="women_childbearing_potential_5ari"' in body
        assert "/reference/contraindication/women_childbearing_potential_5ari/" in body
        assert "Version 1" in body and "Abdallah" in body

    def test_list_shows_version_volume_and_badges(self, personas, world):
        body = _client(personas["nurse"]).get("/formulations/").content.decode()
        assert "AGA cocktail" in body and "v1" in body and "3.5 mL" in body and "DHT blockade" in body

    def test_empty_state(self, personas):
        body = _client(personas["practitioner"]).get("/formulations/").content.decode()
        assert "No formulations yet" in body

    def test_create_with_formset(self, personas, cocktail):
        data = {
            "name": "Vitamin boost",
            "description": "",
            "components-TOTAL_FORMS": "2",
            "components-INITIAL_FORMS": "0",
            "components-0-product": cocktail["vitamins"].pk,
            "components-0-volume_ml": "2",
            "components-1-product": "",
            "components-1-volume_ml": "",
        }
        response = _client(personas["practitioner"]).post("/formulations/new/", data)
        formulation = Formulation.objects.get(name="Vitamin boost")
        assert response.status_code == 302 and response["Location"] == f"/formulations/{formulation.uuid}/"
        assert formulation.versions.get().components.get().volume_ml == Decimal("2.00")

    def test_add_row_button_adds_a_row_without_saving(self, personas, cocktail):
        data = {
            "name": "X",
            "components-TOTAL_FORMS": "1",
            "components-INITIAL_FORMS": "0",
            "components-0-product": cocktail["vitamins"].pk,
            "components-0-volume_ml": "2",
            "add_row": "1",
        }
        response = _client(personas["practitioner"]).post("/formulations/new/", data)
        body = response.content.decode()
        assert response.status_code == 200 and 'name="components-1-product"' in body
        assert not Formulation.objects.filter(name="X").exists()

    def test_errors_inline(self, personas, cocktail):
        data = {
            "name": "",
            "components-TOTAL_FORMS": "2",
            "components-INITIAL_FORMS": "0",
            "components-0-product": cocktail["vitamins"].pk,
            "components-0-volume_ml": "-1",
            "components-1-product": "",
            "components-1-volume_ml": "",
        }
        response = _client(personas["practitioner"]).post("/formulations/new/", data)
        body = response.content.decode()
        assert response.status_code == 200 and body.count('aria-invalid="true"') >= 2
        assert "This field is required" in body and "greater than or equal to 0.01" in body

    def test_no_component_error_shown(self, personas, cocktail):
        data = {"name": "Empty", "components-TOTAL_FORMS": "1", "components-INITIAL_FORMS": "0"}
        body = _client(personas["practitioner"]).post("/formulations/new/", data).content.decode()
        assert "needs at least one product" in body

    def test_edit_in_place_then_archive(self, personas, cocktail):
        formulation = cocktail["formulation"]
        client = _client(personas["admin"])
        data = {
            "name": "AGA cocktail",
            "description": "Men",
            "notes": "",
            "components-TOTAL_FORMS": "2",
            "components-INITIAL_FORMS": "2",
            "components-0-product": cocktail["duta"].pk,
            "components-0-volume_ml": "1.2",
            "components-1-product": cocktail["vitamins"].pk,
            "components-1-volume_ml": "2.5",
            "components-1-DELETE": "on",
        }
        assert client.post(f"/formulations/{formulation.uuid}/edit/", data).status_code == 302
        assert [(c.product, c.volume_ml) for c in formulation.versions.get().components.all()] == [
            (cocktail["duta"], Decimal("1.20"))
        ]
        assert client.get(f"/formulations/{formulation.uuid}/archive/").status_code == 405
        client.post(f"/formulations/{formulation.uuid}/archive/", {"archived": "1"})
        formulation.refresh_from_db()
        assert formulation.is_archived
        assert "AGA cocktail" not in client.get("/formulations/").content.decode()


@pytest.mark.django_db
class TestProductPages:
    def test_create_product_with_ingredient_rows(self, personas, catalogue):
        data = {
            "name": "Oily mix",
            "manufacturer": "Pharmacy",
            "kind": "compounded",
            "volume_per_vial_ml": "5",
            "sterile": "on",
            "vehicle": "oil",
            "notes": "",
            "ingredients-TOTAL_FORMS": "2",
            "ingredients-INITIAL_FORMS": "0",
            "ingredients-0-ingredient": "buflomedil",
            "ingredients-0-concentration": "",
            "ingredients-0-unit": "",
            "ingredients-1-ingredient": "",
        }
        response = _client(personas["practitioner"]).post("/formulations/products/new/", data)
        product = Product.objects.get(name="Oily mix")
        assert response.status_code == 302
        assert not product.single_use and product.vehicle == "oil"
        body = _client(personas["nurse"]).get(f"/formulations/products/{product.uuid}/").content.decode()
        for key in [
            "non_sterile_or_multidose_products",
            "oil_or_alcohol_based_injectables",
            "buflomedil_any_use",
        ]:
            assert f'data-warning="{key}"' in body
        assert "Risk of cutaneous necrosis." in body and "Konda D" in body

    def test_product_form_errors_inline(self, personas, catalogue):
        data = {
            "name": "",
            "volume_per_vial_ml": "0",
            "kind": "commercial",
            "vehicle": "aqueous",
            "ingredients-TOTAL_FORMS": "1",
            "ingredients-INITIAL_FORMS": "0",
            "ingredients-0-ingredient": "biotin",
            "ingredients-0-concentration": "2",
            "ingredients-0-unit": "",
        }
        body = _client(personas["practitioner"]).post("/formulations/products/new/", data).content.decode()
        assert body.count('aria-invalid="true"') >= 3 and "Give the unit of the concentration." in body

    def test_receive_lot_and_errors(self, personas, world):
        client = _client(personas["practitioner"])
        url = "/formulations/products/{product}/lots/".format(**world)
        expiry = (dt.date.today() + dt.timedelta(days=300)).isoformat()  # noqa: DTZ011
        assert (
            client.post(url, {"lot_number": "NEW1", "expiry_date": expiry, "quantity": "12"}).status_code
            == 302
        )
        assert Lot.objects.get(lot_number="NEW1").quantity_left == 12
        response = client.post(url, {"lot_number": "NEW1", "expiry_date": "2001-01-01", "quantity": "0"})
        body = response.content.decode()
        assert response.status_code == 422 and body.count('aria-invalid="true"') >= 1

    def test_suspension_note(self, personas, make_product):
        product = make_product(name="Susp", suspension=True)
        body = _client(personas["nurse"]).get(f"/formulations/products/{product.uuid}/").content.decode()
        assert 'data-testid="suspension-note"' in body

    def test_edit_ingredients(self, personas, world, cocktail):
        data = {
            "ingredients-TOTAL_FORMS": "1",
            "ingredients-INITIAL_FORMS": "1",
            "ingredients-0-ingredient": "finasteride",
            "ingredients-0-concentration": "0.25",
            "ingredients-0-unit": "%",
        }
        url = "/formulations/products/{product}/ingredients/".format(**world)
        assert _client(personas["admin"]).post(url, data).status_code == 302
        assert list(cocktail["duta"].ingredients.values_list("ingredient", flat=True)) == ["finasteride"]


@pytest.mark.django_db
class TestLotPages:
    def test_search_shows_honest_empty_recipients_and_audits(self, personas, world):
        body = _client(personas["nurse"]).get("/formulations/lots/?q=du-2024").content.decode()
        assert "DU-2024-01" in body and "Patients who received this lot" in body
        assert "No session has used this lot yet." in body
        event = AuditEvent.objects.filter(action="lot.search").latest("seq")
        assert event.detail == {"query": {"q": "du-2024", "page": 1}, "count": 1}

    def test_search_lists_registered_recipients(self, personas, world, make_patient, registries):
        patient = make_patient()
        registries.lot_provider(lambda lot: [patient] if lot.uuid == world["lot"] else [])
        body = _client(personas["practitioner"]).get("/formulations/lots/?q=DU-2024-01").content.decode()
        assert "Παπαδοπούλου" in body and f"/patients/{patient.uuid}/" in body

    def test_search_partial_for_htmx(self, personas, world):
        response = _client(personas["nurse"]).get("/formulations/lots/?q=DU", HTTP_HX_REQUEST="true")
        assert "<html" not in response.content.decode() and "DU-2024-01" in response.content.decode()

    def test_adjust_lot(self, personas, world):
        client = _client(personas["practitioner"])
        url = "/formulations/lots/{lot}/adjust/".format(**world)
        assert client.post(url, {"change": "-1", "reason": "Broken"}).status_code == 302
        response = client.post(url, {"change": "-50", "reason": "x"})
        assert response.status_code == 422 and "below zero" in response.content.decode()


@pytest.mark.django_db
class TestIngredientPages:
    def test_list_has_every_ingredient_with_labels(self, personas, catalogue):
        body = _client(personas["nurse"]).get("/formulations/ingredients/").content.decode()
        assert "Dutasteride" in body and "Cellular activity" in body and "Blood circulation" in body

    def test_oral_only_evidence_is_said_clearly(self, personas, catalogue):
        body = _client(personas["nurse"]).get("/formulations/ingredients/cysteine_cystine/").content.decode()
        assert "The evidence concerns oral/topical use; it is not evidence for injection." in body

    def test_injection_evidence_has_no_such_note(self, personas, catalogue):
        body = _client(personas["nurse"]).get("/formulations/ingredients/dutasteride/").content.decode()
        assert "it is not evidence for injection" not in body
        assert "DHT blockade" in body and "0.01%" in body and "Randomised controlled trial" in body
        assert "/reference/contraindication/women_childbearing_potential_5ari/" in body
        assert 'id="source-1"' in body and 'data-testid="unverified-facts"' in body

    def test_unknown_ingredient_404(self, personas, catalogue):
        assert _client(personas["nurse"]).get("/formulations/ingredients/nope/").status_code == 404
