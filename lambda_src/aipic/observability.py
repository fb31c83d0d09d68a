"""The structured JSON logger every handler shares (Powertools Logger)."""

from __future__ import annotations

import os

from aws_lambda_powertools.logging import Logger

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME") or "aipic")
