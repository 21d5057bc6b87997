"""The permission matrix for patients, history, consents, screening, assessments and the catalogue
(and, in the API, session records, adverse events and measurements).

Every role, own clinic and other clinic, pages and API. Receptionists never see medical history,
screening or assessments in any page or API body.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from follicle.accounts.models import Membership
from follicle.accounts.roles import Role
from follicle.accounts.services import token_create
from follicle.assessments import services as assessment_services
from follicle.core.audit import Auditor
from follicle.patients import services as patient_services
from follicle.patients.models import Answer, MedicalHistory

A, P, N, R = Role.ADMIN.value, Role.PRACTITIONER.value, Role.NURSE.value, Role.RECEPTIONIST.value
ROLES = [A, P, N, R]
OTHER_MARKERS = ("Thessaloniki", "Ξένη", "OTHER-SECRET")
# Words that only clinical content carries: a receptionist's bodies must have none of them.
CLINICAL_MARKERS = (
    "CLINICAL-SECRET-NOTE",
    "Medical history version",
    "anticoagulants",
    "Suitability",
    "ludwig",
)


@pytest.fixture
def world(personas, clinic, other_clinic, catalogue):
    doctor = Auditor(actor=personas[P], role=P, clinic=clinic)
    patient = patient_services.patient_create(
        clinic=clinic,
        auditor=doctor,
        first_name="Ελένη",
        last_name="Δοκιμή",
        sex="female",
        date_of_birth=dt.date(1980, 1, 1),
    )
    answers = {name: Answer.NO for name in MedicalHistory.YES_NO_FIELDS} | {"anticoagulants": Answer.YES}
    patient_services.history_record(patient=patient, auditor=doctor, notes="CLINICAL-SECRET-NOTE", **answers)
    text = patient_services.consent_text_publish(
        clinic=clinic, auditor=doctor, kind="treatment", language="el", title="Συναίνεση", body="Κείμενο"
    )
    consent = patient_services.consent_sign(
        patient=patient, auditor=doctor, text=text, signed_name="Ελένη Δοκιμή SIGNATURE"
    )
    assessment = assessment_services.assessment_create(
        patient=patient,
        auditor=doctor,
        diagnosis="fphl",
        scale="ludwig",
        grade="II",
        notes="CLINICAL-SECRET-NOTE",
    )
    assessment_services.screening_decide(patient=patient, auditor=doctor, result="caution")

    other_doctor = Auditor(actor=personas["other_practitioner"], role=P, clinic=other_clinic)
    other = patient_services.patient_create(
        clinic=other_clinic,
        auditor=other_doctor,
        first_name="Ξένη",
        last_name="OTHER-SECRET",
        sex="female",
        date_of_birth=dt.date(1970, 1, 1),
    )
    patient_services.history_record(patient=other, auditor=other_doctor, **answers)
    other_assessment = assessment_services.assessment_create(
        patient=other, auditor=other_doctor, diagnosis="fphl"
    )
    return {
        "p": patient.uuid,
        "a": assessment.uuid,
        "c": consent.uuid,
        "o": other.uuid,
        "oa": other_assessment.uuid,
    }


EVERYONE = set(ROLES)
PAGES = [
    ("patient list", "/patients/", EVERYONE),
    ("patient search", "/patients/?q=Ελένη", EVERYONE),
    ("register", "/patients/new/", {A, P, R}),
    ("chart", "/patients/{p}/", EVERYONE),
    ("edit", "/patients/{p}/edit/", {A, P, R}),
    ("history", "/patients/{p}/history/", {P, N}),
    ("history edit", "/patients/{p}/history/edit/", {P, N}),
    ("consents", "/patients/{p}/consents/", EVERYONE),
    ("consent sign", "/patients/{p}/consents/sign/treatment/", {P, N}),
    ("consent withdraw", "/patients/{p}/consents/{c}/withdraw/", {P, N}),
    ("consent texts", "/patients/consent-texts/", {A}),
    ("entered in error", "/patients/{p}/entered-in-error/", {A, P, R}),
    ("assessment new", "/assessments/{p}/new/", {P}),
    ("assessment", "/assessments/{p}/{a}/", {P, N}),
    ("screening", "/assessments/{p}/screening/", {P, N}),
    ("catalogue", "/reference/", {A, P, N}),
    ("catalogue contraindications", "/reference/contraindication/", {A, P, N}),
]
OTHER_PAGES = [
    ("other chart", "/patients/{o}/", EVERYONE),
    ("other edit", "/patients/{o}/edit/", {A, P, R}),
    ("other history", "/patients/{o}/history/", {P, N}),
    ("other consents", "/patients/{o}/consents/", EVERYONE),
    ("other assessment", "/assessments/{o}/{oa}/", {P, N}),
    ("other screening", "/assessments/{o}/screening/", {P, N}),
    ("own patient, other's assessment", "/assessments/{p}/{oa}/", {P, N}),
]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _check_body(role, response):
    body = response.content.decode()
    for marker in OTHER_MARKERS:
        assert marker not in body, f"other clinic's {marker!r} in {response.request['PATH_INFO']}"
    if role == R:
        for marker in CLINICAL_MARKERS:
            assert marker not in body, (
                f"clinical {marker!r} shown to reception at {response.request['PATH_INFO']}"
            )


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "path", "allowed"), PAGES, ids=[p[0] for p in PAGES])
def test_pages(role, name, path, allowed, personas, world):
    response = _client(personas[role]).get(path.format(**world))
    assert response.status_code == (200 if role in allowed else 403), name
    _check_body(role, response)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "path", "allowed"), OTHER_PAGES, ids=[p[0] for p in OTHER_PAGES])
def test_other_clinic_pages(role, name, path, allowed, personas, world):
    response = _client(personas[role]).get(path.format(**world))
    assert response.status_code == (404 if role in allowed else 403), name
    _check_body(role, response)


def _bearer(personas, role) -> dict:
    _token, key = token_create(
        membership=Membership.objects.get(user=personas[role]), auditor=Auditor.system()
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


API = [
    ("patients", "get", "/api/v1/patients", None, EVERYONE, 200),
    ("patient", "get", "/api/v1/patients/{p}", None, EVERYONE, 200),
    (
        "patient create",
        "post",
        "/api/v1/patients",
        {"first_name": "Νέα", "last_name": "Ασθενής", "date_of_birth": "1990-02-02", "sex": "female"},
        {A, P, R},
        201,
    ),
    ("patient patch", "patch", "/api/v1/patients/{p}", {"phone": "+30 210 5555555"}, {A, P, R}, 200),
    ("history", "get", "/api/v1/patients/{p}/history", None, {P, N}, 200),
    ("history record", "post", "/api/v1/patients/{p}/history", {"answers": {"diabetes": "yes"}}, {P, N}, 201),
    ("consents", "get", "/api/v1/patients/{p}/consents", None, EVERYONE, 200),
    (
        "consent withdraw",
        "post",
        "/api/v1/patients/{p}/consents/{c}/withdraw",
        {"reason": "test"},
        {P, N},
        200,
    ),
    ("assessments", "get", "/api/v1/patients/{p}/assessments", None, {P, N}, 200),
    ("assessment", "get", "/api/v1/patients/{p}/assessments/{a}", None, {P, N}, 200),
    (
        "assessment create",
        "post",
        "/api/v1/patients/{p}/assessments",
        {"diagnosis": "telogen_effluvium"},
        {P},
        201,
    ),
    ("screening", "get", "/api/v1/patients/{p}/screening", None, {P, N}, 200),
    (
        "screening decide",
        "post",
        "/api/v1/patients/{p}/screening",
        {"result": "suitable", "override_reason": "controlled"},
        {P},
        201,
    ),
    ("catalogue kinds", "get", "/api/v1/reference/kinds", None, {A, P, N}, 200),
    ("catalogue entry", "get", "/api/v1/reference/contraindication/diabetes", None, {A, P, N}, 200),
    ("session records", "get", "/api/v1/session-records", None, {P, N}, 200),
    ("patient's session records", "get", "/api/v1/session-records?patient={p}", None, {P, N}, 200),
    ("adverse events", "get", "/api/v1/adverse-events", None, {P, N}, 200),
    ("patient's adverse events", "get", "/api/v1/adverse-events?patient={p}", None, {P, N}, 200),
    ("adverse event counts", "get", "/api/v1/adverse-events/summary", None, {A, P, N}, 200),
    (
        "adverse event report",
        "post",
        "/api/v1/patients/{p}/adverse-events",
        {"term": "pain", "grade": 1, "onset_date": "2024-05-02"},
        {P, N},
        201,
    ),
    ("measurement sites", "get", "/api/v1/patients/{p}/measurement-sites", None, {P, N}, 200),
    (
        "measurement site create",
        "post",
        "/api/v1/patients/{p}/measurement-sites",
        {"name": "Vertex", "zone": "vertex", "landmark": "crown whorl"},
        {P, N},
        201,
    ),
    ("measurements", "get", "/api/v1/patients/{p}/measurements", None, {P, N}, 200),
    (
        "measurement add",
        "post",
        "/api/v1/patients/{p}/measurements",
        {"kind": "density_per_cm2", "value": 140, "measured_on": "2024-05-02", "source": "report"},
        {P, N},
        201,
    ),
    ("overdue policy", "get", "/api/v1/safety/overdue-policy", None, {A, P, N}, 200),
    ("overdue policy set", "put", "/api/v1/safety/overdue-policy", [{"term": "pain", "days": 4}], {A}, 200),
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method", "path", "payload", "allowed", "ok"), API, ids=[a[0] for a in API])
def test_api(role, name, method, path, payload, allowed, ok, personas, world):
    client = Client(**_bearer(personas, role))
    kwargs = {"data": json.dumps(payload), "content_type": "application/json"} if payload is not None else {}
    response = getattr(client, method)(path.format(**world), **kwargs)
    assert response.status_code == (ok if role in allowed else 403), (name, response.content[:300])
    _check_body(role, response)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/v1/patients/{o}", EVERYONE),
        ("/api/v1/patients/{o}/history", {P, N}),
        ("/api/v1/patients/{o}/screening", {P, N}),
        ("/api/v1/patients/{o}/assessments/{oa}", {P, N}),
        ("/api/v1/session-records?patient={o}", {P, N}),
        ("/api/v1/adverse-events?patient={o}", {P, N}),
        ("/api/v1/patients/{o}/measurement-sites", {P, N}),
        ("/api/v1/patients/{o}/measurements", {P, N}),
    ],
)
def test_api_other_clinic(role, path, allowed, personas, world):
    response = Client(**_bearer(personas, role)).get(path.format(**world))
    assert response.status_code == (404 if role in allowed else 403)
    _check_body(role, response)


@pytest.mark.django_db
def test_reception_gets_consent_status_only(personas, world):
    body = Client(**_bearer(personas, R)).get(f"/api/v1/patients/{world['p']}/consents").json()
    assert body == {
        "treatment": True,
        "treatment_signed_at": body["treatment_signed_at"],
        "photo": False,
        "photo_signed_at": None,
    }
    page = _client(personas[R]).get(f"/patients/{world['p']}/consents/").content.decode()
    assert "SIGNATURE" not in page  # the signed record itself is not shown
    assert "SIGNATURE" in _client(personas[N]).get(f"/patients/{world['p']}/consents/").content.decode()


@pytest.mark.django_db
def test_chart_reads_are_audited_per_patient(personas, world):
    from follicle.core.models import AuditEvent

    _client(personas[N]).get(f"/patients/{world['p']}/")
    event = AuditEvent.objects.filter(action="patient.view").latest("seq")
    assert str(event.patient_uuid) == str(world["p"]) and event.role == N
