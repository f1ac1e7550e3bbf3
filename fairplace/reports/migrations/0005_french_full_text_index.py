"""A GIN index for the agents' French full-text search (PostgreSQL only; nothing on SQLite).

The indexed expression is exactly what ``queue.search`` filters on:
``SearchVector("description", "company_name", config="french")``, which Django compiles to
``to_tsvector('french'::regconfig, COALESCE(description, '') || ' ' || COALESCE(company_name, ''))``.
PostgreSQL uses an expression index only for the same expression: change both together.
"""

from django.db import migrations

INDEX_NAME = "report_french_fts_idx"
EXPRESSION = "to_tsvector('french'::regconfig, COALESCE(description, '') || ' ' || COALESCE(company_name, ''))"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("reports", "Report")._meta.db_table)
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX_NAME} ON {table} USING gin ({EXPRESSION})")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX_NAME}")


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0004_answers_feedback_messages_notes_casework_exports"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
