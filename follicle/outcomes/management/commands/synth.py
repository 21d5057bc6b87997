from follicle.imaging.cli import synth_main
from follicle.outcomes.management.imaging_command import ImagingCommand


class Command(ImagingCommand):
    help = "Generate synthetic trichoscopy images with per-hair ground truth (see --help)."
    engine_main = synth_main
    uses_devices = ""
