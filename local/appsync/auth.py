"""Who is calling: Cognito user pool tokens and SigV4 (AWS_IAM), checked as AppSync checks
them, and the ``ctx.identity`` AppSync builds for each.

- Cognito: the ``Authorization`` header holds the raw JWT (no "Bearer "). Its RS256
  signature is verified against the pool's JWKS (moto serves it at
  ``<emulator>/<pool id>/.well-known/jwks.json``), ``iss`` must be the pool
  (``https://cognito-idp.<region>.amazonaws.com/<pool id>``), ``token_use`` id or access,
  ``exp`` in the future, and the client id (``aud`` of an ID token, ``client_id`` of an
  access token) must match the API's ``app_id_client_regex`` when it has one.
- AWS_IAM: ``Authorization: AWS4-HMAC-SHA256 ...`` for service ``appsync`` in the API's
  region, dated within 15 minutes, with a signature recomputed by botocore from the
  credentials the endpoint knows (``IamPrincipal``); IAM policies are not evaluated.

PyJWT (with cryptography) does the JWT work: it is the most used Python JWT library,
actively maintained, verifies RS256 through cryptography and checks exp/iss itself.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jwt
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local.appsync.api import ApiDefinition, UserPoolConfig
from local.appsync.executor import AuthMode

Json = Any

SIGV4_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, ?SignedHeaders=(?P<signed>[^,]+), ?"
    r"Signature=(?P<signature>[0-9a-f]{64})$"
)
SIGNATURE_VALIDITY = dt.timedelta(minutes=15)
JWKS_REFRESH_INTERVAL_SECONDS = 30.0
# token_use -> the claim that names the app client (ID tokens: aud; access tokens: client_id).
CLIENT_ID_CLAIMS: Mapping[Json, str] = {"id": "aud", "access": "client_id"}


class AuthenticationError(Exception):
    """The request is refused before any field runs: HTTP ``status`` with AppSync's body."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(f"{status} {error_type}: {message}")
        self.status = status
        self.error_type = error_type
        self.message = message

    def as_body(self) -> dict[str, Json]:
        return {"errors": [{"errorType": self.error_type, "message": self.message}]}


def missing_authorization() -> AuthenticationError:
    return AuthenticationError(401, "UnauthorizedException", "Missing authorization header")


