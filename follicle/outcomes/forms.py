"""Forms of the measurement pages: input shape and field checks only; the services decide the rest."""

from __future__ import annotations

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from follicle.core.forms import StyledForm
from follicle.outcomes.models import MeasurementKind, MeasurementSite, TrichoscopyImage
from follicle.outcomes.uploads import limits
from follicle.treatments.models import Zone

DATE_INPUT = {"type": "date"}


def _date_widget():
    return forms.DateInput(attrs=DATE_INPUT, format="%Y-%m-%d")


class SiteForm(StyledForm):
    """A new site; `editing=True` adds the "no longer measured" box."""

    name = forms.CharField(
        label=_("Name"),
        max_length=80,
        help_text=_("For example: Vertex target, Frontal, Occipital reference."),
    )
    zone = forms.ChoiceField(label=_("Zone of the scalp map"), choices=[("", "—")] + list(Zone.choices))
    landmark = forms.CharField(
        label=_("How to find it again"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=MeasurementSite._meta.get_field("landmark").help_text,
    )
    is_reference = forms.BooleanField(
        label=_("Untreated reference site"),
        required=False,
        help_text=MeasurementSite._meta.get_field("is_reference").help_text,
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["is_archived"] = forms.BooleanField(
                label=_("No longer measured"),
                required=False,
                help_text=_("The site and its images stay in the record; no new images can be added."),
            )

    @classmethod
    def initial_for(cls, site: MeasurementSite) -> dict:
        return {
            "name": site.name,
            "zone": site.zone,
            "landmark": site.landmark,
            "is_reference": site.is_reference,
            "is_archived": site.is_archived,
        }


class UploadForm(StyledForm):
    """One trichoscopy image of a site: the file, the day, and the scale (a device or µm/px)."""

    file = forms.FileField(
        label=_("Trichoscopy image"),
        help_text=_("JPEG, PNG, WebP or TIFF. On a phone or tablet this opens the camera."),
        widget=forms.FileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    taken_on = forms.DateField(label=_("Taken on"), widget=_date_widget())
    device = forms.ModelChoiceField(
        label=_("Device"),
        queryset=None,
        required=False,
        empty_label=_("Not listed: give the scale"),
        help_text=_("A calibrated device sets the scale."),
    )
    um_per_px = forms.FloatField(
        label=_("Scale (µm per pixel)"),
        required=False,
        min_value=0.5,
        max_value=50,
        widget=forms.NumberInput(attrs={"step": "0.001", "inputmode": "decimal"}),
        help_text=_("Only without a calibrated device."),
    )

    def __init__(self, *args, devices, **kwargs):
        kwargs.setdefault("initial", {"taken_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["device"].queryset = devices
        if not devices.exists():
            self.fields["device"].help_text = _("The clinic has no calibrated device yet: give the scale.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        max_bytes, _pixels = limits()
        # Refused before it is read into memory; the service checks the content itself.
        if upload.size > max_bytes:
            raise forms.ValidationError(
                _("The file is too large (%(size)s MB; at most %(max)s MB).")
                % {"size": round(upload.size / 1_000_000, 1), "max": round(max_bytes / 1_000_000, 1)}
            )
        return upload

    def clean(self):
        cleaned = super().clean()
        if not self.errors and cleaned.get("device") is None and cleaned.get("um_per_px") is None:
            self.add_error("device", _("Choose the calibrated device, or give the scale in µm per pixel."))
        return cleaned


class ReferenceForm(StyledForm):
    image = forms.UUIDField(widget=forms.HiddenInput)


def _image_label(image: TrichoscopyImage) -> str:
    label = formats.date_format(image.taken_on, "d/m/Y")
    if image.count_used is not None:
        label += " · " + str(_("%(n)s hairs") % {"n": image.count_used})
    return label


class PairForm(StyledForm):
    """Two images of one clipped site: the first visit (day 0) and the second (day 2–3)."""

    day0 = forms.ChoiceField(label=_("First image (day 0, just after clipping)"))
    day2 = forms.ChoiceField(label=_("Second image (2 to 3 days later)"))

    def __init__(self, *args, images, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [(str(i.uuid), _image_label(i)) for i in images]
        self.fields["day0"].choices = choices
        self.fields["day2"].choices = choices

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("day0") and cleaned.get("day0") == cleaned.get("day2"):
            self.add_error("day2", _("Choose two different images."))
        return cleaned


class CorrectionForm(StyledForm):
    count = forms.IntegerField(
        label=_("Corrected hair count"),
        required=False,
        min_value=0,
        max_value=100_000,
        help_text=_("Leave empty to go back to the engine's count."),
    )
    reason = forms.CharField(
        label=_("Reason for the correction"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: four hairs hidden under a crossing; a scale flake counted as a hair."),
    )


class InErrorForm(StyledForm):
    reason = forms.CharField(
        label=_("Why was it entered in error?"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MeasurementForm(StyledForm):
    """A figure entered by hand (another device, a lab, a report), with where it comes from."""

    kind = forms.ChoiceField(label=_("What"), choices=[("", "—")] + list(MeasurementKind.choices))
    value = forms.FloatField(label=_("Value"), widget=forms.NumberInput(attrs={"step": "any"}))
    measured_on = forms.DateField(label=_("Measured on"), widget=_date_widget())
    site = forms.ChoiceField(label=_("Site"), required=False)
    source = forms.CharField(
        label=_("Source"),
        max_length=300,
        help_text=_("Where the figure comes from: device and software, or the report it was read from."),
    )

    def __init__(self, *args, sites, **kwargs):
        kwargs.setdefault("initial", {"measured_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.sites = {str(site.uuid): site for site in sites}
        self.fields["site"].choices = [("", _("No particular site"))] + [
            (key, site.name) for key, site in self.sites.items()
        ]

    def clean_site(self):
        key = self.cleaned_data.get("site")
        return self.sites.get(key) if key else None
