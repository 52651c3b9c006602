"""Django settings for Verbund. Every value can be set from the environment (see env.py)."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from verbund.settings import state
from verbund.settings.env import (
    env_bool,
    env_int,
    env_list,
    env_optional,
    env_parsed,
    env_str,
)
from verbund.settings.storage import KINDS as STORAGE_KINDS
from verbund.settings.storage import storage_for

# Lets admin and queryset classes be subscripted at run time, as their type hints are.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parents[3]
SRC_DIR = BASE_DIR / "src" / "verbund"

STATE_DIR = Path(
    env_str(
        "VERBUND_STATE_DIR",
        str(BASE_DIR / "var"),
        "Directory for local state: the SQLite database, uploaded files, the generated "
        "secret key and collected static files.",
        doc_default="<checkout>/var",
    )
)

DEBUG = env_bool(
    "DEBUG",
    False,
    "Django's debug mode. Never enable it on a server that the public can reach.",
)


def _secret_key() -> str:
    configured = env_optional(
        "SECRET_KEY",
        "Django's secret key. When unset, the key in `$VERBUND_STATE_DIR/secret-key` "
        "(created by `verbund setup`); without either `verbund serve` refuses to start. "
        "Several app servers must share one key.",
    )
    return configured or state.read_key(STATE_DIR, state.SECRET_KEY)


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS",
    ["127.0.0.1", "localhost", "[::1]"],
    "Comma-separated host names this instance answers to.",
)
CSRF_TRUSTED_ORIGINS = env_list(
    "CSRF_TRUSTED_ORIGINS",
    [],
    "Comma-separated origins (scheme and host) trusted for form posts behind a proxy.",
)

VERBUND_LAND = env_str(
    "VERBUND_LAND",
    "16",
    "Two-digit key of the Land this instance serves (16 = Thüringen).",
    group="Verbund",
)
VERBUND_TRANSPARENCY_PUBLISHER = env_str(
    "VERBUND_TRANSPARENCY_PUBLISHER",
    "tmdi",
    "Slug of the authority that publishes the platform's own aggregate figures as open data "
    "(`verbund aggregate-figures --publish`).",
    group="Verbund",
)
_default_data_dir = BASE_DIR.parent / "shared" / "data"
VERBUND_DATA_DIR = Path(
    env_str(
        "VERBUND_DATA_DIR",
        str(_default_data_dir),
        "Directory with the official source data (GV100AD, PLZ list, boundaries, LeiKa, "
        "XRechnung rules). `verbund load-demo` uses it when present and otherwise falls back "
        "to the fixtures shipped with Verbund.",
        group="Verbund",
        doc_default="<checkout>/../shared/data",
    )
)

VERBUND_BENCH_ENDPOINTS = env_bool(
    "VERBUND_BENCH_ENDPOINTS",
    False,
    "Mount the baseline views /_bench/read and /_bench/write used by the scripts in bench/. "
    "Never on a public server.",
    group="Verbund",
)

# --- Betreiber (Impressum, Datenschutz, Barrierefreiheit, Kontakt) -------------------------

VERBUND_OPERATOR_NAME = env_str(
    "VERBUND_OPERATOR_NAME",
    "",
    "Name of the operator shown in the Impressum and on the contact page (`make demo` sets "
    "a marked demo operator).",
    group="Betreiber",
)
VERBUND_OPERATOR_ADDRESS = env_str(
    "VERBUND_OPERATOR_ADDRESS",
    "",
    "Postal address of the operator; lines separated by `;`.",
    group="Betreiber",
)
VERBUND_OPERATOR_EMAIL = env_str(
    "VERBUND_OPERATOR_EMAIL",
    "",
    "Contact e-mail of the operator, also the feedback address of the accessibility statement.",
    group="Betreiber",
)
VERBUND_OPERATOR_PHONE = env_str(
    "VERBUND_OPERATOR_PHONE", "", "Contact phone number of the operator.", group="Betreiber"
)
VERBUND_OPERATOR_RESPONSIBLE = env_str(
    "VERBUND_OPERATOR_RESPONSIBLE",
    "",
    "Person responsible for the content (§ 18 Abs. 2 MStV), named in the Impressum.",
    group="Betreiber",
)

# --- Zuständigkeitsfinder (finder) ---------------------------------------------------------

VERBUND_FINDER_CACHE_SECONDS = env_int(
    "VERBUND_FINDER_CACHE_SECONDS",
    5,
    "Seconds a process trusts its cached snapshot of Gebiete, authorities and "
    "Zuständigkeiten before it checks (one small query) whether another process changed "
    "them; 0 checks on every resolution. Changes in the same process apply at once.",
    group="Zuständigkeitsfinder",
)

# --- Öffentliche Seiten (page cache, decision 0031) ------------------------------------------

VERBUND_PAGE_CACHE_SECONDS = env_int(
    "VERBUND_PAGE_CACHE_SECONDS",
    600,
    "Seconds the main content of a public page (start, search, service page, finder answer) "
    "is kept for anonymous visitors, and the counts of a catalogue search (CKAN "
    "package_search, /daten/); 0 switches both off. Every request checks the "
    "generation token (one small query), so a change to the catalogue, a Zuständigkeit, a "
    "form or a rollout shows at once; the time only bounds what a bulk change without "
    "signals (a raw import) leaves standing.",
    group="Verbund",
)
VERBUND_PAGE_CACHE_ENTRIES = env_int(
    "VERBUND_PAGE_CACHE_ENTRIES",
    3000,
    "Pages the page cache keeps (a service page is about 30 KB); beyond it a third is dropped.",
    group="Verbund",
)
# Files in the state directory, shared by the worker processes of one app server (public
# content only). With several app servers each keeps its own: correct, because the
# generation token is read on every request (core/page_cache.py).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(STATE_DIR / "cache" / "pages"),
        "OPTIONS": {"MAX_ENTRIES": VERBUND_PAGE_CACHE_ENTRIES, "CULL_FREQUENCY": 3},
    }
}

# --- Anträge (applications) and the authorities' encryption keys -------------------------

VERBUND_KEY_ENCRYPTION_KEY = env_optional(
    "VERBUND_KEY_ENCRYPTION_KEY",
    "Key-encryption key (base64url of 32 bytes) that wraps the authorities' private keys which "
    "the platform generated in `platform` custody (demo only). When unset it is derived from "
    "SECRET_KEY. In production the staff hold the keys (VERBUND_KEY_CUSTODY=staff) or the "
    "authority keeps its key outside the platform.",
    group="Anträge",
)


def _one_of(raw: str, allowed: tuple[str, ...], name: str) -> str:
    if raw not in allowed:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(allowed)}, not {raw!r}.")
    return raw


VERBUND_KEY_CUSTODY = env_parsed(
    "VERBUND_KEY_CUSTODY",
    "staff",
    "Who holds the private keys the platform generates for authorities: `staff` (default; "
    "sealed to each staff member's own key, opened only with the member's key passphrase, "
    "so the operator cannot read applications) or `platform` (wrapped with the platform's "
    "key-encryption key; demo only, refused by `verbund check --deploy`).",
    lambda raw: _one_of(raw, ("staff", "platform"), "VERBUND_KEY_CUSTODY"),
    group="Anträge",
)
VERBUND_KEY_SCRYPT_COST = env_int(
    "VERBUND_KEY_SCRYPT_COST",
    17,
    "scrypt cost (N = 2^value, r = 8, p = 1) for the staff members' key passphrases; "
    "17 uses 128 MiB and about half a second per unlock.",
    group="Anträge",
)
VERBUND_DRAFT_RETENTION_DAYS = env_int(
    "VERBUND_DRAFT_RETENTION_DAYS",
    30,
    "Days after the last change until an unsent application draft expires; "
    "`verbund delete-expired-drafts` deletes expired drafts with their attachments.",
    group="Anträge",
)
VERBUND_ATTACHMENT_MAX_BYTES = env_int(
    "VERBUND_ATTACHMENT_MAX_BYTES",
    10 * 1024 * 1024,
    "Largest attachment accepted, in bytes (before encryption).",
    group="Anträge",
)
VERBUND_SUBMISSION_API_RATE = env_int(
    "VERBUND_SUBMISSION_API_RATE",
    600,
    "Requests per minute one client address may send to the public submission API "
    "(/api/v1/destinations, /api/v1/submissions); more are answered 429 with Retry-After. "
    "Counted in the database, shared by all app processes. A form front end sends for many "
    "applicants from one address: keep this generous.",
    group="Anträge",
)
VERBUND_SUBMISSION_CACHE_SECONDS = env_int(
    "VERBUND_SUBMISSION_CACHE_SECONDS",
    60,
    "Seconds each process keeps what the submission API reads for every submission but "
    "what changes rarely: a service's published form version, whether the rollout lets the "
    "responsible authority take the service online, the service's processing time and "
    "whether the authority has a specialist system to notify. Another process's change "
    "shows after at most this long; 0 reads them for every submission.",
    group="Anträge",
)
VERBUND_ANONYMOUS_DRAFT_MAX_BYTES = env_int(
    "VERBUND_ANONYMOUS_DRAFT_MAX_BYTES",
    50 * 1024 * 1024,
    "Total size in bytes of the attachments of one draft started without an account "
    "(anyone can start such drafts); a file replaced in the same field does not count.",
    group="Anträge",
)
VERBUND_OPENDATA_MAX_BYTES = env_int(
    "VERBUND_OPENDATA_MAX_BYTES",
    100 * 1024 * 1024,
    "Largest open-data file (distribution) an authority may upload, in bytes.",
    group="Offene Daten",
)
VERBUND_OPENDATA_CONTRIBUTOR_ID = env_str(
    "VERBUND_OPENDATA_CONTRIBUTOR_ID",
    "http://dcat-ap.de/def/contributors/verbund",
    "dcatde:contributorID of the instance's open-data catalogue, as GovData assigned it "
    "(list: https://www.dcat-ap.de/def/contributors/). The default is a placeholder.",
    group="Offene Daten",
)
VERBUND_DEMO_CATALOGUE = env_str(
    "VERBUND_DEMO_CATALOGUE",
    "destatis",
    "Catalogue of <VERBUND_DATA_DIR>/dcat/catalogues/ (file name without .rdf) that "
    "`verbund load-demo` harvests, so that /daten/ and the CKAN API show real data; by default "
    "the smallest of the four (Destatis, 135 datasets, a few seconds). Empty: none.",
    group="Offene Daten",
)
VERBUND_HARVEST_TIMEOUT = env_int(
    "VERBUND_HARVEST_TIMEOUT",
    60,
    "Seconds a harvest waits for one answer of a source (a DCAT document, a CKAN API page).",
    group="Offene Daten",
)
VERBUND_HARVEST_MAX_BYTES = env_int(
    "VERBUND_HARVEST_MAX_BYTES",
    200 * 1024 * 1024,
    "Largest answer of a harvest source (a DCAT document, a CKAN API page) in bytes; a larger "
    "one fails the harvest with a message instead of filling the memory.",
    group="Offene Daten",
)
VERBUND_HARVEST_CKAN_ROWS = env_int(
    "VERBUND_HARVEST_CKAN_ROWS",
    100,
    "Datasets per `package_search` page when harvesting a CKAN API (CKAN allows up to 1000).",
    group="Offene Daten",
)
VERBUND_HARVEST_PRIVATE_ADDRESSES = env_bool(
    "VERBUND_HARVEST_PRIVATE_ADDRESSES",
    False,
    "Allow harvest sources on loopback, private and link-local addresses. Off, an http(s) "
    "source whose host resolves to such an address is refused, so that a source cannot reach "
    "into the operator's internal network.",
    group="Offene Daten",
)
VERBUND_OPENDATA_PAGE_SIZE = env_int(
    "VERBUND_OPENDATA_PAGE_SIZE",
    100,
    "Datasets per page of the DCAT-AP.de export (`/daten/katalog.ttl?page=`).",
    group="Offene Daten",
)
VERBUND_ATTACHMENT_MAX_COUNT = env_int(
    "VERBUND_ATTACHMENT_MAX_COUNT",
    20,
    "Most attachments one application may carry.",
    group="Anträge",
)
VERBUND_ATTACHMENT_TYPES = env_list(
    "VERBUND_ATTACHMENT_TYPES",
    ["application/pdf", "image/jpeg", "image/png"],
    "Media types accepted for attachments, recognised by the file's content (magic bytes).",
    group="Anträge",
)
VERBUND_CLAMD = env_str(
    "VERBUND_CLAMD",
    "",
    "ClamAV daemon for virus scans of uploads: `unix:///run/clamav/clamd.ctl` or "
    "`tcp://127.0.0.1:3310`. Empty: uploads are not scanned. When set and the scanner does "
    "not answer, uploads are refused with a clear message.",
    group="Anträge",
)
VERBUND_CLAMD_TIMEOUT = env_int(
    "VERBUND_CLAMD_TIMEOUT", 20, "Seconds to wait for the ClamAV daemon.", group="Anträge"
)
VERBUND_PAYMENT_PROVIDER = env_str(
    "VERBUND_PAYMENT_PROVIDER",
    "xbezahldienste",
    "Payment provider for fees: `xbezahldienste` (ePayBL, pmPayment and other platforms "
    "speaking the XBezahldienste interface, configured below) or `test`, the built-in "
    "provider of the demo that never moves money (`make demo` sets it; `verbund check "
    "--deploy` refuses it).",
    group="Bezahlen",
)
VERBUND_PAYMENT_SECRET = env_optional(
    "VERBUND_PAYMENT_SECRET",
    "Shared secret with the payment provider: notifications carry `X-Verbund-Signature: "
    "sha256=HMAC-SHA256(secret, body)` and are ignored without it. When unset it is derived "
    "from SECRET_KEY.",
    group="Bezahlen",
)
VERBUND_XBEZAHLDIENSTE_URL = env_str(
    "VERBUND_XBEZAHLDIENSTE_URL",
    "",
    "Base URL of the XBezahldienste interface (the part before `paymenttransaction/`).",
    group="Bezahlen",
)
VERBUND_XBEZAHLDIENSTE_ORIGINATOR_ID = env_str(
    "VERBUND_XBEZAHLDIENSTE_ORIGINATOR_ID",
    "",
    "originatorId given by the payment provider (the procedure, e.g. pmPayment's Verfahren).",
    group="Bezahlen",
)
VERBUND_XBEZAHLDIENSTE_ENDPOINT_ID = env_str(
    "VERBUND_XBEZAHLDIENSTE_ENDPOINT_ID",
    "",
    "endpointId given by the payment provider (the receiving office or cash office).",
    group="Bezahlen",
)
VERBUND_XBEZAHLDIENSTE_TOKEN_URL = env_str(
    "VERBUND_XBEZAHLDIENSTE_TOKEN_URL",
    "",
    "OAuth 2.0 token endpoint for client credentials (pmPayment). Empty: no token.",
    group="Bezahlen",
)
VERBUND_XBEZAHLDIENSTE_CLIENT_ID = env_str(
    "VERBUND_XBEZAHLDIENSTE_CLIENT_ID", "", "OAuth 2.0 client id.", group="Bezahlen"
)
VERBUND_XBEZAHLDIENSTE_CLIENT_SECRET = env_str(
    "VERBUND_XBEZAHLDIENSTE_CLIENT_SECRET", "", "OAuth 2.0 client secret.", group="Bezahlen"
)
VERBUND_XBEZAHLDIENSTE_CLIENT_CERT = env_str(
    "VERBUND_XBEZAHLDIENSTE_CLIENT_CERT",
    "",
    "PEM file with TLS client certificate and key (ePayBL). Empty: no client certificate.",
    group="Bezahlen",
)
VERBUND_PAYMENT_TIMEOUT = env_int(
    "VERBUND_PAYMENT_TIMEOUT",
    20,
    "Seconds to wait for the payment provider; then the payer is told to try again later.",
    group="Bezahlen",
)
VERBUND_PAYMENT_EXPIRY_MINUTES = env_int(
    "VERBUND_PAYMENT_EXPIRY_MINUTES",
    120,
    "Minutes after which an open payment that the provider still reports as INITIAL counts "
    "as abandoned (`verbund reconcile-payments` cancels it; the applicant may pay anew). A "
    "payment the provider reports as paid later is still accepted.",
    group="Bezahlen",
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "verbund.core",
    "verbund.accounts",
    "verbund.gebiete",
    "verbund.authorities",
    "verbund.catalogue",
    "verbund.finder",
    "verbund.applications",
    "verbund.mailbox",
    "verbund.casework",
    "verbund.einvoices",
    "verbund.cooperation",
    "verbund.opendata",
    "verbund.costs",
    "verbund.transparency",
    # After the domains, so that accounts/templates/oauth2_provider/ overrides its pages.
    "oauth2_provider",
]

AUTH_USER_MODEL = "accounts.User"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # HTML compressed (static files come pre-compressed from whitenoise, which answers before
    # this). BREACH: the CSRF token is masked anew in every response and GZipMiddleware pads
    # each response with random bytes, so lengths do not reveal a secret (decision 0024).
    "django.middleware.gzip.GZipMiddleware",
    # The page middleware passes the sender API's requests by (verbund.middleware).
    "verbund.middleware.SessionMiddleware",
    "verbund.core.language.ExplicitLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "verbund.middleware.CsrfViewMiddleware",
    "verbund.middleware.AuthenticationMiddleware",
    "verbund.middleware.SessionIdleMiddleware",
    "verbund.middleware.SecondFactorMiddleware",
    "verbund.middleware.MessageMiddleware",
    # The staff member's unlocked key for the request; KeyLocked → "Schlüssel entsperren".
    "verbund.middleware.KeyringMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so its refusal still has session, user and language; before any view (and
    # CSRF's process_view) reads the body.
    "verbund.core.request_size.RequestSizeMiddleware",
    # A NUL in path or query is refused before a view looks it up (PostgreSQL cannot hold it).
    "verbund.core.request_text.RefuseNulMiddleware",
]

ROOT_URLCONF = "verbund.urls"
WSGI_APPLICATION = "verbund.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SRC_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "verbund.core.context.platform",
            ],
        },
    },
]

DATABASE_URL = env_str(
    "DATABASE_URL",
    f"sqlite:///{STATE_DIR / 'verbund.sqlite3'}",
    "Database URL. SQLite (WAL mode) by default; `postgres://user@host:5432/name` for "
    "PostgreSQL, the production database.",
    group="Datenbank",
    doc_default="sqlite:///$VERBUND_STATE_DIR/verbund.sqlite3",
)
_conn_max_age = env_int(
    "DATABASE_CONN_MAX_AGE",
    60,
    "Seconds a database connection is kept open between requests (0 closes it).",
    group="Datenbank",
)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while one writer commits; IMMEDIATE transactions take the
    # write lock up front so concurrent writers wait (busy timeout) instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
# Kept open for SQLite too: opening one costs more than a small request (the PRAGMAs and
# Django's SQL functions run on every connect). `verbund serve` closes them before it forks
# its workers.
DATABASES["default"]["CONN_MAX_AGE"] = _conn_max_age
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Work that leaves the request runs as tasks (Django's Tasks API, django-tasks backport)
# stored in the database, so enqueuing inside a transaction commits with the change;
# `verbund worker` processes run them (core/tasks.py, core/worker.py).
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": [],
    }
}
VERBUND_WORKER_STALE_SECONDS = env_int(
    "VERBUND_WORKER_STALE_SECONDS",
    60,
    "Seconds after its last report that a task worker counts as gone (`/healthz`).",
    group="Aufgaben",
)

# Argon2id first: new and re-hashed passwords use it; the others only verify old hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "de"
LANGUAGES = [("de", "Deutsch"), ("en", "English")]
LOCALE_PATHS = [SRC_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Berlin", "Time zone for dates shown to users.")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = STATE_DIR / "static"
NODE_MODULES_DIR = BASE_DIR / "node_modules"
STATICFILES_DIRS = [("kern", NODE_MODULES_DIR / "@kern-ux" / "native" / "dist")]
VERBUND_STORAGE = env_str(
    "VERBUND_STORAGE",
    "",
    "Where files are kept (attachments, Bescheide, Postfach files, e-invoices, open-data "
    "distributions), each kind in a folder or prefix of its own. Empty: the file system "
    "below `$VERBUND_STATE_DIR` (embedded default). `s3://BUCKET[/PREFIX]?endpoint_url="
    "https://…&region_name=…`: S3-compatible object storage through django-storages, the "
    "production default (several app servers share it); credentials from "
    "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the machine's role.",
    group="Ablage",
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    **{kind: storage_for(VERBUND_STORAGE, kind, STATE_DIR) for kind in STORAGE_KINDS},
}
MEDIA_ROOT = STATE_DIR / "media"
WHITENOISE_USE_FINDERS = DEBUG

SESSION_COOKIE_AGE = env_int(
    "SESSION_COOKIE_AGE",
    8 * 3600,
    "Seconds until a login session expires.",
    group="Sicherheit",
)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
VERBUND_HTTPS = env_bool(
    "VERBUND_HTTPS",
    not DEBUG,
    "The instance is served over HTTPS (behind a proxy that sets X-Forwarded-Proto): "
    "secure cookies, HSTS and a redirect from http (except /healthz). On by default unless "
    "DEBUG; `make demo` turns it off for http://127.0.0.1, `verbund check --deploy` "
    "refuses it off.",
    group="Sicherheit",
)
if VERBUND_HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = False  # the Land's other services decide for themselves

# A strict Content-Security-Policy on every response (django-csp): scripts, styles, fonts
# and images only from our own static files, nothing inline, no framing (BSI TR-03161-3,
# OWASP ASVS 5.0 V3.4). Templates keep scripts and styles in static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
}

LOG_LEVEL = env_str("LOG_LEVEL", "INFO", "Log level of Verbund's own loggers.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "verbund": {"handlers": ["console"], "level": LOG_LEVEL},
        "django": {"handlers": ["console"], "level": "WARNING"},
    },
}

# --- Servicekonto (accounts): login, second factor, federation, OIDC provider, e-mail -------

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:account"
LOGOUT_REDIRECT_URL = "start"

VERBUND_SESSION_IDLE_TIMEOUT = env_int(
    "VERBUND_SESSION_IDLE_TIMEOUT",
    30 * 60,
    "Seconds without a request after which a login session ends (in addition to "
    "SESSION_COOKIE_AGE, the absolute limit). 0 turns the idle limit off.",
    group="Servicekonto",
)
VERBUND_LOGIN_THROTTLE_FAILURES = env_int(
    "VERBUND_LOGIN_THROTTLE_FAILURES",
    5,
    "Failed logins (password or second factor) per account within the throttle window "
    "after which further attempts for that account are refused. Counted in the database, "
    "so the limit holds across all app servers.",
    group="Servicekonto",
)
VERBUND_LOGIN_THROTTLE_IP_FAILURES = env_int(
    "VERBUND_LOGIN_THROTTLE_IP_FAILURES",
    30,
    "Failed logins from one client address within the throttle window after which that "
    "address is refused for every account.",
    group="Servicekonto",
)
VERBUND_LOGIN_THROTTLE_WINDOW = env_int(
    "VERBUND_LOGIN_THROTTLE_WINDOW",
    15 * 60,
    "Seconds of the login throttle window (a refused account or address may try again "
    "when its oldest counted failure leaves the window).",
    group="Servicekonto",
)
VERBUND_PASSWORD_RESET_MAILS = env_int(
    "VERBUND_PASSWORD_RESET_MAILS",
    3,
    "Password-reset mails per e-mail address within VERBUND_PASSWORD_RESET_MAIL_WINDOW; "
    "further requests are answered alike but send nothing.",
    group="Servicekonto",
)
VERBUND_PASSWORD_RESET_MAIL_IP_LIMIT = env_int(
    "VERBUND_PASSWORD_RESET_MAIL_IP_LIMIT",
    20,
    "Password-reset requests from one client address within the window.",
    group="Servicekonto",
)
VERBUND_PASSWORD_RESET_MAIL_WINDOW = env_int(
    "VERBUND_PASSWORD_RESET_MAIL_WINDOW",
    3600,
    "Seconds of the password-reset mail limit's window.",
    group="Servicekonto",
)
VERBUND_EMAIL_VERIFICATION_MAX_AGE = env_int(
    "VERBUND_EMAIL_VERIFICATION_MAX_AGE",
    3 * 24 * 3600,
    "Seconds an e-mail verification link stays valid.",
    group="Servicekonto",
)
VERBUND_STAFF_INVITATION_MAX_AGE = env_int(
    "VERBUND_STAFF_INVITATION_MAX_AGE",
    7 * 24 * 3600,
    "Seconds the link in a staff invitation (set password, then TOTP) stays valid.",
    group="Servicekonto",
)
PASSWORD_RESET_TIMEOUT = env_int(
    "PASSWORD_RESET_TIMEOUT",
    2 * 3600,
    "Seconds a password reset link stays valid.",
    group="Servicekonto",
)
VERBUND_PROFILE_ENCRYPTION_KEYS = env_list(
    "VERBUND_PROFILE_ENCRYPTION_KEYS",
    [],
    "Comma-separated Fernet keys (`verbund generate-profile-key`) that encrypt profile "
    "data at rest (name, address, date of birth); the first encrypts, all decrypt, so a "
    "new key goes first and old ones stay until `verbund reencrypt-profiles` has run. "
    "When unset, the key in `$VERBUND_STATE_DIR/profile-key` (created by `verbund setup`); "
    "several app servers must share the keys.",
    group="Servicekonto",
)
VERBUND_WEBAUTHN_RP_ID = env_str(
    "VERBUND_WEBAUTHN_RP_ID",
    "",
    "WebAuthn relying party id (the registrable domain, e.g. `verbund.thueringen.de`). "
    "Empty: the host name of the request.",
    group="Servicekonto",
)
VERBUND_WEBAUTHN_ORIGINS = env_list(
    "VERBUND_WEBAUTHN_ORIGINS",
    [],
    "Comma-separated origins accepted in WebAuthn responses. Empty: the request's own origin.",
    group="Servicekonto",
)
VERBUND_TOTP_ISSUER = env_str(
    "VERBUND_TOTP_ISSUER",
    "Verbund Thüringen",
    "Issuer name shown in authenticator apps for TOTP entries.",
    group="Servicekonto",
)

# BundID / DeutschlandID over SAML 2.0 (Verbund is the service provider).
VERBUND_SAML_IDP_METADATA = env_str(
    "VERBUND_SAML_IDP_METADATA",
    "",
    "Path to the SAML metadata file of the identity provider (BundID). Empty: federated "
    "login with BundID is off.",
    group="BundID (SAML)",
)
VERBUND_SAML_SP_ENTITY_ID = env_str(
    "VERBUND_SAML_SP_ENTITY_ID",
    "",
    "Entity id of Verbund as SAML service provider. Empty: the URL of the SP metadata "
    "(`/konto/saml/metadata/`) on the requesting host.",
    group="BundID (SAML)",
)
VERBUND_SAML_SP_KEY_FILE = env_str(
    "VERBUND_SAML_SP_KEY_FILE",
    "",
    "PEM private key with which Verbund signs AuthnRequests. Empty: a key and self-signed "
    "certificate are generated once into `$VERBUND_STATE_DIR/saml/`.",
    group="BundID (SAML)",
)
VERBUND_SAML_SP_CERT_FILE = env_str(
    "VERBUND_SAML_SP_CERT_FILE",
    "",
    "PEM certificate matching VERBUND_SAML_SP_KEY_FILE, published in the SP metadata.",
    group="BundID (SAML)",
)
VERBUND_SAML_MIN_TRUST_LEVEL = env_str(
    "VERBUND_SAML_MIN_TRUST_LEVEL",
    "STORK-QAA-Level-1",
    "Minimum trust level requested from BundID (`STORK-QAA-Level-1` … `-4`, comparison "
    "minimum). Responses below it are refused.",
    group="BundID (SAML)",
)
VERBUND_SAML_XMLSEC_BINARY = env_str(
    "VERBUND_SAML_XMLSEC_BINARY",
    "",
    "Path to the `xmlsec1` program (Debian package xmlsec1) that checks XML signatures. "
    "Empty: looked up on PATH.",
    group="BundID (SAML)",
)

# Other identity providers over OpenID Connect (Verbund is the relying party).
VERBUND_OIDC_PROVIDERS = env_str(
    "VERBUND_OIDC_PROVIDERS",
    "",
    'JSON list of OpenID Connect identity providers: `[{"name": "…", "label": "…", '
    '"issuer": "https://…", "client_id": "…", "client_secret": "…", "scope": "openid '
    'profile email", "trust_level": "basic"}]`. Each gets a login button; the issuer\'s '
    "discovery document supplies the endpoints.",
    group="OpenID Connect",
)

# Verbund as OpenID Connect provider for connected municipal services.
VERBUND_OIDC_PRIVATE_KEY_FILE = env_str(
    "VERBUND_OIDC_PRIVATE_KEY_FILE",
    "",
    "PEM RSA private key that signs ID tokens (RS256). Empty: the 3072-bit key in "
    "`$VERBUND_STATE_DIR/oidc-signing-key.pem` (created by `verbund setup`); several app "
    "servers must share it.",
    group="OpenID Connect",
)
VERBUND_OIDC_ISSUER = env_str(
    "VERBUND_OIDC_ISSUER",
    "",
    "Issuer URL of Verbund's OpenID provider (e.g. `https://verbund.thueringen.de`). "
    "Empty: derived from the request's host.",
    group="OpenID Connect",
)

# E-mail (verification, password reset, notices) through Django's backends.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend",
    "Django e-mail backend. `django.core.mail.backends.smtp.EmailBackend` sends through "
    "EMAIL_HOST; the default prints mails to the console (demo).",
    group="E-Mail",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost", "SMTP server.", group="E-Mail")
EMAIL_PORT = env_int("EMAIL_PORT", 25, "SMTP port.", group="E-Mail")
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "", "SMTP user name.", group="E-Mail")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "", "SMTP password.", group="E-Mail")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False, "Use STARTTLS.", group="E-Mail")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False, "Use implicit TLS.", group="E-Mail")
EMAIL_TIMEOUT = env_int(
    "EMAIL_TIMEOUT", 20, "Seconds before an SMTP call gives up.", group="E-Mail"
)
DEFAULT_FROM_EMAIL = env_str(
    "DEFAULT_FROM_EMAIL",
    "Verbund <noreply@verbund.invalid>",
    "Sender of the mails Verbund sends.",
    group="E-Mail",
)


def _oidc_private_key() -> str:
    configured = VERBUND_OIDC_PRIVATE_KEY_FILE
    if configured:
        return Path(configured).read_text()
    return state.read_key(STATE_DIR, state.OIDC_KEY)


VERBUND_OIDC_LOOPBACK_HTTP = env_bool(
    "VERBUND_OIDC_LOOPBACK_HTTP",
    DEBUG,
    "Accept plain `http` redirect URIs of connected services on loopback hosts "
    "(127.0.0.1, ::1, localhost) for development and the demo. Every other redirect URI "
    "must be `https`; `verbund check --deploy` warns while this is on.",
    group="OpenID Connect",
)

# Verbund's provider follows RFC 9700 (OAuth 2.0 Security BCP): authorization code with
# PKCE S256 and refresh tokens only; hashed tokens, refresh-token replay detection,
# RFC 9207 `iss` in authorization responses, exact https redirect URIs.
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": _oidc_private_key(),
    "OIDC_ISS_ENDPOINT": VERBUND_OIDC_ISSUER,
    "PKCE_REQUIRED": True,
    "OAUTH2_VALIDATOR_CLASS": "verbund.accounts.oidc_provider.VerbundOIDCValidator",
    "OAUTH2_SERVER_CLASS": "verbund.accounts.oidc_provider.VerbundServer",
    "OIDC_SERVER_CLASS": "verbund.accounts.oidc_provider.VerbundServer",
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    "REFRESH_TOKEN_EXPIRE_SECONDS": 30 * 24 * 3600,
    "ALLOW_URI_WILDCARDS": False,
    "ALLOWED_REDIRECT_URI_SCHEMES": (
        ["http", "https"] if VERBUND_OIDC_LOOPBACK_HTTP else ["https"]
    ),
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "refresh_token"],
    "OIDC_SUBJECT_TYPES_SUPPORTED": ["pairwise"],
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": True,
    "OIDC_RP_INITIATED_LOGOUT_STRICT_REDIRECT_URIS": True,
    "SCOPES": {
        "openid": "Anmeldung mit dem Servicekonto",
        "profile": "Name und Geburtsdatum",
        "email": "E-Mail-Adresse",
        "address": "Anschrift",
    },
    "DEFAULT_SCOPES": ["openid"],
    "ACCESS_TOKEN_EXPIRE_SECONDS": 600,
    "ID_TOKEN_EXPIRE_SECONDS": 600,
}

# --- E-Rechnung (e-invoices): validation engine -------------------------------------------

VERBUND_EINVOICE_RULES = Path(
    env_str(
        "VERBUND_EINVOICE_RULES",
        str(VERBUND_DATA_DIR / "xrechnung"),
        "Directory with the e-invoice rules: scenarios.xml, xsd/ (UBL 2.1, CII D16B) and "
        "schematron/ (EN 16931, XRechnung, optionally Peppol BIS 3). See "
        "docs/einvoice-rules.md; `verbund check-einvoice-rules` checks it.",
        group="E-Rechnung",
        doc_default="<VERBUND_DATA_DIR>/xrechnung",
    )
)
VERBUND_EINVOICE_CACHE_DIR = env_optional(
    "VERBUND_EINVOICE_CACHE_DIR",
    "Directory for the XSLT compiled from the Schematron rules (keyed by the SHA-256 of the "
    "sources); saves the Schematron compilation at start-up. Unset: compile in memory only.",
    group="E-Rechnung",
)
VERBUND_EINVOICE_MAX_BYTES = env_int(
    "VERBUND_EINVOICE_MAX_BYTES",
    20 * 1024 * 1024,
    "Largest e-invoice (XML or PDF) in bytes that is examined; larger ones are refused.",
    group="E-Rechnung",
)
VERBUND_EINVOICE_MAX_DEPTH = env_int(
    "VERBUND_EINVOICE_MAX_DEPTH",
    64,
    "Deepest element nesting of an e-invoice XML that is examined; deeper ones are refused.",
    group="E-Rechnung",
)
# E-Rechnung: receipt and inbox (the size limit is VERBUND_EINVOICE_MAX_BYTES above)
VERBUND_EINVOICE_UPLOAD_LIMIT = env_int(
    "VERBUND_EINVOICE_UPLOAD_LIMIT",
    30,
    "Uploads on the public e-invoice page per client address within the window; further "
    "uploads are refused until the oldest leaves the window. Counted in the database.",
    group="E-Rechnung",
)
VERBUND_EINVOICE_VALIDATE_LIMIT = env_int(
    "VERBUND_EINVOICE_VALIDATE_LIMIT",
    120,
    "Checks through the public API POST /api/v1/einvoices/validate per client address within "
    "the window (VERBUND_EINVOICE_UPLOAD_WINDOW); calls with a supplier's API key are not "
    "counted. Further calls get 429 until the oldest leaves the window.",
    group="E-Rechnung",
)
VERBUND_EINVOICE_UPLOAD_WINDOW = env_int(
    "VERBUND_EINVOICE_UPLOAD_WINDOW",
    3600,
    "Seconds of the e-invoice upload window (see VERBUND_EINVOICE_UPLOAD_LIMIT).",
    group="E-Rechnung",
)

# Postfach (mailbox)
VERBUND_PORTAL_URL = env_str(
    "VERBUND_PORTAL_URL",
    "http://localhost:8000/",
    'Public address of the citizen portal; links in notification mails ("a message is '
    'waiting in your Postfach") point here.',
    group="Postfach",
)
VERBUND_POSTFACH_THROTTLE_FAILURES = env_int(
    "VERBUND_POSTFACH_THROTTLE_FAILURES",
    5,
    "Wrong access codes for one Vorgangsnummer from one client address within the "
    "throttle window after which that address is refused for that number (the holder of "
    "the right code elsewhere is never locked out). Also limits `/vorgang/status/`.",
    group="Postfach",
)
VERBUND_POSTFACH_THROTTLE_IP_FAILURES = env_int(
    "VERBUND_POSTFACH_THROTTLE_IP_FAILURES",
    20,
    "Wrong Vorgangsnummer/access code pairs from one client address within the throttle "
    "window after which that address is refused.",
    group="Postfach",
)
VERBUND_POSTFACH_THROTTLE_WINDOW = env_int(
    "VERBUND_POSTFACH_THROTTLE_WINDOW",
    15 * 60,
    "Seconds of the anonymous Postfach's throttle window.",
    group="Postfach",
)
VERBUND_POSTFACH_REPLY_MAX_CHARS = env_int(
    "VERBUND_POSTFACH_REPLY_MAX_CHARS",
    10000,
    "Longest reply text an applicant may send through the Postfach.",
    group="Postfach",
)

# Back office (casework)
VERBUND_CASEWORK_PROCESSING_DAYS = env_int(
    "VERBUND_CASEWORK_PROCESSING_DAYS",
    30,
    "Processing-time target in days for services without their own target (the deadline "
    "of a new case is its day of receipt plus this).",
    group="Sachbearbeitung",
)
VERBUND_CASEWORK_RETENTION_DAYS = env_int(
    "VERBUND_CASEWORK_RETENTION_DAYS",
    730,
    "Days a closed case is kept for services without their own retention period; then "
    "`verbund purge-expired-cases` deletes it with its personal data.",
    group="Sachbearbeitung",
)
VERBUND_CASEWORK_SEARCH_KEY = env_optional(
    "VERBUND_CASEWORK_SEARCH_KEY",
    "Secret for the keyed blind index of applicant names (HMAC). When unset it is derived "
    "from SECRET_KEY; changing it makes existing names unfindable until re-indexed.",
    group="Sachbearbeitung",
)
VERBUND_CASEWORK_WEBHOOK_TIMEOUT = env_int(
    "VERBUND_CASEWORK_WEBHOOK_TIMEOUT",
    5,
    "Seconds to wait for a specialist system's webhook endpoint.",
    group="Sachbearbeitung",
)

# Request sizes: the largest documented upload must fit (an attachment as JWE is a third
# larger than the file; an e-invoice PDF); anything larger is answered 413 before it is read.
VERBUND_REQUEST_MAX_BYTES = env_int(
    "VERBUND_REQUEST_MAX_BYTES",
    max(VERBUND_ATTACHMENT_MAX_BYTES * 4 // 3, VERBUND_EINVOICE_MAX_BYTES) + 1024 * 1024,
    "Largest request body in bytes; larger requests get 413 (problem JSON in the API, a "
    "German page elsewhere). Default: what the largest attachment (as JWE) or e-invoice "
    "needs, plus 1 MiB.",
    group="Allgemein",
)
DATA_UPLOAD_MAX_MEMORY_SIZE = VERBUND_REQUEST_MAX_BYTES