def invalid_token(message: str = "Unable to parse JWT token.") -> AuthenticationError:
    return AuthenticationError(401, "UnauthorizedException", message)


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: the mode it used, ``ctx.identity``, its Cognito groups."""

    mode: AuthMode
    identity: dict[str, Json]
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class IamPrincipal:
    """Credentials the endpoint knows, and who they belong to (the ``ctx.identity`` fields).

    ``username`` as AppSync reports it: the IAM user id, or ``<role id>:<session>`` for a
    role session. The cognito_* fields are set for identity-pool credentials."""

    secret_access_key: str
    account_id: str
    user_arn: str
    username: str
    cognito_identity_pool_id: str | None = None
    cognito_identity_id: str | None = None
    cognito_identity_auth_type: str | None = None
    cognito_identity_auth_provider: str | None = None


IamPrincipalLookup = Callable[[str], IamPrincipal | None]
"""access key id -> its principal, or None when the endpoint does not know the key."""


def static_principals(principals: Mapping[str, IamPrincipal]) -> IamPrincipalLookup:
    known = dict(principals)
    return known.get


# --- Cognito user pools ---


def _fetch_json(url: str, timeout: float) -> Json:
    # Straight to the emulator on loopback, whatever proxy the environment names.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=timeout) as response:
        return json.loads(response.read())


class CognitoTokenVerifier:
    """Verifies a user pool's tokens against its JWKS (fetched lazily, refreshed when a
    token names a key it does not hold, at most every JWKS_REFRESH_INTERVAL_SECONDS)."""

    def __init__(
        self,
        user_pool: UserPoolConfig,
        jwks_url: str,
        *,
        clock: Callable[[], float] = time.time,
        fetch_timeout: float = 5.0,
    ) -> None:
        self.user_pool = user_pool
        self.jwks_url = jwks_url
        self._clock = clock
        self._fetch_timeout = fetch_timeout
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()
        self._client_pattern = (
            re.compile(user_pool.app_id_client_regex) if user_pool.app_id_client_regex else None
        )

    def _key(self, kid: str) -> jwt.PyJWK:
        with self._lock:
            stale = self._fetched_at is None or (
                kid not in self._keys
                and time.monotonic() - self._fetched_at > JWKS_REFRESH_INTERVAL_SECONDS
            )
            if stale:
                try:
                    key_set = jwt.PyJWKSet.from_dict(
                        _fetch_json(self.jwks_url, self._fetch_timeout)
                    )
                except (OSError, ValueError, jwt.PyJWTError) as error:
                    raise AuthenticationError(
                        500, "InternalFailure", f"cannot read the user pool's JWKS: {error}"
                    ) from error
                self._keys = {key.key_id: key for key in key_set.keys if key.key_id}
                self._fetched_at = time.monotonic()
            key = self._keys.get(kid)
        if key is None:
            raise invalid_token()
        return key

    def verify(self, token: str, source_ip: str) -> Caller:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise invalid_token() from None
        if header.get("alg") != "RS256" or not isinstance(header.get("kid"), str):
            raise invalid_token()
        key = self._key(header["kid"])
        try:
            claims: dict[str, Json] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=self.user_pool.issuer,
                options={"require": ["exp", "iss", "sub", "token_use"], "verify_aud": False},
                leeway=0,
            )
        except jwt.ExpiredSignatureError:
            raise invalid_token("Token has expired.") from None
        except jwt.PyJWTError:
            raise invalid_token() from None
        if claims["exp"] <= self._clock():
            raise invalid_token("Token has expired.")
        client_id_claim = CLIENT_ID_CLAIMS.get(claims.get("token_use"))
        if client_id_claim is None:
            raise invalid_token()
        client_id = claims.get(client_id_claim)
        if not isinstance(client_id, str):
            raise invalid_token()
        if self._client_pattern is not None and not self._client_pattern.fullmatch(client_id):
            raise invalid_token()
        return cognito_caller(claims, source_ip, self.user_pool.default_action)


def cognito_caller(claims: Mapping[str, Json], source_ip: str, default_action: str) -> Caller:
    """ctx.identity of a Cognito caller, as AppSync fills it from the token's claims."""
    groups = claims.get("cognito:groups") or []
    username = claims.get("cognito:username") or claims.get("username") or claims["sub"]
    identity = {
        "sub": claims["sub"],
        "issuer": claims["iss"],
        "username": username,
        "claims": dict(claims),
        "sourceIp": [source_ip],
        "defaultAuthStrategy": default_action,
        "groups": list(groups) or None,
    }
    return Caller(AuthMode.COGNITO_USER_POOLS, identity, tuple(groups))


# --- AWS_IAM (SigV4) ---


def _forbidden(error_type: str, message: str) -> AuthenticationError:
    return AuthenticationError(403, error_type, message)


