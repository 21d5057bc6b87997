"""Mechanism coverage: pure computation with hand-made entries, and the loader over the real catalogue."""

from __future__ import annotations

from decimal import Decimal

import pytest

from follicle.formulations import evidence
from follicle.formulations.presenters import coverage_chart
from follicle.formulations.selectors.coverage import (
    ProductFacts,
    compute_coverage,
    product_warnings,
    version_coverage,
)
from follicle.reference.models import ReferenceEntry


def ingredient(key, mechanisms, level, route, sources=()):
    return ReferenceEntry(
        kind="ingredient",
        key=key,
        name=key.title(),
        data={"claimed_mechanisms": mechanisms, "evidence": {"level": level, "route": route}},
        sources=list(sources),
        verification="verified",
    )


def contraindication(key, applies_to, type_="caution"):
    return ReferenceEntry(
        kind="contraindication",
        key=key,
        name=key,
        data={"condition": f"Condition {key}", "type": type_, "applies_to": applies_to, "rationale": "why"},
        sources=[f"Source for {key}"],
        verification="verified",
    )


INGREDIENTS = {
    "duta": ingredient("duta", ["dht_blockade"], "RCT", "intradermal mesotherapy", ["A", "B"]),
    "fina": ingredient(
        "fina", ["dht_blockade"], "controlled", "intradermal (weak); oral route: RCT", ["B", "C"]
    ),
    "biotin": ingredient(
        "biotin", ["nutrient_delivery", "regeneration"], "none", "intradermal: none; oral: x"
    ),
    "cys": ingredient(
        "cys", ["nutrient_delivery"], "RCT", "ORAL combination supplements only (not injection)"
    ),
    "ha": ingredient("ha", ["regeneration", "scalp_health"], "case_series", "intradermal", ["D"]),
}
CONTRAINDICATIONS = [
    contraindication("non_sterile_or_multidose_products", ["all_injections"], "absolute"),
    contraindication("oil_or_alcohol_based_injectables", ["all_injections"], "absolute"),
    contraindication("pregnancy", ["all_injections"], "absolute"),
    contraindication("duta_women", ["duta", "fina"], "agent_specific"),
    contraindication("biotin_labs", ["biotin"], "caution"),
]


class TestRouteKind:
    @pytest.mark.parametrize(
        ("route", "kind"),
        [
            ("intradermal mesotherapy", evidence.INJECTION),
            ("intradermal (weak: …); oral route: RCT", evidence.INJECTION),
            ("ORAL combination supplements only (not injection)", evidence.ORAL),
            ("intradermal: none; oral: case reports only", evidence.ORAL),
            ("mostly topical/microneedling; few injection reports", evidence.TOPICAL),
            ("in vitro / animal only", evidence.PRECLINICAL),
            ("none for injection", evidence.NO_ROUTE),
            ("none", evidence.NO_ROUTE),
            ("", evidence.NO_ROUTE),
            ("intralesional (alopecia areata)", evidence.INJECTION),
        ],
    )
    def test_route_kind(self, route, kind):
        assert evidence.route_kind(route) == kind

    def test_level_for_injection(self):
        assert evidence.level_for_injection("RCT", "oral only") == "none"
        assert evidence.level_for_injection("RCT", "intradermal") == "RCT"
        assert evidence.level_for_injection("bogus", "intradermal") == "none"


