"""API tokens become digest-only and named, several per membership; pipeline credentials.

Existing tokens keep working: their SHA-256 was always what authentication looked up. The
encrypted copy of the key (kept so that POST /api/v1/auth/token/ could hand the same key back)
is dropped, so a stolen database or backup no longer yields usable keys together with the
encryption key. Existing tokens are named "API token".
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="apitoken",
            options={"ordering": ["-created_at", "-pk"], "verbose_name": "API token"},
        ),
        migrations.RemoveField(model_name="apitoken", name="key_encrypted"),
        migrations.AddField(
            model_name="apitoken",
            name="name",
            field=models.CharField(
                default="API token",
                help_text="What the token is for, e.g. 'mta-1'.",
                max_length=100,
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="membership",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="api_tokens",
                to="accounts.membership",
            ),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="prefix",
            field=models.CharField(
                help_text="First characters, to recognise the key.", max_length=12
            ),
        ),
        migrations.CreateModel(
            name="PipelineCredential",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "name",
                    models.CharField(
                        help_text="Which pipeline holds it, e.g. 'mta-eu-1'.", max_length=100
                    ),
                ),
                ("key_hash", models.CharField(max_length=64, unique=True)),
                (
                    "prefix",
                    models.CharField(
                        help_text="First characters, to recognise the key.", max_length=12
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("last_used_at", models.DateTimeField(blank=True, null=True)),
                ("revoked_at", models.DateTimeField(blank=True, null=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "revoked_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-pk"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("revoked_at__isnull", True)),
                        fields=("name",),
                        name="pipelinecredential_unique_active_name",
                    )
                ],
            },
        ),
    ]
