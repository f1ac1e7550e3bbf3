from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .jobs.health import error_type, worker_health
from .ratelimit import RateLimited


@require_GET
def home(request):
    return render(request, "core/home.html")


def _iso(value):
    return value.isoformat() if value else None


@never_cache
@require_GET
def healthz_worker(request):
    """For monitoring: the background work as JSON, 503 when no worker has been seen for 2 minutes, when
    a periodic job failed its last 3 runs, or when the oldest queued task waits for over 10 minutes.
    Errors are named by their type only: their text may hold an e-mail address (the back office shows it)."""
    try:
        health = worker_health()
    except Exception:  # the database itself is unreachable
        return JsonResponse({"status": "error", "problems": ["database unreachable"]}, status=503)
    payload = {
        "status": "ok" if health.ok else "error",
        "problems": health.problems,
        "workers": [
            {**worker, "started_at": _iso(worker["started_at"]), "last_seen_at": _iso(worker["last_seen_at"])}
            for worker in health.workers
        ],
        "queue": health.queue,
        "jobs": [
            {
                "name": job["name"],
                "schedule": job["schedule"],
                "running": job["running"],
                "last_started_at": _iso(job["last_started_at"]),
                "last_succeeded_at": _iso(job["last_succeeded_at"]),
                "last_failed_at": _iso(job["last_failed_at"]),
                "consecutive_failures": job["consecutive_failures"],
                "last_error_type": error_type(job["last_error"]),
            }
            for job in health.jobs
        ],
    }
    return JsonResponse(payload, status=200 if health.ok else 503, json_dumps_params={"ensure_ascii": False})


@never_cache
@require_GET
def healthz(request):
    """For the load balancer: 200 when the database answers, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def rate_limited(request, exc: RateLimited):
    minutes = max(1, round(exc.retry_after / 60))
    response = render(request, "core/rate_limited.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


def page_not_found(request, exception=None):
    return render(request, "core/404.html", status=404)


def server_error(request):
    return render(request, "core/500.html", status=500)
