"""Settings for the test suite: fast hashing, no manifest storage, no network."""

from verbund.settings.base import *  # noqa: F403
from verbund.settings.base import STORAGES

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
