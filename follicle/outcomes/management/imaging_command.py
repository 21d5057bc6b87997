"""The `follicle analyze | analyze-pair | calibrate | synth` commands: the imaging engine's own
command line (follicle.imaging.cli), with devices stored per clinic.

The engine parses its own arguments (so `--help`, errors and exit codes are the engine's); this
wrapper only takes `--clinic NAME`, which says whose devices `--device` and `--save` mean (not
needed when there is one clinic).
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from follicle.core.audit import Auditor
from follicle.core.models import Clinic
from follicle.outcomes.models import Device
from follicle.outcomes.services import device_calibrate


class ClinicNotChosen(Exception):
    pass


def _take_clinic(argv: list[str]) -> tuple[str | None, list[str]]:
    rest, clinic = [], None
    items = iter(argv)
    for item in items:
        if item == "--clinic":
            clinic = next(items, None)
        elif item.startswith("--clinic="):
            clinic = item.split("=", 1)[1]
        else:
            rest.append(item)
    return clinic, rest


def _clinic(name: str | None) -> Clinic:
    clinics = Clinic.objects.all()
    if name:
        clinic = clinics.filter(name__iexact=name).first()
        if clinic is None:
            raise ClinicNotChosen(f"no clinic named {name!r}")
        return clinic
    if clinics.count() == 1:
        return clinics.get()
    raise ClinicNotChosen("several clinics: say whose device with --clinic NAME")


class ImagingCommand(BaseCommand):
    engine_main = None  # the follicle.imaging.cli function
    uses_devices = "resolve"  # "resolve" (--device), "save" (--save) or "" (none)

    def run_from_argv(self, argv):
        clinic_name, rest = _take_clinic(list(argv[2:]))

        def clinic() -> Clinic:
            try:
                return _clinic(clinic_name)
            except ClinicNotChosen as exc:
                raise ValueError(str(exc)) from exc

        def resolve(name: str) -> float:
            device = Device.objects.filter(clinic=clinic(), name=name).first()
            if device is None:
                raise KeyError(f"no device named {name!r} in {clinic().name}")
            return device.um_per_px

        def save(name: str, um_per_px: float) -> None:
            place = clinic()
            device_calibrate(
                clinic=place,
                auditor=Auditor.system(clinic=place, label="system:cli"),
                name=name,
                um_per_px=um_per_px,
            )

        kwargs = {}
        if self.uses_devices == "resolve":
            kwargs["device_resolver"] = resolve
        elif self.uses_devices == "save":
            kwargs["device_saver"] = save
        sys.exit(type(self).engine_main(rest, **kwargs))
