"""What other apps (the barometer) may read of reports: event streams and the few write-once
facts of a submission. Nothing here exposes a seller's identity."""

from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models import CharField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from . import deadlines
from .models import Report, ReportEvent

# Events the barometer counts (see fairplace/barometer/data/indicators.yaml, source_events).
BAROMETER_EVENT_CODES = (
    "report.submitted",
    "report.requalified",
    "report.duplicate",
    "report.not_admissible",
    "report.reopened",
    "report.forwarded",
    "report.overdue",
    "report.answered",
    "report.answer_rated",
    "report.action_confirmed",
    "report.referred_to_mediation",
    "report.closed",
)
# Intake answers the barometer reads (write-once: the seller's answers at submission).
BAROMETER_ANSWER_KEYS = ("statement_received", "statement_before_effect", "suspension_type", "notice_days_given")


_EVENTS_SQL = (
    "SELECT report_id, code, created_at, payload->>'family', payload->>'marketplace', payload->'changes', "
    "payload->>'answer_due_at', payload->>'value', payload->>'outcome' FROM {table} "
    "WHERE code = ANY(%s) ORDER BY report_id, id"
)


def barometer_events(report_ids=None, chunk_size: int = 20000):
    """The counted events, by report then insertion order, as flat tuples ``(report_id, code,
    created_at, family, marketplace, changes, answer_due_at, value, outcome)``: the payload
    keys the barometer reads, extracted by the database (a million reports' events are read
    without decoding their whole payloads). All events: on PostgreSQL, a server-side cursor in
    binary format (three times faster than the ORM's rows); call it inside a transaction."""
    if report_ids is None and connection.vendor == "postgresql":
        return _server_side_rows(
            _EVENTS_SQL.format(table=ReportEvent._meta.db_table), [list(BAROMETER_EVENT_CODES)], chunk_size
        )
    events = ReportEvent.objects.filter(code__in=BAROMETER_EVENT_CODES)
    if report_ids is not None:
        events = events.filter(report_id__in=list(report_ids))
    return (
        events.order_by("report_id", "id")
        .values_list(
            "report_id",
            "code",
            "created_at",
            KT("payload__family"),
            KT("payload__marketplace"),
            "payload__changes",
            KT("payload__answer_due_at"),
            KT("payload__value"),
            KT("payload__outcome"),
        )
        .iterator(chunk_size=chunk_size)
    )


def _server_side_rows(sql: str, params: list, chunk_size: int):
    connection.ensure_connection()
    with connection.connection.cursor(name="fairplace_barometer", binary=True) as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk_size):
            yield from rows


def submission_facts(report_ids=None, chunk_size: int = 50000):
    """(report_id, current marketplace_id, answers) where answers is the tuple of the seller's
    BAROMETER_ANSWER_KEYS answers (None where not asked)."""
    reports = Report.objects.all()
    if report_ids is not None:
        reports = reports.filter(pk__in=list(report_ids))
    rows = reports.order_by("pk").values_list(
        "pk", "marketplace_id", *(KT(f"answers__{key}") for key in BAROMETER_ANSWER_KEYS)
    )
    if report_ids is None and connection.vendor == "postgresql":
        rows = _server_side_rows(*rows.query.sql_with_params(), chunk_size)
    else:
        rows = rows.iterator(chunk_size=chunk_size)
    for pk, marketplace_id, *answers in rows:
        yield pk, marketplace_id, tuple(answers)


@contextmanager
def locked_reports(report_ids):
    """Hold the row locks of these reports (the lock every event writer takes first), so that
    no event of theirs is being written meanwhile. Opens a transaction."""
    with transaction.atomic():
        list(Report.objects.select_for_update().filter(pk__in=list(report_ids)).order_by("pk").values_list("pk"))
        yield


def platform_answer_due(forwarded_at):
    """The platform's deadline for a report forwarded at ``forwarded_at`` (deadlines.yaml)."""
    return deadlines.due_at("platform_answer", forwarded_at)


# The seller's answers to the "fees" family questions (families.yaml, FEES) that the fee
# observatory matches with recorded fee changes.
FEE_ANSWER_KEYS = (
    "fee_type",
    "fee_issue",
    "fee_rate_before",
    "fee_rate_after",
    "monthly_fee_before",
    "monthly_fee_after",
    "change_announced_on",
    "change_effective_on",
)


def fee_reports(*, marketplace_id=None, after_id=0, limit=None, report_ids=None, submitted_before=None) -> list[dict]:
    """Submitted reports of the FEES family (their current family, after any requalification)
    about a listed marketplace, by id, as plain dicts ``{id, reference, marketplace_id,
    submitted_at, answers}`` where answers holds only FEE_ANSWER_KEYS (strings as stored: ISO
    dates, decimals as text). No identity of the seller.

    Left out: reports marked as duplicates (the report they duplicate already counts) and
    reports found not admissible; reports withdrawn or closed still count (the fee change they
    describe happened). Every row of ``Report`` is a submitted report (drafts live apart)."""
    reports = _counted_reports("FEES", marketplace_id=marketplace_id, report_ids=report_ids).filter(pk__gt=after_id)
    if submitted_before is not None:
        reports = reports.filter(submitted_at__lt=submitted_before)
    rows = reports.order_by("pk").values("pk", "reference", "marketplace_id", "submitted_at", "answers")
    if limit is not None:
        rows = rows[:limit]
    return [
        {
            "id": row["pk"],
            "reference": row["reference"],
            "marketplace_id": row["marketplace_id"],
            "submitted_at": row["submitted_at"],
            "answers": _answers(row["answers"], FEE_ANSWER_KEYS),
        }
        for row in rows
    ]


