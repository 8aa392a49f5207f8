"""API credentials: customer tokens (digest only, named, several per membership, cached
briefly, last use written at most once a minute) and the sending pipeline's credentials."""

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiToken, PipelineCredential
from accounts.tests.factories import MembershipFactory
from warmup_site import crypto

WHO = "/test/who/"


def client_for(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_it_stores_only_a_digest_of_a_token(owner):
    token, key = services.api_token_create(membership=owner.memberships.get(), name="mta-1")

    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert key not in str(row.values())
    assert row["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert key.startswith("wua_") and row["prefix"] == key[:12]


def test_it_accepts_each_of_several_named_tokens_of_one_membership(owner):
    membership = owner.memberships.get()
    keys = [services.api_token_create(membership=membership, name=n)[1] for n in ("a", "b")]

    for key in keys:
        assert client_for(key).get("/api/v1/account/").json()["username"] == "olivia"
    assert sorted(ApiToken.objects.values_list("name", flat=True)) == ["a", "b"]


def test_it_refuses_a_token_without_a_name(owner):
    with pytest.raises(services.ApplicationError) as caught:
        services.api_token_create(membership=owner.memberships.get(), name="  ")

    assert caught.value.field == "name"


def test_it_authenticates_a_repeated_request_without_a_query(
    owner_api, settings, django_assert_num_queries
):
    settings.WARMUP_TOKEN_CACHE_SECONDS = 5
    owner_api.get("/api/v1/account/")  # looks the token up and writes last_used_at

    with django_assert_num_queries(0):  # /account/ itself reads nothing: the cache answers
        assert owner_api.get("/api/v1/account/").status_code == 200


def test_it_writes_last_used_at_most_once_a_minute(owner, settings):
    settings.WARMUP_TOKEN_CACHE_SECONDS = 5
    token, key = services.api_token_create(membership=owner.memberships.get(), name="mta-1")
    client = client_for(key)
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        with CaptureQueriesContext(connection) as queries:
            for _ in range(5):
                client.get("/api/v1/account/")
        token.refresh_from_db()
        assert token.last_used_at == start
    updates = [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1

    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        client.get("/api/v1/account/")
    token.refresh_from_db()
    assert token.last_used_at == start + timedelta(seconds=61)


def test_it_writes_last_used_only_if_no_other_process_did_within_the_minute(owner):
    token, _ = services.api_token_create(membership=owner.memberships.get(), name="mta-1")
    recent = timezone.now() - timedelta(seconds=10)
    # Another worker recorded a use 10 s ago; this process has not seen it yet.
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=recent)
    token.last_used_at = None

    services.api_token_touch(token=token)

    token.refresh_from_db()
    assert token.last_used_at == recent


def test_it_stops_a_token_revoked_elsewhere_within_the_cache_time(owner, settings):
    settings.WARMUP_TOKEN_CACHE_SECONDS = 5
    token, key = services.api_token_create(membership=owner.memberships.get(), name="mta-1")
    client = client_for(key)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert client.get("/api/v1/account/").status_code == 200
        # Revoked by another process: this one's cache does not know yet.
        ApiToken.objects.filter(pk=token.pk).delete()
        assert client.get("/api/v1/account/").status_code == 200

    with time_machine.travel(start + timedelta(seconds=6), tick=False):
        assert client.get("/api/v1/account/").status_code == 401


def test_it_reads_every_request_from_the_database_with_the_cache_off(owner, settings):
    settings.WARMUP_TOKEN_CACHE_SECONDS = 0
    token, key = services.api_token_create(membership=owner.memberships.get(), name="mta-1")
    client = client_for(key)
    assert client.get("/api/v1/account/").status_code == 200

    ApiToken.objects.filter(pk=token.pk).delete()

    assert client.get("/api/v1/account/").status_code == 401


def test_it_keeps_accepting_a_token_made_before_prefixes_and_digest_only_storage(owner):
    # Keys used to be random text without a prefix; their SHA-256 was stored all along.
    old_key = "Zx8lq3N6pWJbcaT2mK0vR5yHdE1sUfGiOoP4nB7w"
    ApiToken.objects.create(
        membership=owner.memberships.get(),
        name="API token",
        key_hash=ApiToken.hash_key(old_key),
        prefix=old_key[:6],
    )

    assert client_for(old_key).get("/api/v1/account/").json()["username"] == "olivia"


def test_it_does_not_let_an_old_key_that_looks_like_a_pipeline_key_be_shadowed(owner):
    old_key = "wup_" + "x" * 36  # an old random key may start with anything
    ApiToken.objects.create(
        membership=owner.memberships.get(),
        name="API token",
        key_hash=ApiToken.hash_key(old_key),
        prefix=old_key[:6],
    )

    assert client_for(old_key).get("/api/v1/account/").json()["username"] == "olivia"


# --- the data migration ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_existing_tokens_and_drops_their_encrypted_keys():
    executor = MigrationExecutor(connection)
    before = [("accounts", "0001_initial")]
    after = [("accounts", "0002_named_digest_only_tokens_and_pipeline_credentials")]
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        user = old.get_model("auth", "User").objects.create(username="legacy")
        account = old.get_model("accounts", "Account").objects.create(name="L", slug="legacy")
        membership = old.get_model("accounts", "Membership").objects.create(
            user=user, account=account, role="owner"
        )
        key = "legacy-key-made-by-token_urlsafe-0123456789"
        old.get_model("accounts", "ApiToken").objects.create(
            membership=membership,
            key_hash=hashlib.sha256(key.encode()).hexdigest(),
            key_encrypted=crypto.encrypt(key),
            prefix=key[:6],
        )

        executor = MigrationExecutor(connection)
        executor.migrate(after)
        columns = {
            c.name
            for c in connection.introspection.get_table_description(
                connection.cursor(), "accounts_apitoken"
            )
        }
        assert "key_encrypted" not in columns
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
        token = ApiToken.objects.get()
        assert token.name == "API token"
        assert client_for(key).get("/api/v1/account/").json()["username"] == "legacy"
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
        ApiToken.objects.all().delete()


# --- pipeline credentials -------------------------------------------------------------------------


@pytest.mark.urls("accounts.tests.pipeline_urls")
def test_the_command_prints_a_working_pipeline_key_on_the_last_line(db):
    out = StringIO()
    call_command("create_pipeline_token", "mta-eu-1", stdout=out)

    key = out.getvalue().strip().splitlines()[-1]
    credential = PipelineCredential.objects.get()
    assert key.startswith("wup_") and credential.prefix == key[:12]
    assert credential.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(PipelineCredential.objects.values().get().values())
    response = client_for(key).post(WHO, {}, format="json")
    assert response.json()["pipeline"] == "mta-eu-1"


def test_the_command_refuses_a_name_in_use(pipeline_credential):
    with pytest.raises(CommandError, match="'mta-test' exists"):
        call_command("create_pipeline_token", "mta-test", stdout=StringIO())


@pytest.mark.urls("accounts.tests.pipeline_urls")
def test_a_pipeline_credential_acts_for_no_account(pipeline_api):
    response = pipeline_api.post(WHO, {}, format="json")

    assert response.status_code == 200
    assert response.json() == {
        "pipeline": "mta-test",
        "account": None,
        "role": None,
        "user": "pipeline:mta-test",
        "authenticated": False,
    }


@pytest.mark.urls("accounts.tests.pipeline_urls")
@pytest.mark.parametrize("who", ["owner", "member"])
def test_a_customer_token_acts_for_its_account_on_pipeline_endpoints(db, request, who):
    client = request.getfixturevalue(f"{who}_api")

    data = client.post(WHO, {}, format="json").json()

    assert data["pipeline"] is None
    assert data["account"] == "acme-mail" and data["role"] == who


@pytest.mark.urls("accounts.tests.pipeline_urls")
def test_an_anonymous_request_gets_a_401_on_pipeline_endpoints(anon_api, db):
    assert anon_api.post(WHO, {}, format="json").status_code == 401


@pytest.mark.parametrize("path", ["/api/v1/account/", "/api/v1/domains/", "/api/v1/ips/"])
def test_a_pipeline_credential_is_refused_by_customer_endpoints(pipeline_api, path):
    response = pipeline_api.get(path)

    assert response.status_code == 403
    assert response.json()["message"].startswith("A pipeline credential may call only")


@pytest.mark.urls("accounts.tests.pipeline_urls")
def test_a_revoked_pipeline_credential_stops_at_once_here(pipeline_api, pipeline_credential):
    assert pipeline_api.post(WHO, {}, format="json").status_code == 200

    services.pipeline_credential_revoke(credential=pipeline_credential[0])

    assert pipeline_api.post(WHO, {}, format="json").status_code == 401
    credential = PipelineCredential.objects.get()
    assert credential.revoked_at is not None  # kept, for the record


@pytest.mark.urls("accounts.tests.pipeline_urls")
def test_a_pipeline_credential_records_its_last_use(pipeline_api, pipeline_credential):
    pipeline_api.post(WHO, {}, format="json")

    pipeline_credential[0].refresh_from_db()
    assert pipeline_credential[0].last_used_at is not None


def test_a_revoked_name_can_be_used_again(pipeline_credential):
    services.pipeline_credential_revoke(credential=pipeline_credential[0])

    credential, _ = services.pipeline_credential_create(name="mta-test")

    assert PipelineCredential.objects.filter(name="mta-test").count() == 2
    assert credential.is_active


# --- the admin ------------------------------------------------------------------------------------


def test_operators_create_a_pipeline_credential_in_the_admin_and_see_the_key_once(
    operator_client, operator
):
    response = operator_client.post("/admin/accounts/pipelinecredential/add/", {"name": "mta-eu-1"})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    credential = PipelineCredential.objects.get()
    assert credential.created_by == operator
    body = response.content.decode()
    key = body.split('id="pipeline-key" class="secret">')[1].split("<")[0]
    assert hashlib.sha256(key.encode()).hexdigest() == credential.key_hash
    listing = operator_client.get("/admin/accounts/pipelinecredential/").content.decode()
    detail = operator_client.get(
        f"/admin/accounts/pipelinecredential/{credential.pk}/change/"
    ).content.decode()
    assert key not in listing and key not in detail
    assert credential.prefix in listing


def test_operators_revoke_pipeline_credentials_in_the_admin(operator_client, pipeline_credential):
    credential, key = pipeline_credential

    response = operator_client.post(
        "/admin/accounts/pipelinecredential/",
        {"action": "revoke", "_selected_action": [credential.pk]},
        follow=True,
    )

    assert "Revoked 1 credential" in response.content.decode()
    credential.refresh_from_db()
    assert credential.revoked_at is not None
    assert client_for(key).get("/api/v1/account/").status_code == 401


def test_other_staff_cannot_see_pipeline_credentials(client, account, pipeline_credential):
    staff = MembershipFactory(account=account, user__username="helper").user
    staff.is_staff = True
    staff.save()
    # Every permission of the accounts app but `operate` (which makes an operator).
    staff.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="accounts").exclude(codename="operate")
    )
    client.force_login(staff)

    assert client.get("/admin/accounts/pipelinecredential/").status_code == 403
    assert client.get("/admin/accounts/pipelinecredential/add/").status_code == 403


