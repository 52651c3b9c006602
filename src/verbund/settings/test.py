"""Settings for the test suite: fast hashing, no manifest storage, no network."""

import os

from verbund.settings import state
from verbund.settings.base import *  # noqa: F403
from verbund.settings.base import OAUTH2_PROVIDER, SECRET_KEY, STATE_DIR, STORAGES

# Throwaway keys for the suite (and the servers it starts, each with its own state
# directory): only tests create keys on the fly; a real server needs `verbund setup`.
state.create_keys(STATE_DIR)
SECRET_KEY = SECRET_KEY or state.read_key(STATE_DIR, state.SECRET_KEY)
if not OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"]:
    OAUTH2_PROVIDER = {
        **OAUTH2_PROVIDER,
        "OIDC_RSA_PRIVATE_KEY": state.read_key(STATE_DIR, state.OIDC_KEY),
    }

# The suite (and the servers it starts) talk plain http to 127.0.0.1.
if "VERBUND_HTTPS" not in os.environ:
    VERBUND_HTTPS = False
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT = False
    SECURE_HSTS_SECONDS = 0

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files from the finders; the suite does not run collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Check the finder's cache token on every resolution: tests roll back what they wrote.
VERBUND_FINDER_CACHE_SECONDS = 0
# The same for the submission API's per-process answers (core/memo.py).
VERBUND_SUBMISSION_CACHE_SECONDS = 0
# The built-in provider for the tests of the application flow; the XBezahldienste client is
# tested against a provider server the tests start (applications/tests/test_payment.py).
VERBUND_PAYMENT_PROVIDER = "test"

# A file, not memory: task workers in other processes (core/tests/test_tasks.py) and the
# second app server of the deployment tests must see the test database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(STATE_DIR / "test.sqlite3")}  # noqa: F405
# The suite keeps the demo's platform-held keys; the staff-held custody is tested with
# override_settings (authorities/tests/test_custody.py), at a cheaper scrypt cost.
VERBUND_KEY_CUSTODY = os.environ.get("VERBUND_KEY_CUSTODY", "platform")
VERBUND_KEY_SCRYPT_COST = 14
# The suite's demo data without the harvested real catalogue (VERBUND_DEMO_CATALOGUE): it
# would slow every session's setup; opendata/tests/test_demo.py harvests it on purpose.
VERBUND_DEMO_CATALOGUE = ""
