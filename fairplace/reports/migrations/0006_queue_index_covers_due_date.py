"""The agents' queue index, made to serve the first page at 1,000,000 reports (bench/backoffice.py).

(marketplace, state, submitted_at DESC, id DESC): a stable order for paging. On PostgreSQL the
index also carries ``answer_due_at`` as a non-key column (INCLUDE), so that the "late" filter
(forwarded and past the deadline) is answered by an index-only scan, count and page alike.
Django declares INCLUDE only for databases that support it and warns (models.W040) on the
others, so the model declares the portable part and this migration adds INCLUDE on
PostgreSQL: changing the model's index means changing both.
"""

from django.db import migrations, models

INDEX_NAME = "report_queue_idx"
COLUMNS = "marketplace_id, state, submitted_at DESC, id DESC"


def add_covering_column(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("reports", "Report")._meta.db_table)
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX_NAME}")
    schema_editor.execute(f"CREATE INDEX {INDEX_NAME} ON {table} ({COLUMNS}) INCLUDE (answer_due_at)")


def drop_covering_column(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("reports", "Report")._meta.db_table)
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX_NAME}")
    schema_editor.execute(f"CREATE INDEX {INDEX_NAME} ON {table} ({COLUMNS})")


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0005_french_full_text_index"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="report", name=INDEX_NAME),
        migrations.AddIndex(
            model_name="report",
            index=models.Index(fields=["marketplace", "state", "-submitted_at", "-id"], name=INDEX_NAME),
        ),
        migrations.RunPython(add_covering_column, drop_covering_column, elidable=False),
    ]
