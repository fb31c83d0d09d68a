"""Keep a local run away from any real AWS account the machine is configured for."""

from __future__ import annotations

import os
from pathlib import Path

# Fake credentials: moto accepts any; nothing here may reach a real account.
FAKE_ACCESS_KEY_ID = "AKIALOCALDEMO0000000"
FAKE_SECRET_ACCESS_KEY = "local-demo-secret-access-key-not-a-real-one"  # noqa: S105 - fake


def isolate_from_real_aws(config_dir: Path) -> None:
    """Fake credentials, no profile, no user config: nothing here can reach a real account."""
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL") or name in {
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
            "AWS_SESSION_TOKEN",
            "AWS_SECURITY_TOKEN",
            "AWS_ROLE_ARN",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        }:
            del os.environ[name]
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_ACCESS_KEY,
            "AWS_CONFIG_FILE": str(config_dir / "aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(config_dir / "aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            # Every server is on loopback: a configured proxy must not see the traffic.
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }
    )
