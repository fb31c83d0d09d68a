#!/usr/bin/env python3
"""Sign in to an environment's user pool with SRP and print a token, from the command line.

prod's app client allows SRP sign-in only (no ADMIN_USER_PASSWORD_AUTH, so no
`aws cognito-idp admin-initiate-auth`) and requires a TOTP app (MFA ON). The AWS CLI
cannot compute SRP's password proof; pycognito's AWSSRP does, and this script answers
Cognito's challenges in turn:

- PASSWORD_VERIFIER: the SRP proof of the password (the password never leaves here);
- MFA_SETUP (the first sign-in where MFA is required): prints the TOTP secret and an
  otpauth:// URI to add to an authenticator app, then verifies its first code;
- SOFTWARE_TOKEN_MFA: asks for the app's current code;
- NEW_PASSWORD_REQUIRED (a user created with admin-create-user): asks for a new one.

    pip install boto3 pycognito==2024.5.1   # both pinned in requirements-dev.txt
    cd terraform/environments/prod
    ID_TOKEN="$(python ../get_token.py \\
      --user-pool-id "$(terraform output -raw user_pool_id)" \\
      --client-id "$(terraform output -raw user_pool_client_id)" \\
      --username you@example.com)"

The password comes from AIPIC_PASSWORD or a prompt; prompts and the TOTP set-up go to
stderr, so stdout carries only the token (the ID token unless --token says otherwise).
It calls only the unauthenticated Cognito user-pool API: no AWS credentials needed.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import boto3
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP

# Cognito asks at most: password proof, MFA set-up or code, a new password.
MAX_CHALLENGES = 5
TOKEN_FIELDS = {"id": "IdToken", "access": "AccessToken", "refresh": "RefreshToken"}

Ask = Callable[[str], str]
Show = Callable[[str], None]


class SignInError(RuntimeError):
    """Cognito asked for something this script cannot answer."""


def sign_in(
    cognito: BaseClient,
    *,
    user_pool_id: str,
    client_id: str,
    username: str,
    password: str,
    ask: Ask,
    ask_secret: Ask,
    show: Show,
) -> dict[str, Any]:
    """Cognito's AuthenticationResult (IdToken, AccessToken, RefreshToken, ...)."""
    srp = AWSSRP(
        username=username,
        password=password,
        pool_id=user_pool_id,
        client_id=client_id,
        client=cognito,
    )
    auth_parameters = srp.get_auth_params()
    response = cognito.initiate_auth(
        AuthFlow="USER_SRP_AUTH", AuthParameters=auth_parameters, ClientId=client_id
    )
    internal_username = username
    for _ in range(MAX_CHALLENGES):
        if "AuthenticationResult" in response:
            return dict(response["AuthenticationResult"])
        challenge = response.get("ChallengeName", "")
        parameters: Mapping[str, Any] = response.get("ChallengeParameters", {})
        session = response.get("Session")
        if challenge == "PASSWORD_VERIFIER":
            answers = srp.process_challenge(parameters, auth_parameters)
            internal_username = answers["USERNAME"]
        elif challenge == "SOFTWARE_TOKEN_MFA":
            code = ask("Code from your authenticator app: ")
            answers = {"USERNAME": internal_username, "SOFTWARE_TOKEN_MFA_CODE": code}
        elif challenge == "MFA_SETUP":
            session = _set_up_totp(cognito, session, username, user_pool_id, ask, show)
            answers = {"USERNAME": internal_username}
        elif challenge == "NEW_PASSWORD_REQUIRED":
            new_password = ask_secret("New password: ")
            answers = {"USERNAME": internal_username, "NEW_PASSWORD": new_password}
        else:
            raise SignInError(f"Cognito asked for {challenge or 'nothing'}; cannot answer it")
        response = cognito.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName=challenge,
            Session=session,
            ChallengeResponses=answers,
        )
    raise SignInError(f"no tokens after {MAX_CHALLENGES} challenges")


def _set_up_totp(
    cognito: BaseClient, session: str | None, username: str, user_pool_id: str, ask: Ask, show: Show
) -> str | None:
    association = cognito.associate_software_token(Session=session)
    secret = association["SecretCode"]
    issuer = f"aipic {user_pool_id}"
    show(
        "MFA is required: add this account to your authenticator app, then type its code.\n"
        f"  secret: {secret}\n"
        f"  otpauth://totp/{quote(issuer)}:{quote(username)}"
        f"?secret={secret}&issuer={quote(issuer)}"
    )
    verified = cognito.verify_software_token(
        Session=association.get("Session", session),
        UserCode=ask("Code from your authenticator app: "),
        FriendlyDeviceName="aipic-cli",
    )
    if verified.get("Status") != "SUCCESS":
        raise SignInError(f"the authenticator code was not accepted: {verified.get('Status')}")
    next_session: str | None = verified.get("Session", session)
    return next_session


def _prompt(text: str) -> str:
    print(text, end="", file=sys.stderr, flush=True)
    return sys.stdin.readline().strip()


def _show(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--user-pool-id", required=True, help="terraform output user_pool_id")
    parser.add_argument("--client-id", required=True, help="terraform output user_pool_client_id")
    parser.add_argument("--username", required=True, help="the user's email address")
    parser.add_argument(
        "--region", help="the pool's region (default: the user pool id's prefix, e.g. eu-west-1)"
    )
    parser.add_argument("--token", choices=sorted(TOKEN_FIELDS), default="id")
    parser.add_argument("--json", action="store_true", help="print the whole AuthenticationResult")
    parser.add_argument(
        "--endpoint-url", help="another Cognito endpoint, e.g. the local emulator's"
    )
    args = parser.parse_args(argv)

    region = args.region or args.user_pool_id.split("_", 1)[0]
    cognito = boto3.client("cognito-idp", region_name=region, endpoint_url=args.endpoint_url)
    password = os.environ.get("AIPIC_PASSWORD") or getpass.getpass("Password: ")
    try:
        result = sign_in(
            cognito,
            user_pool_id=args.user_pool_id,
            client_id=args.client_id,
            username=args.username,
            password=password,
            ask=_prompt,
            ask_secret=getpass.getpass,
            show=_show,
        )
    except (SignInError, ClientError) as error:
        print(f"get_token: {error}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2) if args.json else result[TOKEN_FIELDS[args.token]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
