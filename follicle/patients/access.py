"""Loading a patient for a request: another clinic's patient is a 404, as is an unknown one."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404

from follicle.patients.models import Patient
from follicle.patients.selectors import patient_get


def get_patient(request, uuid) -> Patient:
    clinic = getattr(request, "clinic", None)
    if clinic is None:
        raise Http404
    try:
        return patient_get(clinic=clinic, uuid=uuid)
    except (Patient.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc
