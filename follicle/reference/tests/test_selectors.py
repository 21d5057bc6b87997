"""Reads of the catalogue, including the helpers screening and assessment use."""

from __future__ import annotations

import pytest

from follicle.reference import selectors
from follicle.reference.models import ReferenceEntry

Kind = ReferenceEntry.Kind


def _keys(entries):
    return [e.key for e in entries]


@pytest.mark.django_db
class TestCatalogueSelectors:
    def test_entry_list_search_and_current_only(self, reference):
        assert _keys(selectors.entry_list(kind=Kind.SCALE, search="ludwig")) == ["ludwig"]
        assert _keys(selectors.entry_list(kind=Kind.SCALE, search="HAMILTON")) == ["hamilton_norwood"]
        assert _keys(selectors.entry_list(kind=Kind.SCALE, search="hamilton norwood")) == ["hamilton_norwood"]
        ReferenceEntry.objects.filter(kind=Kind.SCALE, key="ludwig").update(is_current=False)
        assert "ludwig" not in _keys(selectors.entry_list(kind=Kind.SCALE))
        assert "ludwig" in _keys(selectors.entry_list(kind=Kind.SCALE, current_only=False))
        assert selectors.entry_get(kind=Kind.SCALE, key="ludwig").is_current is False  # still resolves

    def test_entry_get_unknown(self, reference):
        with pytest.raises(ReferenceEntry.DoesNotExist):
            selectors.entry_get(kind=Kind.SCALE, key="nope")

    def test_kind_counts_and_datasets(self, reference):
        counts = {k["kind"]: k for k in selectors.kind_counts()}
        assert list(counts) == list(Kind.values)
        assert counts["ingredient"]["count"] == 30 and counts["ingredient"]["dataset"].name == "ingredients"
        assert counts["effect_size"]["dataset"].name == "outcome_measures"
        assert [d.name for d in selectors.dataset_list()][:2] == ["adverse_events", "classification_scales"]

    def test_kind_counts_before_any_load(self, db):
        assert all(k["count"] == 0 and k["dataset"] is None for k in selectors.kind_counts())

    def test_linked_entries_and_ingredients_for_mechanism(self, reference):
        fphl = selectors.entry_get(kind=Kind.DIAGNOSIS, key="fphl")
        assert set(selectors.linked_entries(fphl)) == {
            (Kind.SCALE, k) for k in ["ludwig", "sinclair", "savin", "olsen", "basp", "fphl_si"]
        }
        names = [e.name for e in selectors.ingredients_for_mechanism("dht_blockade")]
        assert "Dutasteride" in names and "Finasteride" in names and "Minoxidil" not in names

    def test_screening_lists(self, reference):
        assert selectors.contraindication_list().count() == 22
        assert "pregnancy_breastfeeding" in _keys(selectors.contraindication_list())
        assert set(_keys(selectors.diagnosis_list())) >= {"aga_male", "fphl", "alopecia_areata"}
        assert selectors.scale_list().count() == 9


@pytest.mark.django_db
class TestScalesForDiagnosis:
    def test_male_pattern_in_a_man(self, reference):
        assert _keys(selectors.scales_for_diagnosis("aga_male", "male")) == ["hamilton_norwood", "basp"]

    def test_male_pattern_in_a_woman_keeps_the_universal_scale(self, reference):
        assert _keys(selectors.scales_for_diagnosis("aga_male", "female")) == ["basp"]

    def test_female_pattern_in_a_woman(self, reference):
        assert _keys(selectors.scales_for_diagnosis("fphl", "female")) == [
            "ludwig",
            "sinclair",
            "savin",
            "olsen",
            "basp",
            "fphl_si",
        ]

    def test_female_pattern_in_a_man_keeps_scales_validated_for_men(self, reference):
        assert _keys(selectors.scales_for_diagnosis("fphl", "male")) == ["sinclair", "savin", "basp"]

    @pytest.mark.parametrize("sex", ["male", "female", "other", "", None])
    def test_alopecia_areata_any_sex(self, reference, sex):
        assert _keys(selectors.scales_for_diagnosis("alopecia_areata", sex)) == ["salt"]

    def test_unknown_sex_gives_every_staging_scale(self, reference):
        assert len(selectors.scales_for_diagnosis("fphl", "other")) == 6
        assert _keys(selectors.scales_for_diagnosis("aga_male", "M")) == ["hamilton_norwood", "basp"]

    def test_diagnosis_without_scales_and_unknown_diagnosis(self, reference):
        assert selectors.scales_for_diagnosis("telogen_effluvium", "female") == []
        with pytest.raises(ReferenceEntry.DoesNotExist):
            selectors.scales_for_diagnosis("nope", "male")

    def test_retired_scale_is_not_offered(self, reference):
        ReferenceEntry.objects.filter(kind=Kind.SCALE, key="basp").update(is_current=False)
        assert _keys(selectors.scales_for_diagnosis("aga_male", "male")) == ["hamilton_norwood"]


@pytest.mark.django_db
class TestScaleGrades:
    def test_ordinal_scales(self, reference):
        hn = selectors.scale_grades("hamilton_norwood")
        assert hn[:3] == ["I", "II", "IIa"] and hn[-1] == "VII" and "III vertex" in hn and len(hn) == 12
        assert selectors.scale_grades("ludwig") == ["I", "II", "III"]
        assert selectors.scale_grades("sinclair") == ["1", "2", "3", "4", "5"]
        assert selectors.scale_grades("ebling_rook") == ["I-II", "III-V"]
        grading = selectors.scale_grading("ludwig")
        assert grading.kind == "ordinal" and grading.grades[0].description.startswith("Perceptible thinning")

    def test_score_scales(self, reference):
        salt = selectors.scale_grading("salt")
        assert salt.kind == "score" and (salt.minimum, salt.maximum) == (0, 100)
        assert salt.choices[0] == "0" and salt.choices[-1] == "100" and len(salt.choices) == 101
        fphl_si = selectors.scale_grading("fphl_si")
        assert fphl_si.kind == "score" and (fphl_si.minimum, fphl_si.maximum) == (0, 20)
        assert [g.value for g in fphl_si.grades] == ["0-4", "5-9", "10-20"]

    def test_basp_types(self, reference):
        basp = selectors.scale_grading("basp")
        assert basp.kind == "types"
        assert basp.basic == ["L", "M0", "M1", "M2", "M3", "C0", "C1", "C2", "C3", "U1", "U2", "U3"]
        assert basp.specific == ["F1", "F2", "F3", "V1", "V2", "V3"]
        assert selectors.scale_grades("basp") == basp.basic + basp.specific

    def test_unknown_scale(self, reference):
        with pytest.raises(ReferenceEntry.DoesNotExist):
            selectors.scale_grades("nope")
