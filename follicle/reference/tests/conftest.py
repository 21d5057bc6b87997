"""Reference fixtures: the real data files, loaded once per test through the service."""

from __future__ import annotations

import shutil

import pytest

from follicle.core.audit import Auditor
from follicle.reference.loader import DEFAULT_DATA_DIR
from follicle.reference.services import AUDIT_LABEL, reference_load


@pytest.fixture
def reference(db):
    """The shipped catalogue, loaded (about 150 entries)."""
    return reference_load(auditor=Auditor.system(label=AUDIT_LABEL))


@pytest.fixture
def data_dir(tmp_path):
    """A writable copy of the shipped data files, for tests that change or break one."""
    target = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, target, ignore=shutil.ignore_patterns("*.md"))
    return target
