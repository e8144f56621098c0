"""Errors and issues of the feed parsers.

Messages are French text written directly here, not gettext msgids: the parsers stay free of
Django (fast, importable anywhere, testable without settings) and their report is shown to
French operators as is. Every problem also carries a stable `code` (English, kebab-case) so
that code, tests and a future translated report never depend on the wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from preau.lib.errors import Refusal

MAX_REPORTED_ISSUES = 100
"""A refused file lists at most this many problems (the total is still counted)."""


class Role(StrEnum):
    """What a feed attribute (or CSV column) is to the record that holds it.

    IDENTITY: it says who the person or which the school is (id, profile, names, the school
    attachment): a value that cannot be read there refuses the record. OTHER: anything else
    (functions, subjects, classes and groups, relatives' links, birth date where it is no
    part of the id, title, address, phones, e-mails): a value that cannot be read there is
    left out with a warning, and the record is imported without it. Each parser classifies
    the attributes it reads in one table (`aaf.ATTRIBUTE_ROLES`, `onde.*_ROLES`,
    `manual.FIELD_ROLES`); docs/feeds.md lists them.
    """

    IDENTITY = "identity"
    OTHER = "other"


PLACEHOLDERS = frozenset({"-", "--", "sans objet", "néant", "neant"})
"""Values real exports put where there is nothing: read as empty (compared lower case)."""

SHOWN_VALUE = 120
"""A value quoted in a message is cut to this many characters."""


def shown(value: str) -> str:
    """A value as a message quotes it: cut when very long."""
    return value if len(value) <= SHOWN_VALUE else value[: SHOWN_VALUE - 1] + "…"


@dataclass(frozen=True, slots=True)
class ParseIssue:
    """One problem found on one line of one file.

    Errors make the whole file refused (see `IssueCollector.raise_if_any`); warnings are
    kept beside the records and shown in the report (e.g. an unknown CSV column).
    """

    file: str
    line: int | None
    code: str
    reason: str
    severity: str = "warning"
    external_id: str = ""
    """A refused record's id (severity "error"): the run goes on without the record, and
    counts its account as listed (it must not go missing because its record was refused)."""
    relatives: tuple[str, ...] = ()
    """A refused pupil's relatives (AAF): still designated, so they do not go missing
    either."""

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.file} : {self.reason}"
        return f"{self.file}, ligne {self.line} : {self.reason}"


class FeedError(Refusal):
    """The file is refused as a whole: the importer must change nothing.

    `file` and `line` locate the first problem; `issues` lists every problem found (at most
    MAX_REPORTED_ISSUES of them, `total_issues` counts them all).
    """

    def __init__(
        self,
        file: str,
        line: int | None,
        message: str,
        *,
        code: str = "invalid",
        issues: tuple[ParseIssue, ...] = (),
        total_issues: int | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.message = message
        self.code = code
        self.issues = issues or (ParseIssue(file, line, code, message),)
        self.total_issues = total_issues if total_issues is not None else len(self.issues)
        super().__init__(self.report())

    def __str__(self) -> str:
        return self.report()

    def __reduce__(self) -> tuple[object, ...]:
        """Picklable (e.g. to cross a process pool): rebuilt from its fields."""
        return (type(self), (self.file, self.line, self.message), dict(self.__dict__))

    def report(self) -> str:
        """The French text shown to the operator."""
        if self.total_issues <= 1:
            return str(self.issues[0])
        lines = [f"{self.file} : {self.message}"]
        lines.extend(f"- {issue}" for issue in self.issues)
        hidden = self.total_issues - len(self.issues)
        if hidden > 0:
            lines.append(f"- … et {hidden} autre(s) problème(s) non détaillé(s)")
        return "\n".join(lines)


class IssueCollector:
    """Collects line problems so that one refusal reports all of them, not only the first."""

    def __init__(self, file: str, limit: int = MAX_REPORTED_ISSUES) -> None:
        self.file = file
        self.limit = limit
        self.errors: list[ParseIssue] = []
        self.error_count = 0
        self.warnings: list[ParseIssue] = []

    def error(self, line: int | None, code: str, reason: str, *, file: str | None = None) -> None:
        self.error_count += 1
        if len(self.errors) < self.limit:
            self.errors.append(ParseIssue(file or self.file, line, code, reason))

    def warn(self, line: int | None, code: str, reason: str, *, file: str | None = None) -> None:
        if len(self.warnings) < self.limit:
            self.warnings.append(ParseIssue(file or self.file, line, code, reason))

    def refuse(self, line: int | None, code: str, reason: str, external_id: str,
               relatives: tuple[str, ...] = ()) -> None:
        """One record refused for an identity problem, the file still read: travels with
        the warnings (never dropped by the limit: the importer needs every refused id)."""
        self.warnings.append(ParseIssue(self.file, line, code, reason, "error", external_id,
                                        relatives))

    def absorb(self, other: IssueCollector) -> None:
        """Adds the problems of another file (the three ONDE files form one import)."""
        for issue in other.errors:
            self.error(issue.line, issue.code, issue.reason, file=issue.file)
        self.error_count += other.error_count - len(other.errors)
        self.warnings.extend(other.warnings[: max(0, self.limit - len(self.warnings))])

    def unreadable(self, line: int | None, role: Role, attribute: str, value: str,
                   what: str = "valeur", *, detail: str = "") -> None:
        """A value that cannot be understood: an error (the record is refused) when the
        attribute is identity, else a warning (`unreadable-value`: the value is left out)."""
        where = f"{attribute}, {detail}" if detail else attribute
        if role is Role.IDENTITY:
            self.error(line, "bad-value", f"{what} illisible « {shown(value)} » ({where})")
        else:
            self.warn(line, "unreadable-value",
                      f"{what} illisible « {shown(value)} » ({where}) : valeur ignorée, "
                      "le reste de la fiche est importé")

    @property
    def has_errors(self) -> bool:
        return self.error_count > 0

    def raise_if_any(self) -> None:
        """One FeedError listing the errors in file then line order."""
        if not self.errors:
            return
        files: dict[str, int] = {}
        for issue in self.errors:
            files.setdefault(issue.file, len(files))
        self.errors.sort(key=lambda issue: (files[issue.file], issue.line or 0))
        first = self.errors[0]
        if self.error_count == 1:
            raise FeedError(first.file, first.line, first.reason, code=first.code,
                            issues=(first,))
        raise FeedError(
            first.file,
            first.line,
            f"fichier refusé, {self.error_count} problèmes trouvés",
            code="invalid-lines",
            issues=tuple(self.errors),
            total_issues=self.error_count,
        )
