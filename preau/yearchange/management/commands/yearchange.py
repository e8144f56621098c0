"""`preau yearchange plan|run`: the transition into the new school year.

    preau yearchange plan --json                    (what it would do, nothing changes)
    preau yearchange run --academy lille --json     (do it; a second run changes nothing)
    preau yearchange run --school 0591001A
    preau yearchange notify                         (daily: tell owners 15 days before)

Both print one JSON object with `--json` (see docs/yearchange.md), otherwise a French
summary. `--date` (YYYY-MM-DD) replaces today's date, to plan ahead. Exit status: 0, or 1
when a school failed (the others are done; run again to finish).
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from preau.directory.models import Academy, Structure
from preau.yearchange.owners import do_notify_owners
from preau.yearchange.transition import run_transition


class Command(BaseCommand):
    help = "Plan or run the year change (transition into the new school year)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["plan", "run", "notify"])
        parser.add_argument("--academy", help="académie prefix (all académies if omitted)")
        parser.add_argument("--school", help="one school's UAI")
        parser.add_argument("--date", type=datetime.date.fromisoformat,
                            help="the date to plan or run for (default: today)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        academy = structure = None
        if options["academy"]:
            academy = Academy.objects.filter(feed_prefix=options["academy"]).first()
            if academy is None:
                raise CommandError(_("Unknown académie prefix: %(prefix)s")
                                   % {"prefix": options["academy"]})
        if options["school"]:
            structure = Structure.objects.filter(uai=options["school"].upper()).first()
            if structure is None:
                raise CommandError(_("Unknown school UAI: %(uai)s") % {"uai": options["school"]})
        today = options["date"] or timezone.localdate()
        if options["action"] == "notify":
            told = do_notify_owners(today)
            self.stdout.write(json.dumps({"owners_notified": told}) if options["json"]
                              else _("Owners notified: %(n)s") % {"n": told})
            return
        run = run_transition(today=today, academy=academy, structure=structure,
                             dry_run=options["action"] == "plan",
                             actor_label=_("command line"))
        report = run.report
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(summary(report))
        if report["errors"]:
            raise SystemExit(1)


def summary(report: dict[str, Any]) -> str:
    head = (_("Plan of the year change %(from)s → %(to)s (nothing changed)")
            if report["dry_run"] else _("Year change %(from)s → %(to)s"))
    lines = [head % {"from": report["from_year"], "to": report["to_year"]},
             _("Schools: %(n)s, changed: %(changed)s") % {"n": len(report["schools"]),
                                                         "changed": report["changes"]},
             _("Classes archived: %(n)s") % {"n": report["classes_archived"]},
             _("Class groups closed: %(n)s (functional groups: %(f)s)") % {
                 "n": report["class_groups_closed"].get("class", 0),
                 "f": report["class_groups_closed"].get("functional", 0)},
             _("Memberships ended: %(n)s") % {"n": report["memberships_ended"]["total"]},
             _("Shares to class groups purged: %(n)s") % {"n": report["shares_purged"]["total"]},
             _("Shares kept: %(n)s") % {"n": report["shares_kept"]["total"]}]
    lines += [_("Error in %(uai)s: %(error)s") % e for e in report["errors"]]
    return "\n".join(lines)