# --- the account page -----------------------------------------------------------------------------


def test_members_revoke_their_own_tokens_on_the_account_page(member_client, member):
    token, key = services.api_token_create(membership=member.memberships.get(), name="mine")

    response = member_client.post(f"/account/api-tokens/{token.pk}/revoke/")

    assert response.status_code == 302
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert client_for(key).get("/api/v1/account/").status_code == 401


def test_members_cannot_revoke_someone_elses_token(member_client, owner):
    token, _ = services.api_token_create(membership=owner.memberships.get(), name="owner's")

    assert member_client.post(f"/account/api-tokens/{token.pk}/revoke/").status_code == 404
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_owners_see_and_revoke_members_tokens(owner_client, member):
    token, _ = services.api_token_create(membership=member.memberships.get(), name="mike's")

    assert "mike&#x27;s" in owner_client.get("/account/").content.decode()
    assert owner_client.post(f"/account/api-tokens/{token.pk}/revoke/").status_code == 302
    assert not ApiToken.objects.filter(pk=token.pk).exists()


def test_nobody_revokes_another_accounts_token(owner_client, outsider):
    token, _ = services.api_token_create(membership=outsider.memberships.get(), name="theirs")

    assert owner_client.post(f"/account/api-tokens/{token.pk}/revoke/").status_code == 404
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_the_account_page_explains_a_missing_token_name(owner_client):
    response = owner_client.post("/account/api-tokens/", {"name": ""})

    assert response.status_code == 400
    assert "Give the token a name" in response.content.decode()
    assert not ApiToken.objects.exists()
