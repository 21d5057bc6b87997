from follicle.imaging.cli import analyze_pair_main
from follicle.outcomes.management.imaging_command import ImagingCommand


class Command(ImagingCommand):
    help = "Anagen and telogen shares from two images of one clipped site, 2–3 days apart (see --help)."
    engine_main = analyze_pair_main
    uses_devices = "resolve"
