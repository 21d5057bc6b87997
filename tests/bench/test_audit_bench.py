"""Benchmark: what the audit trail costs, as ratios measured side by side in one run.

- append: one audited row (lock the chain head, HMAC, insert, update the head) against a plain
  one-row insert in its own transaction. Target: at most 4×.
- verify: checking the chain against reading the same rows without checking. Target: at most 6×.
Run with `make bench`; never part of `make test`.
"""

from __future__ import annotations

import statistics
import time

import pytest
from django.db import transaction

from follicle.core.audit import append, verify_chain
from follicle.core.models import AuditEvent, TaskRun

pytestmark = [pytest.mark.bench, pytest.mark.django_db(transaction=True)]

ROUNDS, PER_ROUND = 5, 200
APPEND_TARGET, VERIFY_TARGET = 4.0, 6.0


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def test_audit_costs(clinic):
    counter = iter(range(10**9))

    def plain():
        for _ in range(PER_ROUND):
            with transaction.atomic():
                TaskRun.objects.create(task_id=f"bench-{next(counter)}", name="bench", clinic=clinic)

    def audited():
        for i in range(PER_ROUND):
            append(action="bench.append", actor_label="bench", clinic=clinic, detail={"i": i})

    # Interleave the two so the machine's noise falls on both alike.
    plain_times, audit_times = [], []
    for _ in range(ROUNDS):
        plain_times.append(_timed(plain))
        audit_times.append(_timed(audited))
    append_ratio = statistics.median(audit_times) / statistics.median(plain_times)

    def read_only():
        for _event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
            pass

    read_times, verify_times = [], []
    for _ in range(ROUNDS):
        read_times.append(_timed(read_only))
        verify_times.append(_timed(lambda: verify_chain()))
    verify_ratio = statistics.median(verify_times) / statistics.median(read_times)
    rows = AuditEvent.objects.count()

    print()
    print("| measure | ratio | target |")
    print("|---|---|---|")
    append_label = f"audited append / plain insert ({PER_ROUND} rows × {ROUNDS})"
    verify_label = f"verify chain / plain read ({rows} rows × {ROUNDS})"
    print(f"| {append_label} | {append_ratio:.2f}× | ≤ {APPEND_TARGET}× |")
    print(f"| {verify_label} | {verify_ratio:.2f}× | ≤ {VERIFY_TARGET}× |")
    assert append_ratio <= APPEND_TARGET
    assert verify_ratio <= VERIFY_TARGET
