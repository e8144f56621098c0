"""Errors and issues of the feed parsers.

Messages are French text written directly here, not gettext msgids: the parsers stay free of
Django (fast, importable anywhere, testable without settings) and their report is shown to
French operators as is. Every problem also carries a stable `code` (English, kebab-case) so
that code, tests and a future translated report never depend on the wording.
"""

from __future__ import annotations

from dataclasses import dataclass

from preau.lib.errors import Refusal

MAX_REPORTED_ISSUES = 100
"""A refused file lists at most this many problems (the total is still counted)."""


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

    def absorb(self, other: IssueCollector) -> None:
        """Adds the problems of another file (the three ONDE files form one import)."""
        for issue in other.errors:
            self.error(issue.line, issue.code, issue.reason, file=issue.file)
        self.error_count += other.error_count - len(other.errors)
        self.warnings.extend(other.warnings[: max(0, self.limit - len(self.warnings))])

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
