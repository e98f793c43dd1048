"""Settings for the test suite: the real settings, with throwaway keys when none are configured."""

import os

os.environ.setdefault("BALLOTGUARD_SECRET_KEY", "test-only-secret-key-not-for-production-0123456789")
# Two keys, so every test run exercises rotation: data is sealed with k2 and k1 still opens old data.
os.environ.setdefault(
    "BALLOTGUARD_FIELD_KEYS",
    "k2:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=,k1:ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=",
)
os.environ.setdefault("BALLOTGUARD_VAR_DIR", os.path.join(os.path.dirname(os.path.dirname(__file__)), "var", "test"))

from ballotguard.settings import *  # noqa: E402,F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]  # noqa: F405  speed only
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# Close connections after each request so the browser tests' live-server thread does not hold the
# PostgreSQL test database open when the run tears it down.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
BALLOTGUARD_CHECKIN_SMS_PROVIDER = "locmem"
# No rate limits unless a test sets them (tests/test_throttling.py): the suite makes thousands of requests.
BALLOTGUARD_RATE_LIMITS = {}
