"""Pages: every role books and checks in; admins keep the resources; other clinics see nothing."""

from __future__ import annotations

import pytest

from conftest import client_for
from follicle.scheduling.models import Appointment
from follicle.scheduling.tests.conftest import MONDAY, at

STAFF = ("admin", "practitioner", "nurse", "receptionist")


@pytest.fixture
def appointment(book, active_plan, setup):
    session = active_plan.sessions.get(number=1)
    return book(
        at(session.planned_date, 10),
        patient=active_plan.patient,
        type="session",
        room=setup["room"],
        planned_session=session,
    )


@pytest.fixture
def active_plan(plan, auditor):
    from follicle.treatments.services import plan_activate

    return plan_activate(plan=plan, auditor=auditor)


@pytest.mark.django_db
class TestPages:
    @pytest.mark.parametrize("role", STAFF)
    def test_every_role_sees_the_day_calendar_and_appointment(self, personas, appointment, role):
        client = client_for(personas[role])
        day = client.get(f"/scheduling/?date={MONDAY:%Y-%m-%d}")
        assert day.status_code == 200 and "Παπαδοπούλου" in day.content.decode()
        week = client.get(f"/scheduling/calendar/?view=week&date={MONDAY:%Y-%m-%d}")
        assert week.status_code == 200 and "Παπαδοπούλου" in week.content.decode()
        detail = client.get(f"/scheduling/appointments/{appointment.uuid}/")
        assert detail.status_code == 200
        assert client.get("/scheduling/book/").status_code == 200

    def test_reception_never_sees_clinical_content(self, personas, appointment, active_plan):
        client = client_for(personas["receptionist"])
        pages = [
            client.get(f"/scheduling/?date={MONDAY:%Y-%m-%d}"),
            client.get(f"/scheduling/appointments/{appointment.uuid}/"),
            client.get(f"/scheduling/plans/{active_plan.uuid}/book/"),
            client.get(f"/scheduling/calendar/?view=day&date={MONDAY:%Y-%m-%d}"),
        ]
        for page in pages:
            html = page.content.decode()
            assert page.status_code == 200
            for clinical in ("Dutasteride", "Stop the shedding", "finasteride", "nappage"):
                assert clinical not in html

    def test_other_clinic_gets_404(self, personas, appointment, active_plan):
        client = client_for(personas["other_admin"])
        assert client.get(f"/scheduling/appointments/{appointment.uuid}/").status_code == 404
        assert client.get(f"/scheduling/plans/{active_plan.uuid}/book/").status_code == 404
        response = client.post(
            f"/scheduling/appointments/{appointment.uuid}/status/", {"status": "checked_in"}
        )
        assert response.status_code == 404
        assert "Παπαδοπούλου" not in client.get(f"/scheduling/?date={MONDAY:%Y-%m-%d}").content.decode()

    def test_htmx_partials(self, personas, appointment):
        client = client_for(personas["receptionist"])
        day = client.get(f"/scheduling/?date={MONDAY:%Y-%m-%d}", HTTP_HX_REQUEST="true")
        assert "<html" not in day.content.decode() and "Check in" in day.content.decode()
        cal = client.get(f"/scheduling/calendar/?view=day&date={MONDAY:%Y-%m-%d}", HTTP_HX_REQUEST="true")
        assert "<html" not in cal.content.decode() and 'data-testid="calendar"' in cal.content.decode()
        row = client.post(
            f"/scheduling/appointments/{appointment.uuid}/status/",
            {"status": "checked_in"},
            HTTP_HX_REQUEST="true",
        )
        assert row.status_code == 200 and "Checked in" in row.content.decode()
        row = client.post(
            f"/scheduling/appointments/{appointment.uuid}/status/",
            {"status": "cancelled"},
            HTTP_HX_REQUEST="true",
        )
        assert "reason" in row.content.decode()

    def test_book_form_books_and_shows_conflicts(self, personas, doctor, setup, make_patient, book):
        patient = make_patient(first_name="Νίκος", last_name="Γεωργίου", sex="male")
        client = client_for(personas["receptionist"])
        form = client.get(f"/scheduling/book/?patient={patient.uuid}")
        assert "Γεωργίου" in form.content.decode()
        data = {
            "patient": patient.uuid,
            "type": "consultation",
            "practitioner": doctor.uuid,
            "date": f"{MONDAY:%Y-%m-%d}",
            "slot": "11:00",
        }
        response = client.post("/scheduling/book/", data)
        assert response.status_code == 302
        assert Appointment.objects.get(patient=patient).starts_at == at(MONDAY, 11)
        again = client.post("/scheduling/book/", data)
        assert again.status_code == 200 and "already booked" in again.content.decode()

    def test_free_slots_partial(self, personas, doctor, book):
        book(at(MONDAY, 9))
        client = client_for(personas["receptionist"])
        html = client.get(
            f"/scheduling/slots/?practitioner={doctor.uuid}&date={MONDAY:%Y-%m-%d}&type=consultation"
        ).content.decode()
        assert 'value="09:30"' in html and 'value="09:00"' not in html and 'value="09:15"' not in html

    def test_move_page(self, personas, appointment):
        client = client_for(personas["receptionist"])
        new_day = MONDAY.replace(day=6)
        response = client.post(
            f"/scheduling/appointments/{appointment.uuid}/",
            {
                "practitioner": appointment.practitioner.uuid,
                "room": appointment.room.uuid,
                "date": f"{new_day:%Y-%m-%d}",
                "time": "12:00",
            },
        )
        assert response.status_code == 302
        appointment.refresh_from_db()
        assert appointment.starts_at == at(new_day, 12)

    def test_series_page_previews_then_books(self, personas, active_plan, doctor, setup):
        client = client_for(personas["receptionist"])
        data = {"practitioner": doctor.uuid, "room": setup["room"].uuid, "preferred": "10:00"}
        preview = client.post(f"/scheduling/plans/{active_plan.uuid}/book/", data)
        assert preview.status_code == 200 and "Free" in preview.content.decode()
        assert Appointment.objects.count() == 0
        count = active_plan.sessions.count()
        times = {f"at_{n}": preview.context["form"][f"at_{n}"].value() for n in range(1, count + 1)}
        booked = client.post(f"/scheduling/plans/{active_plan.uuid}/book/", data | times | {"confirm": "1"})
        assert booked.status_code == 302
        assert Appointment.objects.filter(planned_session__plan=active_plan).count() == count


