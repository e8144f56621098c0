"""`preau sso`: identity providers and their metadata, for operators.

    preau sso idp add --kind {academie,educonnect} --name NAME --metadata FILE_OR_URL
                      [--academy PREFIX]… [--cert PEM_FILE] [--identity-attribute NAME]
                      [--match {email,external_id}] [--allow-pupils]
    preau sso idp list [--json]
    preau sso idp remove ID
    preau sso refresh [--json]     # daily, from cron: metadata of the IdPs added from a URL
    preau sso metadata             # Préau's own SP metadata (what the IdPs register)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from saml2.metadata import entity_descriptor

from preau.directory.models import Academy
from preau.lib.errors import Refusal
from preau.sso.actions import check_add_idp, do_refresh_all_metadata, do_remove_idp
from preau.sso.config import config_loader
from preau.sso.metadata import read_source
from preau.sso.models import IdentityProvider, IdpKind, StaffMatch


class Command(BaseCommand):
    help = "Single sign-on: add, list and remove SAML identity providers; refresh metadata."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        idp = actions.add_parser("idp", help="Identity providers.")
        idp_actions = idp.add_subparsers(dest="idp_action", required=True, metavar="ACTION")
        add = idp_actions.add_parser("add", help="Add an IdP from its SAML metadata.")
        add.add_argument("--kind", required=True, choices=IdpKind.values)
        add.add_argument("--name", required=True, help="Shown on the login page.")
        add.add_argument("--metadata", required=True, metavar="FILE_OR_URL",
                         help="A metadata file, or an https:// URL (then refreshed daily).")
        add.add_argument("--academy", action="append", default=[], metavar="PREFIX",
                         help="Feed prefix (or code) of an académie it serves; repeatable.")
        add.add_argument("--cert", metavar="PEM_FILE",
                         help="Certificate the metadata must be signed with.")
        add.add_argument("--identity-attribute", default="ctemail",
                         help="Académie portals: the attribute naming the person.")
        add.add_argument("--match", default=StaffMatch.EMAIL, choices=StaffMatch.values,
                         help="Académie portals: match the académie e-mail or the feed id.")
        add.add_argument("--allow-pupils", action="store_true",
                         help="EduConnect: pupils may log in too.")
        listing = idp_actions.add_parser("list", help="List the IdPs.")
        listing.add_argument("--json", action="store_true")
        remove = idp_actions.add_parser("remove", help="Remove an IdP (and its links).")
        remove.add_argument("id", type=int)
        refresh = actions.add_parser("refresh", help="Fetch again the metadata of the IdPs "
                                                     "added from a URL (daily, from cron).")
        refresh.add_argument("--json", action="store_true")
        actions.add_parser("metadata", help="Print Préau's SP metadata (PREAU_SAML_BASE_URL).")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "refresh":
            self.refresh(options["json"])
        elif action == "metadata":
            self.stdout.write(str(entity_descriptor(config_loader())))
        elif options["idp_action"] == "add":
            self.add(options)
        elif options["idp_action"] == "list":
            self.list_idps(options["json"])
        else:
            self.remove(options["id"])

    def add(self, options: dict[str, Any]) -> None:
        academies = []
        for key in options["academy"]:
            academy = (Academy.objects.filter(feed_prefix=key).first()
                       or Academy.objects.filter(code=key).first())
            if academy is None:
                raise CommandError(f"No académie with feed prefix or code {key!r}.")
            academies.append(academy)
        certificate = ""
        if options["cert"]:
            try:
                certificate = Path(options["cert"]).read_text()
            except OSError as error:
                raise CommandError(f"Cannot read {options['cert']}: {error}") from None
        try:
            idp = check_add_idp(
                kind=options["kind"], name=options["name"],
                metadata=read_source(options["metadata"]), source=options["metadata"],
                certificate=certificate, academies=academies,
                identity_attribute=options["identity_attribute"],
                identity_match=options["match"], allow_pupils=options["allow_pupils"])
        except Refusal as refused:
            raise CommandError(str(refused)) from None
        self.stdout.write(f"Added identity provider {idp.pk}: {idp.entity_id}")

    def list_idps(self, as_json: bool) -> None:
        rows: list[dict[str, Any]] = [
            {"id": idp.pk, "name": idp.name, "kind": idp.kind, "entity_id": idp.entity_id,
             "academies": [a.feed_prefix for a in idp.academies.all()],
             "metadata_url": idp.metadata_url, "single_logout": idp.supports_logout}
            for idp in IdentityProvider.objects.order_by("pk").prefetch_related("academies")]
        if as_json:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for row in rows:
            self.stdout.write(f"{row['id']:>4}  {row['kind']:<10}  {row['name']}  "
                              f"{row['entity_id']}  [{', '.join(row['academies'])}]")

    def remove(self, idp_id: int) -> None:
        idp = IdentityProvider.objects.filter(pk=idp_id).first()
        if idp is None:
            raise CommandError(f"No identity provider {idp_id}.")
        do_remove_idp(idp)
        self.stdout.write(f"Removed identity provider {idp_id} ({idp.entity_id}).")

    def refresh(self, as_json: bool) -> None:
        results = do_refresh_all_metadata()
        failed = [idp for idp, result in results if result not in ("updated", "unchanged")]
        if as_json:
            self.stdout.write(json.dumps([{"id": idp.pk, "entity_id": idp.entity_id,
                                           "result": result} for idp, result in results],
                                         ensure_ascii=False, indent=2))
        else:
            for idp, result in results:
                self.stdout.write(f"{idp.pk}  {idp.entity_id}: {result}")
        if failed:
            raise CommandError(f"{len(failed)} metadata refresh(es) failed.")
