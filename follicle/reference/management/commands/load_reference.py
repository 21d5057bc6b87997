"""`follicle load-reference`: load the reference data files shipped in follicle/reference/data/."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from follicle.core.audit import Auditor
from follicle.reference.loader import DEFAULT_DATA_DIR, ReferenceDataError, data_files
from follicle.reference.services import AUDIT_LABEL, reference_load


class Command(BaseCommand):
    help = (
        "Load the reference catalogue (mechanisms, ingredients, contraindications, adverse events, scales, "
        "outcome measures, protocols, hair-cycle facts). Unchanged files are skipped; safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="Folder of the YAML data files."
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not show a progress bar.")

    def handle(self, *args, **options):
        data_dir = options["data_dir"]
        try:
            total = len(data_files(data_dir))
            with tqdm(
                total=total, unit="file", disable=options["no_progress"], file=self.stderr._out, leave=False
            ) as bar:
                report = reference_load(
                    auditor=Auditor.system(label=AUDIT_LABEL),
                    data_dir=data_dir,
                    progress=lambda name: bar.update(1),
                )
        except ReferenceDataError as exc:
            raise CommandError(f"Reference data not loaded: {exc}", returncode=1) from exc
        for result in report.datasets:
            line = f"{result.name}: {result.status}, {result.entries} entries"
            if result.retired:
                line += f" ({result.retired} no longer current)"
            self.stdout.write(self.style.SUCCESS(line) if result.status == "loaded" else line)
        loaded = len(report.changed)
        self.stdout.write(f"{loaded} datasets loaded, {len(report.datasets) - loaded} unchanged.")