@pytest.mark.django_db
class TestResources:
    @pytest.mark.parametrize("role", ["practitioner", "nurse", "receptionist"])
    def test_only_admins(self, personas, role, setup):
        assert client_for(personas[role]).get("/scheduling/resources/").status_code == 403

    def test_admin_manages_rooms_types_hours_settings(self, personas, setup, doctor):
        client = client_for(personas["admin"])
        assert client.get("/scheduling/resources/").status_code == 200
        assert (
            client.post(
                "/scheduling/resources/", {"form": "room", "room-name": "Room 3", "room-is_active": "on"}
            ).status_code
            == 302
        )
        assert (
            client.post(
                "/scheduling/resources/kinds/consultation/", {"name": "Consult", "default_minutes": 45}
            ).status_code
            == 302
        )
        assert (
            client.post(
                "/scheduling/resources/",
                {"form": "settings", "settings-slot_minutes": 10, "settings-reminder_hours_before": 24},
            ).status_code
            == 302
        )
        hours = client.post(
            f"/scheduling/resources/practitioners/{doctor.uuid}/",
            {"form": "hours", "works_0": "on", "from_0": "10:00", "until_0": "14:00"},
        )
        assert hours.status_code == 302
        assert doctor.working_hours.get().starts_at.hour == 10
        off = client.post(
            f"/scheduling/resources/practitioners/{doctor.uuid}/",
            {"form": "absence", "start_date": "2030-03-06", "end_date": "2030-03-07", "reason": "Conference"},
        )
        assert off.status_code == 302 and doctor.absences.count() == 1

    def test_other_clinic_resources_are_404(self, personas, setup, doctor):
        client = client_for(personas["other_admin"])
        assert client.get(f"/scheduling/resources/rooms/{setup['room'].uuid}/").status_code == 404
        assert client.get(f"/scheduling/resources/practitioners/{doctor.uuid}/").status_code == 404


@pytest.mark.django_db
def test_failed_reminder_is_shown_with_its_reason(personas, appointment):
    from follicle.scheduling.models import Reminder

    Reminder.objects.filter(appointment=appointment).delete()
    Reminder.objects.create(
        appointment=appointment,
        send_at=appointment.starts_at,
        status=Reminder.Status.FAILED,
        attempts=4,
        last_error="SMTPRecipientsRefused: mailbox unavailable",
    )
    body = (
        client_for(personas["receptionist"])
        .get(f"/scheduling/appointments/{appointment.uuid}/")
        .content.decode()
    )
    assert "mailbox unavailable" in body and "4 attempts" in body


@pytest.mark.django_db
def test_booking_form_finds_patients_as_you_type(personas, make_patient):
    make_patient(first_name="Γιώργος", last_name="Σταματόπουλος", sex="male")
    make_patient(first_name="Anna", last_name="Smith")
    client = client_for(personas["receptionist"])
    body = client.get("/scheduling/patient-options/?q=yiorgos", HTTP_HX_REQUEST="true").content.decode()
    assert "Σταματόπουλος" in body and "Smith" not in body and "<option" in body
    assert "No patient matches" in client.get("/scheduling/patient-options/?q=zzz").content.decode()
    assert 'id="patient-search"' in client.get("/scheduling/book/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["admin", "practitioner", "nurse", "receptionist"])
def test_chart_lists_the_patients_appointments(personas, appointment, role):
    body = client_for(personas[role]).get(f"/patients/{appointment.patient.uuid}/").content.decode()
    assert 'data-testid="appointments-card"' in body
    assert f"/scheduling/appointments/{appointment.uuid}/" in body
