"""IL109 requestauthentication-invalid: what Istio's admission webhook rejects in a RequestAuthentication.

Beyond the schema and its CEL rules (jwks or jwksUri, URL schemes, one of selector/targetRefs): a JWT
rule needs an issuer or a jwksUri (whose URL the CEL rule checks), inline jwks must be a JSON Web Key (Set),
claim headers must be plain header names, timeouts whole milliseconds.
"""

from __future__ import annotations

import json
import re
from typing import Iterator

from .common import Report, as_dict, as_list, as_str, check_duration, is_istio

CODE = "IL109"
KINDS = ("RequestAuthentication",)

_SCHEMA_HEADER = re.compile(r"[-_A-Za-z0-9]+")


def check(resource, ctx) -> Iterator:
    if not is_istio(resource, "RequestAuthentication"):
        return
    report = Report(ctx, resource)
    for i, rule in enumerate(as_list(resource.get(("spec", "jwtRules")))):
        if isinstance(rule, dict):
            yield from _jwt_rule(report, rule, ("spec", "jwtRules", i))


def jwks_problem(text: str) -> str | None:
    """Why inline ``jwks`` is not a JSON Web Key or Key Set, or None."""
    try:
        data = json.loads(text)
    except ValueError as err:
        return f"it is not JSON ({err})"
    if not isinstance(data, dict):
        return "it is not a JSON object"
    keys = data.get("keys") if "keys" in data else [data]
    if not isinstance(keys, list):
        return "'keys' is not a list"
    for n, key in enumerate(keys):
        if not isinstance(key, dict) or not isinstance(key.get("kty"), str):
            return f"key {n} has no 'kty' (key type)" if "keys" in data else "it has neither 'keys' nor 'kty'"
    return None


def _jwt_rule(report: Report, rule: dict, path: tuple) -> Iterator:
    issuer = as_str(rule.get("issuer"))
    uri_field = next((f for f in ("jwksUri", "jwks_uri") if as_str(rule.get(f))), None)
    if not issuer and not uri_field:
        yield report.error(path, "a JWT rule needs an issuer or a jwksUri; Istio rejects it")
    jwks = as_str(rule.get("jwks"))
    if jwks:
        problem = jwks_problem(jwks)
        if problem:
            yield report.error(path + ("jwks",), f"jwks is not a JSON Web Key Set: {problem}; Istio rejects it")
    for k, item in enumerate(as_list(rule.get("outputClaimToHeaders"))):
        header = as_str(as_dict(item).get("header"))
        # Other characters break the CRD's own pattern (schema-violation); '_' passes it but not Istio.
        if header and "_" in header and _SCHEMA_HEADER.fullmatch(header):
            yield report.error(path + ("outputClaimToHeaders", k, "header"),
                               f"header '{header}' may contain only letters, digits and '-'; Istio rejects "
                               f"'_' here. Write '{header.replace('_', '-')}'")
    yield from check_duration(report, path + ("timeout",), rule.get("timeout"))
