"""Writing generated chunks: ``COPY`` on PostgreSQL (psycopg 3), ``bulk_create`` elsewhere;
secondary indexes dropped during a big load and rebuilt; sequences moved past the ids."""

import json
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, models

from ..models import Attachment, MediationReferral, PlatformAnswer, Report, ReportEvent, SellerContact, SellerFeedback
from .cases import Chunk

REPORT_COLUMNS = [
    "id",
    "reference",
    "idempotency_key",
    "state",
    "marketplace_id",
    "marketplace_other_name",
    "marketplace_other_url",
    "family_id",
    "answers",
    "occurred_on",
    "description",
    "siret",
    "siren",
    "company_name",
    "company_size",
    "naf_code",
    "naf_version",
    "company_source",
    "contact_id",
    "contact_first_name",
    "contact_last_name",
    "contact_email",
    "contact_phone",
    "consent",
    "submitted_at",
    "outcome",
    "answer_due_at",
    "forwarded_at",
    "platform_first_read_at",
    "assigned_to_id",
    "duplicate_of_id",
]
EVENT_COLUMNS = ["id", "report_id", "code", "actor_kind", "actor_id", "payload", "created_at", "prev_hash", "hash"]
CONTACT_COLUMNS = ["id", "email", "created_at"]
ANSWER_COLUMNS = [
    "id",
    "report_id",
    "kind",
    "reasons",
    "actions",
    "message_for_seller",
    "message_for_administration",
    "author_id",
    "created_at",
    "follow_up_due_at",
]
FEEDBACK_COLUMNS = ["id", "report_id", "answer_id", "kind", "value", "comment", "created_at"]
REFERRAL_COLUMNS = ["id", "report_id", "mediator_id", "referred_at"]
ATTACHMENT_COLUMNS = [
    "id",
    "draft_id",
    "report_id",
    "answer_id",
    "file",
    "original_name",
    "kind",
    "size",
    "sha256",
    "scan_status",
    "scan_detail",
    "scanned_at",
    "uploaded_at",
]
TABLES = [  # in foreign-key order
    ("contacts", SellerContact, CONTACT_COLUMNS),
    ("reports", Report, REPORT_COLUMNS),
    ("answers", PlatformAnswer, ANSWER_COLUMNS),
    ("feedback", SellerFeedback, FEEDBACK_COLUMNS),
    ("events", ReportEvent, EVENT_COLUMNS),
    ("referrals", MediationReferral, REFERRAL_COLUMNS),
    ("attachments", Attachment, ATTACHMENT_COLUMNS),
]


@dataclass
class TableSpec:
    model: type
    columns: list  # database columns, in row order, then the constant extras
    extras: tuple  # values of fields the generator does not know (a later migration's), per row
    json_positions: tuple


def table_spec(model, attnames: list) -> TableSpec:
    """The columns written for ``model``: the generator's, then any other concrete field with
    a usable default (a field added later); a required field without one stops the run."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    unknown = [name for name in attnames if name not in fields]
    if unknown:
        raise RuntimeError(f"{model.__name__}: the generator writes unknown fields {unknown}")
    extras_fields = [f for name, f in fields.items() if name not in attnames]
    extras = []
    for extra in extras_fields:
        value = extra.get_default()
        if value is None and not extra.null:
            raise RuntimeError(
                f"benchdata: {model.__name__}.{extra.name} is required and has no default; "
                "teach fairplace/reports/benchdata.py to fill it"
            )
        extras.append(extra.get_db_prep_save(value, connection))
    columns = [fields[name].column for name in attnames] + [f.column for f in extras_fields]
    json_positions = tuple(i for i, name in enumerate(attnames) if isinstance(fields[name], models.JSONField))
    return TableSpec(model, columns, tuple(extras), json_positions)


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def write_chunk_postgresql(specs: dict, chunk: Chunk, *, skip_foreign_key_checks: bool = False) -> None:
    """COPY the chunk's rows, table by table in foreign-key order (the caller holds a
    transaction). Without the foreign-key triggers (``session_replication_role = replica``,
    for this transaction only) PostgreSQL does half the work; ``check_foreign_keys`` then
    verifies every reference in one pass at the end."""
    raw = connection.cursor().connection  # the psycopg 3 connection under Django's
    with raw.cursor() as cursor:
        if skip_foreign_key_checks:
            cursor.execute("SET LOCAL session_replication_role = replica")
        for name, _model, _attnames in TABLES:
            rows, spec = getattr(chunk, name), specs[name]
            if not rows:
                continue
            table = connection.ops.quote_name(spec.model._meta.db_table)
            columns = ", ".join(connection.ops.quote_name(column) for column in spec.columns)
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:  # noqa: S608 - names from models
                positions, extras = spec.json_positions, spec.extras
                for row in rows:
                    if positions:
                        row = list(row)
                        for i in positions:
                            row[i] = _dumps(row[i])
                    copy.write_row((*row, *extras) if extras else row)


def write_chunk_orm(specs: dict, chunk: Chunk, *, skip_foreign_key_checks: bool = False) -> None:
    for name, model, attnames in TABLES:
        rows = getattr(chunk, name)
        if rows:
            objects = [model(**dict(zip(attnames, row, strict=True))) for row in rows]
            model.objects.bulk_create(objects, batch_size=500)
            if model is SellerContact:  # auto_now_add replaced the generated dates
                for contact_id, _email, created_at in rows:
                    SellerContact.objects.filter(pk=contact_id).update(created_at=created_at)


def write_chunk(specs: dict, chunk: Chunk, *, skip_foreign_key_checks: bool = False) -> None:
    writer = write_chunk_postgresql if connection.vendor == "postgresql" else write_chunk_orm
    writer(specs, chunk, skip_foreign_key_checks=skip_foreign_key_checks)


def can_skip_foreign_key_checks() -> bool:
    """Only a PostgreSQL superuser may turn the foreign-key triggers off for a transaction."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
    return bool(row and row[0])


