"""`follicle audit-verify`: check the audit chain; exit 1 naming the first broken row."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from follicle.core.audit import verify_chain
from follicle.core.models import AuditEvent


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; exit non-zero, naming the first broken row, after tampering."

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="Do not show a progress bar.")

    def handle(self, *args, **options):
        total = AuditEvent.objects.count()
        show = not options["no_progress"] and total > 1000
        with tqdm(total=total, unit="rows", disable=not show, file=self.stderr._out) as bar:
            report = verify_chain(progress=bar.update if show else None)
        if not report.ok:
            raise CommandError(
                f"Audit chain broken at row {report.first_bad_seq}: {report.reason}", returncode=1
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {report.checked} rows verified."))
