"""No double booking, ever: many bookings of one slot at once, from threads and processes.

Threads (each with its own database connection) book through the service and through the HTTP
API; separate `follicle` processes book through the service. All wait for one signal and then
fire together. Exactly one booking wins; every other one is a clean SlotTaken / 409. Runs on
SQLite (a file database, IMMEDIATE transactions) and on PostgreSQL (exclusion constraints).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import threading
import time

import pytest
from django.db import connection, connections
from django.test import Client

from follicle.accounts.models import Membership
from follicle.accounts.services import token_create
from follicle.core.audit import Auditor
from follicle.core.models import OpeningHours
from follicle.core.tests.processes import process_env
from follicle.scheduling import services
from follicle.scheduling.models import Appointment, Room
from follicle.scheduling.tests.conftest import MONDAY, at

THREADS_SERVICE, THREADS_API, PROCESSES = 8, 6, 8

PROCESS_CODE = """
import pathlib, sys, time
from follicle.core.audit import Auditor
from follicle.core.models import Clinic
from follicle.accounts.models import User
from follicle.patients.models import Patient
from follicle.scheduling import services
from follicle.scheduling.models import AppointmentType, Room
import datetime as dt
clinic = Clinic.objects.get(pk={clinic})
args = dict(
    clinic=clinic, auditor=Auditor.system(clinic=clinic, label="worker"),
    patient=Patient.objects.get(pk={patient}), practitioner=User.objects.get(pk={practitioner}),
    type=AppointmentType.objects.get(pk={type}), room=Room.objects.get(pk={room}),
    starts_at=dt.datetime.fromisoformat("{starts_at}"),
)
directory = pathlib.Path("{directory}")
(directory / "ready-{n}").touch()
deadline = time.monotonic() + 120
while not (directory / "go").exists() and time.monotonic() < deadline:
    time.sleep(0.005)
try:
    services.appointment_book(**args)
except services.SlotTaken as exc:
    print("taken:" + " ".join(exc.messages))
else:
    print("ok")
"""


@pytest.mark.django_db(transaction=True)
def test_one_slot_many_bookings_exactly_one_wins(clinic, personas, make_patient, tmp_path):
    for weekday in range(5):
        OpeningHours.objects.create(
            clinic=clinic, weekday=weekday, opens_at=dt.time(9), closes_at=dt.time(17)
        )
    reception = Auditor(actor=personas["receptionist"], role="receptionist", clinic=clinic)
    types = {t.code: t for t in services.appointment_types_install_defaults(clinic=clinic, auditor=reception)}
    room = Room.objects.create(clinic=clinic, name="Room 1")
    patient = make_patient()
    doctor = personas["practitioner"]
    _token, key = token_create(
        membership=Membership.objects.get(user=personas["receptionist"]), auditor=Auditor.system()
    )
    starts_at = at(MONDAY, 10)
    go = threading.Event()
    results: list[tuple[str, str]] = []
    lock = threading.Lock()

    def record(kind, outcome):
        with lock:
            results.append((kind, outcome))

    def by_service(i):
        try:
            go.wait(120)
            auditor = Auditor(actor=personas["receptionist"], role="receptionist", clinic=clinic)
            # Some start a little later, so they meet the overlap check and not only the lock.
            services.appointment_book(
                clinic=clinic,
                auditor=auditor,
                patient=patient,
                practitioner=doctor,
                type=types["session"],
                room=room,
                starts_at=starts_at + dt.timedelta(minutes=15 * (i % 2)),
            )
            record("service", "ok")
        except services.SlotTaken as exc:
            record("service", "taken:" + " ".join(exc.messages))
        except Exception as exc:  # noqa: BLE001 - reported and failed below
            record("service", f"error:{exc!r}")
        finally:
            connection.close()

    def by_api(i):
        try:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
            payload = {
                "patient": str(patient.uuid),
                "practitioner": str(doctor.uuid),
                "type": "session",
                "room": str(room.uuid),
                "starts_at": starts_at.isoformat(),
            }
            go.wait(120)
            response = client.post(
                "/api/v1/appointments", data=json.dumps(payload), content_type="application/json"
            )
            if response.status_code == 201:
                record("api", "ok")
            elif response.status_code == 409:
                record("api", "taken:" + response.json()["detail"])
            else:
                record("api", f"error:{response.status_code} {response.content[:300]!r}")
        except Exception as exc:  # noqa: BLE001
            record("api", f"error:{exc!r}")
        finally:
            connection.close()

    env = process_env()
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "follicle",
                "shell",
                "-c",
                PROCESS_CODE.format(
                    clinic=clinic.pk,
                    patient=patient.pk,
                    practitioner=doctor.pk,
                    type=types["session"].pk,
                    room=room.pk,
                    starts_at=(starts_at + dt.timedelta(minutes=15 * (n % 2))).isoformat(),
                    directory=tmp_path,
                    n=n,
                ),
            ],
            env=env,  # noqa: S603
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(PROCESSES)
    ]
    threads = [threading.Thread(target=by_service, args=(i,)) for i in range(THREADS_SERVICE)]
    threads += [threading.Thread(target=by_api, args=(i,)) for i in range(THREADS_API)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("ready-*"))) < PROCESSES and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(list(tmp_path.glob("ready-*"))) == PROCESSES, [w.poll() for w in workers]
    (tmp_path / "go").touch()
    go.set()
    for thread in threads:
        thread.join(180)
    for worker in workers:
        out, err = worker.communicate(timeout=180)
        assert worker.returncode == 0, err
        record("process", out.strip().splitlines()[-1])
    connections.close_all()

    attempts = THREADS_SERVICE + THREADS_API + PROCESSES
    assert len(results) == attempts >= 20
    errors = [r for r in results if not r[1].startswith(("ok", "taken:"))]
    assert errors == []
    wins = [r for r in results if r[1] == "ok"]
    assert len(wins) == 1, results
    assert {kind for kind, outcome in results if outcome.startswith("taken:")} >= {"api"}
    assert all("already booked" in o or "a moment ago" in o for _k, o in results if o.startswith("taken:"))
    assert Appointment.objects.filter(status="booked").count() == 1
