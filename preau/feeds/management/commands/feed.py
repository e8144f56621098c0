"""`preau feed import|approve|reject|show|lifecycle`: feed runs from the command line.

    preau feed import --format aaf1d --academy lille /srv/feeds/lille/
    preau feed import --format aaf1d /srv/feeds/          (importDirectories.json inside)
    preau feed import --format onde-csv --school 0593456K CSVExtraction-*.csv
    preau feed import --format csv --school 0593456K CSV_Eleves.csv CSV_Parents.csv
    preau feed approve 42        (a held run)
    preau feed lifecycle         (daily: pre-deletes and deletes what is due)

Runs left "running" by a process that died are settled first (see
preau.feeds.actions.do_settle_interrupted_runs): `show` reports them as interrupted.

On a terminal (or with --progress), `import` shows a progress bar on stderr.

Exit status: 0 applied or dry run, 1 failed (malformed file: nothing changed), 2 refused,
3 held for approval. `--json` prints the run report as one JSON object (several runs of a
multi-académie folder: {"runs": [...]}); without it, a French summary.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    OutputWrapper,
)
from django.utils.translation import gettext as _

from preau.feeds.actions import (
    FeedActionError,
    command_line_label,
    do_approve_run,
    do_import,
    do_reject_run,
    do_run_lifecycle,
    do_settle_interrupted_runs,
)
from preau.feeds.models import FeedFormat, FeedRun
from preau.feeds.parsers import FeedError, ManualTemplate, read_import_directories
from preau.feeds.parsers.aaf import IMPORT_DIRECTORIES_JSON
from preau.feeds.report import profile_label, summary_text

EXIT_CODES = {
    FeedRun.Status.APPLIED: 0,
    FeedRun.Status.DRY_RUN: 0,
    FeedRun.Status.FAILED: 1,
    FeedRun.Status.QUEUED: 1,
    FeedRun.Status.RUNNING: 1,
    FeedRun.Status.REFUSED: 2,
    FeedRun.Status.HELD: 3,
}


class ProgressBar:
    """A textual progress line on stderr, fed by the importer's `progress` callback
    (records handled so far; the total is not known before the files are read)."""

    WIDTH = 30

    def __init__(self, out: OutputWrapper, label: str) -> None:
        self.out, self.label, self.done, self.ticks = out, label, 0, 0

    def __call__(self, stage: str, done: int) -> None:
        self.done = done
        self.ticks = (self.ticks + 1) % (self.WIDTH + 1)
        bar = "#" * self.ticks + "." * (self.WIDTH - self.ticks)
        text = _("%(label)s [%(bar)s] %(done)s records") % {
            "label": self.label, "bar": bar, "done": done}
        self.out.write("\r" + text, style_func=str, ending="")  # not red: no error
        self.out.flush()

    def close(self) -> None:
        if self.done:
            self.out.write("")


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(_("Expected a date as YYYY-MM-DD: %(value)s") % {
            "value": value}) from None


class Command(BaseCommand):
    help = "Import feed files, approve held runs, apply the missing-account life cycle."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        run = actions.add_parser("import", help="Import the files of one académie or school.")
        run.add_argument("paths", nargs="+", metavar="PATH",
                         help="Files or folders (a folder holding importDirectories.json "
                              "gives one run per académie sub-folder).")
        run.add_argument("--format", required=True, choices=FeedFormat.values)
        run.add_argument("--academy", default="", metavar="PREFIX",
                         help="Académie prefix of the external ids (AAF).")
        run.add_argument("--school", default="", metavar="UAI",
                         help="The school of an ONDE or CSV import.")
        run.add_argument("--template", choices=[t.value for t in ManualTemplate],
                         help="Template of the CSV files given (default: from their names).")
        run.add_argument("--dry-run", action="store_true",
                         help="Compute everything, change nothing.")
        run.add_argument("--hold", action="store_true",
                         help="If the académie's feeds are suspended, keep the run for "
                              "approval instead of refusing it.")
        run.add_argument("--full", action="store_true",
                         help="Read every record even if the files are those of the last "
                              "applied run (which is otherwise recorded as unchanged at once).")
        run.add_argument("--json", action="store_true", help="Print the report as JSON.")
        run.add_argument("--progress", action="store_true",
                         help="Show progress on stderr (the default when it is a terminal).")
        approve = actions.add_parser("approve", help="Apply a held run.")
        approve.add_argument("run_id", type=int)
        approve.add_argument("--json", action="store_true")
        reject = actions.add_parser("reject", help="Drop a held run.")
        reject.add_argument("run_id", type=int)
        show = actions.add_parser("show", help="Show the report of a run.")
        show.add_argument("run_id", type=int)
        show.add_argument("--json", action="store_true")
        lifecycle = actions.add_parser(
            "lifecycle", help="Pre-delete accounts missing for too long, delete accounts "
                              "pre-deleted for too long (run daily).")
        lifecycle.add_argument("--today", type=_date, default=None, metavar="YYYY-MM-DD",
                               help="Act as if today were this date.")
        lifecycle.add_argument("--dry-run", action="store_true")
        lifecycle.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action in ("import", "lifecycle"):
            for settled in do_settle_interrupted_runs():
                self.stderr.write(_("Run %(run)s: %(message)s") % {
                    "run": settled.pk, "message": settled.message})
        if action == "import":
            self.import_files(options)
        elif action in ("approve", "reject", "show"):
            run = FeedRun.objects.filter(pk=options["run_id"]).first()
            if run is None:
                raise CommandError(_("No run #%(run)s.") % {"run": options["run_id"]})
            do_settle_interrupted_runs([run])  # a dead "running" run is reported as such
            if action == "show":
                self.print_runs([run], options.get("json", False))
                return
            try:
                if action == "approve":
                    do_approve_run(run, actor_label=command_line_label())
                else:
                    do_reject_run(run, actor_label=command_line_label())
            except FeedActionError as error:
                raise CommandError(str(error), returncode=2) from None
            if action == "approve":
                self.finish([run], options.get("json", False))
            else:
                self.stdout.write(run.message)
        else:
            self.lifecycle(options)

    def import_files(self, options: dict[str, Any]) -> None:
        paths = [Path(p) for p in options["paths"]]
        fmt = options["format"]
        templates = ({p.name: options["template"] for p in paths if p.is_file()}
                     if options.get("template") else None)
        common = {"format": fmt, "school": options["school"], "templates": templates,
                  "actor_label": command_line_label(), "dry_run": options["dry_run"],
                  "hold": options["hold"], "full": options["full"]}
        groups: list[tuple[str, list[Path]]]
        if (fmt in (FeedFormat.AAF1D, FeedFormat.AAF) and len(paths) == 1
                and (paths[0] / IMPORT_DIRECTORIES_JSON).is_file()):
            try:
                folders = read_import_directories(paths[0])
            except FeedError as error:
                raise CommandError(error.report(), returncode=1) from None
            groups = [(name, [folder]) for name, folder in folders
                      if not options["academy"] or name == options["academy"]]
            if not groups:
                raise CommandError(_("No académie folder “%(name)s”.") % {
                    "name": options["academy"]}, returncode=2)
        else:
            groups = [(options["academy"], paths)]
        show = options["progress"] or self.stderr.isatty()
        runs = []
        for prefix, group_paths in groups:
            bar = ProgressBar(self.stderr, prefix or options["school"]) if show else None
            runs.append(do_import(group_paths, academy=prefix, progress=bar, **common))
            if bar is not None:
                bar.close()
        self.finish(runs, options["json"])

    def print_runs(self, runs: list[FeedRun], as_json: bool) -> None:
        if as_json:
            payload: Any = runs[0].report if len(runs) == 1 else {
                "runs": [run.report for run in runs]}
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
        else:
            self.stdout.write("\n\n".join(summary_text(run.report) for run in runs))

    def finish(self, runs: list[FeedRun], as_json: bool) -> None:
        self.print_runs(runs, as_json)
        code = max(EXIT_CODES.get(FeedRun.Status(run.status), 1) for run in runs)
        if code:
            worst = max(runs, key=lambda r: EXIT_CODES.get(FeedRun.Status(r.status), 1))
            raise CommandError(
                _("Run %(run)s: %(status)s") % {"run": worst.pk,
                                                "status": worst.get_status_display()},
                returncode=code)

    def lifecycle(self, options: dict[str, Any]) -> None:
        report = do_run_lifecycle(options["today"], dry_run=options["dry_run"])
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
            return

        def line(counts: Any) -> str:
            total = sum(counts.values())
            detail = ", ".join(f"{profile_label(p)} {n}" for p, n in sorted(counts.items()))
            return f"{total} ({detail})" if detail else "0"

        self.stdout.write(_("Life cycle on %(date)s%(dry)s") % {
            "date": report.today.isoformat(),
            "dry": _(" (dry run: nothing changed)") if report.dry_run else ""})
        self.stdout.write(_("Pre-deleted: %(n)s") % {"n": line(report.predeleted)})
        self.stdout.write(_("Deleted after pre-deletion: %(n)s") % {"n": line(report.deleted)})
        self.stdout.write(_("Never activated, deleted directly: %(n)s") % {
            "n": line(report.deleted_unactivated)})
