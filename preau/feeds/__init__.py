"""Feeding (alimentation): turning the académie's feed files into directory changes.

- `parsers/` reads the files (AAF / AAF1D XML, ONDE CSV extractions, manual CSV templates)
  into typed records, without Django.
- `inputs.py` tells which file holds which kind of record, hence what a run covers.
- `importer.py` writes one run's records into the directory (snapshot semantics, bulk);
  `linking.py` holds the bulk diff of feed-owned links it shares with the life cycle.
- `lifecycle.py` moves missing accounts to pre-deleted then deleted (`preau feed
  lifecycle`, daily).
- `actions.py` records each run (FeedRun, FeedIssue), applies the freeze and the
  missing-accounts hold, approves held runs; `management/commands/feed.py` is the CLI.

The operator's guide is docs/feeds.md.
"""
