"""Limit/offset pages with a ceiling, and one page over several querysets (directory search)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request


class ApiPagination(LimitOffsetPagination):
    """The settings' page size (50) by default; a client may ask for up to 200."""

    max_limit = 200

    def paginate_querysets(self, querysets: Sequence[QuerySet[Any]],
                           request: Request) -> list[list[Any]]:
        """One window over the querysets put end to end: one count and at most one page
        query per queryset, whatever the number of rows."""
        self.request = request
        self.limit = self.get_limit(request) or self.max_limit
        self.offset = self.get_offset(request)
        counts = [queryset.count() for queryset in querysets]
        self.count = sum(counts)
        pages: list[list[Any]] = []
        start, stop = self.offset, self.offset + self.limit
        for queryset, count in zip(querysets, counts, strict=True):
            low, high = max(start, 0), min(stop, count)
            pages.append(list(queryset[low:high]) if low < high else [])
            start, stop = start - count, stop - count
        return pages
