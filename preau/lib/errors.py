"""The one base class of the refusals that actions raise.

An action (`check_*` / `do_*`) that will not make a change raises a `Refusal` with a message
for the user (translated). Each app keeps its own subclass (`DirectoryError`,
`DocumentError`, `MessagingError`…) so that code and tests read well, but every boundary
catches the base, once: the API's exception handler (`preau.api.errors`) answers
`{"detail": …}` with the refusal's `status`, and the web's `RefusalMiddleware`
(`preau.lib.middleware`) answers a page or an htmx fragment with the message for any refusal
a view did not handle itself. A new subclass is therefore never a 500.

No Django import here: the feed parsers (plain Python) raise refusals too.
"""

from __future__ import annotations

from typing import Any, ClassVar


class Refusal(Exception):
    """An action refused a change; `str(refusal)` is the message for the user.

    `status` is the HTTP status a boundary answers with: 400 by default, 413 for a file or
    a space that is too small (a subclass may set it per instance). `detail_fields` names
    attributes that the API adds to its `{"detail": …}` body (the quota figures of a full
    space, the names of full recipients); `headers()` adds response headers (Retry-After…).
    """

    status: int = 400
    detail_fields: ClassVar[tuple[str, ...]] = ()

    def details(self) -> dict[str, Any]:
        """What the API answers beside `detail`."""
        return {name: getattr(self, name) for name in self.detail_fields}

    def headers(self) -> dict[str, str]:
        """Headers of the answer, for the API and the web alike."""
        return {}