class TestComputeCoverage:
    def coverage(self, *products):
        return compute_coverage(products, INGREDIENTS, CONTRAINDICATIONS)

    def test_mechanisms_and_strongest_evidence_for_injection(self):
        result = self.coverage(
            ProductFacts(name="Duta", ingredients=("duta", "fina"), volume_ml=Decimal("1")),
            ProductFacts(name="Vits", ingredients=("biotin", "cys", "ha"), volume_ml=Decimal("2.5")),
        )
        by_code = {m.code: m for m in result.mechanisms}
        assert [m.code for m in result.mechanisms] == list(evidence.MECHANISMS)
        assert by_code["dht_blockade"].strongest_for_injection == "RCT"
        assert [i.key for i in by_code["dht_blockade"].ingredients] == ["duta", "fina"]
        # cysteine has RCT evidence, but for oral use: listed, counted as none for injection.
        nutrient = by_code["nutrient_delivery"]
        assert [i.key for i in nutrient.ingredients] == ["biotin", "cys"]
        assert nutrient.strongest_for_injection == "none"
        cys = next(i for i in nutrient.ingredients if i.key == "cys")
        assert (cys.level, cys.route_kind, cys.level_for_injection, cys.for_injection) == (
            "RCT",
            "oral",
            "none",
            False,
        )
        assert by_code["regeneration"].strongest_for_injection == "case_series"
        assert by_code["scalp_health"].strongest_for_injection == "case_series"
        assert not by_code["circulation"].covered and by_code["circulation"].strongest_for_injection == "none"
        assert not by_code["anti_inflammatory"].covered
        assert result.total_volume_ml == Decimal("3.5")

    def test_sources_deduplicated_in_order(self):
        result = self.coverage(ProductFacts(name="P", ingredients=("duta", "fina", "ha")))
        assert result.sources == ("A", "B", "C", "D")

    def test_warnings_from_products_and_ingredients(self):
        result = self.coverage(
            ProductFacts(name="Duta", ingredients=("duta",), sterile=False),
            ProductFacts(name="Oil", ingredients=("biotin",), vehicle="oil"),
            ProductFacts(name="Fina", ingredients=("fina",)),
        )
        warnings = {w.key: w for w in result.warnings}
        assert set(warnings) == {
            "non_sterile_or_multidose_products",
            "oil_or_alcohol_based_injectables",
            "duta_women",
            "biotin_labs",
        }
        assert warnings["non_sterile_or_multidose_products"].triggered_by == ("Duta",)
        assert warnings["oil_or_alcohol_based_injectables"].type == "absolute"
        assert warnings["duta_women"].triggered_by == ("Duta", "Fina")
        assert warnings["biotin_labs"].sources == ("Source for biotin_labs",)
        # absolute first, then agent-specific, then cautions
        assert [w.type for w in result.warnings] == ["absolute", "absolute", "agent_specific", "caution"]

    def test_unknown_ingredient_reported_not_counted(self):
        result = self.coverage(ProductFacts(name="P", ingredients=("mystery", "duta")))
        assert result.unknown_ingredients == ("mystery",)
        assert [i.key for i in result.ingredients] == ["duta"]

    def test_product_warnings_single_use_and_missing_entry(self):
        warnings = product_warnings(ProductFacts(name="Multi", single_use=False), [])
        assert len(warnings) == 1 and warnings[0].key == "non_sterile_or_multidose_products"
        assert warnings[0].found is False

    def test_as_json_and_chart(self):
        result = self.coverage(ProductFacts(name="Duta", ingredients=("duta", "cys")))
        data = result.as_json()
        assert data["mechanisms"][1]["code"] == "dht_blockade" and data["mechanisms"][1]["covered"] is True
        assert data["mechanisms"][1]["ingredients"][0]["for_injection"] is True
        chart = coverage_chart(result)
        assert len(chart["rows"]) == 6
        dht = chart["rows"][1]
        assert dht["level"] == "RCT" and dht["width"] > chart["rows"][2]["width"] > 0
        assert chart["rows"][0]["covered"] is False and chart["rows"][0]["width"] == 0
        assert "DHT blockade" in chart["summary"]


@pytest.mark.django_db
def test_version_coverage_over_the_catalogue(cocktail):
    version = cocktail["formulation"].versions.get()
    result = version_coverage(version)
    by_code = {m.code: m for m in result.mechanisms}
    assert by_code["dht_blockade"].strongest_for_injection == "RCT"
    assert [i.key for i in by_code["dht_blockade"].ingredients] == ["dutasteride"]
    nutrient = by_code["nutrient_delivery"]
    assert {i.key for i in nutrient.ingredients} == {"biotin", "cysteine_cystine"}
    assert nutrient.strongest_for_injection == "none"
    cys = next(i for i in nutrient.ingredients if i.key == "cysteine_cystine")
    assert cys.level == "RCT" and not cys.for_injection
    assert not by_code["circulation"].covered
    assert result.total_volume_ml == Decimal("3.5")
    keys = {w.key for w in result.warnings}
    assert {"women_childbearing_potential_5ari", "high_dose_biotin_lab_tests"} <= keys
    assert "pregnancy_breastfeeding" not in keys  # all-injection entries belong to screening
    assert any("Abdallah" in s for s in result.sources)
    assert len(result.sources) == len(set(result.sources))
