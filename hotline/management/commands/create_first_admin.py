import getpass
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from grids.models import Membership, OrgUnit, Role, UnitKind


class Command(BaseCommand):
    help = (
        "Create the first administrator (superuser, admin of the center) of a new installation. "
        "The password is prompted for, or read from HOTLINE_ADMIN_PASSWORD for scripted set-ups; "
        "weak passwords (the validators in settings) are refused. Does nothing to an existing user."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default=os.environ.get("HOTLINE_ADMIN_USERNAME", "admin"))
        parser.add_argument("--email", default=os.environ.get("HOTLINE_ADMIN_EMAIL", ""))
        parser.add_argument("--noinput", action="store_true", help="never prompt (the password must be in the env)")

    def handle(self, *args, username: str, email: str, noinput: bool, **options):
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            raise CommandError(
                f"user {username!r} exists already; change its password with `manage.py changepassword`."
            )
        password = os.environ.get("HOTLINE_ADMIN_PASSWORD", "")
        if not password:
            if noinput:
                raise CommandError("--noinput needs HOTLINE_ADMIN_PASSWORD in the environment.")
            password = getpass.getpass(f"Password for {username}: ")
            if password != getpass.getpass("Again: "):
                raise CommandError("the two passwords differ.")
        candidate = User(username=username, email=email)
        try:
            validate_password(password, user=candidate)
        except ValidationError as exc:
            raise CommandError("password refused: " + " ".join(exc.messages)) from None
        user = User.objects.create_superuser(username=username, email=email, password=password)
        center = OrgUnit.objects.filter(kind=UnitKind.CENTER).first()
        if center is not None:
            Membership.objects.get_or_create(user=user, unit=center, role=Role.ADMIN)
        where = f" (admin of {center.name})" if center else " (run setup_district, then give it a unit in the admin)"
        self.stdout.write(self.style.SUCCESS(f"Administrator {username!r} created{where}."))
