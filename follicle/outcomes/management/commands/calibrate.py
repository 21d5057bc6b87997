from follicle.imaging.cli import calibrate_main
from follicle.outcomes.management.imaging_command import ImagingCommand


class Command(ImagingCommand):
    help = "Find µm per pixel from an image of a ruler; --save NAME stores it as a device of the clinic."
    engine_main = calibrate_main
    uses_devices = "save"
