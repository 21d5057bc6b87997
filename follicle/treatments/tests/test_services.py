"""Services: default protocols from the reference data, plans, status workflow, the patient check,
one active plan per patient, shifting sessions."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from follicle.core.models import AuditEvent
from follicle.patients.models import Answer
from follicle.patients.services import history_record
from follicle.reference.models import ReferenceEntry
from follicle.reference.selectors import entry_get
from follicle.treatments import services
from follicle.treatments.checks import run_patient_check
from follicle.treatments.models import (
    PlanAcknowledgement,
    PlannedSession,
    PlanStatusChange,
    ProtocolTemplate,
    SessionDateChange,
    TreatmentPlan,
)
from follicle.treatments.tests.conftest import MONDAY, screen


def ref(key):
    return entry_get(kind=ReferenceEntry.Kind.PROTOCOL, key=key)


@pytest.mark.django_db
class TestDefaultProtocols:
    def test_installed_templates_derive_from_the_reference(self, clinic, catalogue, auditor):
        created = services.protocol_templates_install_defaults(clinic=clinic, auditor=auditor)
        assert 3 <= len(created) <= 4
        for template in created:
            assert template.source_keys
            expected = [s for key in template.source_keys for s in ref(key).sources]
            assert template.source_citations == list(dict.fromkeys(expected))
            assert template.source_citations  # every default cites its trial
            assert all(p.source.split(" · ")[0] in template.source_keys for p in template.phases.all())
        # Installing twice adds nothing.
        assert services.protocol_templates_install_defaults(clinic=clinic, auditor=auditor) == []
        assert AuditEvent.objects.filter(action="protocol_template.install_defaults").count() == 2

    def test_abdallah_schedule_matches_the_trial_weeks(self, clinic, catalogue, auditor):
        services.protocol_templates_install_defaults(clinic=clinic, auditor=auditor)
        template = ProtocolTemplate.objects.get(clinic=clinic, source_keys=["dutasteride_abdallah_2009"])
        entry = ref("dutasteride_abdallah_2009")
        weeks = [int(w) for w in re.match(r"Weeks ([\d, ]+)", entry.data["schedule"]).group(1).split(",")]
        offsets, day = [0], 0
        for phase in template.phases.all():
            for i in range(phase.sessions):
                if (phase.position, i) != (1, 0):
                    day += phase.interval_days
                    offsets.append(day)
        assert [o // 7 for o in offsets] == weeks
        assert sum(p.sessions for p in template.phases.all()) == entry.data["sessions"]
        # Read from the reference: the technique; left empty where the trial is silent.
        assert template.technique == entry.data["technique"] == "nappage"
        assert template.volume_ml is None and template.needle == "" and template.depth_mm is None
        assert template.field_sources["volume_ml"]["value"] is None
        assert template.zones == []

    def test_numbers_come_from_the_reference_or_stay_empty(self, clinic, catalogue, auditor):
        services.protocol_templates_install_defaults(clinic=clinic, auditor=auditor)
        uzel = ProtocolTemplate.objects.get(clinic=clinic, source_keys=["minoxidil_uzel_2021"])
        assert uzel.volume_ml == Decimal(str(ref("minoxidil_uzel_2021").data["volume_per_session_ml"]))
        assert uzel.technique == ""  # "intradermal injections over affected scalp" is no catalogue technique
        maintenance = ProtocolTemplate.objects.get(
            clinic=clinic, source_keys=["dutasteride_abdallah_2009", "dutasteride_real_world_spain"]
        )
        last = maintenance.phases.last()
        assert last.sessions is None and "every 3 months" in last.source
        # "1 (secondary summary)" is not a plain number: left for the clinic.
        assert maintenance.volume_ml is None
        assert maintenance.checkpoints_months == [0, 3, 6, 12]

    def test_a_wrong_transcription_is_refused(self, catalogue):
        spec = {
            "name": "Bad",
            "derives_from": ["dutasteride_abdallah_2009"],
            "phases": [
                {"name": "Weekly", "sessions": 5, "interval_days": 7, "from": "dutasteride_abdallah_2009"}
            ],
        }
        protocols = {e.key: e for e in ReferenceEntry.objects.filter(kind="protocol")}
        with pytest.raises(ValidationError, match="reports 7"):
            services.default_template_values(spec, protocols)

    def test_needs_the_catalogue(self, clinic, auditor):
        with pytest.raises(ValidationError, match="Load the reference catalogue"):
            services.protocol_templates_install_defaults(clinic=clinic, auditor=auditor)


@pytest.mark.django_db
class TestProtocolTemplates:
    def test_only_the_last_phase_is_open_ended(self, clinic, auditor):
        with pytest.raises(ValidationError, match="last phase"):
            services.protocol_template_create(
                clinic=clinic,
                auditor=auditor,
                name="X",
                phases=[{"sessions": None, "interval_days": 30}, {"sessions": 2, "interval_days": 7}],
            )

    def test_interval_range(self, clinic, auditor):
        with pytest.raises(ValidationError):
            services.protocol_template_create(
                clinic=clinic,
                auditor=auditor,
                name="X",
                phases=[{"sessions": None, "interval_days": 90, "interval_max_days": 30}],
            )
        template = services.protocol_template_create(
            clinic=clinic,
            auditor=auditor,
            name="Maintenance",
            phases=[{"sessions": None, "interval_days": 30, "interval_max_days": 90}],
        )
        assert template.phases.get().interval_max_days == 90

    def test_plan_keeps_its_snapshot_when_the_template_changes(self, plan, protocol, auditor):
        services.protocol_template_update(
            template=protocol,
            auditor=auditor,
            name="Renamed",
            volume_ml=Decimal("3"),
            phases=[{"name": "Monthly", "sessions": 3, "interval_days": 30}],
        )
        plan.refresh_from_db()
        assert plan.protocol_name == "Weekly then fortnightly" and plan.volume_ml == Decimal("2")
        assert [p.name for p in plan.phases.all()] == ["Weekly", "Every 2 weeks"]
        assert plan.sessions.count() == 6


@pytest.mark.django_db
class TestPlanCreate:
    def test_sessions_and_checkpoints_on_open_days(self, plan):
        dates = list(plan.sessions.values_list("planned_date", flat=True))
        # Weekly from Monday 4 March; Tuesday 12 March is closed but the sessions are Mondays.
        assert dates == [
            dt.date(2030, 3, 4),
            dt.date(2030, 3, 11),
            dt.date(2030, 3, 18),
            dt.date(2030, 3, 25),
            dt.date(2030, 4, 8),
            dt.date(2030, 4, 22),
        ]
        assert [(c.months, c.due_date) for c in plan.checkpoints.all()] == [
            (0, dt.date(2030, 3, 4)),
            (3, dt.date(2030, 6, 4)),
            (6, dt.date(2030, 9, 4)),
        ]
        assert plan.status == "draft" and plan.zones == ["vertex", "frontal"]
        assert plan.therapies.get().dose == "1 mg daily"
        assert plan.status_changes.get().to_status == "draft"
        assert AuditEvent.objects.filter(action="plan.create", patient_uuid=plan.patient.uuid).exists()

    def test_closed_day_moves_a_session(self, make_plan):
        plan = make_plan(start_date=dt.date(2030, 3, 5))  # Tuesdays; 12 March is closed
        assert list(plan.sessions.values_list("planned_date", flat=True))[:3] == [
            dt.date(2030, 3, 5),
            dt.date(2030, 3, 13),
            dt.date(2030, 3, 19),
        ]

    def test_open_ended_maintenance_is_planned_to_a_horizon(self, make_plan, open_clinic, auditor):
        template = services.protocol_template_create(
            clinic=open_clinic,
            auditor=auditor,
            name="Induction and maintenance",
            phases=[{"sessions": 2, "interval_days": 7}, {"sessions": None, "interval_days": 90}],
        )
        plan = make_plan(protocol=template, start_date=dt.date(2030, 3, 4))
        assert plan.scheduled_until is not None
        maintenance = plan.sessions.filter(phase__position=2)
        assert maintenance.exists()
        assert all(s.planned_date <= plan.scheduled_until for s in plan.sessions.all())

    def test_needs_an_assessment_of_the_patient(self, make_patient, formulation, protocol, auditor, plan):
        other = make_patient(first_name="Νίκος", sex="male")
        with pytest.raises(ValidationError, match="Record an assessment"):
            services.plan_create(
                patient=other,
                auditor=auditor,
                assessment=plan.assessment,
                formulation_version=formulation,
                protocol=protocol,
                start_date=MONDAY,
            )

    def test_formulation_of_another_clinic_is_refused(self, make_plan, other_clinic):
        from follicle.treatments.tests.conftest import make_formulation

        with pytest.raises(ValidationError) as exc:
            make_plan(formulation_version=make_formulation(other_clinic, name="Theirs"))
        assert "formulation_version" in exc.value.message_dict


@pytest.mark.django_db
class TestStatusWorkflow:
    def test_transitions_write_history_rows(self, plan, auditor):
        services.plan_activate(plan=plan, auditor=auditor)
        services.plan_status_change(plan=plan, auditor=auditor, to_status="paused", reason="Travelling")
        services.plan_status_change(plan=plan, auditor=auditor, to_status="active")
        services.plan_status_change(plan=plan, auditor=auditor, to_status="completed")
        plan.refresh_from_db()
        assert plan.status == "completed"
        rows = list(plan.status_changes.values_list("from_status", "to_status", "reason"))
        assert rows == [
            ("", "draft", ""),
            ("draft", "active", ""),
            ("active", "paused", "Travelling"),
            ("paused", "active", ""),
            ("active", "completed", ""),
        ]
        assert all(c.changed_by == auditor.actor for c in plan.status_changes.all())
        assert not plan.sessions.filter(status="planned").exists()
        assert AuditEvent.objects.filter(action="plan.status").count() == 4

    def test_invalid_transitions(self, plan, auditor):
        with pytest.raises(ValidationError, match="cannot become"):
            services.plan_status_change(plan=plan, auditor=auditor, to_status="paused")
        services.plan_activate(plan=plan, auditor=auditor)
        services.plan_status_change(plan=plan, auditor=auditor, to_status="completed")
        with pytest.raises(ValidationError, match="cannot become"):
            services.plan_status_change(plan=plan, auditor=auditor, to_status="active")
        assert plan.status_changes.count() == 3

    def test_stop_needs_a_reason(self, plan, auditor):
        with pytest.raises(ValidationError) as exc:
            services.plan_status_change(plan=plan, auditor=auditor, to_status="stopped")
        assert "reason" in exc.value.message_dict
        services.plan_status_change(
            plan=plan, auditor=auditor, to_status="stopped", reason="Patient declined"
        )
        plan.refresh_from_db()
        assert plan.status == "stopped"
        assert set(plan.sessions.values_list("status", flat=True)) == {"cancelled"}

    def test_stop_reason_is_enforced_by_the_database(self, plan, auditor):
        with pytest.raises(IntegrityError), transaction.atomic():
            PlanStatusChange.objects.create(
                plan=plan, from_status="draft", to_status="stopped", changed_by=auditor.actor
            )


@pytest.mark.django_db
class TestOneActivePlan:
    def test_service_refuses_a_second_active_plan(self, make_plan, auditor):
        first, second = make_plan(), make_plan(start_date=dt.date(2030, 5, 6))
        services.plan_activate(plan=first, auditor=auditor)
        with pytest.raises(ValidationError, match="already has an active plan"):
            services.plan_activate(plan=second, auditor=auditor)
        services.plan_status_change(plan=first, auditor=auditor, to_status="paused")
        services.plan_activate(plan=second, auditor=auditor)
        with pytest.raises(ValidationError, match="already has an active plan"):
            services.plan_status_change(plan=first, auditor=auditor, to_status="active")

    def test_database_refuses_a_second_active_plan(self, make_plan):
        first, second = make_plan(), make_plan()
        TreatmentPlan.objects.filter(pk=first.pk).update(status="active")
        with pytest.raises(IntegrityError), transaction.atomic():
            TreatmentPlan.objects.filter(pk=second.pk).update(status="active")
        # Other patients, and other statuses, are not affected.
        TreatmentPlan.objects.filter(pk=second.pk).update(status="paused")


@pytest.mark.django_db
class TestPatientCheck:
    def test_missing_screening_is_a_hard_stop(self, make_patient, catalogue, formulation, protocol, auditor):
        from follicle.assessments.services import assessment_create

        patient = make_patient(first_name="Μαρία")
        history_record(patient=patient, auditor=auditor, pregnant=Answer.NO)
        assessment = assessment_create(patient=patient, auditor=auditor, diagnosis="fphl")
        plan = services.plan_create(
            patient=patient,
            auditor=auditor,
            assessment=assessment,
            formulation_version=formulation,
            protocol=protocol,
            start_date=MONDAY,
        )
        check = run_patient_check(plan)
        assert [i.code for i in check.hard_stops] == ["screening_missing"] and check.blocked
        with pytest.raises(ValidationError, match="No suitability screening"):
            services.plan_activate(plan=plan, auditor=auditor)
        plan.refresh_from_db()
        assert plan.status == "draft" and plan.status_changes.count() == 1

    def test_not_suitable_and_out_of_date_are_hard_stops(self, plan, auditor):
        patient = plan.patient
        screen(patient, auditor, result="not_suitable")
        assert [i.code for i in run_patient_check(plan).hard_stops] == ["screening_not_suitable"]
        with pytest.raises(ValidationError, match="not suitable"):
            services.plan_activate(plan=plan, auditor=auditor)
        screen(patient, auditor, result="suitable")
        history_record(patient=patient, auditor=auditor, diabetes=Answer.YES)  # changes after the decision
        assert [i.code for i in run_patient_check(plan).hard_stops] == ["screening_out_of_date"]
        with pytest.raises(ValidationError, match="out of date"):
            services.plan_activate(plan=plan, auditor=auditor)

    def test_caution_needs_an_acknowledgement(self, plan, auditor):
        decision = screen(plan.patient, auditor, result="caution")
        check = run_patient_check(plan)
        assert not check.hard_stops and [c.code for c in check.cautions] == [
            f"screening_caution:{decision.uuid}"
        ]
        with pytest.raises(ValidationError, match="Acknowledge"):
            services.plan_activate(plan=plan, auditor=auditor)
        with pytest.raises(ValidationError):
            services.plan_acknowledge(plan=plan, auditor=auditor, code="made_up")
        ack = services.plan_acknowledge(
            plan=plan, auditor=auditor, code=check.cautions[0].code, note="Discussed"
        )
        assert ack.acknowledged_by == auditor.actor and "caution" in ack.text
        with pytest.raises(ValidationError, match="already"):
            services.plan_acknowledge(plan=plan, auditor=auditor, code=check.cautions[0].code)
        services.plan_activate(plan=plan, auditor=auditor)
        assert PlanAcknowledgement.objects.filter(plan=plan).count() == 1
        assert AuditEvent.objects.filter(action="plan.acknowledge").exists()


@pytest.mark.django_db
class TestShift:
    def test_preview_stores_nothing_and_apply_keeps_the_intervals(self, plan, auditor):
        sessions = list(plan.sessions.order_by("number"))
        before = [s.planned_date for s in sessions]
        changes = services.plan_shift_preview(plan=plan, session=sessions[1], new_date=dt.date(2030, 3, 14))
        assert [s.planned_date for s in plan.sessions.order_by("number")] == before
        assert not SessionDateChange.objects.exists()
        assert [(s.number, new) for s, _old, new in changes] == [
            (2, dt.date(2030, 3, 14)),
            (3, dt.date(2030, 3, 21)),
            (4, dt.date(2030, 3, 28)),
            (5, dt.date(2030, 4, 11)),
            (6, dt.date(2030, 4, 25)),
        ]
        applied = services.plan_shift_apply(
            plan=plan, session=sessions[1], new_date=dt.date(2030, 3, 14), auditor=auditor
        )
        assert [(s.number, o, n) for s, o, n in applied] == [(s.number, o, n) for s, o, n in changes]
        after = list(plan.sessions.order_by("number").values_list("planned_date", flat=True))
        assert after[0] == before[0] and after[1:] == [n for _s, _o, n in changes]
        assert SessionDateChange.objects.filter(reason="moved").count() == 1
        assert SessionDateChange.objects.filter(reason="shifted").count() == 4
        assert AuditEvent.objects.filter(action="plan.shift").exists()

    def test_shift_lands_on_open_days(self, plan):
        session = plan.sessions.get(number=1)
        # Moved to Tuesday 5 March: a week later is Tuesday 12 March, which is closed.
        changes = services.plan_shift_preview(plan=plan, session=session, new_date=dt.date(2030, 3, 5))
        assert [n for _s, _o, n in changes][:3] == [
            dt.date(2030, 3, 5),
            dt.date(2030, 3, 13),
            dt.date(2030, 3, 19),
        ]

    def test_done_sessions_are_untouched(self, plan, auditor):
        first, second, third = plan.sessions.order_by("number")[:3]
        services.planned_session_mark(session=third, status="done", auditor=auditor)
        changes = services.plan_shift_preview(plan=plan, session=second, new_date=dt.date(2030, 3, 13))
        assert 3 not in [s.number for s, _o, _n in changes]
        with pytest.raises(ValidationError, match="Only a planned session"):
            services.plan_shift_preview(plan=plan, session=third, new_date=dt.date(2030, 3, 20))
        with pytest.raises(ValidationError, match="after the session before"):
            services.plan_shift_preview(plan=plan, session=second, new_date=first.planned_date)

    def test_closed_date_is_refused(self, plan):
        with pytest.raises(ValidationError, match="closed"):
            services.plan_shift_preview(
                plan=plan, session=plan.sessions.get(number=2), new_date=dt.date(2030, 3, 12)
            )

    def test_missed_session_stays_and_the_next_moves(self, plan, auditor):
        second = plan.sessions.get(number=2)
        changes = services.plan_shift_apply(
            plan=plan, session=second, new_date=dt.date(2030, 3, 13), auditor=auditor, mark_missed=True
        )
        second.refresh_from_db()
        assert second.status == "missed" and second.planned_date == dt.date(2030, 3, 11)
        assert [(s.number, n) for s, _o, n in changes][:2] == [
            (3, dt.date(2030, 3, 13)),
            (4, dt.date(2030, 3, 20)),
        ]

    def test_session_marks(self, plan, auditor):
        session = plan.sessions.get(number=1)
        services.planned_session_mark(session=session, status="done", auditor=auditor)
        with pytest.raises(ValidationError):
            services.planned_session_mark(session=session, status="planned", auditor=auditor)
        assert PlannedSession.objects.get(pk=session.pk).status_changed_by == auditor.actor
