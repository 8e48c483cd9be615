"""manage.py api_token create --user NAME [--name TEXT] [--days N] | revoke PREFIX | list"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api.models import ApiToken
from api.tokens import api_token_create, api_token_revoke


class Command(BaseCommand):
    help = "Make (prints the key once), revoke or list API tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create")
        create.add_argument("--user", required=True)
        create.add_argument("--name", default="")
        create.add_argument("--days", type=int, default=None)
        revoke = sub.add_parser("revoke")
        revoke.add_argument("prefix")
        sub.add_parser("list")

    def handle(self, *args, action, **options):
        if action == "create":
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user {options['user']!r}.")
            if options["days"] is not None and options["days"] < 1:
                raise CommandError("--days must be at least 1.")
            token, key = api_token_create(user=user, name=options["name"], days=options["days"])
            self.stdout.write(key)
            self.stderr.write(f"token {token.prefix}… for {user.username}, expires {token.expires_at:%Y-%m-%d}")
        elif action == "revoke":
            tokens = list(ApiToken.objects.filter(prefix=options["prefix"], revoked_at__isnull=True))
            if not tokens:
                raise CommandError(f"No live token with prefix {options['prefix']!r}.")
            for token in tokens:
                api_token_revoke(token=token)
            self.stdout.write(f"revoked {len(tokens)}")
        else:
            for t in ApiToken.objects.select_related("user"):
                state = "revoked" if t.revoked_at else f"expires {t.expires_at:%Y-%m-%d}"
                self.stdout.write(f"{t.prefix}  {t.user.username}  {t.name}  {state}")
