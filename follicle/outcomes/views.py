"""Pages of measurement sites and trichoscopy visits.

"measurements" (practitioner, nurse) reads and writes; correcting a hair count is
"clinical_signoff" (practitioner only). Receptionists and admins never see measurements (403);
another clinic's patient, site, image or pair is a 404. Image files have no URL of their own: they
are sent by `image_file` and `image_overlay`, after the same check, with an audit row each.

While an analysis waits or runs, the status part of the page asks again every 2 s (htmx). Those
answers carry the status only and are not audited; the answer that brings the results is, like
the page itself (one row per request that shows patient data).
"""

from __future__ import annotations

import math
from decimal import Decimal
from types import SimpleNamespace

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from follicle.accounts.roles import can
from follicle.core.access import require, staff_view
from follicle.core.audit import Auditor
from follicle.core.forms import add_service_errors
from follicle.outcomes import measuring, selectors
from follicle.outcomes.forms import (
    CorrectionForm,
    InErrorForm,
    MeasurementForm,
    PairForm,
    ReferenceForm,
    SiteForm,
    UploadForm,
)
from follicle.outcomes.models import (
    AnalysisStatus,
    Measurement,
    MeasurementSite,
    TrichoscopyImage,
    TrichoscopyPair,
)
from follicle.patients.access import get_patient
from follicle.procedures.views import scalp_map

PENDING = (AnalysisStatus.QUEUED, AnalysisStatus.RUNNING)
STALE_AFTER_SECONDS = 120  # still waiting after this: the worker may not be running


