"""AppSync's schema extras: its scalars and directives, and the authorization rules and
subscription triggers the directives express.

AppSync accepts a schema that uses its scalars (AWSJSON, AWSDateTime, ...) and directives
(@aws_iam, @aws_cognito_user_pools, @aws_subscribe, ...) without declaring them; graphql-core
needs them declared, so ``build_appsync_schema`` adds the missing declarations and gives
each scalar AppSync's parsing (AWSJSON input arrives in resolvers parsed, not as a string).

Authorization rules (AppSync's, for the default and additional modes):
- a field or type with no auth directive is open to the default mode only;
- directives on a type apply to its fields that carry none themselves;
- directives on a field replace its type's;
- ``cognito_groups`` limits a Cognito rule to users in one of the groups.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from graphql import (
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    build_ast_schema,
    parse,
    value_from_ast_untyped,
)
from graphql.language import (
    ArgumentNode,
    DirectiveDefinitionNode,
    DirectiveNode,
    DocumentNode,
    FieldDefinitionNode,
    IntValueNode,
    ListValueNode,
    ScalarTypeDefinitionNode,
    StringValueNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    ValueNode,
)

from local.appsync.executor import AuthMode

Json = Any

# Where AppSync's directives may stand (FIELD_DEFINITION and OBJECT; INTERFACE as AppSync
# accepts auth directives on interfaces too).
APPSYNC_DIRECTIVES_SDL = """
directive @aws_iam on OBJECT | FIELD_DEFINITION | INTERFACE
directive @aws_cognito_user_pools(cognito_groups: [String]) on OBJECT | FIELD_DEFINITION | INTERFACE
directive @aws_auth(cognito_groups: [String]) on FIELD_DEFINITION
directive @aws_api_key on OBJECT | FIELD_DEFINITION | INTERFACE
directive @aws_oidc on OBJECT | FIELD_DEFINITION | INTERFACE
directive @aws_lambda on OBJECT | FIELD_DEFINITION | INTERFACE
directive @aws_subscribe(mutations: [String]) on FIELD_DEFINITION
directive @aws_publish(subscriptions: [String]) on FIELD_DEFINITION
"""

# The auth directives and the authentication type each one admits.
AUTH_DIRECTIVES: Mapping[str, str] = {
    "aws_iam": AuthMode.IAM.value,
    "aws_cognito_user_pools": AuthMode.COGNITO_USER_POOLS.value,
    "aws_auth": AuthMode.COGNITO_USER_POOLS.value,
    "aws_api_key": "API_KEY",
    "aws_oidc": "OPENID_CONNECT",
    "aws_lambda": "AWS_LAMBDA",
}


# --- scalars ---

_TZ = r"(?:Z|[+-]\d{2}:\d{2}(?::\d{2})?)"
_TIME = r"\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?"
_DATE = r"-?\d{4,}-\d{2}-\d{2}"
_PATTERNS = {
    "AWSDate": re.compile(rf"^{_DATE}{_TZ}?$"),
    "AWSTime": re.compile(rf"^{_TIME}{_TZ}?$"),
    "AWSDateTime": re.compile(rf"^{_DATE}T{_TIME}{_TZ}$"),
    "AWSEmail": re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
    "AWSPhone": re.compile(r"^\+?[\d\s().-]{3,}$"),
}


def _checked_text(name: str, check: Callable[[str], bool]) -> Callable[[Json], str]:
    def parse_value(value: Json) -> str:
        if not isinstance(value, str) or not check(value):
            raise GraphQLError(f"{value!r} is not a valid {name}")
        return value

    return parse_value


def _matches(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    return lambda text: pattern.match(text) is not None


def _is_url(text: str) -> bool:
    parsed = urlparse(text)
    return bool(parsed.scheme and (parsed.netloc or parsed.scheme in {"mailto", "urn"}))


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True


def _parse_json(value: Json) -> Json:
    if not isinstance(value, str):
        raise GraphQLError(f"AWSJSON must be a string, not {value!r}")
    try:
        return json.loads(value)
    except ValueError:
        raise GraphQLError(f"{value!r} is not valid JSON") from None


def _serialize_json(value: Json) -> str:
    # A string a resolver returns is taken as JSON text already; anything else is encoded.
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _parse_timestamp(value: Json) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise GraphQLError(f"{value!r} is not an AWSTimestamp")
    return value


def _scalar_parsers() -> dict[str, Callable[[Json], Json]]:
    parsers: dict[str, Callable[[Json], Json]] = {
        name: _checked_text(name, _matches(pattern)) for name, pattern in _PATTERNS.items()
    }
    parsers["AWSURL"] = _checked_text("AWSURL", _is_url)
    parsers["AWSIPAddress"] = _checked_text("AWSIPAddress", _is_ip)
    parsers["AWSJSON"] = _parse_json
    parsers["AWSTimestamp"] = _parse_timestamp
    return parsers


APPSYNC_SCALARS = tuple(sorted(_scalar_parsers()))


def _literal_coercer(coerce_input: Callable[[Json], Json]) -> Callable[[ValueNode], Json]:
    def coerce_input_literal(node: ValueNode) -> Json:
        if isinstance(node, StringValueNode | IntValueNode):
            return coerce_input(value_from_ast_untyped(node))
        raise GraphQLError(f"Expected a literal string or integer, found {type(node).__name__}")

    return coerce_input_literal


def _install_scalars(schema: GraphQLSchema) -> None:
    # graphql-core 3.3 reads coerce_input_value / coerce_input_literal / coerce_output_value.
    outputs: dict[str, Callable[[Json], Json]] = {
        "AWSJSON": _serialize_json,
        "AWSTimestamp": _parse_timestamp,
    }
    for name, coerce_input in _scalar_parsers().items():
        scalar = schema.type_map.get(name)
        if not isinstance(scalar, GraphQLScalarType):
            continue
        scalar.coerce_input_value = coerce_input
        scalar.coerce_input_literal = _literal_coercer(coerce_input)
        if name in outputs:
            scalar.coerce_output_value = outputs[name]


def build_appsync_schema(sdl: str) -> GraphQLSchema:
    """The schema AppSync serves for this SDL (its scalars and directives declared)."""
    document = parse(sdl)
    declared = {
        definition.name.value
        for definition in document.definitions
        if isinstance(definition, ScalarTypeDefinitionNode | DirectiveDefinitionNode)
    }
    extras = parse(APPSYNC_DIRECTIVES_SDL + "".join(f"scalar {name}\n" for name in APPSYNC_SCALARS))
    missing = [
        definition
        for definition in extras.definitions
        if isinstance(definition, ScalarTypeDefinitionNode | DirectiveDefinitionNode)
        and definition.name.value not in declared
    ]
    schema = build_ast_schema(DocumentNode(definitions=(*document.definitions, *missing)))
    _install_scalars(schema)
    return schema


# --- directives read from the schema ---


def _argument_strings(directive: DirectiveNode, name: str) -> tuple[str, ...] | None:
    argument: ArgumentNode | None = next(
        (a for a in directive.arguments or () if a.name.value == name), None
    )
    if argument is None:
        return None
    value = argument.value
    if isinstance(value, ListValueNode):
        return tuple(v.value for v in value.values if isinstance(v, StringValueNode))
    if isinstance(value, StringValueNode):
        return (value.value,)
    return ()


def _directives(
    nodes: Iterable[TypeDefinitionNode | TypeExtensionNode | FieldDefinitionNode | None],
) -> list[DirectiveNode]:
    return [directive for node in nodes if node is not None for directive in node.directives or ()]


@dataclass(frozen=True)
class AuthRule:
    """Who may read a field: the authentication types admitted and, for Cognito callers,
    the groups one of which they must belong to (None: any user of the pool)."""

    modes: frozenset[str]
    cognito_groups: frozenset[str] | None = None
    explicit: bool = True


def _rule_from(directives: list[DirectiveNode], default_mode: AuthMode) -> AuthRule | None:
    auth = [d for d in directives if d.name.value in AUTH_DIRECTIVES]
    if not auth:
        return None
    modes = frozenset(AUTH_DIRECTIVES[d.name.value] for d in auth)
    groups: set[str] | None = None
    for directive in auth:
        named = _argument_strings(directive, "cognito_groups")
        if directive.name.value == "aws_auth" and default_mode is not AuthMode.COGNITO_USER_POOLS:
            raise ValueError("@aws_auth is only valid when the default mode is Cognito user pools")
        if named is not None:
            groups = (groups or set()) | set(named)
    return AuthRule(modes, frozenset(groups) if groups is not None else None)


class AuthRules:
    """The auth rule of every field of every object and interface type."""

    def __init__(
        self,
        schema: GraphQLSchema,
        default_mode: AuthMode,
        configured_modes: Iterable[AuthMode],
    ) -> None:
        self.default_mode = default_mode
        configured = {mode.value for mode in configured_modes}
        self._rules: dict[tuple[str, str], AuthRule] = {}
        for type_ in schema.type_map.values():
            if type_.name.startswith("__") or not isinstance(
                type_, GraphQLObjectType | GraphQLInterfaceType
            ):
                continue
            type_rule = _rule_from(
                _directives([type_.ast_node, *type_.extension_ast_nodes]), default_mode
            )
            for field_name, graphql_field in type_.fields.items():
                rule = (
                    _rule_from(_directives([graphql_field.ast_node]), default_mode)
                    or type_rule
                    or AuthRule(frozenset({default_mode.value}), explicit=False)
                )
                unknown = rule.modes - configured
                if unknown:
                    raise ValueError(
                        f"{type_.name}.{field_name} names authorization modes the API does not "
                        f"have: {sorted(unknown)} (configured: {sorted(configured)})"
                    )
                self._rules[(type_.name, field_name)] = rule

    def rule(self, type_name: str, field_name: str) -> AuthRule:
        return self._rules.get(
            (type_name, field_name), AuthRule(frozenset({self.default_mode.value}), explicit=False)
        )

    def allows(
        self,
        type_name: str,
        field_name: str,
        mode: AuthMode,
        groups: Iterable[str] = (),
        *,
        cognito_default_action: str = "ALLOW",
    ) -> bool:
        rule = self.rule(type_name, field_name)
        if mode.value not in rule.modes:
            return False
        if mode is not AuthMode.COGNITO_USER_POOLS:
            return True
        if rule.cognito_groups is not None:
            return bool(rule.cognito_groups & set(groups))
        # DENY: a Cognito caller reaches only fields that name one of its groups.
        return cognito_default_action != "DENY"


def subscription_triggers(schema: GraphQLSchema) -> dict[str, tuple[str, ...]]:
    """mutation field name -> the subscription fields its @aws_subscribe names it in."""
    triggers: dict[str, list[str]] = {}
    subscription_type = schema.subscription_type
    if subscription_type is None:
        return {}
    for field_name, graphql_field in subscription_type.fields.items():
        for directive in _directives([graphql_field.ast_node]):
            if directive.name.value != "aws_subscribe":
                continue
            for mutation in _argument_strings(directive, "mutations") or ():
                triggers.setdefault(mutation, []).append(field_name)
    mutation_type = schema.mutation_type
    unknown = sorted(set(triggers) - set(mutation_type.fields if mutation_type else ()))
    if unknown:
        raise ValueError(f"@aws_subscribe names mutations the schema lacks: {unknown}")
    return {mutation: tuple(fields) for mutation, fields in triggers.items()}
