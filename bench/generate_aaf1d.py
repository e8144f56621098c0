"""Writes a synthetic AAF1D académie, for the feed import benchmark (a plain script).

    .venv/bin/python bench/generate_aaf1d.py --schools 100 --out /tmp/aaf1d [--seed 1]
        [--prefix ENT] [--change 0.05]

The generator lives in `preau.feeds.synthetic` (the demo writes its académie with the same
writer): per school about 120 pupils in five classes, about 180 legal parents, 8 teachers;
deterministic for given arguments; `--change F` changes a share F of the person records (the
"5 % changes" re-import of the benchmark). `generate` and `School` are re-exported here for
`bench/bench_feeds.py`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from preau.feeds.synthetic import DAY, School, generate  # noqa: E402 (after the path set-up)

__all__ = ["DAY", "School", "generate", "main"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--schools", type=int, required=True)
    parser.add_argument("--out", required=True, help="folder to write the files into")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--prefix", default="ENT", help="prefix of the file names")
    parser.add_argument("--change", type=float, default=0.0,
                        help="share of person records changed (0.05 for 5 %%)")
    args = parser.parse_args(argv)
    paths = generate(args.out, schools=args.schools, seed=args.seed, prefix=args.prefix,
                     change=args.change)
    print(f"{len(paths)} files written in {args.out}")


if __name__ == "__main__":
    main()
