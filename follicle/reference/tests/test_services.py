"""Loading the reference data: every kind, sources and verification kept, idempotent, fails cleanly."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from follicle.core.audit import Auditor
from follicle.core.models import AuditEvent
from follicle.reference.loader import DEFAULT_DATA_DIR, ReferenceDataError, parse_file
from follicle.reference.models import ReferenceDataset, ReferenceEntry, Verification
from follicle.reference.services import AUDIT_LABEL, reference_load

Kind = ReferenceEntry.Kind
SHARED = Path(__file__).resolve().parents[4] / "shared" / "reference"

EXPECTED_COUNTS = {
    Kind.MECHANISM: 6,
    Kind.INGREDIENT: 30,
    Kind.CONTRAINDICATION: 22,
    Kind.ADVERSE_EVENT: 14,
    Kind.SCALE: 9,
    Kind.DIAGNOSIS: 6,
    Kind.OUTCOME_MEASURE: 11,
    Kind.EFFECT_SIZE: 13,
    Kind.INJECTION_TECHNIQUE: 4,
    Kind.PROTOCOL: 15,
    Kind.PROTOCOL_PARAMETER: 6,
    Kind.HAIR_CYCLE_PHASE: 4,
    Kind.SCALP_PARAMETER: 6,
    Kind.HAIR_CYCLE_MODEL: 5,
}


def _load(data_dir=DEFAULT_DATA_DIR):
    return reference_load(auditor=Auditor.system(label=AUDIT_LABEL), data_dir=data_dir)


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_data_files_ship_inside_the_package():
    names = sorted(p.name for p in DEFAULT_DATA_DIR.glob("*.yaml"))
    assert len(names) == 7 and (DEFAULT_DATA_DIR / "SOURCES.md").exists()
    if SHARED.exists():  # in the development tree: byte-identical to the published research files
        assert all(filecmp.cmp(DEFAULT_DATA_DIR / n, SHARED / n, shallow=False) for n in names)


@pytest.mark.django_db
class TestReferenceLoad:
    def test_every_kind_with_expected_counts(self, reference):
        counts = {kind: ReferenceEntry.objects.filter(kind=kind).count() for kind in Kind}
        assert counts == EXPECTED_COUNTS
        assert ReferenceDataset.objects.count() == 7
        assert all(d.status == "loaded" for d in reference.datasets)
        assert sum(d.entries for d in reference.datasets) == sum(EXPECTED_COUNTS.values())

    def test_entries_keep_data_sources_verification_and_evidence(self, reference):
        dutasteride = ReferenceEntry.objects.get(kind=Kind.INGREDIENT, key="dutasteride")
        assert dutasteride.name == "Dutasteride"
        assert dutasteride.verification == Verification.PARTIALLY_VERIFIED
        assert dutasteride.evidence_level == "RCT"
        assert dutasteride.data["claimed_mechanisms"] == ["dht_blockade"]
        assert len(dutasteride.sources) == 7 and dutasteride.sources[0].startswith("Abdallah M")
        assert any("Spanish practice" in fact for fact in dutasteride.unverified_facts)
        assert dutasteride.version == ReferenceDataset.objects.get(name="ingredients").version

        pregnancy = ReferenceEntry.objects.get(kind=Kind.CONTRAINDICATION, key="pregnancy_breastfeeding")
        assert pregnancy.name == "Pregnancy or breastfeeding" and pregnancy.data["type"] == "absolute"
        unverified = ReferenceEntry.objects.get(
            kind=Kind.CONTRAINDICATION, key="anticoagulants_bleeding_disorders"
        )
        assert unverified.verification == Verification.UNVERIFIED and unverified.sources == []
        protocol = ReferenceEntry.objects.get(kind=Kind.PROTOCOL, key="dutasteride_real_world_spain")
        assert protocol.evidence_level == "case_series" and protocol.name.startswith(
            "Dutasteride mesotherapy"
        )

    def test_keys_for_entries_without_ids(self, reference):
        mechanism = ReferenceEntry.objects.get(kind=Kind.MECHANISM, key="dht_blockade")
        assert mechanism.name == "(2) DHT blockade"
        parameter = ReferenceEntry.objects.get(kind=Kind.PROTOCOL_PARAMETER, key="max_needle_penetration")
        assert parameter.name == "Max needle penetration" and parameter.verification == Verification.VERIFIED
        effect_keys = list(ReferenceEntry.objects.filter(kind=Kind.EFFECT_SIZE).values_list("key", flat=True))
        assert len(set(effect_keys)) == 13 and all(len(k) <= 60 for k in effect_keys)
        assert "minoxidil-5-foam-men-rct-16-wk-n352" in effect_keys
        finasteride = ReferenceEntry.objects.get(kind=Kind.EFFECT_SIZE, key__startswith="finasteride-1-mg")
        assert finasteride.name == "Finasteride 1 mg/day oral (men)" and finasteride.verification == ""

    def test_effect_size_keys_repeat_with_a_suffix(self, data_dir):
        def duplicate(data):
            data["effect_sizes"].append(dict(data["effect_sizes"][0], result="another report"))

        _edit(data_dir / "outcome_measures.yaml", duplicate)
        keys = [
            e.key
            for e in parse_file(data_dir / "outcome_measures.yaml").entries
            if e.kind == Kind.EFFECT_SIZE
        ]
        assert keys[-1] == keys[0] + "-2"

    def test_hair_cycle_source_refs_become_citations(self, reference):
        anagen = ReferenceEntry.objects.get(kind=Kind.HAIR_CYCLE_PHASE, key="anagen")
        assert len(anagen.sources) == 6  # nested source_ref in duration and fractions, once each
        assert anagen.sources[0].startswith("Article on hair shedding in women")
        assert anagen.sources[1].startswith("Wolfram LJ. Human hair")
        model = ReferenceEntry.objects.get(kind=Kind.HAIR_CYCLE_MODEL, key="halloy_2000_follicular_automaton")
        assert (
            model.sources[0].startswith("Halloy J, Bernard BA")
            and "Bernard BA. The human hair" in model.sources[1]
        )
        assert model.data["source_refs"] == ["halloy_2000", "bernard_2012"]  # data kept as in the file
        density = ReferenceEntry.objects.get(kind=Kind.SCALP_PARAMETER, key="density_by_population")
        assert any(s.startswith("Barman JM") for s in density.sources)

    def test_non_entry_parts_go_to_the_dataset_document(self, reference):
        documents = {d.name: d.document for d in ReferenceDataset.objects.all()}
        assert set(documents["adverse_events"]) == {"overview", "no_events_reported"}
        assert set(documents["ingredients"]) == {"general_notes"}
        assert set(documents["outcome_measures"]) == {"verification_summary"}
        assert set(documents["protocols"]) == {"maintenance_and_durability"}
        assert {"aga_dynamics", "sources", "bibliographic_details_unverified"} <= set(documents["hair_cycle"])
        assert documents["classification_scales"] == {}

    def test_one_audit_row_per_dataset(self, reference):
        events = AuditEvent.objects.filter(action="reference.load")
        assert events.count() == 7 and {e.actor_label for e in events} == {AUDIT_LABEL}
        event = events.get(detail__dataset="contraindications")
        dataset = ReferenceDataset.objects.get(name="contraindications")
        assert event.detail == {
            "dataset": "contraindications",
            "version": dataset.version,
            "entries": 22,
            "retired": 0,
        }

    def test_second_load_writes_nothing(self, reference, django_assert_max_num_queries):
        audit_rows = AuditEvent.objects.count()
        stamps = dict(ReferenceDataset.objects.values_list("name", "loaded_at"))
        with django_assert_max_num_queries(10):
            report = _load()
        assert [d.status for d in report.datasets] == ["unchanged"] * 7 and report.changed == []
        assert AuditEvent.objects.count() == audit_rows
        assert dict(ReferenceDataset.objects.values_list("name", "loaded_at")) == stamps

    def test_changed_file_updates_in_place_and_retires(self, data_dir):
        _load(data_dir)
        ludwig_pk = ReferenceEntry.objects.get(kind=Kind.SCALE, key="ludwig").pk
        old_version = ReferenceDataset.objects.get(name="classification_scales").version

        def change(data):
            ludwig = next(s for s in data["scales"] if s["id"] == "ludwig")
            ludwig["verification"] = "unverified"
            data["scales"] = [s for s in data["scales"] if s["id"] != "ebling_rook"]

        _edit(data_dir / "classification_scales.yaml", change)
        report = _load(data_dir)
        changed = {d.name: d for d in report.changed}
        assert set(changed) == {"classification_scales"}
        assert (
            changed["classification_scales"].retired == 1 and changed["classification_scales"].entries == 14
        )

        ludwig = ReferenceEntry.objects.get(kind=Kind.SCALE, key="ludwig")
        dataset = ReferenceDataset.objects.get(name="classification_scales")
        assert ludwig.pk == ludwig_pk and ludwig.verification == Verification.UNVERIFIED
        assert dataset.version != old_version and ludwig.version == dataset.version
        retired = ReferenceEntry.objects.get(kind=Kind.SCALE, key="ebling_rook")  # kept, never deleted
        assert retired.is_current is False and retired.version == old_version
        assert ReferenceEntry.objects.filter(kind=Kind.SCALE).count() == 9
        event = AuditEvent.objects.filter(action="reference.load").latest("seq")
        assert event.detail["retired"] == 1 and event.detail["version"] == dataset.version

    def test_entry_that_comes_back_is_current_again(self, data_dir):
        path = data_dir / "classification_scales.yaml"
        original = path.read_bytes()
        _load(data_dir)
        _edit(path, lambda data: data.update(scales=[s for s in data["scales"] if s["id"] != "salt"]))
        _load(data_dir)
        assert not ReferenceEntry.objects.get(kind=Kind.SCALE, key="salt").is_current
        path.write_bytes(original)
        _load(data_dir)
        assert ReferenceEntry.objects.get(kind=Kind.SCALE, key="salt").is_current


@pytest.mark.django_db
class TestBadFiles:
    def test_wrong_schema_version(self, data_dir):
        path = data_dir / "contraindications.yaml"
        path.write_text(path.read_text(encoding="utf-8").replace("schema_version: 1", "schema_version: 2"))
        with pytest.raises(ReferenceDataError, match="contraindications.yaml: schema_version is 2"):
            _load(data_dir)
        assert not ReferenceEntry.objects.exists() and not ReferenceDataset.objects.exists()
        assert not AuditEvent.objects.filter(action="reference.load").exists()

    def test_malformed_yaml_stores_nothing(self, data_dir):
        (data_dir / "protocols.yaml").write_text("schema_version: 1\nprotocols: [unclosed\n")
        with pytest.raises(ReferenceDataError, match="protocols.yaml: not valid YAML"):
            _load(data_dir)
        assert not ReferenceEntry.objects.exists() and not ReferenceDataset.objects.exists()

    def test_broken_file_after_a_good_load_leaves_the_catalogue_as_it_was(self, data_dir):
        _load(data_dir)
        before = list(ReferenceEntry.objects.order_by("pk").values_list("pk", "version", "is_current"))
        _edit(data_dir / "ingredients.yaml", lambda data: data["ingredients"][0].update(verification="maybe"))
        _edit(data_dir / "adverse_events.yaml", lambda data: data["adverse_events"].pop())
        with pytest.raises(
            ReferenceDataError, match="ingredients.yaml: ingredients: unknown verification 'maybe'"
        ):
            _load(data_dir)
        assert (
            list(ReferenceEntry.objects.order_by("pk").values_list("pk", "version", "is_current")) == before
        )

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            (lambda d: d["scales"][0].pop("id"), "every scale entry needs an id"),
            (lambda d: d["scales"].append(dict(d["scales"][0])), "scale 'hamilton_norwood' appears twice"),
            (lambda d: d.pop("diagnoses"), "missing section"),
            (lambda d: d["scales"][0].update(sources="x", unverified_facts=[1]), "unverified_facts must be"),
            (lambda d: d["diagnoses"][0].update(evidence={"level": "anecdote"}), "unknown evidence level"),
            (lambda d: d["scales"][0].update(id="Bad Key!"), "not a usable key"),
        ],
    )
    def test_invalid_entries_are_named(self, data_dir, change, message):
        _edit(data_dir / "classification_scales.yaml", change)
        with pytest.raises(ReferenceDataError, match=message):
            parse_file(data_dir / "classification_scales.yaml")

    def test_unknown_source_ref(self, data_dir):
        _edit(data_dir / "hair_cycle.yaml", lambda d: d["models"][0]["source_refs"].append("nobody_2099"))
        with pytest.raises(ReferenceDataError, match="unknown source reference.*nobody_2099"):
            parse_file(data_dir / "hair_cycle.yaml")

    def test_unknown_file_and_empty_folder(self, data_dir, tmp_path):
        (data_dir / "extra.yaml").write_text("schema_version: 1\n")
        with pytest.raises(ReferenceDataError, match="extra.yaml: not a known reference data file"):
            _load(data_dir)
        empty = tmp_path / "empty"
        empty.mkdir()
        with pytest.raises(ReferenceDataError, match="No reference data files"):
            _load(empty)


@pytest.mark.django_db
class TestLoadReferenceCommand:
    def test_loads_then_reports_unchanged(self, capsys):
        call_command("load_reference", "--no-progress")
        out = capsys.readouterr().out
        assert "contraindications: loaded, 22 entries" in out and "7 datasets loaded, 0 unchanged." in out
        call_command("load_reference")
        out = capsys.readouterr().out
        assert "ingredients: unchanged, 36 entries" in out and "0 datasets loaded, 7 unchanged." in out

    def test_reports_retired_entries(self, data_dir, capsys):
        call_command("load_reference", "--data-dir", str(data_dir), "--no-progress")
        _edit(data_dir / "adverse_events.yaml", lambda d: d["adverse_events"].pop())
        call_command("load_reference", "--data-dir", str(data_dir), "--no-progress")
        assert "adverse_events: loaded, 13 entries (1 no longer current)" in capsys.readouterr().out

    def test_malformed_file_exits_non_zero_and_stores_nothing(self, data_dir):
        (data_dir / "hair_cycle.yaml").write_text("schema_version: 1\nphases:\n  - id: [\n")
        with pytest.raises(
            CommandError, match="Reference data not loaded: hair_cycle.yaml: not valid YAML"
        ) as exc:
            call_command("load_reference", "--data-dir", str(data_dir), "--no-progress")
        assert exc.value.returncode == 1
        assert not ReferenceEntry.objects.exists() and not ReferenceDataset.objects.exists()
