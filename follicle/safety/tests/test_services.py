"""The safety services, the clinic's overdue policy, the periodic check and the serious-event e-mail."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from follicle.core.models import AuditEvent
from follicle.safety import policy, selectors, services, tasks, trace
from follicle.safety.models import OTHER, EventStatus, Outcome
from follicle.safety.tests.conftest import MONDAY, at, days

SERIOUS = {"serious": True, "seriousness_criteria": ["hospitalisation"], "grade": 3}


def errors_of(exc: pytest.ExceptionInfo) -> dict:
    return exc.value.message_dict


class TestOverduePolicy:
    def test_defaults_come_from_the_data_file(self, catalogue, clinic):
        fallback, terms = policy.defaults()
        assert policy.default_days("bruising_haematoma") == terms["bruising_haematoma"] == 14
        assert policy.default_days(OTHER) == fallback == 14
        assert set(policy.policy_terms()) >= {"bruising_haematoma", "pain", OTHER}
        assert policy.days_by_term(clinic)["pain"] == 3

    def test_due_date_and_overdue_since_with_a_fixed_today(self, report):
        event = report()  # bruising: 14 days by default
        assert policy.due_date(event) == MONDAY + days(14)
        assert policy.overdue_since(event, today=MONDAY + days(14)) is None
        assert policy.overdue_since(event, today=MONDAY + days(15)) == MONDAY + days(15)
        assert policy.overdue_since(event, today=MONDAY + days(40)) == MONDAY + days(15)

    def test_a_clinic_overrides_a_default_and_only_for_itself(self, report, clinic, other_clinic, doctor):
        event = report()
        services.overdue_policy_set(clinic=clinic, auditor=doctor, days_by_term={"bruising_haematoma": 3})
        assert policy.days_by_term(clinic)["bruising_haematoma"] == 3
        assert policy.days_by_term(other_clinic)["bruising_haematoma"] == 14
        assert policy.due_date(event) == MONDAY + days(3)
        assert policy.overdue_since(event, today=MONDAY + days(4)) == MONDAY + days(4)
        row = AuditEvent.objects.filter(action="safety.overdue_policy").latest("seq")
        assert row.detail["changes"]["bruising_haematoma"] == {"old": 14, "new": 3}

    @pytest.mark.parametrize(
        ("days_by_term", "key"), [({"bruising_haematoma": 0}, "bruising_haematoma"), ({"nope": 5}, "__all__")]
    )
    def test_policy_values_are_checked(self, catalogue, clinic, doctor, days_by_term, key):
        with pytest.raises(ValidationError) as exc:
            services.overdue_policy_set(clinic=clinic, auditor=doctor, days_by_term=days_by_term)
        assert key in errors_of(exc)

    def test_a_resolved_event_is_never_overdue(self, report, nurse):
        event = services.adverse_event_resolve(
            event=report(), auditor=nurse, resolved_on=MONDAY, outcome=Outcome.RECOVERED
        )
        assert policy.overdue_since(event, today=MONDAY + days(100)) is None


class TestFlagOverdue:
    def test_flags_once_then_leaves_alone(self, report, clinic, system):
        event = report()
        assert services.flag_overdue(clinic=clinic, auditor=system, today=MONDAY + days(14)) == {
            "flagged": 0,
            "cleared": 0,
        }
        counts = services.flag_overdue(clinic=clinic, auditor=system, today=MONDAY + days(15))
        assert counts == {"flagged": 1, "cleared": 0}
        event.refresh_from_db()
        assert event.overdue_since == MONDAY + days(15)
        row = AuditEvent.objects.filter(action="adverse_event.overdue_check").latest("seq")
        assert row.detail["events"] == [str(event.uuid)]
        assert services.flag_overdue(clinic=clinic, auditor=system, today=MONDAY + days(16)) == {
            "flagged": 0,
            "cleared": 0,
        }
        assert selectors.dashboard_counts(clinic=clinic)["overdue"] == 1

    def test_a_longer_policy_clears_the_flag(self, report, clinic, system, doctor):
        event = report()
        services.flag_overdue(clinic=clinic, auditor=system, today=MONDAY + days(15))
        # Saving the policy re-checks at once, with the real today (MONDAY): no longer overdue.
        services.overdue_policy_set(clinic=clinic, auditor=doctor, days_by_term={"bruising_haematoma": 30})
        event.refresh_from_db()
        assert event.overdue_since is None

    def test_closed_events_are_cleared(self, report, clinic, system, nurse):
        event = report()
        services.flag_overdue(clinic=clinic, auditor=system, today=MONDAY + days(15))
        services.adverse_event_resolve(event=event, auditor=nurse, resolved_on=MONDAY, outcome="recovered")
        services.flag_overdue(clinic=clinic, auditor=system, today=MONDAY + days(15))
        event.refresh_from_db()
        assert event.status == EventStatus.RESOLVED
        assert event.overdue_since is None

    def test_the_periodic_task_flags_as_the_clock_moves(self, report, clock, other_clinic):
        event = report()
        assert tasks.flag_overdue_events.call_local() == "0 flagged, 0 cleared"
        clock.move_to(at(MONDAY + days(15), 3))
        assert tasks.flag_overdue_events.call_local() == "1 flagged, 0 cleared"
        event.refresh_from_db()
        assert event.overdue_since == MONDAY + days(15)
        row = AuditEvent.objects.filter(action="adverse_event.overdue_check").latest("seq")
        assert row.actor_label == tasks.SYSTEM_LABEL

    def test_reported_late_is_overdue_at_once(self, report, clock):
        clock.move_to(at(MONDAY + days(20), 9))
        event = report(onset_date=MONDAY)
        assert event.overdue_since == MONDAY + days(15)


class TestReport:
    def test_report_on_a_session_with_a_suspected_lot(self, report, signed, nurse):
        event = report(lots=[signed["lots"]["mix"]], action_taken="  Cold compress ")
        assert event.status == EventStatus.OPEN
        assert event.term_name.startswith("Bruising")
        assert event.action_taken == "Cold compress"
        assert list(event.lots.all()) == [signed["lots"]["mix"]]
        assert [(c.from_status, c.to_status) for c in event.status_changes.all()] == [("", "open")]
        row = AuditEvent.objects.filter(action="adverse_event.report").latest("seq")
        assert row.detail["lots"] == ["MIX-001"]
        assert row.patient_uuid == signed["patient"].uuid

    @pytest.mark.parametrize(
        ("fields", "key"),
        [
            ({"onset_date": MONDAY + dt.timedelta(days=1)}, "onset_date"),
            ({"onset_date": MONDAY - dt.timedelta(days=1)}, "onset_date"),
            ({"term": OTHER, "description": "  "}, "description"),
            ({"term": "not_a_term"}, "term"),
            ({"serious": True}, "seriousness_criteria"),
            ({"seriousness_criteria": ["hospitalisation"]}, "serious"),
        ],
    )
    def test_report_is_validated(self, report, fields, key):
        with pytest.raises(ValidationError) as exc:
            report(**fields)
        assert key in errors_of(exc)

    def test_other_with_a_description(self, report):
        event = report(term=OTHER, description="Itchy rash behind the ears")
        assert event.term_name == "Other"

    def test_another_patients_session_is_refused(self, report, make_patient):
        with pytest.raises(ValidationError) as exc:
            report(patient=make_patient(first_name="Νίκος", sex="male"))
        assert "session" in errors_of(exc)

    def test_another_clinics_lot_is_refused(self, report, other_clinic, auditor):
        from follicle.formulations.models import Lot, Product

        product = Product.objects.create(clinic=other_clinic, name="Elsewhere", volume_per_vial_ml=2)
        lot = Lot.objects.create(
            product=product,
            lot_number="X1",
            expiry_date=dt.date(2031, 1, 1),
            quantity_received=1,
            quantity_left=1,
        )
        with pytest.raises(ValidationError) as exc:
            report(lots=[lot])
        assert "lots" in errors_of(exc)


class TestSeriousNotification:
    def test_recipients_are_the_clinics_practitioners_and_admins(self, clinic, personas):
        assert {u.username for u in tasks.serious_event_recipients(clinic)} == {
            personas["practitioner"].username,
            personas["admin"].username,
        }

    def test_a_serious_report_emails_without_the_patients_name(
        self, report, personas, signed, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            event = report(**SERIOUS)
        assert sorted(m.to[0] for m in mail.outbox) == sorted(
            [personas["admin"].email, personas["practitioner"].email]
        )
        patient = signed["patient"]
        for message in mail.outbox:
            assert "Serious adverse event" in message.subject
            assert patient.record_number in message.body
            assert str(event.uuid) in message.body
            assert patient.first_name not in message.body + message.subject
            assert patient.last_name not in message.body + message.subject
        row = AuditEvent.objects.filter(action="adverse_event.notify").latest("seq")
        assert sorted(row.detail["recipients"]) == sorted(
            [personas["admin"].username, personas["practitioner"].username]
        )

    def test_a_non_serious_report_sends_nothing(self, report, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            report()
        assert mail.outbox == []

    def test_becoming_serious_notifies_once(self, report, nurse, django_capture_on_commit_callbacks):
        event = report()
        with django_capture_on_commit_callbacks(execute=True):
            services.adverse_event_update(event=event, auditor=nurse, grade=2, action_taken="Seen again")
        assert mail.outbox == []
        with django_capture_on_commit_callbacks(execute=True):
            event = services.adverse_event_update(event=event, auditor=nurse, **SERIOUS)
        assert event.serious
        assert len(mail.outbox) == 2
        with django_capture_on_commit_callbacks(execute=True):
            services.adverse_event_update(event=event, auditor=nurse, grade=4)
        assert len(mail.outbox) == 2  # already serious: no second e-mail


class TestUpdate:
    def test_update_changes_lots_and_audits(self, report, signed, nurse):
        event = report()
        services.adverse_event_update(event=event, auditor=nurse, lots=[signed["lots"]["lido"]], grade=2)
        event.refresh_from_db()
        assert event.grade == 2
        assert [lot.lot_number for lot in event.lots.all()] == ["LID-7"]
        row = AuditEvent.objects.filter(action="adverse_event.update").latest("seq")
        assert row.detail["changes"]["lots"] == {"old": [], "new": ["LID-7"]}
        assert row.detail["changes"]["grade"] == {"old": 1, "new": 2}

    def test_unknown_fields_are_refused(self, report, nurse):
        with pytest.raises(ValidationError):
            services.adverse_event_update(event=report(), auditor=nurse, term="pain")


class TestLifecycle:
    def test_follow_up_then_resolve(self, report, nurse, clock):
        event = report()
        follow_up = services.adverse_event_follow_up(
            event=event, auditor=nurse, trend="improving", note="Fading"
        )
        assert follow_up.by == nurse.actor
        with pytest.raises(ValidationError) as exc:
            services.adverse_event_follow_up(event=event, auditor=nurse, trend="improving", note=" ")
        assert "note" in errors_of(exc)
        clock.move_to(at(MONDAY + days(6), 10))
        event = services.adverse_event_resolve(
            event=event, auditor=nurse, resolved_on=MONDAY + days(5), outcome="recovered", note="Gone"
        )
        assert event.status == EventStatus.RESOLVED
        assert event.days_open() == 5
        with pytest.raises(ValidationError):
            services.adverse_event_follow_up(event=event, auditor=nurse, trend="unchanged", note="Late")

    def test_resolve_is_validated(self, report, nurse):
        event = report()
        with pytest.raises(ValidationError) as exc:
            services.adverse_event_resolve(
                event=event, auditor=nurse, resolved_on=MONDAY + days(1), outcome="recovered"
            )
        assert "resolved_on" in errors_of(exc)
        with pytest.raises(ValidationError) as exc:
            services.adverse_event_resolve(event=event, auditor=nurse, resolved_on=MONDAY, outcome="")
        assert "outcome" in errors_of(exc)

    def test_reopen(self, report, nurse, clinic, system):
        event = report()
        with pytest.raises(ValidationError):
            services.adverse_event_reopen(event=event, auditor=nurse, reason="Back")
        services.adverse_event_resolve(event=event, auditor=nurse, resolved_on=MONDAY, outcome="recovered")
        with pytest.raises(ValidationError) as exc:
            services.adverse_event_reopen(event=event, auditor=nurse, reason="  ")
        assert "reason" in errors_of(exc)
        event = services.adverse_event_reopen(event=event, auditor=nurse, reason="It came back")
        assert event.status == EventStatus.OPEN
        assert (event.resolved_on, event.outcome) == (None, "")
        assert [c.to_status for c in event.status_changes.all()] == ["open", "resolved", "open"]
        assert event.status_changes.last().reason == "It came back"
        # Open again, it is checked for overdue like any open event.
        services.flag_overdue(clinic=clinic, auditor=system, today=MONDAY + days(15))
        event.refresh_from_db()
        assert event.overdue_since == MONDAY + days(15)

    def test_entered_in_error(self, report, nurse, clinic, system):
        event = report()
        services.flag_overdue(clinic=clinic, auditor=system, today=MONDAY + days(15))
        event = services.adverse_event_mark_in_error(event=event, auditor=nurse, reason="Wrong patient")
        assert event.status == EventStatus.ENTERED_IN_ERROR
        assert event.overdue_since is None
        assert list(selectors.event_list(clinic=clinic)) == []
        assert selectors.dashboard_counts(clinic=clinic)["total"] == 0
        assert list(selectors.event_list(clinic=clinic, status=EventStatus.ENTERED_IN_ERROR)) == [event]
        with pytest.raises(ValidationError):
            services.adverse_event_mark_in_error(event=event, auditor=nurse, reason="Again")
        with pytest.raises(ValidationError):
            services.adverse_event_update(event=event, auditor=nurse, grade=2)
        with pytest.raises(ValidationError):
            services.adverse_event_follow_up(event=event, auditor=nurse, trend="worse", note="x")


class TestTraceability:
    def test_other_patients_of_the_suspected_lots(self, report, signed, second, nurse):
        mix, lido = signed["lots"]["mix"], signed["lots"]["lido"]
        event = report(lots=[mix, lido])
        theirs = services.adverse_event_report(
            patient=second["patient"],
            auditor=nurse,
            session=second["record"],
            term="erythema_oedema",
            grade=1,
            onset_date=MONDAY,
            lots=[mix],
        )
        rows = {row["lot"].lot_number: row for row in selectors.other_patients_of_lots(event=event)}
        assert rows["MIX-001"]["patients"] == [second["patient"]]
        assert rows["MIX-001"]["events"] == [theirs]
        assert rows["LID-7"]["patients"] == []
        assert rows["LID-7"]["events"] == []
        # From the other side, the first event shows up.
        assert [row["events"] for row in selectors.other_patients_of_lots(event=theirs)] == [[event]]

    def test_lot_events_section(self, report, signed, clinic, nurse):
        mix = signed["lots"]["mix"]
        mild = report(lots=[mix])
        serious = report(lots=[mix], term="pain", **SERIOUS)
        gone = report(lots=[mix], term="headache")
        services.adverse_event_mark_in_error(event=gone, auditor=nurse, reason="Duplicate")
        section = trace.lot_events(mix)
        assert section.key == "adverse_events"
        by_title = {row.title: row for row in section.rows}
        assert set(by_title) == {mild.term_name, serious.term_name}
        assert by_title[serious.term_name].tone == "danger"
        assert by_title[mild.term_name].tone == "warning"
        assert by_title[mild.term_name].patient == signed["patient"]
        assert str(mild.uuid) in by_title[mild.term_name].url
        assert trace.lot_events(signed["lots"]["lido"]).rows == []
