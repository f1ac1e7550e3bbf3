"""The SQL queries of one request, in-process: how many, of which kind, and the time spent waiting."""

import time
from collections import Counter


def browser(cookie: str):
    """A Django test client that checks CSRF as for a browser and sends the cookies of ``cookie``
    (a ``Cookie`` header: ``name=value; name=value``)."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")
    for pair in cookie.split("; "):
        name, value = pair.split("=", 1)
        client.cookies[name] = value
    return client


def measure(connection, call):
    """Run ``call()`` and capture the queries it makes on ``connection``: (result, queries, elapsed
    seconds, seconds spent waiting for the database)."""
    from django.test.utils import CaptureQueriesContext

    db_time = [0.0]

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            db_time[0] += time.perf_counter() - started

    with CaptureQueriesContext(connection) as ctx, connection.execute_wrapper(timed):
        started = time.perf_counter()
        result = call()
        elapsed = time.perf_counter() - started
    return result, ctx.captured_queries, elapsed, db_time[0]


def describe(label: str, queries: list[dict], elapsed: float, db_time: float) -> list[str]:
    """A summary line and one line per kind of query, the most frequent first."""
    kinds = Counter(query_kind(q["sql"]) for q in queries)
    lines = [
        f"{label}: {len(queries)} queries, {elapsed * 1000:.1f} ms in-process "
        f"({db_time * 1000:.1f} ms waiting for the database)"
    ]
    lines.extend(f"    {n:2d} x {kind}" for kind, n in kinds.most_common())
    return lines


def query_kind(sql: str) -> str:
    words = sql.replace('"', "").split()
    verb = words[0].upper() if words else "?"
    table = "?"
    for marker in ("FROM", "INTO", "UPDATE"):
        index = _top_level_index(words, marker)
        if index is not None and index + 1 < len(words):
            table = words[index + 1]
            break
    if verb == "UPDATE" and len(words) > 1:
        table = words[1]
    if "FOR" in words and "UPDATE" in words[words.index("FOR") :]:
        verb += " … FOR UPDATE"
    return f"{verb} {table}".strip()


def _top_level_index(words: list[str], marker: str) -> int | None:
    """Index of the first ``marker`` outside parentheses: the FROM of the statement, not of a
    subquery in its select list (an EXISTS annotation, for instance)."""
    depth = 0
    for index, word in enumerate(words):
        if word == marker and depth == 0:
            return index
        depth += word.count("(") - word.count(")")
    return None
