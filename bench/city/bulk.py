"""Bulk load through PostgreSQL COPY (psycopg 3 ``cursor.copy``), with primary keys allocated in Python."""
import json

from django.db import models

from .shared import CityError


class Copier:
    """COPY rows of one model: explicit columns, every other column from the field's default."""

    def __init__(self, cursor, model, columns, now):
        self.cursor, self.model = cursor, model
        fields = {f.attname: f for f in model._meta.concrete_fields}
        self.columns = list(columns)
        missing = [f for name, f in fields.items() if name not in self.columns and not f.primary_key]
        extra = []
        for f in missing:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now if isinstance(f, models.DateTimeField) else now.date()
            elif f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            elif f.empty_strings_allowed and f.blank:
                value = ""
            else:
                raise CityError(f"{model.__name__}.{f.attname} : aucune valeur pour une colonne obligatoire.")
            if isinstance(f, models.JSONField):
                value = json.dumps(value)
            self.columns.append(f.attname)
            extra.append(value)
        self.extra = tuple(extra)
        self.count = 0

    def __enter__(self):
        cols = ", ".join(f'"{c}"' for c in self.columns)
        self._ctx = self.cursor.copy(f'COPY "{self.model._meta.db_table}" ({cols}) FROM STDIN')
        self.copy = self._ctx.__enter__()
        return self

    def row(self, *values):
        self.copy.write_row(values + self.extra)
        self.count += 1

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


class Ids:
    """Primary keys allocated in Python (the sequences are moved past them at the end)."""

    def __init__(self, cursor, model):
        self.table = model._meta.db_table
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{self.table}"')
        self.last = cursor.fetchone()[0]

    def next(self):
        self.last += 1
        return self.last


def copy_rows(cursor, now, model, columns, rows):
    """COPY rows prepared beforehand; returns how many."""
    copier = Copier(cursor, model, columns, now)
    with copier:
        for row in rows:
            copier.row(*row)
    return copier.count


def move_sequences(cursor, models_loaded):
    """Move the id sequence of each model's table past the ids COPY wrote."""
    for model in models_loaded:
        table = model._meta.db_table
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT COALESCE(MAX(id), 0) "
            f"FROM \"{table}\"), 1))"
        )
