"""Settings of the rentrée load test's server only (`bench/bench_rentree.py`), never of Préau.

Préau's own settings, read from the same environment, with one change: the URLs are
`bench.rentree_urls`, Préau's URLs plus one bare view, `/bench/bare/`, that runs one
`SELECT 1` and answers two bytes. Served by the same gunicorn, through the same middleware
and the same database settings as Préau's pages, it is the floor each page's throughput is
compared with. The benchmark's gunicorn alone runs with
`DJANGO_SETTINGS_MODULE=bench.rentree_site`; Préau's production URLs do not have the view.
"""

from preau.settings import *  # noqa: F403 (Préau's settings, unchanged)

ROOT_URLCONF = "bench.rentree_urls"
