"""`preau directory stats [--json]`: the directory's figures for operators and monitoring."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from preau.directory.management.stats import directory_stats


class Command(BaseCommand):
    help = "Directory tools for operators. `stats`: counts of schools, classes, users, groups."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", title="subcommands",
                                            required=True)
        stats = subcommands.add_parser("stats", help="Counts of the directory.")
        stats.add_argument("--json", action="store_true", dest="json",
                           help="One JSON object on one line, for scripts and monitoring.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] != "stats":  # argparse already refuses the others
            raise CommandError(f"unknown subcommand {options['subcommand']!r}")
        stats = directory_stats()
        if options.get("json"):
            self.stdout.write(json.dumps(stats, sort_keys=True, ensure_ascii=False))
            return
        self._print_table(stats)

    def _print_table(self, stats: dict[str, Any]) -> None:
        rows: list[tuple[str, str]] = []
        for key, value in stats.items():
            if isinstance(value, dict):
                rows.append((key, ""))
                rows += [(f"  {name}", str(count)) for name, count in value.items()]
            else:
                rows.append((key, "-" if value is None else str(value)))
        width = max(len(name) for name, _value in rows)
        value_width = max(len(value) for _name, value in rows)
        for name, value in rows:
            self.stdout.write(f"{name:<{width}}  {value:>{value_width}}")
