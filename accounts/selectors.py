"""Reads of accounts and memberships, including which account a request acts for."""

import time
from functools import cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection

from accounts.models import (
    PIPELINE_KEY_PREFIX,
    Account,
    ApiToken,
    Membership,
    PipelineCredential,
    key_digest,
)
from warmup_site import db

SESSION_ACCOUNT_KEY = "account_id"


def membership_list_for_user(*, user) -> list[Membership]:
    if not user.is_authenticated:
        return []
    return list(
        Membership.objects.filter(user=user).select_related("account").order_by("account__name")
    )


@cache
def _statement(kind: str, _vendor: str) -> tuple[str, list[tuple]]:
    """A credential lookup's SQL and, per model, its fields with their database converters.

    Every API request authenticates, so this lookup is the one query all of them share. Built
    once per process: compiling the equivalent ORM query (four models, select_related) costs
    more than running it. `kind` is "token" (a customer token with its membership, account and
    user) or "pipeline" (an active pipeline credential). `_vendor` (the database's) is part of
    the cache key only: the SQL is quoted and converted for the connection it was built for.
    """
    quote = connection.ops.quote_name
    if kind == "token":
        tables = [
            (ApiToken, "t", ""),
            (Membership, "m", "JOIN {table} m ON m.id = t.membership_id"),
            (Account, "a", "JOIN {table} a ON a.id = m.account_id"),
            (get_user_model(), "u", "JOIN {table} u ON u.id = m.user_id"),
        ]
        condition = ""
    else:
        tables = [(PipelineCredential, "t", "")]
        condition = f" AND t.{quote('revoked_at')} IS NULL"
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
        f"SELECT {', '.join(columns)} FROM {quote(tables[0][0]._meta.db_table)} t "
        f"{' '.join(joins)} WHERE t.{quote('key_hash')} = %(key_hash)s{condition}"
    )
    return sql, shapes


def _fetch(kind: str, key_hash: str):
    sql, shapes = _statement(kind, connection.vendor)
    with connection.cursor() as cursor:
        row = db.execute(
            cursor, sql, {"key_hash": key_hash}, name=f"warmup_credential_{kind}"
        ).fetchone()
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
    if kind == "pipeline":
        return instances[0]
    token, membership, account, user = instances
    membership.account = account
    membership.user = user
    token.membership = membership
    return token


# Per-process cache of digest → credential: authentication is the one query every API request
# runs, and the routing endpoint's own work is about as cheap. Entries live
# WARMUP_TOKEN_CACHE_SECONDS, so a revoked token, a deactivated user or a changed role takes
# effect in other processes within that time (in the process that made the change at once:
# the services forget the entry). Unknown keys are never cached, so guessing cannot fill it.
_credentials: dict[str, tuple[float, object]] = {}
_CACHE_MAX_ENTRIES = 10_000


def credential_get(*, key: str) -> ApiToken | PipelineCredential | None:
    """The active credential a key belongs to, or None.

    A customer token comes with its membership, account and user. The key's prefix says which
    table to look in (one indexed query). Keys made before the prefixes existed are customer
    tokens: an unknown key that starts like a pipeline key is looked for among those too, so
    that such an old key (random text) can never be shadowed.
    """
    key_hash = key_digest(key)
    ttl = settings.WARMUP_TOKEN_CACHE_SECONDS
    now = time.time()
    if ttl:
        cached = _credentials.get(key_hash)
        if cached is not None and cached[0] > now:
            return cached[1]
    if key.startswith(PIPELINE_KEY_PREFIX):
        credential = _fetch("pipeline", key_hash)
        if credential is None:  # an old customer key that happens to start like one
            credential = _fetch("token", key_hash)
    else:
        credential = _fetch("token", key_hash)
    if credential is not None and ttl:
        if len(_credentials) >= _CACHE_MAX_ENTRIES:
            _credentials.clear()
        _credentials[key_hash] = (now + ttl, credential)
    return credential


def credential_cache_forget(*, key_hash: str) -> None:
    _credentials.pop(key_hash, None)


def credential_cache_clear() -> None:
    _credentials.clear()


def api_token_get(*, key: str) -> ApiToken | None:
    """The customer token with its membership, account and user, or None (not cached)."""
    return _fetch("token", key_digest(key))


def api_token_list(*, membership: Membership) -> list[ApiToken]:
    return list(ApiToken.objects.filter(membership=membership).order_by("-created_at", "-pk"))


def api_token_list_for_account(*, account: Account) -> list[ApiToken]:
    """Every token of the account's members, with who holds it (one query)."""
    return list(
        ApiToken.objects.for_account(account)
        .select_related("membership__user")
        .order_by("membership__user__username", "-created_at", "-pk")
    )


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
    if isinstance(auth, ApiToken):
        membership = auth.membership
    elif isinstance(auth, PipelineCredential):
        membership = None  # the pipeline acts for no account of its own
    else:
        membership = _session_membership(request)
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
