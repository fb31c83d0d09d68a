"""One root for the package's exceptions, split by what the caller does next.

- ``PermanentError``: the same call gives the same answer (bad input, a refusal, a
  configuration an operator must fix). The picture is marked FAILED with a reason the
  user can act on, or the request is answered 4xx; nothing retries it.
- ``TransientError``: it may pass (the network, a 5xx, throttling). It is retried in a
  bounded way (Lambda's async retries, Replicate's webhook retries, the stream's batch
  retries) and then recorded.
- ``InDoubtError``: neither: the request may have had its effect (a prediction may
  exist), so it is not retried, lest it be paid twice; the webhook adopts what exists
  or the sweeper fails the picture at its deadline.

Every exception ``aipic`` defines derives from exactly one of the three
(tests/handlers/test_errors.py).
"""

from __future__ import annotations


class AipicError(Exception):
    """The root of every exception the package raises on purpose."""


class PermanentError(AipicError):
    """Retrying cannot help."""


class TransientError(AipicError):
    """It may pass: retried (bounded), then recorded."""


class InDoubtError(AipicError):
    """The effect is unknown: never retried blindly."""
