"""Every API token expires (issue 14): tokens made before without an expiry get one, a year after they were made."""

import datetime as dt

from django.db import migrations, models


def give_every_token_an_expiry(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    for token in ApiToken.objects.filter(expires_at__isnull=True).only("pk", "created_at"):
        ApiToken.objects.filter(pk=token.pk).update(expires_at=token.created_at + dt.timedelta(days=365))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_issue14_access_changes")]

    operations = [
        migrations.RunPython(give_every_token_an_expiry, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken", name="expires_at",
            field=models.DateTimeField(help_text="Every token expires (BALLOTGUARD_TOKEN_MAX_DAYS at most)."),
        ),
    ]
