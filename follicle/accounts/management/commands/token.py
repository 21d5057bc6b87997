"""`follicle token USERNAME [--clinic NAME]`: print a new API token for a clinic membership."""

from django.core.management.base import BaseCommand, CommandError

from follicle.accounts import services
from follicle.accounts.models import Membership, User
from follicle.core.audit import Auditor


class Command(BaseCommand):
    help = "Create an API token for USERNAME in a clinic (revoking the one it had) and print it."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--clinic", help="Clinic name; needed when the user works in several clinics.")
        parser.add_argument("--name", default="", help="What the token is for.")

    def handle(self, *args, username, clinic, name, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.", returncode=2)
        memberships = Membership.objects.active().filter(user=user).select_related("clinic")
        if clinic:
            memberships = memberships.filter(clinic__name__iexact=clinic)
        memberships = list(memberships)
        if not memberships:
            where = f" in clinic {clinic!r}" if clinic else ""
            raise CommandError(f"{username} has no active membership{where}.", returncode=2)
        if len(memberships) > 1:
            names = ", ".join(m.clinic.name for m in memberships)
            raise CommandError(
                f"{username} works in several clinics ({names}): choose one with --clinic.", returncode=2
            )
        membership = memberships[0]
        auditor = Auditor.system(clinic=membership.clinic, label="system:cli")
        _token, key = services.token_create(
            membership=membership, auditor=auditor, name=name or "command line"
        )
        self.stdout.write(key)
