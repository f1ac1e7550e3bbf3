"""Building blocks shared by the benchmarks of bench/ (server, load generator, tables).

``server``: bench database and Django, gunicorn, CPU accounting, versions.
``http``: the load generator's HTTP clients. ``queries``: SQL queries of one request.
``stats``: percentiles, table layout and the result files.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
