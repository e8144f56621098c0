"""Argon2 verify rate: Django's default parameters against Préau's (a plain script, not a test).

    .venv/bin/python bench/bench_passwords.py [--seconds 5] [--workers 2]

For each parameter set it hashes one password, then verifies it (Django's `verify`, as a
login does) over and over for --seconds: first in one thread (the cost of one login), then
in --workers threads at once (the machine's rate when logins queue; argon2-cffi releases
the GIL, and Django's default of 8 lanes spreads one verify over several cores).
No database, no Django project: only the hashers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def setup() -> None:
    sys.path.insert(0, str(REPO))
    from django.conf import settings

    if not settings.configured:
        settings.configure()


def measure(hasher: object, seconds: float, workers: int) -> tuple[float, float, float]:
    """(median ms of one verify alone, verifies/s alone, verifies/s with `workers`)."""
    encoded = hasher.encode("Cartable-vert-42", hasher.salt())  # type: ignore[attr-defined]
    verify = hasher.verify  # type: ignore[attr-defined]
    assert verify("Cartable-vert-42", encoded)
    verify("Cartable-vert-42", encoded)  # warm-up
    times: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        verify("Cartable-vert-42", encoded)
        times.append(time.perf_counter() - start)
    alone = len(times) / sum(times)
    counts = [0] * workers
    stop = time.perf_counter() + seconds

    def work(index: int) -> None:
        while time.perf_counter() < stop:
            verify("Cartable-vert-42", encoded)
            counts[index] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    together = sum(counts) / (time.perf_counter() - started)
    return statistics.median(times) * 1000, alone, together


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    setup()
    from django.contrib.auth.hashers import Argon2PasswordHasher

    from preau.accounts.passwords import PreauArgon2PasswordHasher

    print(f"{os.cpu_count()} CPUs, {args.workers} workers, {args.seconds:g} s per measure")
    print(f"{'parameters':<34} {'ms/verify':>10} {'verifies/s alone':>17} "
          f"{'verifies/s, ' + str(args.workers) + ' workers':>22}")
    rows = []
    for label, hasher in [
        ("Django default (m=100 MiB,t=2,p=8)", Argon2PasswordHasher()),
        ("Préau/OWASP (m=19 MiB,t=2,p=1)", PreauArgon2PasswordHasher()),
    ]:
        ms, alone, together = measure(hasher, args.seconds, args.workers)
        rows.append(together)
        print(f"{label:<34} {ms:>10.1f} {alone:>17.1f} {together:>22.1f}")
    print(f"rate with {args.workers} workers, new / old: {rows[1] / rows[0]:.1f}x")


if __name__ == "__main__":
    main()
