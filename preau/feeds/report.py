"""The report of a run: counts, issues, possible duplicates; as JSON and as French text.

The JSON shape is documented in docs/feeds.md ("Report fields"); the console and scripts
read it, so keys only ever get added.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from preau.accounts.models import Profile

COUNT_KEYS = ("created", "updated", "unchanged", "missing", "restored")
MAX_REPORTED_ISSUES = 100
"""Issues listed in the JSON report (all of them up to MAX_STORED_ISSUES are in FeedIssue)."""
MAX_STORED_ISSUES = 1000
MAX_REPORTED_DUPLICATES = 100


@dataclass(frozen=True)
class Issue:
    severity: str  # "error" | "warning"
    file: str
    line: int | None
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"severity": self.severity, "file": self.file, "line": self.line,
                "code": self.code, "message": self.message}

    def __str__(self) -> str:
        if self.file and self.line:
            return _("%(file)s, line %(line)s: %(message)s") % {
                "file": self.file, "line": self.line, "message": self.message}
        if self.file:
            return f"{self.file} : {self.message}"
        return self.message


@dataclass
class RunReport:
    """Everything a run found and did. Filled by the importer, stored on the FeedRun."""

    counts: dict[str, Counter[str]] = field(default_factory=dict)
    structures: Counter[str] = field(default_factory=Counter)
    classes: Counter[str] = field(default_factory=Counter)
    schools: dict[str, Counter[str]] = field(default_factory=dict)
    relatives_skipped: int = 0
    identities_adopted: int = 0
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    duplicates_total: int = 0
    issues: list[Issue] = field(default_factory=list)
    issues_total: int = 0
    scope_accounts: int = 0
    newly_missing: int = 0

    def count(self, profile: str, key: str, n: int = 1) -> None:
        self.counts.setdefault(profile, Counter())[key] += n

    def add_issue(self, issue: Issue) -> None:
        self.issues_total += 1
        if len(self.issues) < MAX_STORED_ISSUES:
            self.issues.append(issue)

    def totals(self) -> dict[str, int]:
        return {key: sum(c[key] for c in self.counts.values()) for key in COUNT_KEYS}

    def as_dict(self) -> dict[str, Any]:
        return {
            "counts": {profile: {key: counts[key] for key in COUNT_KEYS}
                       for profile, counts in sorted(self.counts.items())},
            "totals": self.totals(),
            "structures": {key: self.structures[key]
                           for key in ("created", "updated", "unchanged")},
            "classes": {key: self.classes[key]
                        for key in ("created", "renamed", "reopened", "closed")},
            "schools": {uai: dict(sorted(c.items())) for uai, c in sorted(self.schools.items())},
            "relatives_skipped": self.relatives_skipped,
            "identities_adopted": self.identities_adopted,
            "possible_duplicates": self.duplicates[:MAX_REPORTED_DUPLICATES],
            "possible_duplicates_total": self.duplicates_total,
            "scope_accounts": self.scope_accounts,
            "newly_missing": self.newly_missing,
            "issues": [i.as_dict() for i in self.issues[:MAX_REPORTED_ISSUES]],
            "issues_total": self.issues_total,
        }


def profile_label(profile: str) -> str:
    try:
        return str(Profile(profile).label)
    except ValueError:
        return profile


def summary_text(data: dict[str, Any]) -> str:
    """A run's JSON report (FeedRun.report) as text for the operator, in the active
    language (French)."""
    lines: list[str] = []
    where = data.get("academy") or ""
    if data.get("school"):
        where = f"{where} {data['school']}".strip()
    lines.append(_("Import #%(run)s, %(format)s, %(where)s: %(status)s (%(seconds).1f s)") % {
        "run": data.get("run"), "format": data.get("format"), "where": where or "-",
        "status": data.get("status_label", data.get("status")),
        "seconds": data.get("duration_seconds") or 0.0})
    if data.get("message"):
        lines.append(str(data["message"]))
    for f in data.get("files", []):
        lines.append(_("File %(name)s (%(size)s bytes)") % {"name": f["name"],
                                                            "size": f["size"]})
    counts = data.get("counts") or {}
    if counts:
        headers = [_("created"), _("updated"), _("unchanged"), _("missing"), _("restored")]
        width = max(len(profile_label(p)) for p in counts) + 2
        lines.append(" " * width + "  ".join(f"{h:>10}" for h in headers))
        order = {profile: index for index, profile in enumerate(Profile.values)}
        for profile, row in sorted(counts.items(), key=lambda item: order.get(item[0], 9)):
            cells = "  ".join(f"{row.get(key, 0):>10}" for key in COUNT_KEYS)
            lines.append(f"{profile_label(profile):<{width}}{cells}")
    structures = data.get("structures") or {}
    classes = data.get("classes") or {}
    if any(structures.values()) or any(classes.values()):
        lines.append(_("Schools: created %(created)s, updated %(updated)s, unchanged "
                       "%(unchanged)s. Classes: created %(c_created)s, renamed %(renamed)s, "
                       "reopened %(reopened)s, closed %(closed)s.") % {
            **{k: structures.get(k, 0) for k in ("created", "updated", "unchanged")},
            "c_created": classes.get("created", 0), "renamed": classes.get("renamed", 0),
            "reopened": classes.get("reopened", 0), "closed": classes.get("closed", 0)})
    if data.get("relatives_skipped"):
        lines.append(_("Parents referenced by no pupil (not imported): %(n)s") % {
            "n": data["relatives_skipped"]})
    if data.get("identities_adopted"):
        lines.append(_("Accounts taken over from another source (same INE): %(n)s") % {
            "n": data["identities_adopted"]})
    hold = data.get("hold")
    if hold:
        lines.append(str(hold.get("message", "")))
    duplicates = data.get("possible_duplicates") or []
    if duplicates:
        lines.append(_("Possible duplicates to check (never merged automatically): %(n)s") % {
            "n": data.get("possible_duplicates_total", len(duplicates))})
        for group in duplicates:
            accounts = ", ".join(f"{a['login']} ({a['source']})" for a in group["accounts"])
            lines.append(f"  - {group['name']} ({group['birth_date']}) : {accounts}")
    issues = data.get("issues") or []
    if issues:
        lines.append(_("Issues: %(n)s") % {"n": data.get("issues_total", len(issues))})
        for item in issues:
            lines.append(f"  - {Issue(**item)}")
        hidden = data.get("issues_total", len(issues)) - len(issues)
        if hidden > 0:
            lines.append("  - " + _("… and %(n)s more (see the run in the console)") % {
                "n": hidden})
    return "\n".join(lines)