def _counted_reports(family_code: str, *, marketplace_id=None, report_ids=None):
    """Reports of a family (their current one) about a listed marketplace, without those marked as duplicates
    or found not admissible; optionally of one marketplace, or among ``report_ids``."""
    from .states import ReportState

    reports = Report.objects.filter(family__code=family_code, marketplace__isnull=False).exclude(
        state__in=[ReportState.DUPLICATE, ReportState.NOT_ADMISSIBLE]
    )
    if marketplace_id is not None:
        reports = reports.filter(marketplace_id=marketplace_id)
    if report_ids is not None:
        reports = reports.filter(pk__in=list(report_ids))
    return reports


def _answers(answers: dict | None, keys) -> dict:
    """The given keys of a report's answers, left out when not answered."""
    answers = answers or {}
    return {key: answers[key] for key in keys if answers.get(key) not in (None, "")}


def distinct_sellers(report_ids_by_key: dict) -> dict:
    """For each key, the number of distinct sellers (SIRET) among its reports — one query. The
    fee observatory says "reported by N sellers" without reading reports itself."""
    all_ids = {report_id for ids in report_ids_by_key.values() for report_id in ids}
    sirets = dict(Report.objects.filter(pk__in=all_ids).values_list("pk", "siret")) if all_ids else {}
    return {
        key: len({sirets[report_id] for report_id in ids if report_id in sirets})
        for key, ids in report_ids_by_key.items()
    }


# The seller's answers to the "terms changed without notice" questions (families.yaml, TCCHG) that the
# terms observatory sets against the versions it recorded (the notice check of P2B art. 3).
TERMS_CHANGE_FAMILY = "TCCHG"
TERMS_CHANGE_ANSWER_KEYS = (
    "change_topic",
    "change_announced_on",
    "change_effective_on",
    "change_medium",
    "adaptation_needed",
)


def terms_change_reports(
    *,
    marketplace_id=None,
    references=None,
    report_ids=None,
    exclude_ids=None,
    effective_between=None,
    offset=0,
    limit=None,
) -> list[dict]:
    """Submitted reports of the TCCHG family (current family) about a listed marketplace, newest first, as
    plain dicts ``{id, reference, marketplace_id, submitted_at, occurred_on, answers, attachments}``: answers
    holds only TERMS_CHANGE_ANSWER_KEYS (ISO dates as stored); attachments lists the seller's own files
    (``{id, name, kind, scan_status}``; a platform's answer files are left out). No identity of the seller,
    no description. Duplicates and reports found not admissible are left out, as for ``fee_reports``.
    ``offset``/``limit`` page the list; ``exclude_ids`` (ids, or a query of ids) leaves reports out (those
    already linked); ``effective_between`` (two dates) keeps the reports whose date of effect falls in it."""
    from .models import Attachment

    reports = _counted_reports(TERMS_CHANGE_FAMILY, marketplace_id=marketplace_id, report_ids=report_ids)
    if references is not None:
        reports = reports.filter(reference__in=list(references))
    if exclude_ids is not None:
        reports = reports.exclude(pk__in=exclude_ids)
    if effective_between is not None:
        # ISO dates as stored: their text order is their date order.
        start, end = (day.isoformat() for day in effective_between)
        effective = Cast(KT("answers__change_effective_on"), CharField())  # text, not a JSON value
        reports = reports.alias(effective=effective).filter(effective__gte=start, effective__lte=end)
    rows = reports.order_by("-submitted_at", "-pk").values(
        "pk", "reference", "marketplace_id", "submitted_at", "occurred_on", "answers"
    )
    rows = list(rows[offset : offset + limit] if limit is not None else rows[offset:])
    files: dict[int, list[dict]] = {}
    for attachment in (
        Attachment.objects.filter(report_id__in=[row["pk"] for row in rows], answer__isnull=True)
        .order_by("uploaded_at")
        .values("id", "report_id", "original_name", "kind", "scan_status")
    ):
        files.setdefault(attachment["report_id"], []).append(
            {
                "id": str(attachment["id"]),
                "name": attachment["original_name"],
                "kind": attachment["kind"],
                "scan_status": attachment["scan_status"],
            }
        )
    return [
        {
            "id": row["pk"],
            "reference": row["reference"],
            "marketplace_id": row["marketplace_id"],
            "submitted_at": row["submitted_at"],
            "occurred_on": row["occurred_on"],
            "answers": _answers(row["answers"], TERMS_CHANGE_ANSWER_KEYS),
            "attachments": files.get(row["pk"], []),
        }
        for row in rows
    ]
