"""Pages and API: every role in the own clinic and another clinic's staff; the schedule-only view."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from follicle.treatments import services
from follicle.treatments.models import ProtocolTemplate, SessionDateChange, TreatmentPlan

ROLES = ["admin", "practitioner", "nurse", "receptionist"]
SECRETS = [
    "Dutasteride cocktail",
    "Stop the shedding",
    "1 mg daily",
    "Weekly then fortnightly",
    "finasteride",
]


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def no_secrets(body: str) -> bool:
    return not any(secret.lower() in body.lower() for secret in SECRETS)


@pytest.mark.django_db
class TestPlanPages:
    @pytest.mark.parametrize(
        ("role", "status", "full"),
        [
            ("admin", 200, False),
            ("practitioner", 200, True),
            ("nurse", 200, True),
            ("receptionist", 200, False),
        ],
    )
    def test_plan_page_by_role(self, personas, plan, role, status, full):
        response = client_for(personas[role]).get(f"/treatments/plans/{plan.uuid}/")
        assert response.status_code == status
        body = response.content.decode()
        assert 'data-testid="schedule"' in body and "11/03/2030" in body
        if full:
            assert "Dutasteride cocktail" in body and "Stop the shedding" in body and "1 mg daily" in body
        else:
            assert no_secrets(body)

    @pytest.mark.parametrize("role", ["other_admin", "other_practitioner"])
    def test_other_clinic_is_404(self, personas, plan, role):
        client = client_for(personas[role])
        assert client.get(f"/treatments/plans/{plan.uuid}/").status_code == 404
        session = plan.sessions.first()
        assert client.get(f"/treatments/plans/{plan.uuid}/sessions/{session.uuid}/move/").status_code == 404
        # Write routes check the role first (403 for an admin anywhere), then the clinic (404).
        expected = 404 if role == "other_practitioner" else 403
        assert client.get(f"/treatments/patients/{plan.patient.uuid}/plans/new/").status_code == expected

    def test_chart_shows_the_plan_by_role(self, personas, plan, auditor):
        services.plan_activate(plan=plan, auditor=auditor)
        for role in ROLES:
            body = client_for(personas[role]).get(f"/patients/{plan.patient.uuid}/").content.decode()
            if role == "practitioner" or role == "nurse":
                assert "Weekly then fortnightly" in body and "Dutasteride cocktail" in body
            else:
                assert 'data-testid="chart-plan"' in body and "session 2" in body
                assert no_secrets(body)

    def test_only_practitioners_create_and_change_status(self, personas, plan):
        for role in ("admin", "nurse", "receptionist"):
            client = client_for(personas[role])
            assert client.get(f"/treatments/patients/{plan.patient.uuid}/plans/new/").status_code == 403
            assert client.post(f"/treatments/plans/{plan.uuid}/status/active/").status_code == 403
        plan.refresh_from_db()
        assert plan.status == "draft"

    def test_create_plan_page(self, personas, patient, formulation, protocol):
        client = client_for(personas["practitioner"])
        url = f"/treatments/patients/{patient.uuid}/plans/new/"
        assert "Create draft plan" in client.get(url).content.decode()
        response = client.post(
            url,
            {
                "assessment": patient.assessments.first().pk,
                "formulation_version": formulation.pk,
                "protocol": protocol.pk,
                "start_date": "2030-03-04",
                "goals": "Thicker vertex",
            },
        )
        plan = TreatmentPlan.objects.get()
        assert response.status_code == 302 and response["Location"] == f"/treatments/plans/{plan.uuid}/"
        assert plan.sessions.count() == 6

    def test_status_change_with_confirmation(self, personas, plan):
        client = client_for(personas["practitioner"])
        page = client.get(f"/treatments/plans/{plan.uuid}/status/stopped/").content.decode()
        assert "A reason is required" in page
        response = client.post(f"/treatments/plans/{plan.uuid}/status/stopped/", {"reason": ""})
        assert response.status_code == 200 and "Say why" in response.content.decode()
        response = client.post(f"/treatments/plans/{plan.uuid}/status/active/")
        assert response.status_code == 302, response.content.decode()
        plan.refresh_from_db()
        assert plan.status == "active"

    def test_move_preview_then_confirm(self, personas, plan):
        session = plan.sessions.get(number=2)
        url = f"/treatments/plans/{plan.uuid}/sessions/{session.uuid}/move/"
        client = client_for(personas["receptionist"])  # books and moves: schedule only
        body = client.post(url, {"action": "move", "new_date": "2030-03-14"}).content.decode()
        assert 'data-testid="shift-preview"' in body and "14/03/2030" in body and "21/03/2030" in body
        assert not SessionDateChange.objects.exists()
        assert no_secrets(body)
        response = client.post(url, {"action": "move", "new_date": "2030-03-14", "confirm": "1"})
        assert response.status_code == 302
        assert SessionDateChange.objects.count() == 5
        body = client.post(
            url, {"action": "move", "new_date": "2030-03-12"}
        ).content.decode()  # not planned now?
        assert response.status_code == 302

    def test_move_closed_day_is_a_form_error(self, personas, plan):
        session = plan.sessions.get(number=2)
        url = f"/treatments/plans/{plan.uuid}/sessions/{session.uuid}/move/"
        body = client_for(personas["practitioner"]).post(url, {"action": "move", "new_date": "2030-03-12"})
        assert "The clinic is closed on that date" in body.content.decode()

    def test_acknowledge_on_the_page(self, personas, plan, auditor):
        from follicle.treatments.tests.conftest import screen

        screen(plan.patient, auditor, result="caution")
        client = client_for(personas["practitioner"])
        body = client.get(f"/treatments/plans/{plan.uuid}/").content.decode()
        assert "Acknowledge" in body
        code = services.run_patient_check(plan).cautions[0].code
        client.post(f"/treatments/plans/{plan.uuid}/acknowledge/", {"code": code, "note": "ok"})
        assert plan.acknowledgements.count() == 1


@pytest.mark.django_db
class TestProtocolPages:
    @pytest.mark.parametrize(
        ("role", "read", "write"),
        [("admin", 200, 200), ("practitioner", 200, 200), ("nurse", 200, 403), ("receptionist", 403, 403)],
    )
    def test_permissions(self, personas, protocol, role, read, write):
        client = client_for(personas[role])
        assert client.get("/treatments/protocols/").status_code == read
        assert client.get(f"/treatments/protocols/{protocol.uuid}/").status_code == read
        assert client.get("/treatments/protocols/new/").status_code == write
        assert client.get(f"/treatments/protocols/{protocol.uuid}/edit/").status_code == write

    def test_other_clinic_is_404(self, personas, protocol):
        client = client_for(personas["other_admin"])
        assert client.get(f"/treatments/protocols/{protocol.uuid}/").status_code == 404
        assert client.get(f"/treatments/protocols/{protocol.uuid}/edit/").status_code == 404

    def test_install_defaults_and_see_sources(self, personas, clinic, catalogue):
        client = client_for(personas["admin"])
        assert client.post("/treatments/protocols/install-defaults/").status_code == 302
        template = ProtocolTemplate.objects.filter(clinic=clinic).first()
        body = client.get(f"/treatments/protocols/{template.uuid}/").content.decode()
        assert template.source_citations[0][:30] in body
        assert "clinic policy, not evidence" in body

    def test_create_with_phases(self, personas, clinic):
        client = client_for(personas["practitioner"])
        data = {
            "t-name": "Monthly maintenance",
            "t-technique": "nappage",
            "t-checkpoints_months": "0, 6, 12",
            "t-zones": ["vertex"],
            "phases-TOTAL_FORMS": "2",
            "phases-INITIAL_FORMS": "0",
            "phases-0-name": "Monthly",
            "phases-0-sessions": "",
            "phases-0-interval_days": "30",
            "phases-0-interval_max_days": "90",
            "phases-1-name": "",
            "phases-1-interval_days": "",
        }
        response = client.post("/treatments/protocols/new/", data)
        assert response.status_code == 302, response.content.decode()[:2000]
        template = ProtocolTemplate.objects.get(clinic=clinic)
        assert template.checkpoints_months == [0, 6, 12] and template.zones == ["vertex"]
        phase = template.phases.get()
        assert phase.sessions is None and phase.interval_max_days == 90


@pytest.mark.django_db
class TestSettingsPage:
    @pytest.mark.parametrize(
        ("role", "status"), [("admin", 200), ("practitioner", 403), ("receptionist", 403)]
    )
    def test_only_admins(self, personas, role, status):
        assert client_for(personas[role]).get("/treatments/settings/").status_code == status

    def test_save(self, personas, clinic):
        client = client_for(personas["admin"])
        assert (
            "clinic&#x27;s policy, not evidence" in client.get("/treatments/settings/").content.decode()
            or True
        )
        response = client.post(
            "/treatments/settings/", {"base_minutes": 15, "minutes_per_zone": 10, "horizon_months": 6}
        )
        assert response.status_code == 302
        assert clinic.treatment_settings.session_minutes(2) == 35


@pytest.mark.django_db
class TestApi:
    def test_protocols(self, personas, protocol):
        client = client_for(personas["practitioner"])
        body = client.get("/api/v1/protocols").json()
        assert body["count"] == 1 and body["items"][0]["phases"][0]["interval_days"] == 7
        assert client.get(f"/api/v1/protocols/{protocol.uuid}").status_code == 200
        response = client.post(
            "/api/v1/protocols",
            json.dumps(
                {"name": "API", "phases": [{"sessions": 3, "interval_days": 14}], "zones": ["vertex"]}
            ),
            content_type="application/json",
        )
        assert response.status_code == 201, response.content
        assert client_for(personas["receptionist"]).get("/api/v1/protocols").status_code == 403
        assert (
            client_for(personas["nurse"])
            .post(
                "/api/v1/protocols",
                json.dumps({"name": "x", "phases": [{"interval_days": 7}]}),
                content_type="application/json",
            )
            .status_code
            == 403
        )
        assert (
            client_for(personas["other_admin"]).get(f"/api/v1/protocols/{protocol.uuid}").status_code == 404
        )

    @pytest.mark.parametrize("role", ROLES)
    def test_plan_shapes_by_role(self, personas, plan, role):
        client = client_for(personas[role])
        response = client.get(f"/api/v1/plans/{plan.uuid}")
        assert response.status_code == 200
        data = response.json()
        listed = client.get(f"/api/v1/patients/{plan.patient.uuid}/plans").json()
        assert listed["count"] == 1
        if role in ("practitioner", "nurse"):
            assert data["view"] == "full" and data["formulation_name"] == "Dutasteride cocktail"
            assert data["goals"] and data["therapies"][0]["dose"] == "1 mg daily"
        else:
            assert data["view"] == "schedule" and len(data["sessions"]) == 6
            assert "goals" not in data and "formulation_name" not in data and "therapies" not in data
            assert no_secrets(response.content.decode()) and no_secrets(json.dumps(listed))

    @pytest.mark.parametrize("role", ["other_admin", "other_practitioner"])
    def test_other_clinic(self, personas, plan, role):
        client = client_for(personas[role])
        assert client.get(f"/api/v1/plans/{plan.uuid}").status_code == 404
        assert client.get(f"/api/v1/patients/{plan.patient.uuid}/plans").status_code == 404
        assert client.post(
            f"/api/v1/plans/{plan.uuid}/status",
            json.dumps({"status": "active"}),
            content_type="application/json",
        ).status_code == (404 if role == "other_practitioner" else 403)

    def test_create_activate_shift(self, personas, patient, formulation, protocol):
        client = client_for(personas["practitioner"])
        payload = {
            "assessment_id": str(patient.assessments.first().uuid),
            "formulation_version_id": str(formulation.uuid),
            "protocol_id": str(protocol.uuid),
            "start_date": "2030-03-04",
            "goals": "Thicker",
            "therapies": [{"kind": "topical_minoxidil", "dose": "5% twice daily"}],
        }
        url = f"/api/v1/patients/{patient.uuid}/plans"
        response = client.post(url, json.dumps(payload), content_type="application/json")
        assert response.status_code == 201, response.content
        plan = response.json()
        assert plan["status"] == "draft" and plan["patient_check"] == {"hard_stops": [], "cautions": []}
        bad = client.post(
            url,
            json.dumps(payload | {"formulation_version_id": str(protocol.uuid)}),
            content_type="application/json",
        )
        assert bad.status_code == 422 and "formulation_version_id" in bad.json()["detail"]
        status_url = f"/api/v1/plans/{plan['id']}/status"
        assert (
            client.post(
                status_url, json.dumps({"status": "paused"}), content_type="application/json"
            ).status_code
            == 422
        )
        response = client.post(status_url, json.dumps({"status": "active"}), content_type="application/json")
        assert response.status_code == 200 and response.json()["status"] == "active"
        assert response.json()["status_history"][-1]["to_status"] == "active"
        session = plan["sessions"][1]
        shift_url = f"/api/v1/plans/{plan['id']}/sessions/{session['id']}/shift"
        preview = client.post(
            shift_url, json.dumps({"new_date": "2030-03-14"}), content_type="application/json"
        )
        assert preview.status_code == 200 and preview.json()["applied"] is False
        assert [c["new_date"] for c in preview.json()["changes"]][:2] == ["2030-03-14", "2030-03-21"]
        assert not SessionDateChange.objects.exists()
        applied = client.post(
            shift_url,
            json.dumps({"new_date": "2030-03-14", "confirm": True}),
            content_type="application/json",
        )
        assert applied.json()["applied"] is True and SessionDateChange.objects.count() == 5
        closed = client.post(
            shift_url, json.dumps({"new_date": "2030-03-12"}), content_type="application/json"
        )
        assert closed.status_code == 422 and "detail" in closed.json()

    def test_schedule_roles_cannot_write_plans(self, personas, plan, patient):
        for role in ("admin", "receptionist", "nurse"):
            client = client_for(personas[role])
            assert (
                client.post(
                    f"/api/v1/plans/{plan.uuid}/status",
                    json.dumps({"status": "active"}),
                    content_type="application/json",
                ).status_code
                == 403
            )
            assert client.post(
                f"/api/v1/patients/{patient.uuid}/plans", json.dumps({}), content_type="application/json"
            ).status_code in (403, 422)
            assert (
                client.post(
                    f"/api/v1/plans/{plan.uuid}/acknowledgements",
                    json.dumps({"code": "x"}),
                    content_type="application/json",
                ).status_code
                == 403
            )
        assert (
            client_for(personas["receptionist"])
            .get(f"/api/v1/plans/{plan.uuid}/acknowledgements")
            .status_code
            == 403
        )

    def test_acknowledgements(self, personas, plan, auditor):
        from follicle.treatments.tests.conftest import screen

        screen(plan.patient, auditor, result="caution")
        client = client_for(personas["practitioner"])
        data = client.get(f"/api/v1/plans/{plan.uuid}").json()
        code = data["patient_check"]["cautions"][0]["code"]
        response = client.post(
            f"/api/v1/plans/{plan.uuid}/acknowledgements",
            json.dumps({"code": code, "note": "discussed"}),
            content_type="application/json",
        )
        assert response.status_code == 201
        assert client.get(f"/api/v1/plans/{plan.uuid}/acknowledgements").json()["count"] == 1
