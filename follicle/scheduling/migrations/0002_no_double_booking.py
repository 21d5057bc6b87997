"""No double booking in the database, where the database can say it (PostgreSQL).

Two exclusion constraints refuse overlapping active appointments of one practitioner, or of one
room. SQLite has no such constraint: there the booking service checks inside an IMMEDIATE
transaction (services.py).
"""

from django.db import migrations

ACTIVE = "status IN ('booked', 'checked_in', 'done')"
UP = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    f"""ALTER TABLE scheduling_appointment ADD CONSTRAINT no_practitioner_double_booking
        EXCLUDE USING gist (practitioner_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
        WHERE ({ACTIVE})""",
    f"""ALTER TABLE scheduling_appointment ADD CONSTRAINT no_room_double_booking
        EXCLUDE USING gist (room_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
        WHERE ({ACTIVE} AND room_id IS NOT NULL)""",
]
DOWN = [
    "ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS no_room_double_booking",
    "ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS no_practitioner_double_booking",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [migrations.RunPython(_run(UP), _run(DOWN))]
