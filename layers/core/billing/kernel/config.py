"""The environment a function runs in, read once per warm container, never at import time."""

from __future__ import annotations

import os
from functools import lru_cache

import msgspec


class Settings(msgspec.Struct, frozen=True):
    table_name: str
    key_material_secret_arn: str
    portal_base_url: str
    stage: str
    delivery_queue_url: str
    # Seconds a resolved secret key stays cached in a warm container; revocation takes
    # effect within this window (0 disables the cache).
    key_cache_seconds: float
    # A webhook receiver that has not answered within this many seconds has failed the attempt.
    webhook_timeout_seconds: float
    # Where the Stripe adapter sends its calls and where the portal loads Stripe.js from: Stripe's
    # own unless set (the local stack and the tests point both at localstripe).
    stripe_api_base: str | None = None
    stripe_js_url: str = "https://js.stripe.com/v3/"
    # The email queue (fanout → mailer), the platform's verified SES domain (mail goes out from
    # noreply@ it) and the SES configuration set whose bounces and complaints come back to us.
    email_queue_url: str = ""
    sender_domain: str = ""
    ses_configuration_set: str = ""


class ConfigurationError(RuntimeError):
    """A required environment variable is missing: a deployment fault, not a request fault."""


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"environment variable {name} is not set")
    return value


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings(
        table_name=_required("TABLE_NAME"),
        key_material_secret_arn=os.environ.get("KEY_MATERIAL_SECRET_ARN", ""),
        portal_base_url=os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:3001").rstrip("/"),
        stage=os.environ.get("STAGE", "dev"),
        delivery_queue_url=os.environ.get("DELIVERY_QUEUE_URL", ""),
        key_cache_seconds=float(os.environ.get("KEY_CACHE_SECONDS", "60")),
        webhook_timeout_seconds=float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10")),
        stripe_api_base=os.environ.get("STRIPE_API_BASE", "").rstrip("/") or None,
        stripe_js_url=os.environ.get("STRIPE_JS_URL", "") or "https://js.stripe.com/v3/",
        email_queue_url=os.environ.get("EMAIL_QUEUE_URL", ""),
        sender_domain=os.environ.get("SENDER_DOMAIN", "").strip().lower(),
        ses_configuration_set=os.environ.get("SES_CONFIGURATION_SET", ""),
    )


def reset() -> None:
    """Forget the cached settings (tests and the local stack change the environment)."""
    settings.cache_clear()
