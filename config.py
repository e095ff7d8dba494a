"""Every setting of the product, read from the environment, with its default.

Nothing else in the code reads ``os.environ``: a setting lives here or nowhere.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _json_list(name: str) -> list:
    value = os.environ.get(name)
    if value in (None, ""):
        return []
    try:
        parsed = json.loads(value)
    except ValueError:
        raise RuntimeError(f"{name} must be a JSON list of objects.") from None
    if not isinstance(parsed, list):
        raise RuntimeError(f"{name} must be a JSON list of objects.")
    return parsed


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


class Config:
    """Settings shared by every environment; values come from the environment."""

    DEBUG = _bool("FLASK_DEBUG", False)
    TESTING = False
    SECRET_KEY = os.environ.get("SECRET_KEY")

    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'tillsyn.sqlite'}")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # A database that is down or silent answers 503 within seconds (API.md): PostgreSQL's connect timeout (also the
    # wait for a pooled connection) and statement timeout, in seconds (0 turns the statement timeout off).
    DB_CONNECT_TIMEOUT_SECONDS = _int("DB_CONNECT_TIMEOUT_SECONDS", 3)
    DB_STATEMENT_TIMEOUT_SECONDS = _float("DB_STATEMENT_TIMEOUT_SECONDS", 4.0)
    REDIS_URL = os.environ.get("REDIS_URL") or None

    # Mail: SMTP when SMTP_HOST is set, otherwise .eml files in the outbox folder.
    SMTP_HOST = os.environ.get("SMTP_HOST") or None
    SMTP_PORT = _int("SMTP_PORT", 587)
    SMTP_USER = os.environ.get("SMTP_USER") or None
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD") or None
    SMTP_STARTTLS = _bool("SMTP_STARTTLS", True)
    SMTP_TIMEOUT_SECONDS = _int("SMTP_TIMEOUT_SECONDS", 20)
    MAIL_FROM = os.environ.get("MAIL_FROM", "Lärande tillsyn <noreply@tillsyn.local>")
    MAIL_OUTBOX_DIR = os.environ.get("MAIL_OUTBOX_DIR", str(INSTANCE_DIR / "outbox"))
    # The e-mail outbox (DESIGN.md 4.9): a queued or sending e-mail is its task's for this long; past it the
    # sweep (every MAIL_SWEEP_SECONDS, at most MAIL_SWEEP_BATCH rows) sends it again. Temporary SMTP failures
    # back off exponentially with jitter from the base, capped (below the Redis visibility timeout), and give
    # up after MAIL_MAX_ATTEMPTS.
    MAIL_LEASE_SECONDS = _float("MAIL_LEASE_SECONDS", 600.0)
    MAIL_SWEEP_SECONDS = _float("MAIL_SWEEP_SECONDS", 60.0)
    MAIL_SWEEP_BATCH = _int("MAIL_SWEEP_BATCH", 500)
    MAIL_BACKOFF_BASE_SECONDS = _float("MAIL_BACKOFF_BASE_SECONDS", 30.0)
    MAIL_BACKOFF_MAX_SECONDS = _float("MAIL_BACKOFF_MAX_SECONDS", 1800.0)
    MAIL_MAX_ATTEMPTS = _int("MAIL_MAX_ATTEMPTS", 8)
    # Absolute base of links in e-mails and CLI output (no request exists there).
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")

    # Sessions and login.
    SESSION_COOKIE_NAME = "tillsyn_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_HTTPONLY = True
    IDLE_TIMEOUT_MINUTES = _int("IDLE_TIMEOUT_MINUTES", 30)
    IDLE_WARNING_SECONDS = _int("IDLE_WARNING_SECONDS", 120)
    SET_PASSWORD_LINK_HOURS = _int("SET_PASSWORD_LINK_HOURS", 72)
    # A form posted after its session ran out is kept this long for its person (DESIGN.md 4.8).
    FORM_DRAFT_HOURS = _int("FORM_DRAFT_HOURS", 24)
    # A login session ends this many hours after the login, however active (ASVS 7.3.2).
    SESSION_MAX_HOURS = _int("SESSION_MAX_HOURS", 12)
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")  # per client address
    # Failed logins naming one account, from any address (a changing X-Forwarded-For gains nothing).
    LOGIN_ACCOUNT_RATE_LIMIT = os.environ.get("LOGIN_ACCOUNT_RATE_LIMIT", "10 per 15 minutes")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or (os.environ.get("REDIS_URL") or "memory://")
    RATELIMIT_HEADERS_ENABLED = True

    # Login through an OpenID Connect provider (issue 18): a JSON list of objects with "name" (in the redirect URI
    # /login/oidc/<name>/callback), "label" (on the login button), "issuer" (discovery from
    # <issuer>/.well-known/openid-configuration), "client_id", "client_secret" and "roles" (which roles may log in
    # through it: coordinator, reviewer, unit_member) and optionally "verified_email_claim" (the boolean claim that
    # vouches for the e-mail address at the first login: "email_verified" by default, "xms_edov" for Entra ID).
    # Empty: no such button.
    OIDC_PROVIDERS = _json_list("OIDC_PROVIDERS")
    # Login with e-legitimation through a SAML 2.0 identity provider (Sweden Connect): its metadata as a file path or
    # an https:// URL. Empty: no such button. The service provider's key and certificate (PEM files) sign its
    # requests and decrypt assertions; its entity id defaults to <PUBLIC_BASE_URL>/saml/metadata.
    SAML_IDP_METADATA = os.environ.get("SAML_IDP_METADATA") or None
    SAML_SP_KEY_FILE = os.environ.get("SAML_SP_KEY_FILE") or None
    SAML_SP_CERT_FILE = os.environ.get("SAML_SP_CERT_FILE") or None
    SAML_SP_ENTITY_ID = os.environ.get("SAML_SP_ENTITY_ID") or None
    # A federation's metadata lists many identity providers: the entity id of the one to send people to. Its
    # signature is checked with SAML_IDP_METADATA_CERT (PEM file) when given (do, for metadata fetched by URL).
    SAML_IDP_ENTITY_ID = os.environ.get("SAML_IDP_ENTITY_ID") or None
    SAML_IDP_METADATA_CERT = os.environ.get("SAML_IDP_METADATA_CERT") or None
    # Entity categories declared in our metadata (comma-separated); Sweden Connect's for a personal identity number.
    SAML_ENTITY_CATEGORIES = os.environ.get("SAML_ENTITY_CATEGORIES", "http://id.elegnamnden.se/ec/1.0/loa3-pnr")
    # Which roles may log in with e-legitimation (comma-separated).
    SAML_ROLES = os.environ.get("SAML_ROLES", "coordinator,reviewer,unit_member")
    # Clock difference accepted between this server and the identity provider, in seconds.
    SAML_ACCEPTED_TIME_DIFF_SECONDS = _int("SAML_ACCEPTED_TIME_DIFF_SECONDS", 60)
    XMLSEC1_PATH = os.environ.get("XMLSEC1_PATH") or None
    # The secret of the keyed hash (HMAC-SHA256) under which personal identity numbers are stored; without it no
    # number can be registered. Changing it makes every registered number unknown.
    PERSONAL_NUMBER_HMAC_KEY = os.environ.get("PERSONAL_NUMBER_HMAC_KEY") or None

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session; the idle timeout ends both
    WTF_CSRF_SSL_STRICT = True

    BABEL_DEFAULT_LOCALE = "sv"
    BABEL_DEFAULT_TIMEZONE = "Europe/Stockholm"
    LANGUAGES = ("sv", "en")

    CASE_NUMBER_PREFIX = os.environ.get("CASE_NUMBER_PREFIX", "TS")
    MAX_ACTIVE_BOUNDARIES = _int("MAX_ACTIVE_BOUNDARIES", 5)
    # A closer-review visit opened by a breach takes the template and lead of the unit's latest visit; failing that
    # this template (by name) and this reviewer (by e-mail), then the first active template and a recent lead.
    CLOSER_REVIEW_TEMPLATE = os.environ.get("CLOSER_REVIEW_TEMPLATE") or None
    CLOSER_REVIEW_LEAD_EMAIL = os.environ.get("CLOSER_REVIEW_LEAD_EMAIL") or None
    COMMENT_DEADLINE_DAYS = _int("COMMENT_DEADLINE_DAYS", 14)
    # The visit interval (DESIGN.md 4.7): baseline; earned by two final visits without a serious deviation and no
    # breach within the baseline interval; while in closer review.
    VISIT_INTERVAL_MONTHS = _int("VISIT_INTERVAL_MONTHS", 24)
    EARNED_INTERVAL_MONTHS = _int("EARNED_INTERVAL_MONTHS", 36)
    CLOSER_REVIEW_INTERVAL_MONTHS = _int("CLOSER_REVIEW_INTERVAL_MONTHS", 6)
    MAX_UPLOAD_MB = _int("MAX_UPLOAD_MB", 15)
    # Several camera photos go in one request; the whole request may carry this many files of the limit above.
    MAX_FILES_PER_UPLOAD = _int("MAX_FILES_PER_UPLOAD", 10)
    # Evidence files, outside the static folder, under server-generated names.
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    API_MAX_PER_PAGE = 200

    # Dialogue (DESIGN.md 4.2): e-mails about new messages go out at most once per person per window, listing
    # everything new since; the daily digest goes out from this hour, Europe/Stockholm.
    DIALOGUE_NOTIFICATION_WINDOW_MINUTES = _int("DIALOGUE_NOTIFICATION_WINDOW_MINUTES", 15)
    DIALOGUE_DIGEST_HOUR = _int("DIALOGUE_DIGEST_HOUR", 7)

    # Celery: Redis in production, an SQLite-backed kombu transport when embedded.
    CELERY_EMBEDDED_BROKER = os.environ.get(
        "CELERY_EMBEDDED_BROKER", f"sqla+sqlite:///{INSTANCE_DIR / 'celery-broker.sqlite'}"
    )
    CELERY_TASK_ALWAYS_EAGER = _bool("CELERY_TASK_ALWAYS_EAGER", False)
    # The queue tasks are sent to and workers read (several deployments may share one Redis).
    CELERY_QUEUE = os.environ.get("CELERY_QUEUE", "celery")

    # OpenAPI document (flask-smorest / apispec).
    API_TITLE = "Lärande tillsyn API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.1.0"
    OPENAPI_URL_PREFIX = None  # served by our own route at /api/v1/openapi.json

    # The accessibility statement (lagen (2018:1937) om tillgänglighet till digital offentlig service, DIGG's model):
    # who stands behind this installation, where barriers are reported (reports also go to this address instead of
    # to every coordinator), an optional phone number, and the date of the latest assessment (YYYY-MM-DD).
    ORGANISATION_NAME = os.environ.get("ORGANISATION_NAME") or None
    # The authority as its letters and e-mails present it (DESIGN.md 4.1: the final report is an authority's
    # document; 4.2/4.9: e-mails come from the authority): postal address (lines separated by "|"), switchboard
    # phone, the registrator's e-mail (diarium), web site, and an optional logo (PNG or JPEG file) for the report.
    ORGANISATION_ADDRESS = os.environ.get("ORGANISATION_ADDRESS") or None
    ORGANISATION_PHONE = os.environ.get("ORGANISATION_PHONE") or None
    ORGANISATION_EMAIL = os.environ.get("ORGANISATION_EMAIL") or None
    ORGANISATION_WEBSITE = os.environ.get("ORGANISATION_WEBSITE") or None
    ORGANISATION_LOGO_PATH = os.environ.get("ORGANISATION_LOGO_PATH") or None
    ACCESSIBILITY_CONTACT_EMAIL = os.environ.get("ACCESSIBILITY_CONTACT_EMAIL") or None
    ACCESSIBILITY_CONTACT_PHONE = os.environ.get("ACCESSIBILITY_CONTACT_PHONE") or None
    ACCESSIBILITY_ASSESSED_ON = os.environ.get("ACCESSIBILITY_ASSESSED_ON") or "2026-11-27"
    ACCESSIBILITY_REPORT_RATE_LIMIT = os.environ.get("ACCESSIBILITY_REPORT_RATE_LIMIT", "5 per minute")

    # Refused access to objects (403/404) is logged to "tillsyn.security": at most this many lines per person a minute.
    SECURITY_LOG_PER_MINUTE = _int("SECURITY_LOG_PER_MINUTE", 30)

    # Served behind a TLS-terminating proxy in production: trust one hop of X-Forwarded-*.
    PROXY_FIX_HOPS = _int("PROXY_FIX_HOPS", 0)

    # Follow-up reminders (DESIGN.md 4.4): days relative to the due date (the last one, when after the due
    # date, also goes to the lead reviewer); the kommunicering deadline's reminder that many days before it.
    FOLLOW_UP_REMINDER_DAYS = os.environ.get("FOLLOW_UP_REMINDER_DAYS", "-7,0,3")
    COMMENT_DEADLINE_REMINDER_DAYS = _int("COMMENT_DEADLINE_REMINDER_DAYS", 3)
    # A day's reminders go out from this hour, local time (BABEL_DEFAULT_TIMEZONE, Europe/Stockholm).
    REMINDER_SEND_HOUR = _int("REMINDER_SEND_HOUR", 7)
    # How often beat runs the sweep, and how many due reminders one sweep claims at most.
    REMINDER_SWEEP_SECONDS = _float("REMINDER_SWEEP_SECONDS", 60.0)
    REMINDER_SWEEP_BATCH = _int("REMINDER_SWEEP_BATCH", 500)
    # A claimed reminder is its worker's for this long; after it a sweep takes it back (the worker died).
    REMINDER_LEASE_SECONDS = _float("REMINDER_LEASE_SECONDS", 600.0)

class DevelopmentConfig(Config):
    """The embedded default of ``make run``: debug on, a fixed dev secret, cookies over plain HTTP."""

    DEBUG = True
    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-not-secret"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    SESSION_COOKIE_SECURE = False
    SERVER_NAME = None
    RATELIMIT_STORAGE_URI = "memory://"
    WTF_CSRF_ENABLED = True
    CELERY_TASK_ALWAYS_EAGER = False


CONFIGS = {"development": DevelopmentConfig, "production": Config, "testing": TestConfig}


def config_from_env() -> type[Config]:
    return CONFIGS[os.environ.get("TILLSYN_ENV", "production")]
