"""Background analysis of trichoscopy images and two-visit pairs (run by the Huey worker).

Each task marks its row running, runs the imaging library on the stored file, and stores the
results (and the overlay PNG) or the error. A failure is retried (the tracked TaskRun shows the
attempts); after the last attempt the row is marked failed with the reason, shown on the page.
"""

from __future__ import annotations

import io
import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from huey.contrib.djhuey import db_task

from follicle.core.audit import Auditor
from follicle.core.tasks import RETRY_DELAY
from follicle.outcomes.models import AnalysisStatus, TrichoscopyImage, TrichoscopyPair, _image_path

log = logging.getLogger(__name__)
SYSTEM_LABEL = "system:trichoscopy"
ENGINE_VERSION = "follicle-imaging 1"


def _load(field):
    from follicle.imaging import load_image

    with field.open("rb") as handle:
        return load_image(io.BytesIO(handle.read()))


def _set_status(model, pk: int, status: str, **fields) -> None:
    model.objects.filter(pk=pk).update(status=status, status_changed_at=timezone.now(), **fields)


@db_task(retries=2, retry_delay=RETRY_DELAY, context=True)
def analyse_trichoscopy(image_id: int, task=None) -> str:
    from follicle.imaging import analyze_image
    from follicle.imaging.overlay import render_overlay

    image = TrichoscopyImage.objects.select_related("patient", "clinic").filter(pk=image_id).first()
    if image is None:
        return "image not found"
    _set_status(TrichoscopyImage, image.pk, AnalysisStatus.RUNNING, error="")
    try:
        rgb = _load(image.file)
        result = analyze_image(rgb, image.um_per_px)
        overlay = io.BytesIO()
        render_overlay(rgb, result).save(overlay, format="PNG")
    except Exception as exc:
        final = task is None or not task.retries
        _set_status(
            TrichoscopyImage,
            image.pk,
            AnalysisStatus.FAILED if final else AnalysisStatus.QUEUED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        log.exception("trichoscopy analysis of %s failed", image.uuid)
        raise
    summary = result.to_dict()
    with transaction.atomic():
        image = TrichoscopyImage.objects.select_for_update().get(pk=image.pk)
        if image.overlay:
            image.overlay.delete(save=False)
        image.overlay.save(
            _image_path(image, "overlay.png").rsplit("/", 1)[-1], ContentFile(overlay.getvalue()), save=False
        )
        image.results = {k: v for k, v in summary.items() if k != "thickness_um"} | {
            "thickness_um": summary["thickness_um"][:5000]
        }
        for name in (
            "hair_count",
            "area_cm2",
            "density_per_cm2",
            "mean_thickness_um",
            "median_thickness_um",
            "vellus_fraction",
            "terminal_fraction",
            "follicular_units",
            "hairs_per_unit",
        ):
            setattr(image, name, summary[name])
        image.status = AnalysisStatus.DONE
        image.status_changed_at = timezone.now()
        image.error = ""
        image.engine_version = ENGINE_VERSION
        image.save()
        Auditor.system(clinic=image.clinic, label=SYSTEM_LABEL).log(
            "trichoscopy.analysed",
            obj=image,
            patient=image.patient,
            detail={"hair_count": image.hair_count, "density_per_cm2": image.density_per_cm2},
        )
    return f"{image.hair_count} hairs"


@db_task(retries=2, retry_delay=RETRY_DELAY, context=True)
def analyse_pair(pair_id: int, task=None) -> str:
    from follicle.imaging import analyze_pair

    pair = (
        TrichoscopyPair.objects.select_related("day0", "day2", "patient", "clinic").filter(pk=pair_id).first()
    )
    if pair is None:
        return "pair not found"
    _set_status(TrichoscopyPair, pair.pk, AnalysisStatus.RUNNING, error="")
    try:
        result = analyze_pair(_load(pair.day0.file), _load(pair.day2.file), pair.day0.um_per_px)
    except Exception as exc:
        final = task is None or not task.retries
        _set_status(
            TrichoscopyPair,
            pair.pk,
            AnalysisStatus.FAILED if final else AnalysisStatus.QUEUED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        log.exception("pair analysis of %s failed", pair.uuid)
        raise
    summary = result.to_dict()
    TrichoscopyPair.objects.filter(pk=pair.pk).update(
        status=AnalysisStatus.DONE,
        status_changed_at=timezone.now(),
        error="",
        results=summary,
        anagen_fraction=summary["anagen_fraction"],
        telogen_fraction=summary["telogen_fraction"],
    )
    Auditor.system(clinic=pair.clinic, label=SYSTEM_LABEL).log(
        "trichoscopy.pair_analysed",
        obj=pair,
        patient=pair.patient,
        detail={"anagen_fraction": summary["anagen_fraction"]},
    )
    return f"anagen {summary['anagen_fraction']:.2f}"
