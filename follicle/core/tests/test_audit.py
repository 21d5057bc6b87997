"""The audit chain: append-only in the database, tamper-evident, and never forked by concurrency."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction

from follicle.core.audit import Auditor, append, verify_chain
from follicle.core.management.commands.audit_verify import Command as AuditVerify
from follicle.core.models import AuditChainHead, AuditEvent
from follicle.core.tests.processes import process_env


@contextmanager
def triggers_disabled():
    """What an attacker with database access would do first. Rolled back with the test."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER core_auditevent_no_update")
            cursor.execute("DROP TRIGGER core_auditevent_no_delete")
        else:
            cursor.execute("SET LOCAL session_replication_role = replica")
    yield


def _rows(n, clinic=None):
    auditor = Auditor.system(clinic=clinic, label="test")
    return [auditor.log("test.action", detail={"n": i, "text": "Ελληνικά ç"}) for i in range(n)]


def _verify_exit(capsys) -> tuple[int, str]:
    """Run `follicle audit-verify` as the command line does; return its exit code and stderr."""
    with pytest.raises(SystemExit) as exc:
        AuditVerify().run_from_argv(["follicle", "audit_verify", "--no-progress"])
    return exc.value.code, capsys.readouterr().err


@pytest.mark.django_db
class TestChain:
    def test_rows_link_and_verify(self, clinic):
        rows = _rows(5, clinic)
        assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
        assert rows[1].prev_hash == rows[0].hash
        report = verify_chain()
        assert report.ok and report.checked == 5

    def test_audit_verify_command_passes_on_intact_chain(self, clinic, capsys):
        _rows(3, clinic)
        call_command("audit_verify", "--no-progress")
        assert "3 rows verified" in capsys.readouterr().out

    def test_empty_chain_verifies(self):
        assert verify_chain().ok

    def test_database_refuses_update_and_delete(self, clinic):
        row = _rows(1, clinic)[0]
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEvent.objects.filter(pk=row.pk).update(action="changed")
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEvent.objects.filter(pk=row.pk).delete()
        assert AuditEvent.objects.get(pk=row.pk).action == "test.action"

    def test_changed_row_is_named(self, clinic, capsys):
        rows = _rows(5, clinic)
        with triggers_disabled():
            AuditEvent.objects.filter(pk=rows[2].pk).update(detail={"n": 99})
        code, err = _verify_exit(capsys)
        assert code == 1
        assert "row 3" in err and "changed" in err

    def test_changed_actor_is_detected(self, clinic, capsys):
        rows = _rows(3, clinic)
        with triggers_disabled():
            AuditEvent.objects.filter(pk=rows[0].pk).update(actor_label="someone-else")
        code, err = _verify_exit(capsys)
        assert code == 1 and "row 1" in err

    def test_deleted_row_is_named(self, clinic, capsys):
        rows = _rows(5, clinic)
        with triggers_disabled():
            AuditEvent.objects.filter(pk=rows[1].pk).delete()
        code, err = _verify_exit(capsys)
        assert code == 1
        assert "row 2 is missing" in err

    def test_deleted_last_row_is_detected(self, clinic, capsys):
        rows = _rows(4, clinic)
        with triggers_disabled():
            AuditEvent.objects.filter(pk=rows[-1].pk).delete()
        code, err = _verify_exit(capsys)
        assert code == 1
        assert "row 4" in err

    def test_inserted_row_is_named(self, clinic, capsys):
        rows = _rows(3, clinic)
        # A forged row at the end, linked correctly but without the key.
        AuditEvent.objects.create(
            seq=4,
            created_at=rows[-1].created_at,
            actor_label="forger",
            action="test.action",
            prev_hash=rows[-1].hash,
            hash="f" * 64,
        )
        code, err = _verify_exit(capsys)
        assert code == 1 and "row 4" in err

    def test_inserted_row_in_the_middle_is_named(self, clinic, capsys):
        rows = _rows(4, clinic)
        with triggers_disabled():
            # Make room after row 2, then slip a row in: renumbered rows no longer verify.
            for row in reversed(rows[2:]):
                AuditEvent.objects.filter(pk=row.pk).update(seq=row.seq + 1)
            AuditEvent.objects.create(
                seq=3,
                created_at=rows[1].created_at,
                actor_label="forger",
                action="test.action",
                prev_hash=rows[1].hash,
                hash="0" * 64,
            )
        code, err = _verify_exit(capsys)
        assert code == 1 and "row 3" in err

    def test_reordered_rows_are_named(self, clinic, capsys):
        rows = _rows(5, clinic)
        with triggers_disabled():
            a, b = rows[1], rows[3]
            AuditEvent.objects.filter(pk=a.pk).update(seq=-1)
            AuditEvent.objects.filter(pk=b.pk).update(seq=a.seq)
            AuditEvent.objects.filter(pk=a.pk).update(seq=b.seq)
        code, err = _verify_exit(capsys)
        assert code == 1 and "row 2" in err

    def test_forged_head_is_detected(self, clinic, capsys):
        _rows(3, clinic)
        AuditChainHead.objects.filter(pk=1).update(seq=2)
        code, err = _verify_exit(capsys)
        assert code == 1

    def test_auditor_records_request_context(self, rf, personas, clinic):
        request = rf.get("/", REMOTE_ADDR="10.1.2.3")
        request.user = personas["practitioner"]
        request.membership = personas["practitioner"].memberships.get()
        request.clinic = clinic
        request.request_id = "req-12345678"
        patient = uuid.uuid4()
        row = Auditor.from_request(request).log("patient.view", patient=patient, object_type="patient")
        assert (row.actor, row.role, row.clinic) == (personas["practitioner"], "practitioner", clinic)
        assert row.ip == "10.1.2.3"
        assert row.patient_uuid == patient and row.request_id == "req-12345678"

    def test_list_rows_record_query_and_count(self, clinic):
        query = {"q": "ann", "page": 1, "empty": ""}
        row = Auditor.system(clinic=clinic).log_list("staff.list", query=query, count=7)
        assert row.detail == {"query": {"q": "ann", "page": 1}, "count": 7}


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_never_fork_the_chain(clinic):
    """Several threads, each with its own database connection, append at once."""
    writers, per_writer = 8, 15
    errors: list[BaseException] = []
    barrier = threading.Barrier(writers)

    def write(n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_writer):
                append(action="test.concurrent", actor_label=f"writer-{n}", clinic=clinic, detail={"i": i})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    total = writers * per_writer
    assert AuditEvent.objects.count() == total
    assert sorted(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, total + 1))
    prev_hashes = list(AuditEvent.objects.values_list("prev_hash", flat=True))
    assert len(set(prev_hashes)) == total  # no two rows extend the same link: no fork
    report = verify_chain()
    assert report.ok, report.reason
    assert report.checked == total


@pytest.mark.django_db(transaction=True)
def test_several_worker_processes_never_fork_the_chain(clinic):
    """Separate `follicle` processes (like several workers) append to one database at once."""
    processes, per_process = 3, 25
    env = process_env()
    code = (
        "from follicle.core.audit import append\n"
        f"for i in range({per_process}):\n"
        "    append(action='test.process', actor_label='worker', detail={'i': i})\n"
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "follicle", "shell", "-c", code],
            env=env,  # noqa: S603
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    # The test process writes at the same time.
    for i in range(per_process):
        append(action="test.process", actor_label="web", clinic=clinic, detail={"i": i})
    for worker in workers:
        _out, err = worker.communicate(timeout=180)
        assert worker.returncode == 0, err
    total = (processes + 1) * per_process
    assert AuditEvent.objects.count() == total
    report = verify_chain()
    assert report.ok, report.reason
    assert report.checked == total
