"""The safety pages for every role: dashboard, report, event, follow-up, settings; the lot page's trace."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from follicle.core.models import AuditEvent
from follicle.safety import services
from follicle.safety.models import AdverseEvent, EventStatus, OverduePolicy
from follicle.safety.tests.conftest import MONDAY, client_as, days

STAFF = ["practitioner", "nurse"]
REPORT_DATA = {
    "term": "bruising_haematoma",
    "grade": "1",
    "onset_date": MONDAY.isoformat(),
    "action_taken": "Cold compress",
}


@pytest.fixture
def event(report, signed):
    return report(lots=[signed["lots"]["mix"]])


def report_url(signed, record=True) -> str:
    url = reverse("safety:report", args=[signed["patient"].uuid])
    return f"{url}?session={signed['record'].uuid}" if record else url


# --------------------------------------------------------------------------- dashboard
class TestDashboard:
    def test_admin_sees_counts_only(self, event, personas, signed, system):
        services.flag_overdue(clinic=event.clinic, auditor=system, today=MONDAY + days(15))
        response = client_as(personas["admin"]).get(reverse("safety:dashboard"))
        assert response.status_code == 200
        content = response.content.decode()
        assert 'data-testid="counts"' in content
        assert 'data-testid="by-term"' in content
        assert 'data-testid="term-chart"' in content
        assert signed["patient"].last_name not in content
        assert signed["patient"].record_number not in content
        assert str(event.uuid) not in content
        assert response.context["counts"]["open"] == 1
        assert response.context["counts"]["overdue"] == 1
        assert "lists" not in response.context
        assert not AuditEvent.objects.filter(action="adverse_event.list").exists()

    def test_receptionist_is_refused(self, personas, clinic):
        assert client_as(personas["receptionist"]).get(reverse("safety:dashboard")).status_code == 403

    @pytest.mark.parametrize("role", STAFF)
    def test_staff_see_the_lists(self, event, personas, signed, role, clinic, system):
        serious = services.adverse_event_report(
            patient=signed["patient"],
            auditor=system,
            session=signed["record"],
            term="pain",
            grade=3,
            serious=True,
            seriousness_criteria=["medically_important"],
            onset_date=MONDAY,
        )
        services.flag_overdue(clinic=clinic, auditor=system, today=MONDAY + days(15))
        response = client_as(personas[role]).get(reverse("safety:dashboard"))
        assert response.status_code == 200
        lists = {row["key"]: row["rows"] for row in response.context["lists"]}
        assert lists["overdue"] == [serious, event]  # the serious one is listed once, as overdue
        assert lists["serious"] == []
        assert lists["open"] == []
        content = response.content.decode()
        assert signed["patient"].last_name in content
        assert reverse("safety:event", args=[event.uuid]) in content
        assert reverse("procedures:list") + "?status=draft" in content
        assert response.context["drafts"] == 0
        assert AuditEvent.objects.filter(action="adverse_event.list", actor=personas[role]).count() == 2

    def test_filters_and_pagination(self, event, report, personas, nurse):
        services.adverse_event_resolve(event=event, auditor=nurse, resolved_on=MONDAY, outcome="recovered")
        report(term="pain")
        client = client_as(personas["nurse"])
        response = client.get(reverse("safety:dashboard"), {"status": "resolved"})
        assert list(response.context["page"].object_list) == [event]
        response = client.get(reverse("safety:dashboard"), {"serious": "on"})
        assert list(response.context["page"].object_list) == []
        response = client.get(reverse("safety:dashboard"), {"status": "nonsense"})
        assert response.status_code == 200
        assert response.context["page"].paginator.count == 2
        row = AuditEvent.objects.filter(action="adverse_event.list").latest("seq")
        assert row.detail["count"] == 2

    def test_other_clinic_sees_nothing_of_ours(self, event, personas, signed):
        response = client_as(personas["other_practitioner"]).get(reverse("safety:dashboard"))
        assert response.status_code == 200
        assert response.context["counts"]["total"] == 0
        assert signed["patient"].last_name not in response.content.decode()


# --------------------------------------------------------------------------- report
class TestReport:
    @pytest.mark.parametrize(
        ("role", "status"), [("admin", 403), ("receptionist", 403), ("other_practitioner", 404)]
    )
    def test_refused(self, signed, personas, role, status):
        assert client_as(personas[role]).get(report_url(signed)).status_code == status

    @pytest.mark.parametrize("role", STAFF)
    def test_form_offers_the_sessions_lots(self, signed, personas, role):
        response = client_as(personas[role]).get(report_url(signed))
        assert response.status_code == 200
        content = response.content.decode()
        assert "MIX-001" in content and "LID-7" in content
        assert "MIX-OLD" not in content  # not used in the session
        assert "CTCAE) v5.0" in content and "ICH E2A" in content
        assert f'value="{MONDAY.isoformat()}"' in content
        assert AuditEvent.objects.filter(action="adverse_event.report_form").exists()

    def test_session_must_be_the_patients(self, signed, second, personas):
        client = client_as(personas["nurse"])
        url = reverse("safety:report", args=[signed["patient"].uuid])
        assert client.get(f"{url}?session={second['record'].uuid}").status_code == 404
        assert client.get(f"{url}?session=not-a-uuid").status_code == 404
        assert client.get(url).status_code == 200  # no session: no lots to tick

    def test_term_partial(self, signed, personas):
        response = client_as(personas["nurse"]).get(
            report_url(signed), {"term": "bruising_haematoma"}, headers={"HX-Request": "true"}
        )
        assert response.status_code == 200
        content = response.content.decode()
        assert "<html" not in content
        assert "~1 week (clinic source)" in content
        assert "Reference data" in content

    def test_report_other_without_description(self, signed, personas):
        data = REPORT_DATA | {"term": "other"}
        response = client_as(personas["nurse"]).post(report_url(signed), data)
        assert response.status_code == 422
        assert "Describe an event reported as “other”." in response.content.decode()
        assert not AdverseEvent.objects.exists()

    def test_report_with_a_lot(self, signed, personas):
        data = REPORT_DATA | {"lots": [str(signed["lots"]["mix"].uuid)]}
        response = client_as(personas["practitioner"]).post(report_url(signed), data)
        event = AdverseEvent.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("safety:event", args=[event.uuid])
        assert event.session == signed["record"]
        assert [lot.lot_number for lot in event.lots.all()] == ["MIX-001"]
        assert event.reported_by == personas["practitioner"]

    def test_serious_report_emails_practitioners_and_admins_only(
        self, signed, personas, django_capture_on_commit_callbacks
    ):
        data = REPORT_DATA | {
            "grade": "3",
            "serious": "on",
            "seriousness_criteria": ["hospitalisation"],
        }
        with django_capture_on_commit_callbacks(execute=True):
            response = client_as(personas["nurse"]).post(report_url(signed), data)
        assert response.status_code == 302
        recipients = sorted(m.to[0] for m in mail.outbox)
        assert recipients == sorted([personas["admin"].email, personas["practitioner"].email])
        for absent in ("nurse", "receptionist", "other_admin", "other_practitioner"):
            assert personas[absent].email not in recipients

    def test_serious_without_criteria(self, signed, personas):
        response = client_as(personas["nurse"]).post(report_url(signed), REPORT_DATA | {"serious": "on"})
        assert response.status_code == 422
        assert "Say why the event is serious." in response.content.decode()


# --------------------------------------------------------------------------- an event
class TestEvent:
    @pytest.mark.parametrize(
        ("role", "status"), [("admin", 403), ("receptionist", 403), ("other_practitioner", 404)]
    )
    def test_refused(self, event, personas, role, status):
        url = reverse("safety:event", args=[event.uuid])
        assert client_as(personas[role]).get(url).status_code == status
        follow_up = reverse("safety:follow_up", args=[event.uuid])
        assert (
            client_as(personas[role]).post(follow_up, {"trend": "worse", "note": "x"}).status_code == status
        )

    @pytest.mark.parametrize("role", STAFF)
    def test_page(self, event, second, report, personas, signed, role, nurse):
        services.adverse_event_report(
            patient=second["patient"],
            auditor=nurse,
            session=second["record"],
            term="erythema_oedema",
            grade=1,
            onset_date=MONDAY,
            lots=[signed["lots"]["mix"]],
        )
        response = client_as(personas[role]).get(reverse("safety:event", args=[event.uuid]))
        assert response.status_code == 200
        content = response.content.decode()
        assert "Clinic policy: reviewed as overdue after 14 days" in content
        assert "~1 week (clinic source)" in content  # reference data, beside it
        assert reverse("procedures:record", args=[signed["record"].uuid]) in content
        assert reverse("formulations:lot_detail", args=[signed["lots"]["mix"].uuid]) in content
        assert second["patient"].last_name in content  # another patient who received the lot
        assert "Erythema" in content  # and their event
        assert 'action="{}"'.format(reverse("safety:follow_up", args=[event.uuid])) in content
        row = AuditEvent.objects.filter(action="adverse_event.view").latest("seq")
        assert row.patient_uuid == signed["patient"].uuid
        assert AuditEvent.objects.filter(action="adverse_event.lot_recipients").exists()

    def test_follow_up_then_resolve(self, event, personas):
        client = client_as(personas["nurse"])
        url = reverse("safety:follow_up", args=[event.uuid])
        response = client.post(url, {"trend": "improving", "note": ""})
        assert response.status_code == 422
        response = client.post(url, {"trend": "improving", "note": "Fading nicely"})
        assert response.status_code == 302
        page = client.get(reverse("safety:event", args=[event.uuid])).content.decode()
        assert "Fading nicely" in page
        response = client.post(
            reverse("safety:resolve", args=[event.uuid]),
            {"resolved_on": (MONDAY + days(1)).isoformat(), "outcome": "recovered"},
        )
        assert response.status_code == 422
        assert "cannot be in the future" in response.content.decode()
        response = client.post(
            reverse("safety:resolve", args=[event.uuid]),
            {"resolved_on": MONDAY.isoformat(), "outcome": "recovered", "note": "Gone"},
        )
        assert response.status_code == 302
        event.refresh_from_db()
        assert event.status == EventStatus.RESOLVED
        page = client.get(reverse("safety:event", args=[event.uuid])).content.decode()
        assert 'action="{}"'.format(reverse("safety:reopen", args=[event.uuid])) in page
        assert 'action="{}"'.format(reverse("safety:follow_up", args=[event.uuid])) not in page

    def test_reopen_and_in_error(self, event, personas, nurse):
        services.adverse_event_resolve(event=event, auditor=nurse, resolved_on=MONDAY, outcome="recovered")
        client = client_as(personas["practitioner"])
        response = client.post(reverse("safety:reopen", args=[event.uuid]), {"reopen-reason": ""})
        assert response.status_code == 422
        response = client.post(reverse("safety:reopen", args=[event.uuid]), {"reopen-reason": "Back again"})
        assert response.status_code == 302
        event.refresh_from_db()
        assert event.status == EventStatus.OPEN
        response = client.post(
            reverse("safety:in_error", args=[event.uuid]), {"in_error-reason": "Wrong patient"}
        )
        assert response.status_code == 302
        event.refresh_from_db()
        assert event.status == EventStatus.ENTERED_IN_ERROR
        page = client.get(reverse("safety:event", args=[event.uuid]))
        assert "entered in error" in page.content.decode()
        assert page.context["follow_up_form"] is None
        assert client.get(reverse("safety:edit", args=[event.uuid])).status_code == 302

    def test_edit(self, event, personas, signed, django_capture_on_commit_callbacks):
        client = client_as(personas["nurse"])
        url = reverse("safety:edit", args=[event.uuid])
        response = client.get(url)
        assert response.status_code == 200
        assert response.context["form"]["lots"].value() == [signed["lots"]["mix"].uuid]
        data = {
            "grade": "3",
            "serious": "on",
            "seriousness_criteria": ["medically_important"],
            "lots": [str(signed["lots"]["lido"].uuid)],
            "action_taken": "Referred",
        }
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, data)
        assert response.status_code == 302
        event.refresh_from_db()
        assert (event.grade, event.serious, event.action_taken) == (3, True, "Referred")
        assert [lot.lot_number for lot in event.lots.all()] == ["LID-7"]
        assert len(mail.outbox) == 2
        assert client_as(personas["admin"]).get(url).status_code == 403


# --------------------------------------------------------------------------- the chart card
def test_chart_card(event, personas, signed):
    url = reverse("patients:chart", args=[signed["patient"].uuid])
    content = client_as(personas["nurse"]).get(url).content.decode()
    assert 'data-testid="adverse-events-card"' in content
    assert reverse("safety:event", args=[event.uuid]) in content
    assert reverse("safety:report", args=[signed["patient"].uuid]) in content
    admin = client_as(personas["admin"]).get(url).content.decode()
    assert 'data-testid="adverse-events-card"' not in admin


# --------------------------------------------------------------------------- settings
class TestSettings:
    def test_admin_changes_the_days(self, catalogue, personas, clinic):
        client = client_as(personas["admin"])
        response = client.get(reverse("safety:settings"))
        assert response.status_code == 200
        content = response.content.decode()
        assert "not evidence" in content
        assert 'name="days_bruising_haematoma"' in content
        data = {name: field.initial for name, field in response.context["form"].fields.items()}
        data["days_bruising_haematoma"] = 10
        response = client.post(reverse("safety:settings"), data)
        assert response.status_code == 302
        assert OverduePolicy.objects.get(clinic=clinic, term="bruising_haematoma").days == 10
        data["days_pain"] = 0
        response = client.post(reverse("safety:settings"), data)
        assert response.status_code == 422

    @pytest.mark.parametrize("role", STAFF)
    def test_staff_read_only(self, catalogue, personas, role):
        client = client_as(personas[role])
        response = client.get(reverse("safety:settings"))
        assert response.status_code == 200
        content = response.content.decode()
        assert 'name="days_' not in content
        assert 'data-testid="read-only"' in content
        assert 'data-testid="days-bruising_haematoma">14<' in content
        assert client.post(reverse("safety:settings"), {"days_pain": 5}).status_code == 403
        assert not OverduePolicy.objects.exists()

    def test_receptionist_refused(self, catalogue, personas):
        assert client_as(personas["receptionist"]).get(reverse("safety:settings")).status_code == 403


# --------------------------------------------------------------------------- lot traceability
class TestLotPage:
    def test_lot_page_shows_sessions_and_events(self, event, second, personas, signed):
        url = reverse("formulations:lot_detail", args=[signed["lots"]["mix"].uuid])
        response = client_as(personas["practitioner"]).get(url)
        assert response.status_code == 200
        content = response.content.decode()
        assert 'data-testid="trace-sessions"' in content
        assert 'data-testid="trace-adverse_events"' in content
        assert reverse("procedures:record", args=[signed["record"].uuid]) in content
        assert reverse("procedures:record", args=[second["record"].uuid]) in content
        assert reverse("safety:event", args=[event.uuid]) in content
        assert reverse("patients:chart", args=[second["patient"].uuid]) in content
        row = AuditEvent.objects.filter(action="lot.trace").latest("seq")
        assert row.detail["count"] == 3  # two sessions, one event

    def test_admin_sees_no_sessions_or_events(self, event, personas, signed):
        url = reverse("formulations:lot_detail", args=[signed["lots"]["mix"].uuid])
        response = client_as(personas["admin"]).get(url)
        assert response.status_code == 200
        content = response.content.decode()
        assert 'data-testid="trace-adverse_events"' not in content
        assert 'data-testid="trace-sessions"' not in content
        assert reverse("safety:event", args=[event.uuid]) not in content

    def test_unused_lot_says_so(self, signed, personas):
        url = reverse("formulations:lot_detail", args=[signed["lots"]["mix_expired"].uuid])
        content = client_as(personas["nurse"]).get(url).content.decode()
        assert "No adverse event names this lot." in content
        assert "No session has used this lot." in content
