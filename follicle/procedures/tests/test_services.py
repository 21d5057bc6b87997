"""The treatment room's rules: the safety check, lots and stock, injections, signing and addenda."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from follicle.core.models import AuditEvent
from follicle.formulations.models import LotMovement
from follicle.patients.models import Answer
from follicle.patients.services import consent_withdraw
from follicle.procedures import services
from follicle.procedures.models import CheckResult, RecordStatus, SessionLot
from follicle.procedures.tests.conftest import MONDAY, SAFE_ANSWERS, at, complete
from follicle.scheduling.models import AppointmentStatus
from follicle.treatments.models import SessionStatus
from follicle.treatments.tests.conftest import screen


def check(ready, auditor, **answers):
    return services.safety_check_record(
        appointment=ready["appointment"], auditor=auditor, **(SAFE_ANSWERS | answers)
    )


# --------------------------------------------------------------------------- the safety check
class TestSafetyCheck:
    def test_clear_when_nothing_is_wrong(self, ready, nurse):
        result = check(ready, nurse)
        assert result.result == CheckResult.CLEAR
        assert result.passed
        assert result.hard_stops == [] and result.cautions == []

    def test_pregnancy_today_is_a_hard_stop_with_sources(self, ready, nurse):
        result = check(ready, nurse, pregnant_or_breastfeeding="yes")
        assert result.result == CheckResult.BLOCKED
        assert not result.passed
        [stop] = result.hard_stops
        assert stop["code"] == "same_day:pregnancy_breastfeeding"
        assert stop["sources"], "a hard stop from the catalogue shows its sources"

    def test_scalp_infection_is_a_hard_stop(self, ready, nurse):
        result = check(ready, nurse, scalp_infection_or_wound="yes")
        assert [s["code"] for s in result.hard_stops] == ["same_day:active_scalp_infection_or_dermatosis"]

    @pytest.mark.parametrize(
        ("answers", "code"),
        [
            ({"new_anticoagulant": "yes"}, "same_day:anticoagulants_bleeding_disorders"),
            ({"feeling_unwell": "yes"}, "same_day:other_clinic_listed"),
            ({"new_medicines": "yes", "medicines_detail": "Biotin 10 mg"}, "same_day:new_medicines"),
            ({"previous_effects_resolved": "no"}, "same_day:previous_effects_unresolved"),
        ],
    )
    def test_cautions(self, ready, nurse, answers, code):
        result = check(ready, nurse, **answers)
        assert result.result == CheckResult.CAUTION
        assert [c["code"] for c in result.cautions] == [code]
        assert result.needs_acknowledgement and not result.passed

    def test_new_medicines_must_be_named(self, ready, nurse):
        with pytest.raises(ValidationError) as exc:
            check(ready, nurse, new_medicines="yes")
        assert "medicines_detail" in exc.value.message_dict

    def test_every_question_must_be_answered(self, ready, nurse):
        answers = dict(SAFE_ANSWERS)
        del answers["feeling_unwell"]
        with pytest.raises(ValidationError) as exc:
            services.safety_check_record(appointment=ready["appointment"], auditor=nurse, **answers)
        assert "feeling_unwell" in exc.value.message_dict

    def test_withdrawn_consent_is_a_hard_stop(self, ready, nurse, auditor):
        consent = ready["patient"].consents.get(kind="treatment")
        consent_withdraw(consent=consent, auditor=auditor, reason="Changed her mind")
        result = check(ready, nurse)
        assert "consent_missing" in [s["code"] for s in result.hard_stops]

    def test_paused_plan_is_a_hard_stop(self, ready, nurse, auditor):
        from follicle.treatments.services import plan_status_change

        plan_status_change(plan=ready["plan"], auditor=auditor, to_status="paused", reason="Travelling")
        result = check(ready, nurse)
        assert "plan_not_active" in [s["code"] for s in result.hard_stops]

    def test_screening_out_of_date_is_a_hard_stop(self, ready, nurse, auditor):
        from follicle.patients.models import MedicalHistory
        from follicle.patients.services import history_record

        values = {name: Answer.NO for name in MedicalHistory.YES_NO_FIELDS} | {"diabetes": Answer.YES}
        history_record(patient=ready["patient"], auditor=auditor, **values)
        result = check(ready, nurse)
        assert "screening_out_of_date" in [s["code"] for s in result.hard_stops]

    def test_new_screening_caution_needs_acknowledging_at_the_session(self, ready, nurse, auditor):
        screen(ready["patient"], auditor, result="caution", diabetes=Answer.YES)
        result = check(ready, nurse)
        assert result.result == CheckResult.CAUTION
        assert any(c["code"].startswith("screening_caution:") for c in result.cautions)

    def test_open_adverse_event_is_a_caution_and_a_serious_one_a_hard_stop(self, ready, nurse):
        from follicle.safety.services import adverse_event_report

        event = adverse_event_report(
            patient=ready["patient"], auditor=nurse, term="bruising_haematoma", grade=1, onset_date=MONDAY
        )
        result = check(ready, nurse)
        assert [c["code"] for c in result.cautions] == [f"open_event:{event.uuid}"]
        adverse_event_report(
            patient=ready["patient"],
            auditor=nurse,
            term="allergic_reaction",
            grade=3,
            onset_date=MONDAY,
            serious=True,
            seriousness_criteria=["medically_important"],
        )
        assert check(ready, nurse).result == CheckResult.BLOCKED

    def test_only_on_the_day_and_checked_in(self, ready, nurse, clock):
        from follicle.scheduling.services import appointment_set_status

        clock.move_to(at(MONDAY + dt.timedelta(days=1), 9))
        with pytest.raises(ValidationError, match="day of the appointment"):
            check(ready, nurse)
        clock.move_to(at(MONDAY, 9, 56))
        appointment_set_status(
            appointment=ready["appointment"], auditor=nurse, to_status="cancelled", reason="Ill"
        )
        with pytest.raises(ValidationError, match="Check the patient in first"):
            check(ready, nurse)

    def test_acknowledgement_by_a_practitioner_only(self, ready, nurse, doctor):
        result = check(ready, nurse, new_anticoagulant="yes")
        with pytest.raises(PermissionDenied):
            services.safety_check_acknowledge(check=result, auditor=nurse)
        services.safety_check_acknowledge(
            check=result, auditor=doctor, note="Apixaban; pressure after each point"
        )
        result.refresh_from_db()
        assert result.passed and result.acknowledged_by == doctor.actor
        with pytest.raises(ValidationError, match="already acknowledged"):
            services.safety_check_acknowledge(check=result, auditor=doctor)

    def test_a_hard_stop_cannot_be_acknowledged(self, ready, nurse, doctor):
        result = check(ready, nurse, pregnant_or_breastfeeding="yes")
        with pytest.raises(ValidationError, match="hard stop"):
            services.safety_check_acknowledge(check=result, auditor=doctor)


# --------------------------------------------------------------------------- opening the record
class TestStart:
    def test_needs_a_check(self, ready, nurse):
        with pytest.raises(ValidationError, match="safety check first"):
            services.session_start(appointment=ready["appointment"], auditor=nurse)

    def test_blocked_check_refuses_with_reasons(self, ready, nurse):
        check(ready, nurse, pregnant_or_breastfeeding="yes")
        with pytest.raises(ValidationError, match="hard stop"):
            services.session_start(appointment=ready["appointment"], auditor=nurse)

    def test_unacknowledged_caution_refuses(self, ready, nurse, doctor):
        result = check(ready, nurse, feeling_unwell="yes")
        with pytest.raises(ValidationError, match="acknowledge"):
            services.session_start(appointment=ready["appointment"], auditor=nurse)
        services.safety_check_acknowledge(check=result, auditor=doctor)
        record = services.session_start(appointment=ready["appointment"], auditor=nurse)
        assert record.safety_check == result

    def test_a_newer_blocking_check_wins(self, ready, nurse):
        check(ready, nurse)
        check(ready, nurse, scalp_infection_or_wound="yes")
        with pytest.raises(ValidationError, match="hard stop"):
            services.session_start(appointment=ready["appointment"], auditor=nurse)

    def test_a_new_check_reaches_the_open_draft(self, started, nurse, doctor):
        from follicle.procedures.tests.conftest import complete

        record = started["record"]
        complete(record, started, nurse)
        blocked = check(started, nurse, scalp_infection_or_wound="yes")
        record.refresh_from_db()
        assert record.safety_check == blocked
        assert "The safety check has not passed." in services.sign_problems(record)
        with pytest.raises(ValidationError):
            services.session_sign(record=record, auditor=doctor)

    def test_defaults_from_the_plan_and_idempotent(self, ready, nurse):
        check(ready, nurse)
        record = services.session_start(appointment=ready["appointment"], auditor=nurse)
        assert record.technique == "nappage"
        assert record.prepared_volume_ml == Decimal("2")  # the protocol's volume per session
        assert record.practitioner == ready["appointment"].practitioner
        assert record.formulation_version == ready["version"]
        assert services.session_start(appointment=ready["appointment"], auditor=nurse).pk == record.pk

    def test_consultation_without_plan_session_has_no_record(self, ready, nurse):
        appointment = ready["appointment"]
        appointment.planned_session = None
        appointment.save(update_fields=["planned_session"])
        with pytest.raises(ValidationError, match="treatment plan"):
            check(ready, nurse)


# --------------------------------------------------------------------------- lots and stock
class TestLots:
    def test_stock_is_taken_per_product(self, started, nurse):
        record, lots = started["record"], started["lots"]
        services.session_lot_set(
            record=record, product=started["mix"], lot=lots["mix"], auditor=nurse, vials=2
        )
        services.session_lot_set(record=record, product=started["lido"], lot=lots["lido"], auditor=nurse)
        lots["mix"].refresh_from_db()
        lots["lido"].refresh_from_db()
        assert (lots["mix"].quantity_left, lots["lido"].quantity_left) == (8, 3)
        assert {line.product.name: line.lot.lot_number for line in record.lots.all()} == {
            "Hair cocktail": "MIX-001",
            "Lidocaine 1%": "LID-7",
        }

    def test_expired_lot_refused_and_stock_untouched(self, started, nurse):
        lot = started["lots"]["mix_expired"]
        with pytest.raises(ValidationError, match="expired"):
            services.session_lot_set(record=started["record"], product=started["mix"], lot=lot, auditor=nurse)
        lot.refresh_from_db()
        assert lot.quantity_left == 5
        assert not SessionLot.objects.exists()

    def test_exhausted_lot_refused(self, started, nurse):
        with pytest.raises(ValidationError, match="no vials left"):
            services.session_lot_set(
                record=started["record"],
                product=started["lido"],
                lot=started["lots"]["lido_empty"],
                auditor=nurse,
            )

    def test_lot_of_another_product_refused(self, started, nurse):
        with pytest.raises(ValidationError, match="not a lot of"):
            services.session_lot_set(
                record=started["record"], product=started["mix"], lot=started["lots"]["lido"], auditor=nurse
            )

    def test_product_outside_the_formulation_refused(self, started, nurse, clinic):
        from follicle.formulations.models import Product

        other = Product.objects.create(clinic=clinic, name="Biotin", volume_per_vial_ml=Decimal("1"))
        with pytest.raises(ValidationError, match="not part of this formulation"):
            services.session_lot_set(
                record=started["record"], product=other, lot=started["lots"]["mix"], auditor=nurse
            )

    def test_replacing_or_removing_a_lot_returns_its_vials(self, started, nurse, auditor):
        from follicle.formulations.services import lot_receive

        record, mix = started["record"], started["mix"]
        with time_machine.travel(at(dt.date(2029, 1, 10), 9), tick=False):
            second = lot_receive(
                product=mix,
                auditor=auditor,
                lot_number="MIX-002",
                expiry_date=dt.date(2031, 2, 1),
                quantity=3,
            )
        first = started["lots"]["mix"]
        services.session_lot_set(record=record, product=mix, lot=first, auditor=nurse, vials=2)
        services.session_lot_set(record=record, product=mix, lot=second, auditor=nurse, vials=1)
        first.refresh_from_db()
        second.refresh_from_db()
        assert (first.quantity_left, second.quantity_left) == (10, 2)
        assert first.movements.filter(kind=LotMovement.Kind.RETURN, change=2).exists()
        services.session_lot_remove(record=record, product=mix, auditor=nurse)
        second.refresh_from_db()
        assert second.quantity_left == 3
        assert not record.lots.exists()

    def test_last_vial_cannot_be_taken_twice(self, started, nurse, auditor):
        from follicle.formulations.services import lot_adjust

        lot = started["lots"]["lido"]
        lot_adjust(lot=lot, auditor=auditor, change=-3, reason="Recount")
        services.session_lot_set(record=started["record"], product=started["lido"], lot=lot, auditor=nurse)
        lot.refresh_from_db()
        assert lot.quantity_left == 0
        # Asking for two now: the vial already taken goes back first, and still only one is there.
        with pytest.raises(ValidationError, match="Only 1 vials"):
            services.session_lot_set(
                record=started["record"], product=started["lido"], lot=lot, auditor=nurse, vials=2
            )
        lot.refresh_from_db()
        assert lot.quantity_left == 0, "the failed change rolled back whole"
        assert started["record"].lots.get().vials == 1


# --------------------------------------------------------------------------- injections
class TestInjections:
    def test_zones_replace_and_total(self, started, nurse):
        record = started["record"]
        services.session_zones_set(
            record=record, auditor=nurse, zones={"vertex": (40, "1.5"), "frontal": (20, "0.5")}
        )
        services.session_zones_set(
            record=record, auditor=nurse, zones={"vertex": (50, "1.8"), "frontal": (0, 0)}
        )
        assert {z.zone: (z.points, z.volume_ml) for z in record.zones.all()} == {
            "vertex": (50, Decimal("1.8"))
        }
        assert services.record_total_volume(record) == Decimal("1.8")

    def test_more_than_prepared_refused(self, started, nurse):
        with pytest.raises(ValidationError, match="more than the 2.00 mL prepared"):
            services.session_zones_set(
                record=started["record"], auditor=nurse, zones={"vertex": (40, "1.5"), "occipital": (30, "1")}
            )
        assert not started["record"].zones.exists()

    def test_half_filled_zone_and_unknown_zone_refused(self, started, nurse):
        with pytest.raises(ValidationError) as exc:
            services.session_zones_set(
                record=started["record"], auditor=nurse, zones={"vertex": (40, None), "neck": (5, "0.1")}
            )
        assert "vertex" in exc.value.message_dict and "zones" in exc.value.message_dict

    def test_prepared_volume_cannot_drop_below_what_was_injected(self, started, nurse):
        services.session_zones_set(record=started["record"], auditor=nurse, zones={"vertex": (40, "1.8")})
        with pytest.raises(ValidationError) as exc:
            services.session_update(record=started["record"], auditor=nurse, prepared_volume_ml=Decimal("1"))
        assert "prepared_volume_ml" in exc.value.message_dict

    def test_times_and_pain_validated(self, started, nurse):
        with pytest.raises(ValidationError):
            services.session_update(record=started["record"], auditor=nurse, pain_score=11)
        with pytest.raises(ValidationError):
            services.session_update(
                record=started["record"], auditor=nurse, started_at=at(MONDAY, 11), ended_at=at(MONDAY, 10)
            )
        with pytest.raises(ValidationError, match="four hours"):
            services.session_update(
                record=started["record"], auditor=nurse, started_at=at(MONDAY, 8), ended_at=at(MONDAY, 13)
            )


# --------------------------------------------------------------------------- signing and addenda
class TestSigning:
    def test_what_is_missing(self, started):
        problems = services.sign_problems(started["record"])
        text = " ".join(problems)
        for expected in (
            "Hair cocktail",
            "Lidocaine",
            "scalp map",
            "pain score",
            "start and end",
            "minoxidil",
        ):
            assert expected.lower() in text.lower()

    def test_nurse_cannot_sign(self, started, nurse):
        complete(started["record"], started, nurse)
        with pytest.raises(PermissionDenied):
            services.session_sign(record=started["record"], auditor=nurse)

    def test_incomplete_record_cannot_be_signed(self, started, doctor):
        with pytest.raises(ValidationError):
            services.session_sign(record=started["record"], auditor=doctor)

    def test_signing_locks_and_completes_the_session(self, started, nurse, doctor):
        record = started["record"]
        complete(record, started, nurse)
        record = services.session_sign(record=record, auditor=doctor)
        assert record.status == RecordStatus.SIGNED and record.signed_by == doctor.actor
        assert len(record.signed_hash) == 64 and services.signature_intact(record)
        started["session"].refresh_from_db()
        started["appointment"].refresh_from_db()
        assert started["session"].status == SessionStatus.DONE
        assert started["appointment"].status == AppointmentStatus.DONE
        assert AuditEvent.objects.filter(action="session.sign", object_id=str(record.uuid)).exists()

    def test_signed_record_is_locked(self, started, nurse, doctor):
        record = started["record"]
        complete(record, started, nurse)
        record = services.session_sign(record=record, auditor=doctor)
        lot = started["lots"]["mix"]
        lot.refresh_from_db()
        left = lot.quantity_left
        attempts = [
            lambda: services.session_update(record=record, auditor=doctor, pain_score=9),
            lambda: services.session_zones_set(record=record, auditor=doctor, zones={"vertex": (1, "0.1")}),
            lambda: services.session_lot_set(
                record=record, product=started["mix"], lot=lot, auditor=doctor, vials=3
            ),
            lambda: services.session_lot_remove(record=record, product=started["mix"], auditor=doctor),
            lambda: services.session_therapies_confirm(record=record, auditor=doctor, confirmations={}),
            lambda: services.session_sign(record=record, auditor=doctor),
        ]
        for attempt in attempts:
            with pytest.raises(ValidationError, match="locked"):
                attempt()
        record.refresh_from_db()
        lot.refresh_from_db()
        assert record.pain_score == 3 and lot.quantity_left == left
        assert services.signature_intact(record)

    def test_tampering_shows_in_the_signature_check(self, started, nurse, doctor):
        from follicle.procedures.models import InjectionZone

        record = started["record"]
        complete(record, started, nurse)
        record = services.session_sign(record=record, auditor=doctor)
        assert services.signature_intact(record)
        InjectionZone.objects.filter(record=record, zone="vertex").update(points=99)
        assert not services.signature_intact(record)

    def test_addenda_with_who_and_when(self, started, nurse, doctor):
        record = started["record"]
        with pytest.raises(ValidationError, match="not signed yet"):
            services.session_addendum_add(record=record, text="x", auditor=nurse)
        complete(record, started, nurse)
        record = services.session_sign(record=record, auditor=doctor)
        with pytest.raises(ValidationError):
            services.session_addendum_add(record=record, text="  ", auditor=nurse)
        addendum = services.session_addendum_add(
            record=record, text="Vertex was 45 points, not 40.", auditor=nurse
        )
        assert addendum.author == nurse.actor and addendum.at is not None
        assert services.signature_intact(record), "an addendum does not change the signed content"

    def test_entered_in_error_by_a_practitioner_with_a_reason(self, started, nurse, doctor):
        record = started["record"]
        with pytest.raises(PermissionDenied):
            services.session_mark_in_error(record=record, reason="Wrong patient", auditor=nurse)
        with pytest.raises(ValidationError):
            services.session_mark_in_error(record=record, reason="", auditor=doctor)
        record = services.session_mark_in_error(record=record, reason="Wrong patient", auditor=doctor)
        assert record.status == RecordStatus.ENTERED_IN_ERROR
        with pytest.raises(ValidationError, match="entered in error"):
            services.session_update(record=record, auditor=doctor, pain_score=1)


# --------------------------------------------------------------------------- traceability
class TestTraceability:
    def test_lot_recipients_and_sections(self, started, nurse, doctor):
        from follicle.formulations.lots import lot_trace_sections
        from follicle.formulations.selectors import lot_recipients

        record = started["record"]
        complete(record, started, nurse)
        services.session_sign(record=record, auditor=doctor)
        lot = started["lots"]["mix"]
        assert lot_recipients(lot) == [started["patient"]]
        assert lot_recipients(started["lots"]["mix_expired"]) == []
        sessions = next(s for s in lot_trace_sections(lot) if s.key == "sessions")
        assert [row.patient for row in sessions.rows] == [started["patient"]]
        assert str(record.uuid) in sessions.rows[0].url

    def test_records_in_error_are_not_traced_as_given(self, started, nurse, doctor):
        from follicle.formulations.selectors import lot_recipients

        record = started["record"]
        services.session_lot_set(
            record=record, product=started["mix"], lot=started["lots"]["mix"], auditor=nurse
        )
        services.session_mark_in_error(record=record, reason="Duplicate", auditor=doctor)
        assert lot_recipients(started["lots"]["mix"]) == []
