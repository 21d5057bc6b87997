"""Catalogue pages: who may read them, what they show, the htmx search partial."""

from __future__ import annotations

import pytest

from conftest import client_for
from follicle.reference.models import ReferenceEntry


@pytest.mark.django_db
class TestPermissions:
    @pytest.mark.parametrize(
        ("persona", "status"),
        [("admin", 200), ("practitioner", 200), ("nurse", 200), ("receptionist", 403), ("other_admin", 200)],
    )
    @pytest.mark.parametrize(
        "url", ["/reference/", "/reference/ingredient/", "/reference/ingredient/dutasteride/"]
    )
    def test_roles(self, personas, reference, persona, status, url):
        assert client_for(personas[persona]).get(url).status_code == status

    def test_anonymous_is_sent_to_sign_in(self, client, reference):
        response = client.get("/reference/scale/")
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    @pytest.mark.parametrize(
        "url", ["/reference/nonsense/", "/reference/scale/nope/", "/reference/nonsense/x/"]
    )
    def test_unknown_kind_or_key(self, personas, reference, url):
        assert client_for(personas["nurse"]).get(url).status_code == 404


@pytest.mark.django_db
class TestPages:
    @pytest.fixture
    def doctor(self, personas):
        return client_for(personas["practitioner"])

    def test_index_lists_kinds_with_counts_and_notice(self, doctor, reference):
        body = doctor.get("/reference/").content.decode()
        assert "not treatment advice" in body and "off-label" in body
        assert 'href="/reference/contraindication/"' in body and "contraindications.yaml" in body
        assert "<caption>" in body

    def test_index_before_loading(self, doctor):
        assert "has not been loaded yet" in doctor.get("/reference/").content.decode()

    def test_list_shows_badges_and_evidence(self, doctor, reference):
        body = doctor.get("/reference/ingredient/").content.decode()
        assert 'href="/reference/ingredient/dutasteride/"' in body
        assert 'data-verification="partially_verified"' in body and "Randomised controlled trial" in body
        assert "Notes from the data file ingredients.yaml" in body  # general notes of the file

    def test_list_is_paginated(self, doctor, reference):
        body = doctor.get("/reference/ingredient/?page=2").content.decode()
        assert "26–30 of 30" in body

    def test_search_partial(self, doctor, reference):
        response = doctor.get("/reference/scale/?q=ludwig", HTTP_HX_REQUEST="true")
        body = response.content.decode()
        assert response.status_code == 200 and "HX-Request" in response["Vary"]
        assert "<html" not in body and "Ludwig scale" in body and "Hamilton" not in body
        full = doctor.get("/reference/scale/?q=ludwig").content.decode()
        assert "<html" in full and 'id="reference-results"' in full

    def test_search_without_results(self, doctor, reference):
        body = doctor.get("/reference/scale/?q=zzz", HTTP_HX_REQUEST="true").content.decode()
        assert "No entries match this search." in body

    def test_detail_shows_unverified_facts_and_sources(self, doctor, reference):
        body = doctor.get("/reference/scale/hamilton_norwood/").content.decode()
        assert "Not verified against a primary source" in body and 'data-testid="unverified-facts"' in body
        assert "Exact wording of A-variant grade descriptions" in body
        assert 'data-verification="partially_verified"' in body
        assert '<li id="source-1">Norwood OT. Male pattern baldness' in body
        assert 'href="https://pubmed.ncbi.nlm.nih.gov/27081243/"' in body
        assert "<caption" in body and "Minimal or no recession" in body  # grades table

    def test_detail_of_a_verified_entry_has_no_warning(self, doctor, reference):
        body = doctor.get("/reference/scale/ludwig/").content.decode()
        assert 'data-verification="verified"' in body and "Not verified against a primary source" not in body

    def test_unverified_entry_without_listed_facts(self, doctor, reference):
        ReferenceEntry.objects.filter(kind="scale", key="ebling_rook").update(unverified_facts=[])
        body = doctor.get("/reference/scale/ebling_rook/").content.decode()
        assert "alert-danger" in body and "No retrieved source confirmed this entry" in body
        assert "No sources are given for this entry." in body

    def test_ingredient_links_its_mechanisms(self, doctor, reference):
        body = doctor.get("/reference/ingredient/minoxidil/").content.decode()
        assert (
            'href="/reference/mechanism/circulation/"' in body
            and "(1) increased scalp blood circulation" in body
        )
        assert "Randomised controlled trial" in body

    def test_mechanism_lists_its_ingredients(self, doctor, reference):
        body = doctor.get("/reference/mechanism/dht_blockade/").content.decode()
        assert (
            "Ingredients claiming this mechanism" in body
            and 'href="/reference/ingredient/dutasteride/"' in body
        )

    def test_hair_cycle_refs_point_to_numbered_sources(self, doctor, reference):
        body = doctor.get("/reference/hair_cycle_phase/anagen/").content.decode()
        assert 'href="#source-1"' in body and 'id="source-6"' in body

    def test_multiline_equations_and_missing_values(self, doctor, reference):
        body = doctor.get("/reference/hair_cycle_model/halloy_2002_deterministic/").content.decode()
        assert "<pre" in body and "dA/dt" in body
        protocol = doctor.get("/reference/protocol/dutasteride_abdallah_2009/").content.decode()
        assert "Not reported" in protocol and 'href="/reference/injection_technique/nappage/"' in protocol

    def test_retired_entry_still_shows(self, doctor, reference):
        ReferenceEntry.objects.filter(kind="scale", key="salt").update(is_current=False)
        body = doctor.get("/reference/scale/salt/").content.decode()
        assert "No longer in the current data" in body

    def test_no_inline_scripts_or_styles(self, doctor, reference):
        for url in ["/reference/", "/reference/ingredient/", "/reference/ingredient/dutasteride/"]:
            body = doctor.get(url).content.decode()
            assert "<script>" not in body and "style=" not in body and "<style" not in body
