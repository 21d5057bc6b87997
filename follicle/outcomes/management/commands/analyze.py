from follicle.imaging.cli import analyze_main
from follicle.outcomes.management.imaging_command import ImagingCommand


class Command(ImagingCommand):
    help = "Analyse trichoscopy images: hair count, density, thickness, vellus share (see --help)."
    engine_main = analyze_main
    uses_devices = "resolve"
