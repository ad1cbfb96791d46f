"""The one authentication backend: allauth's login by e-mail (and Django's by username, for staff in
the admin), and the load of the session's user, which runs on every request: one precompiled query
brings the parent's guardian and family along with the user, instead of three queries (or one ORM
query whose compilation costs more CPU than its execution)."""
from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import connections, router


class _UserLoader:
    """``SELECT user, guardian, family … WHERE user.id = %s`` built once per database connection vendor,
    rows turned into the three model instances with the related caches filled (``user.guardian``,
    ``guardian.family``, ``guardian.user`` cost no query)."""

    def __init__(self, connection):
        from families.models import Family, Guardian

        self.models = (get_user_model(), Guardian, Family)
        qn = connection.ops.quote_name
        tables = [qn(m._meta.db_table) for m in self.models]
        self.fields = [m._meta.concrete_fields for m in self.models]
        self.attnames = [[f.attname for f in fields] for fields in self.fields]
        self.pk_index = [[f.primary_key for f in fields].index(True) for fields in self.fields]
        columns = ", ".join(f"{table}.{qn(f.column)}" for table, fields in zip(tables, self.fields) for f in fields)
        user, guardian, family = tables
        self.sql = (
            f"SELECT {columns} FROM {user}"
            f" LEFT JOIN {guardian} ON {guardian}.{qn(Guardian._meta.get_field('user').column)} = {user}.{qn(self.models[0]._meta.pk.column)}"
            f" LEFT JOIN {family} ON {family}.{qn(Family._meta.pk.column)} = {guardian}.{qn(Guardian._meta.get_field('family').column)}"
            f" WHERE {user}.{qn(self.models[0]._meta.pk.column)} = %s"
        )
        # The backend's and fields' converters (none on PostgreSQL; dates and booleans on SQLite).
        self.converters = [
            [(conv, col) for col in [f.get_col(m._meta.db_table)]
             for conv in connection.ops.get_db_converters(col) + f.get_db_converters(connection)]
            for m, fields in zip(self.models, self.fields) for f in fields
        ]

    def load(self, connection, user_id):
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [user_id])
            row = cursor.fetchone()
        if row is None:
            return None
        values = list(row)
        for i, converters in enumerate(self.converters):
            for conv, col in converters:
                values[i] = conv(values[i], col, connection)
        instances, start = [], 0
        for model, attnames, pk_index in zip(self.models, self.attnames, self.pk_index):
            chunk = values[start:start + len(attnames)]
            start += len(attnames)
            instances.append(model.from_db(connection.alias, attnames, chunk) if chunk[pk_index] is not None else None)
        user, guardian, family = instances
        _, Guardian, _ = self.models
        Guardian.user.field.remote_field.set_cached_value(user, guardian)  # user.guardian (None: none)
        if guardian is not None:
            Guardian.user.field.set_cached_value(guardian, user)
            Guardian.family.field.set_cached_value(guardian, family)
        return user


_loaders = {}


class PortalBackend(AuthenticationBackend):
    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        if user is None and credentials.get("username"):
            user = ModelBackend.authenticate(
                self, request, username=credentials["username"], password=credentials.get("password")
            )
        return user

    def get_user(self, user_id):
        model = get_user_model()
        try:
            user_id = model._meta.pk.to_python(user_id)
        except Exception:  # a tampered or stale session: nobody
            return None
        connection = connections[router.db_for_read(model)]
        loader = _loaders.get(connection.vendor)
        if loader is None:
            loader = _loaders[connection.vendor] = _UserLoader(connection)
        user = loader.load(connection, user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