# --------------------------------------------------------------------------- loading
def _site(request, uuid) -> MeasurementSite:
    try:
        return selectors.site_get(clinic=request.clinic, uuid=uuid)
    except (MeasurementSite.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc


def _image(request, uuid) -> TrichoscopyImage:
    try:
        return selectors.image_get(clinic=request.clinic, uuid=uuid)
    except (TrichoscopyImage.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc


def _pair(request, uuid) -> TrichoscopyPair:
    try:
        return selectors.pair_get(clinic=request.clinic, uuid=uuid)
    except (TrichoscopyPair.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc


def _measurement(request, uuid) -> Measurement:
    try:
        return selectors.measurement_get(clinic=request.clinic, uuid=uuid)
    except (Measurement.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc


# --------------------------------------------------------------------------- display helpers
def number(value, places: int = 1) -> str:
    if value is None:
        return "—"
    return formats.number_format(value, decimal_pos=places, use_l10n=True)


def percent(value) -> str:
    return "—" if value is None else f"{number(100 * value, 0)} %"


def site_map(sites) -> dict:
    """The session record's read-only scalp map with the zones of `sites` shaded.

    The map is drawn by procedures' `scalp_map()`; it reads a session record's zones, so it is
    given one whose only "treated" zones are the sites' (no points, so no figures are drawn), and
    each zone's description then names its sites instead of injections.
    """
    marked: dict[str, list[str]] = {}
    for site in sites:
        marked.setdefault(site.zone, []).append(site.name)
    rows = [SimpleNamespace(zone=zone, volume_ml=Decimal(1), points=0) for zone in marked]
    drawn = scalp_map(SimpleNamespace(zones=SimpleNamespace(all=lambda: rows), prepared_volume_ml=None))
    for zone in drawn["zones"]:
        names = marked.get(zone["key"])
        zone["level"] = 4 if names else 0
        zone["description"] = (
            _("%(zone)s: %(sites)s") % {"zone": zone["label"], "sites": ", ".join(names)}
            if names
            else _("%(zone)s: no measurement site") % {"zone": zone["label"]}
        )
    return drawn


def _nice_step(most: int) -> int:
    """A round step for the count axis: about four gridlines."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if most / step <= 4:
            return step
    return 10_000


HIST = {"width": 420, "height": 220, "left": 34, "right": 8, "top": 14, "bottom": 40}


def _c(value: float) -> str:
    """An SVG coordinate: always with a dot, whatever the language (templates would localise floats)."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def thickness_histogram(results: dict) -> dict | None:
    """The engine's thickness histogram as SVG bars (drawn on the server) and table rows."""
    hist = (results or {}).get("thickness_histogram") or {}
    edges, counts = hist.get("edges_um") or [], hist.get("counts") or []
    if len(edges) != len(counts) + 1 or not counts:
        return None
    vellus_max = (results or {}).get("vellus_max_um")
    bins = [
        {"low": edges[i], "high": edges[i + 1], "count": int(c), "label": f"{edges[i]:g}–{edges[i + 1]:g}"}
        for i, c in enumerate(counts)
    ]
    bins.append(
        {"low": edges[-1], "high": None, "count": int(hist.get("above") or 0), "label": f"≥ {edges[-1]:g}"}
    )
    total = sum(b["count"] for b in bins)
    most = max(b["count"] for b in bins)
    step = _nice_step(most)
    top = max(step, math.ceil(most / step) * step)
    width, height, left, right, top_m, bottom = (
        HIST[k] for k in ("width", "height", "left", "right", "top", "bottom")
    )
    plot_w, plot_h = width - left - right, height - top_m - bottom
    slot = plot_w / len(bins)
    base = top_m + plot_h
    for i, b in enumerate(bins):
        bar = plot_h * b["count"] / top
        b |= {
            "x": _c(left + i * slot + 1.5),
            "y": _c(base - bar),
            "w": _c(slot - 3),
            "h": _c(bar),
            "vellus": vellus_max is not None and b["high"] is not None and b["high"] <= vellus_max,
            "share": percent(b["count"] / total) if total else "—",
        }
    ticks = [{"value": v, "y": _c(base - plot_h * v / top)} for v in range(0, top + 1, step)]
    labels = [
        {"value": f"{edge:g}" + ("+" if i == len(edges) - 1 else ""), "x": _c(left + i * slot)}
        for i, edge in enumerate(edges)
        if i % 2 == 0
    ]
    vellus_x = None
    if vellus_max is not None and edges[0] <= vellus_max <= edges[-1]:
        vellus_x = left + (vellus_max - edges[0]) / (edges[1] - edges[0]) * slot
    peak = max(bins, key=lambda b: b["count"])
    return {
        "width": width,
        "height": height,
        "left": left,
        "right_x": width - right,
        "base": base,
        "top": top_m,
        "tick_x": left - 6,
        "label_y": base + 15,
        "axis_label_x": _c(left + plot_w / 2),
        "axis_label_y": height - 4,
        "bins": bins,
        "ticks": ticks,
        "labels": labels,
        "total": total,
        "vellus_max": f"{vellus_max:g}" if vellus_max is not None else None,
        "vellus_x": _c(vellus_x) if vellus_x is not None else None,
        "vellus_label_x": _c((vellus_x or 0) + 4),
        "vellus_label_y": top_m + 10,
        "summary": _("%(total)s hairs measured; the most (%(n)s) between %(label)s µm thick.")
        % {"total": total, "n": peak["count"], "label": peak["label"]}
        if total
        else _("No hair was measured."),
    }


def result_rows(image: TrichoscopyImage) -> list[dict]:
    """The analysis's figures, formatted, for the results table."""
    corrected = image.corrected_count is not None
    rows = [
        {"key": "engine-count", "label": _("Hair count (engine)"), "value": number(image.hair_count, 0)},
    ]
    if corrected:
        rows.append(
            {
                "key": "corrected-count",
                "label": _("Corrected hair count (used)"),
                "value": number(image.corrected_count, 0),
                "note": _("by %(who)s on %(when)s: %(why)s")
                % {
                    "who": image.corrected_by.display_name if image.corrected_by else "—",
                    "when": formats.date_format(timezone.localtime(image.corrected_at), "d/m/Y H:i"),
                    "why": image.correction_reason,
                },
            }
        )
    rows += [
        {"key": "area", "label": _("Area analysed (cm²)"), "value": number(image.area_cm2, 3)},
        {
            "key": "density",
            "label": _("Density (hairs/cm²)") + (" " + _("from the corrected count") if corrected else ""),
            "value": number(image.density_used, 1),
        },
        {
            "key": "mean-thickness",
            "label": _("Mean thickness (µm)"),
            "value": number(image.mean_thickness_um, 1),
        },
        {
            "key": "median-thickness",
            "label": _("Median thickness (µm)"),
            "value": number(image.median_thickness_um, 1),
        },
        {"key": "vellus", "label": _("Vellus share"), "value": percent(image.vellus_fraction)},
        {"key": "terminal", "label": _("Terminal share"), "value": percent(image.terminal_fraction)},
        {"key": "units", "label": _("Follicular units"), "value": number(image.follicular_units, 0)},
        {"key": "hairs-per-unit", "label": _("Hairs per unit"), "value": number(image.hairs_per_unit, 2)},
    ]
    return rows


def alt_text(image: TrichoscopyImage, overlay: bool = False) -> str:
    values = {"site": image.site.name, "date": formats.date_format(image.taken_on, "d/m/Y")}
    if overlay:
        return (
            _("Analysis overlay of %(site)s, %(date)s: terminal hairs in orange, vellus hairs in cyan")
            % values
        )
    return _("Trichoscopy image of %(site)s, %(date)s") % values


def _stale(row) -> bool:
    return (
        row.status == AnalysisStatus.QUEUED
        and (timezone.now() - row.status_changed_at).total_seconds() > STALE_AFTER_SECONDS
    )


# --------------------------------------------------------------------------- a patient's sites
def _with(obj, **attrs):
    for name, value in attrs.items():
        setattr(obj, name, value)
    return obj


def _sites_context(request, patient, **forms) -> dict:
    sites = selectors.site_list(patient=patient)
    current = [s for s in sites if not s.is_archived]
    return {
        "patient": patient,
        "sites": sites,
        "map": site_map(current),
        "measurements": [
            _with(m, value_display=formats.number_format(m.value, use_l10n=True))
            for m in selectors.measurement_list(patient=patient)
        ],
        "can_write": can(request.membership.role, "measurements", "w"),
        "site_form": forms.get("site_form") or SiteForm(),
        "measurement_form": forms.get("measurement_form") or MeasurementForm(sites=current),
    }


@staff_view("measurements", "r")
def sites(request, uuid):
    patient = get_patient(request, uuid)
    status = 200
    form = None
    if request.method == "POST":
        require(request, "measurements", "w")
        form = SiteForm(request.POST)
        if form.is_valid():
            try:
                site = measuring.site_create(
                    patient=patient, auditor=Auditor.from_request(request), **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The site “%(name)s” was added.") % {"name": site.name})
                return redirect("outcomes:site", site.uuid)
        status = 422
    Auditor.from_request(request).log("site.list", obj=patient, patient=patient)
    return render(
        request, "outcomes/sites.html", _sites_context(request, patient, site_form=form), status=status
    )


@staff_view("measurements", "w")
@require_POST
def measurement_add(request, uuid):
    patient = get_patient(request, uuid)
    form = MeasurementForm(request.POST, sites=[s for s in selectors.site_list(patient=patient)])
    if form.is_valid():
        try:
            measuring.measurement_add(
                patient=patient, auditor=Auditor.from_request(request), **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The measurement was added."))
            return redirect(reverse("outcomes:sites", args=[patient.uuid]) + "#measurements")
    Auditor.from_request(request).log("site.list", obj=patient, patient=patient)
    context = _sites_context(request, patient, measurement_form=form)
    return render(request, "outcomes/sites.html", context, status=422)


@staff_view("measurements", "w")
@require_POST
def measurement_in_error(request, uuid):
    measurement = _measurement(request, uuid)
    form = InErrorForm(request.POST)
    back = reverse("outcomes:sites", args=[measurement.patient.uuid]) + "#measurements"
    if form.is_valid():
        try:
            measuring.measurement_mark_in_error(
                measurement=measurement,
                auditor=Auditor.from_request(request),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The measurement was marked entered in error."))
    else:
        messages.error(request, _("Give the reason."))
    return redirect(back)


# --------------------------------------------------------------------------- one site
def _site_context(request, site: MeasurementSite, **forms) -> dict:
    role = request.membership.role
    images = selectors.site_images(site=site)
    visible = [i for i in images if not i.entered_in_error]
    pairs = selectors.pair_list(site=site)
    previous = visible[0] if visible else None
    devices = selectors.device_list(clinic=request.clinic)
    return {
        "site": site,
        "patient": site.patient,
        "map": site_map([site]),
        "images": images,
        "images_pending": any(i.status in PENDING for i in images),
        "pairs": pairs,
        "pairs_pending": any(p.status in PENDING for p in pairs),
        "reference": site.reference_image
        if site.reference_image and not site.reference_image.entered_in_error
        else None,
        "previous": previous,
        "can_write": can(role, "measurements", "w"),
        "upload_form": forms.get("upload_form") or UploadForm(devices=devices),
        "has_devices": devices.exists(),
        "edit_form": forms.get("edit_form") or SiteForm(initial=SiteForm.initial_for(site), editing=True),
        "edit_open": "edit_form" in forms,
        "pair_form": forms.get("pair_form") or PairForm(images=visible),
        "pair_images": len(visible),
    }


def _site_refused(request, site, **forms):
    Auditor.from_request(request).log("site.view", obj=site, patient=site.patient)
    return render(request, "outcomes/site.html", _site_context(request, site, **forms), status=422)


@staff_view("measurements", "r")
def site_detail(request, uuid):
    site = _site(request, uuid)
    context = _site_context(request, site)
    if request.htmx and request.GET.get("part") in ("images", "pairs"):
        part = request.GET["part"]
        if not context[f"{part}_pending"]:  # the poll that brings new results is a read
            Auditor.from_request(request).log("site.view", obj=site, patient=site.patient)
        response = render(request, f"outcomes/site.html#{part}", context)
    else:
        Auditor.from_request(request).log("site.view", obj=site, patient=site.patient)
        response = render(request, "outcomes/site.html", context)
    response["Vary"] = "HX-Request"
    return response


@staff_view("measurements", "w")
@require_POST
def site_edit(request, uuid):
    site = _site(request, uuid)
    form = SiteForm(request.POST, editing=True)
    if form.is_valid():
        try:
            measuring.site_update(site=site, auditor=Auditor.from_request(request), **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The site was saved."))
            return redirect("outcomes:site", site.uuid)
    return _site_refused(request, site, edit_form=form)


@staff_view("measurements", "w")
@require_POST
def site_reference(request, uuid):
    site = _site(request, uuid)
    form = ReferenceForm(request.POST)
    if not form.is_valid():
        raise Http404
    try:
        image = selectors.image_for_site(site=site, uuid=form.cleaned_data["image"])
    except TrichoscopyImage.DoesNotExist as exc:
        raise Http404 from exc
    try:
        measuring.site_update(site=site, auditor=Auditor.from_request(request), reference_image=image)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("The image of %(date)s is now the site's reference image.")
            % {"date": formats.date_format(image.taken_on, "d/m/Y")},
        )
    return redirect("outcomes:site", site.uuid)


@staff_view("measurements", "w")
@require_POST
def upload(request, uuid):
    site = _site(request, uuid)
    if site.is_archived:  # the page has no upload form then: say so rather than show a form's error
        messages.error(request, _("This site is no longer measured."))
        return redirect("outcomes:site", site.uuid)
    form = UploadForm(request.POST, request.FILES, devices=selectors.device_list(clinic=request.clinic))
    if form.is_valid():
        file = form.cleaned_data["file"]
        try:
            image = measuring.trichoscopy_upload(
                site=site,
                auditor=Auditor.from_request(request),
                data=file.read(),
                filename=file.name,
                taken_on=form.cleaned_data["taken_on"],
                device=form.cleaned_data["device"],
                um_per_px=form.cleaned_data["um_per_px"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The image was uploaded; the analysis runs in the background."))
            return redirect("outcomes:image", image.uuid)
    return _site_refused(request, site, upload_form=form)


@staff_view("measurements", "w")
@require_POST
def pair_create(request, uuid):
    site = _site(request, uuid)
    visible = [i for i in selectors.site_images(site=site) if not i.entered_in_error]
    form = PairForm(request.POST, images=visible)
    if form.is_valid():
        chosen = {str(i.uuid): i for i in visible}
        try:
            pair = measuring.pair_create(
                day0=chosen[form.cleaned_data["day0"]],
                day2=chosen[form.cleaned_data["day2"]],
                auditor=Auditor.from_request(request),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("The pair was saved; the anagen share is computed in the background.")
            )
            return redirect("outcomes:pair", pair.uuid)
    return _site_refused(request, site, pair_form=form)


# --------------------------------------------------------------------------- one image
def _image_context(request, image: TrichoscopyImage, **forms) -> dict:
    role = request.membership.role
    return {
        "image": image,
        "site": image.site,
        "patient": image.patient,
        "pending": image.status in PENDING,
        "stale": _stale(image),
        "rows": result_rows(image) if image.status == AnalysisStatus.DONE else [],
        "histogram": thickness_histogram(image.results) if image.status == AnalysisStatus.DONE else None,
        "alt": alt_text(image),
        "alt_overlay": alt_text(image, overlay=True),
        "can_write": can(role, "measurements", "w"),
        "can_correct": can(role, "clinical_signoff", "w"),
        "correction_form": forms.get("correction_form")
        or CorrectionForm(initial={"count": image.corrected_count, "reason": ""}),
        "in_error_form": forms.get("in_error_form") or InErrorForm(auto_id="in-error-%s"),
        "in_error_open": "in_error_form" in forms,
    }


@staff_view("measurements", "r")
def image_detail(request, uuid):
    image = _image(request, uuid)
    context = _image_context(request, image)
    if request.htmx:
        if not context["pending"]:
            Auditor.from_request(request).log("trichoscopy.view", obj=image, patient=image.patient)
        response = render(request, "outcomes/image.html#poll", context)
    else:
        Auditor.from_request(request).log("trichoscopy.view", obj=image, patient=image.patient)
        response = render(request, "outcomes/image.html", context)
    response["Vary"] = "HX-Request"
    return response


def _send(request, image: TrichoscopyImage, field, kind: str) -> FileResponse:
    """Stream a private file, after the caller's permission check, with headers that keep it private."""
    if not field or not field.name:
        raise Http404
    try:
        handle = field.storage.open(field.name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    Auditor.from_request(request).log(
        "trichoscopy.file", obj=image, patient=image.patient, detail={"file": kind}
    )
    extension = field.name.rsplit(".", 1)[-1].lower()
    content_type = "image/png" if extension == "png" else "image/jpeg"
    name = f"trichoscopy-{image.taken_on:%Y-%m-%d}-{kind}.{'png' if extension == 'png' else 'jpg'}"
    response = FileResponse(handle, content_type=content_type, as_attachment=False, filename=name)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_view("measurements", "r")
def image_file(request, uuid):
    image = _image(request, uuid)
    return _send(request, image, image.file, "image")


@staff_view("measurements", "r")
def image_overlay(request, uuid):
    image = _image(request, uuid)
    return _send(request, image, image.overlay, "overlay")


@staff_view("measurements", "w")
@require_POST
def reanalyse(request, uuid):
    image = _image(request, uuid)
    try:
        measuring.trichoscopy_reanalyse(image=image, auditor=Auditor.from_request(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The image is queued for analysis again."))
    return redirect("outcomes:image", image.uuid)


def _image_refused(request, image, **forms):
    Auditor.from_request(request).log("trichoscopy.view", obj=image, patient=image.patient)
    return render(request, "outcomes/image.html", _image_context(request, image, **forms), status=422)


@staff_view("clinical_signoff", "w")
@require_POST
def correct(request, uuid):
    image = _image(request, uuid)
    require(request, "measurements", "w")
    form = CorrectionForm(request.POST)
    if form.is_valid():
        try:
            measuring.trichoscopy_correct_count(
                image=image,
                auditor=Auditor.from_request(request),
                count=form.cleaned_data["count"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The corrected count was saved; the engine's count is kept too."))
            return redirect(reverse("outcomes:image", args=[image.uuid]) + "#results")
    return _image_refused(request, image, correction_form=form)


@staff_view("measurements", "w")
@require_POST
def image_in_error(request, uuid):
    image = _image(request, uuid)
    form = InErrorForm(request.POST, auto_id="in-error-%s")
    if form.is_valid():
        try:
            measuring.trichoscopy_mark_in_error(
                image=image, auditor=Auditor.from_request(request), reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The image was marked entered in error."))
            return redirect("outcomes:image", image.uuid)
    return _image_refused(request, image, in_error_form=form)


# --------------------------------------------------------------------------- one pair
def _pair_rows(pair: TrichoscopyPair) -> list[dict]:
    r = pair.results or {}
    shift = r.get("shift_px") or [None, None]
    return [
        {
            "label": _("Anagen share (grew between the visits)"),
            "value": percent(pair.anagen_fraction),
            "key": "anagen",
        },
        {
            "label": _("Telogen share (did not grow)"),
            "value": percent(pair.telogen_fraction),
            "key": "telogen",
        },
        {"label": _("Hairs on the first image"), "value": number(r.get("day0_count"), 0), "key": "day0"},
        {"label": _("Hairs on the second image"), "value": number(r.get("day2_count"), 0), "key": "day2"},
        {"label": _("Hairs found on both"), "value": number(r.get("matched"), 0), "key": "matched"},
        {"label": _("Grew"), "value": number(r.get("grown"), 0), "key": "grown"},
        {"label": _("Did not grow"), "value": number(r.get("not_grown"), 0), "key": "not-grown"},
        {
            "label": _("Second image aligned by"),
            "value": _("%(deg)s° rotation, %(x)s × %(y)s px shift")
            % {"deg": number(r.get("rotation_deg"), 1), "x": number(shift[0], 0), "y": number(shift[1], 0)},
            "key": "alignment",
        },
    ]


def _pair_context(request, pair: TrichoscopyPair) -> dict:
    return {
        "pair": pair,
        "site": pair.site,
        "patient": pair.patient,
        "pending": pair.status in PENDING,
        "stale": _stale(pair),
        "rows": _pair_rows(pair) if pair.status == AnalysisStatus.DONE else [],
        "days": (pair.day2.taken_on - pair.day0.taken_on).days,
        "alt0": alt_text(pair.day0),
        "alt2": alt_text(pair.day2),
    }


@staff_view("measurements", "r")
def pair_detail(request, uuid):
    pair = _pair(request, uuid)
    context = _pair_context(request, pair)
    if request.htmx:
        if not context["pending"]:
            Auditor.from_request(request).log("trichoscopy.pair_view", obj=pair, patient=pair.patient)
        response = render(request, "outcomes/pair.html#poll", context)
    else:
        Auditor.from_request(request).log("trichoscopy.pair_view", obj=pair, patient=pair.patient)
        response = render(request, "outcomes/pair.html", context)
    response["Vary"] = "HX-Request"
    return response
