"""Memory stays flat on a big AAF file.

Three measures over one pass of 50,000 records, each catching a different leak:
- tracemalloc peak of Python allocations, over the first 5,000 records only: tracing every
  allocation makes parsing several times slower (8x here), and 50,000 would make this test slow;
- the number of GC-tracked Python objects, 5,000 vs 50,000 records in: records or elements
  kept alive would add tens of thousands;
- the resident set size over the whole pass: libxml2's tree lives outside Python's allocator,
  invisible to both measures above (without clearing it grows by ~170 MiB here).
"""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

import pytest

from preau.feeds.parsers import ClassRef, PersonRecord, parse_aaf

RECORDS = 50_000
TRACED = 5_000
MiB = 1024 * 1024


def _rss() -> int:
    """Current resident set size (Linux)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * 4096


@pytest.fixture(scope="module")
def big_file(tmp_path_factory) -> Path:
    """50,000 lean pupils, written as text (the writer is tested elsewhere; this is faster)."""
    path = tmp_path_factory.mktemp("big") / "ENT_Complet_20240901_Eleve_0000.xml"
    request = (
        "<addRequest><identifier><id>E{0}</id></identifier><attributes>"
        '<attr name="ENTPersonNom"><value>NOM{0}</value></attr>'
        '<attr name="ENTPersonPrenom"><value>Prénom</value></attr>'
        '<attr name="ENTPersonClasses"><value>ST1$$$C{1}$Classe {1}</value></attr>'
        "</attributes></addRequest>\n"
    )
    with path.open("wb") as handle:
        handle.write(b'<?xml version="1.0" encoding="UTF-8"?>\n'
                     b'<!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd">\n<ficAlimMENESR>\n')
        for start in range(0, RECORDS, 5_000):
            chunk = "".join(request.format(i, i % 40) for i in range(start, start + 5_000))
            handle.write(chunk.encode())
        handle.write(b"</ficAlimMENESR>\n")
    return path


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs Linux /proc")
def test_memory_stays_flat_on_a_big_file(big_file):
    gc.collect()
    rss_before = _rss()
    rss_peak = rss_before
    objects_at_traced = 0
    python_peak = 0
    count = 0
    last = None
    tracemalloc.start()
    try:
        for record in parse_aaf(big_file):
            count += 1
            last = record
            if count == TRACED:
                python_peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                objects_at_traced = len(gc.get_objects())
            if count % 5_000 == 0:
                rss_peak = max(rss_peak, _rss())
    finally:
        tracemalloc.stop()
    objects_at_end = len(gc.get_objects())
    assert count == RECORDS
    assert last is not None
    assert last.external_id == f"E{RECORDS - 1}"
    assert isinstance(last, PersonRecord)
    assert last.classes == (ClassRef("ST1", "C39", "Classe 39"),)
    assert last.line == RECORDS + 3  # one request per line, after 3 header lines
    assert 0 < python_peak < 50 * MiB
    assert objects_at_end - objects_at_traced < 1_000
    assert rss_peak - rss_before < 50 * MiB
