"""Reads of accounts and memberships, including which account a request acts for."""

from functools import cache

from django.contrib.auth import get_user_model
from django.db import connection

from accounts.models import Account, ApiToken, Membership
from warmup_site import db

SESSION_ACCOUNT_KEY = "account_id"


def membership_list_for_user(*, user) -> list[Membership]:
    if not user.is_authenticated:
        return []
    return list(
        Membership.objects.filter(user=user).select_related("account").order_by("account__name")
    )


@cache
def _token_statement(vendor: str) -> tuple[str, list[tuple]]:
    """The token lookup's SQL and, per model, its fields with their database converters.

    Every API request authenticates, so this lookup is the one query all of them share. Built
    once per process: compiling the equivalent ORM query (four models, select_related) costs
    more than running it.
    """
    quote = connection.ops.quote_name
    tables = [
        (ApiToken, "t", ""),
        (Membership, "m", "JOIN {table} m ON m.id = t.membership_id"),
        (Account, "a", "JOIN {table} a ON a.id = m.account_id"),
        (get_user_model(), "u", "JOIN {table} u ON u.id = m.user_id"),
    ]
    columns, joins, shapes = [], [], []
    for model, alias, join in tables:
        fields = []
        for field in model._meta.concrete_fields:
            columns.append(f"{alias}.{quote(field.column)}")
            col = field.get_col(alias)
            converters = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
            fields.append((field.attname, col, converters))
        shapes.append((model, fields))
        if join:
            joins.append(join.format(table=quote(model._meta.db_table)))
    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(ApiToken._meta.db_table)} t "
        f"{' '.join(joins)} WHERE t.{quote('key_hash')} = %(key_hash)s"
    )
    return sql, shapes


def api_token_get(*, key: str) -> ApiToken | None:
    """The token with its membership, account and user (one query), or None."""
    sql, shapes = _token_statement(connection.vendor)
    with connection.cursor() as cursor:
        db.execute(cursor, sql, {"key_hash": ApiToken.hash_key(key)}, name="warmup_api_token")
        row = cursor.fetchone()
    if row is None:
        return None
    instances, position = [], 0
    for model, fields in shapes:
        values = []
        for _attname, col, converters in fields:
            value = row[position]
            position += 1
            for converter in converters:
                value = converter(value, col, connection)
            values.append(value)
        instances.append(model.from_db(connection.alias, [f[0] for f in fields], values))
    token, membership, account, user = instances
    membership.account = account
    membership.user = user
    token.membership = membership
    return token


def current_membership(request) -> Membership | None:
    """The membership a request acts as.

    An API token acts for its own membership. A browser session acts for the account the user
    last switched to, or their first account. Computed once per request.
    """
    # Read the instance dict, not getattr: DRF's Request falls back to the wrapped HttpRequest's
    # attributes, which may hold the session's answer while this request uses a token.
    cached = vars(request).get("_warmup_membership", False)
    if cached is not False:
        return cached
    auth = getattr(request, "auth", None)
    membership = auth.membership if isinstance(auth, ApiToken) else _session_membership(request)
    request._warmup_membership = membership
    return membership


def _session_membership(request) -> Membership | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    memberships = Membership.objects.filter(user=user).select_related("account")
    wanted = request.session.get(SESSION_ACCOUNT_KEY)
    if wanted is not None:
        chosen = memberships.filter(account_id=wanted).first()
        if chosen is not None:
            return chosen
    return memberships.order_by("created_at", "pk").first()
