"""``ballotguard demo-totp USERNAME``: the current one-time code of a demo user's authenticator."""

from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Print the current 6-digit sign-in code for a demo user (users named demo-*). Demo only."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, username, **opts):
        if not username.startswith("demo-"):
            raise CommandError("Only demo users (demo-*) have codes printed; real users use their own authenticator.")
        device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
        if device is None:
            raise CommandError(f"{username} has no authenticator (their role does not need one, or they do not exist).")
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
        self.stdout.write(f"{code:0{device.digits}d}")
