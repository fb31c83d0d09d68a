"""pre_sign_up: Cognito's pre sign-up trigger for the ``email_domain_allowlist`` sign-up policy.

Cognito invokes it synchronously before it creates a user. A self-service sign-up
(``PreSignUp_SignUp``, and ``PreSignUp_ExternalProvider`` should a federated provider ever
be added) passes only if the email's domain is one of ``ALLOWED_EMAIL_DOMAINS`` (exact
match, case-insensitive: ``example.com`` does not admit ``mail.example.com``); raising
makes Cognito refuse it with ``UserLambdaValidationException`` ("PreSignUp failed with
error ..."), and no user is created. Users an administrator creates
(``PreSignUp_AdminCreateUser``, IAM-authorised) always pass. The event is returned
unchanged: nobody is auto-confirmed or auto-verified.

Standard library only: modules/auth deploys the functions artifact without the
dependencies layer, which keeps this trigger's cold start inside Cognito's 5 s budget.
"""

from __future__ import annotations

import logging
from typing import Any

from aipic.errors import PermanentError
from aipic.settings import sign_up_settings

ADMIN_CREATED = "PreSignUp_AdminCreateUser"
REFUSAL = "Sign-up is not open to email addresses at this domain"

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)


class SignUpRefusedError(PermanentError):
    """The sign-up is refused; Cognito shows the message to the caller."""


def email_domain(email: str) -> str | None:
    """The domain of ``local@domain`` in lower case, or None if it is not an address."""
    local, at, domain = email.strip().rpartition("@")
    domain = domain.lower().rstrip(".")
    if not at or not local or not domain or any(c.isspace() for c in domain):
        return None
    return domain


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    trigger = event.get("triggerSource")
    if trigger == ADMIN_CREATED:
        return event
    allowed = sign_up_settings().allowed_email_domains
    attributes = (event.get("request") or {}).get("userAttributes") or {}
    email = attributes.get("email")
    domain = email_domain(email) if isinstance(email, str) else None
    if domain is None or domain not in allowed:
        # The domain only: the address itself stays out of the logs.
        logger.warning("sign-up refused: trigger %s, email domain %r", trigger, domain)
        raise SignUpRefusedError(REFUSAL)
    logger.info("sign-up allowed: trigger %s, email domain %r", trigger, domain)
    return event