class SigV4Verifier:
    """Recomputes a SigV4 signature for service ``appsync`` with the credentials it knows."""

    def __init__(
        self,
        region: str,
        principals: IamPrincipalLookup,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.region = region
        self._principals = principals
        self._clock = clock

    def verify(
        self,
        headers: Mapping[str, str],
        *,
        url: str,
        body: bytes,
        source_ip: str,
    ) -> Caller:
        """headers: lower-cased names. url: what was signed (scheme://host/path?query)."""
        match = SIGV4_AUTHORIZATION.match(headers.get("authorization", ""))
        if match is None:
            raise _forbidden(
                "IncompleteSignatureException", "Authorization header requires a valid SigV4 value"
            )
        if match["service"] != "appsync" or match["region"] != self.region:
            raise _forbidden(
                "InvalidSignatureException",
                f"Credential should be scoped to a valid region and service: "
                f"got {match['region']}/{match['service']}, expected {self.region}/appsync",
            )
        amz_date = headers.get("x-amz-date", "")
        try:
            signed_at = dt.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
        except ValueError:
            raise _forbidden(
                "IncompleteSignatureException", "the request needs a valid X-Amz-Date header"
            ) from None
        now = dt.datetime.fromtimestamp(self._clock(), dt.UTC)
        if abs(now - signed_at) > SIGNATURE_VALIDITY:
            raise _forbidden(
                "InvalidSignatureException",
                f"Signature expired: {amz_date} is now earlier than "
                f"{(now - SIGNATURE_VALIDITY).strftime('%Y%m%dT%H%M%SZ')}",
            )
        principal = self._principals(match["key"])
        if principal is None:
            raise _forbidden(
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            )
        signed_names = match["signed"].split(";")
        missing = [name for name in signed_names if name not in headers]
        if missing:
            raise _forbidden("IncompleteSignatureException", f"signed headers missing: {missing}")
        request = AWSRequest(
            method="POST",
            url=url,
            data=body,
            headers={name: headers[name] for name in signed_names},
        )
        request.context["timestamp"] = amz_date
        signer = SigV4Auth(
            Credentials(
                match["key"], principal.secret_access_key, headers.get("x-amz-security-token")
            ),
            "appsync",
            self.region,
        )
        expected = signer.signature(
            signer.string_to_sign(request, signer.canonical_request(request)), request
        )
        if expected != match["signature"]:
            raise _forbidden(
                "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided. "
                "Check your AWS Secret Access Key and signing method. Consult the service "
                "documentation for details.",
            )
        return Caller(AuthMode.IAM, iam_identity_of(principal, source_ip))


def iam_identity_of(principal: IamPrincipal, source_ip: str) -> dict[str, Json]:
    return {
        "accountId": principal.account_id,
        "cognitoIdentityPoolId": principal.cognito_identity_pool_id,
        "cognitoIdentityId": principal.cognito_identity_id,
        "sourceIp": [source_ip],
        "username": principal.username,
        "userArn": principal.user_arn,
        "cognitoIdentityAuthType": principal.cognito_identity_auth_type,
        "cognitoIdentityAuthProvider": principal.cognito_identity_auth_provider,
    }


# --- choosing the mode from the headers ---


@dataclass
class Authenticator:
    """Authenticates a request (HTTP or WebSocket) with the API's configured modes.

    The mode follows from the Authorization header, as AppSync chooses it: a SigV4 value
    means AWS_IAM, anything else is taken as a Cognito user pool token."""

    api: ApiDefinition
    cognito: CognitoTokenVerifier | None
    iam: SigV4Verifier | None
    configured_modes: Sequence[AuthMode] = field(init=False)

    def __post_init__(self) -> None:
        self.configured_modes = tuple(provider.mode for provider in self.api.auth_providers)

    def authenticate(
        self, headers: Mapping[str, str], *, url: str, body: bytes, source_ip: str
    ) -> Caller:
        """headers with lower-cased names; url and body as they were signed."""
        authorization = headers.get("authorization")
        if not authorization:
            raise missing_authorization()
        if authorization.startswith("AWS4-"):
            if self.iam is None or AuthMode.IAM not in self.configured_modes:
                raise AuthenticationError(
                    401, "UnauthorizedException", "Valid authorization header not provided."
                )
            return self.iam.verify(headers, url=url, body=body, source_ip=source_ip)
        if self.cognito is None or AuthMode.COGNITO_USER_POOLS not in self.configured_modes:
            raise AuthenticationError(
                401, "UnauthorizedException", "Valid authorization header not provided."
            )
        return self.cognito.verify(authorization, source_ip)