def check_foreign_keys() -> list[str]:
    """Every foreign key of the written tables points at an existing row: one anti-join per
    key. Returns the broken ones ("table.column: n rows")."""
    broken = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for _name, model, _attnames in TABLES:
            for fk in model._meta.concrete_fields:
                if not fk.is_relation:
                    continue
                target = fk.related_model._meta
                table, column = quote(model._meta.db_table), quote(fk.column)
                sql = (
                    f"SELECT COUNT(*) FROM {table} t WHERE t.{column} IS NOT NULL AND NOT EXISTS "  # noqa: S608
                    f"(SELECT 1 FROM {quote(target.db_table)} r WHERE r.{quote(fk.target_field.column)} "
                    f"= t.{column})"
                )
                cursor.execute(sql)
                orphans = cursor.fetchone()[0]
                if orphans:
                    broken.append(f"{model._meta.db_table}.{fk.column}: {orphans}")
    return broken


def next_id(model) -> int:
    return (model.objects.aggregate(top=models.Max("pk"))["top"] or 0) + 1


def move_sequences() -> None:
    """Explicit ids were written: the next ordinary insert must get an id past them."""
    if connection.vendor != "postgresql":
        return  # SQLite's AUTOINCREMENT follows the largest id inserted
    with connection.cursor() as cursor:
        for model in (SellerContact, Report, PlatformAnswer, SellerFeedback, ReportEvent, MediationReferral):
            table = model._meta.db_table
            top = f"SELECT COALESCE(MAX(id), 1) FROM {connection.ops.quote_name(table)}"  # noqa: S608 - model table
            cursor.execute(f"SELECT setval(pg_get_serial_sequence(%s, 'id'), ({top}))", [table])


@contextmanager
def secondary_indexes_dropped(models_: list, *, workers: int = 1):
    """PostgreSQL builds an index faster in one pass than row by row: drop the plain
    secondary indexes of ``models_`` (not primary keys, unique or other constraints) and
    build them again with their exact definitions (``workers`` at a time, each on its own
    connection), whatever happens in between."""
    if connection.vendor != "postgresql":
        yield []
        return
    tables = [model._meta.db_table for model in models_]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            JOIN pg_class c ON c.relname = i.indexname
            WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
              AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid)
        """,
            [tables],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    try:
        yield [name for name, _ in indexes]
    finally:
        # The full-text (GIN) index is the longest to build: start it first.
        definitions = sorted((definition for _name, definition in indexes), key=lambda d: " gin " not in d)
        if workers > 1 and not connection.in_atomic_block:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(_build_index, definitions))  # list(): raise the first error here
        else:
            for definition in definitions:
                _build_index(definition, close=False)


def _build_index(definition: str, close: bool = True) -> None:
    try:
        with connection.cursor() as cursor:  # a thread's own connection (Django's are per thread)
            cursor.execute("SET maintenance_work_mem = '512MB'")
            cursor.execute(definition)
    finally:
        if close:
            connection.close()
