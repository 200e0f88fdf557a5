"""IL108 authorizationpolicy-invalid: what Istio's admission webhook rejects in an AuthorizationPolicy.

Beyond the schema and its CEL rules (one of selector/targetRefs, serviceAccounts with principals or
namespaces): action versus rules and provider, empty `from`/`to`/sources/operations, IP blocks,
ports, service accounts, path templates, and `when` conditions (known keys, valid values). Warnings:
a DENY rule with only HTTP attributes (it also denies all TCP traffic), lower-case methods and paths
that can never match.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from .common import Report, as_dict, as_list, as_str, ip_subnet_problem, is_istio

CODE = "IL108"
KINDS = ("AuthorizationPolicy",)

SOURCE_FIELDS = ("principals", "notPrincipals", "requestPrincipals", "notRequestPrincipals", "namespaces",
                 "notNamespaces", "ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks",
                 "serviceAccounts", "notServiceAccounts")
IP_FIELDS = ("ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks")
SERVICE_ACCOUNT_FIELDS = ("serviceAccounts", "notServiceAccounts")
# Source fields that work on plain TCP (without them a DENY rule matches only HTTP attributes).
TCP_SOURCE_FIELDS = ("principals", "notPrincipals", "namespaces", "notNamespaces", "ipBlocks", "notIpBlocks",
                     "remoteIpBlocks", "notRemoteIpBlocks", "serviceAccounts", "notServiceAccounts")
OPERATION_FIELDS = ("ports", "notPorts", "methods", "notMethods", "paths", "notPaths", "hosts", "notHosts")
CUSTOM_UNSUPPORTED_SOURCES = ("namespaces", "notNamespaces", "serviceAccounts", "notServiceAccounts", "principals",
                              "notPrincipals", "requestPrincipals", "notRequestPrincipals")
CUSTOM_UNSUPPORTED_KEYS = ("source.namespace", "source.serviceAccount", "source.principal")
MAP_KEY_PREFIXES = ("request.headers", "request.experimental.inline.headers", "request.auth.claims",
                    "experimental.envoy.filters.")
PLAIN_KEYS = frozenset(("source.namespace", "source.principal", "request.auth.principal", "request.auth.audiences",
                        "request.auth.presenter", "connection.sni", "source.trustDomain"))
IP_KEYS = frozenset(("source.ip", "remote.ip", "destination.ip"))
KNOWN_KEYS = ("source.ip, remote.ip, source.namespace, source.principal, source.serviceAccount, "
              "request.headers[<name>], request.auth.principal, request.auth.audiences, request.auth.presenter, "
              "request.auth.claims[<name>], destination.ip, destination.port, connection.sni")
_PATH_LITERAL = re.compile(r"[a-zA-Z0-9\-._~%!$&'()+,;:@=]+")


def check(resource, ctx) -> Iterator:
    if not is_istio(resource, "AuthorizationPolicy"):
        return
    spec = resource.get(("spec",))
    if not isinstance(spec, dict):
        return
    report = Report(ctx, resource)
    action = spec.get("action") if isinstance(spec.get("action"), str) else "ALLOW"
    rules = spec.get("rules")
    action_path = ("spec", "action") if "action" in spec else ("spec",)
    provider = spec.get("provider")
    if action == "CUSTOM":
        if rules is None:
            yield report.error(action_path, "a CUSTOM policy without rules is never triggered; Istio rejects it. Add "
                                            "rules, or one empty rule `- {}` to send every request to the provider")
        elif not as_str(as_dict(provider).get("name")):
            yield report.error(("spec", "provider") if "provider" in spec else action_path,
                               "a CUSTOM policy needs provider.name (an extension provider of the mesh config); "
                               "Istio rejects it")
    elif provider is not None:
        yield report.error(("spec", "provider"), f"provider is only for action CUSTOM, and the action is {action}; "
                                                 "Istio rejects it", key=True)
    if action == "DENY" and rules is None:
        yield report.error(action_path, "a DENY policy without rules is never triggered; Istio rejects it. Add rules, "
                                        "or one empty rule `- {}` to deny every request")
    for i, rule in enumerate(as_list(rules)):
        path = ("spec", "rules", i)
        if isinstance(rule, dict):  # a null rule is schema-violation's
            yield from _rule(report, rule, path, action)


def _empty_values(report: Report, values: Any, path: tuple, field: str) -> Iterator:
    for k, value in enumerate(as_list(values)):
        if value == "":
            yield report.error(path + (k,), f"empty value in {field}; Istio rejects it")


def service_account_problem(value: str) -> str | None:
    if "*" in value:
        return "a wildcard is not allowed in a service account"
    if value.count("/") > 1:
        return f"'{value}' must be <serviceAccount> or <namespace>/<serviceAccount>"
    namespace, slash, account = value.partition("/")
    if slash and not namespace:
        return f"'{value}' has an empty namespace"
    if slash and not account:
        return f"'{value}' has an empty service account"
    return None


def _service_accounts(report: Report, values: Any, path: tuple, field: str) -> Iterator:
    for k, value in enumerate(as_list(values)):
        if value == "":
            yield report.error(path + (k,), f"empty value in {field}; Istio rejects it")
        elif isinstance(value, str):
            problem = service_account_problem(value)
            if problem:
                yield report.error(path + (k,), f"{problem}; Istio rejects it")


def _ips(report: Report, values: Any, path: tuple) -> Iterator:
    for k, value in enumerate(as_list(values)):
        if isinstance(value, str) and value:
            problem = ip_subnet_problem(value)
            if problem:
                yield report.error(path + (k,), f"{problem}; Istio rejects it")


def _ports(report: Report, values: Any, path: tuple) -> Iterator:
    for k, value in enumerate(as_list(values)):
        if isinstance(value, str) and value and not (value.isdigit() and value.isascii() and int(value) <= 65535):
            yield report.error(path + (k,), f"port '{value}' must be a number from 0 to 65535 (as a string); Istio "
                                            "rejects it")


def path_template_problem(path: str) -> str | None:
    """Istio's check of {*} and {**} path templates."""
    has_template = "{*}" in path or "{**}" in path
    found_any = False
    for segment in path.strip("/").split("/"):
        if segment in ("{*}", "{**}") and found_any:
            return "{**} must be the last operator of the path"
        if segment == "{*}":
            continue
        if segment == "{**}":
            found_any = True
            continue
        if "{" in segment or "}" in segment:
            return "'{' and '}' are only allowed as whole {*} or {**} segments"
        if has_template and not _PATH_LITERAL.fullmatch(segment):
            return f"segment '{segment}' has characters a path template cannot contain"
    return None


def _paths(report: Report, values: Any, path: tuple, field: str) -> Iterator:
    for k, value in enumerate(as_list(values)):
        if not isinstance(value, str) or not value:
            continue
        problem = path_template_problem(value)
        if problem:
            yield report.error(path + (k,), f"invalid path '{value}' in {field}: {problem}; Istio rejects it")
            continue
        if value == "*" or "{" in value:
            continue
        if not value.startswith(("/", "*")):
            yield report.warning(path + (k,), f"path '{value}' does not start with '/': request paths always do, so it "
                                              "never matches. Write '/" + value + "'")
        elif "*" in value.strip("*"):
            yield report.warning(path + (k,), f"path '{value}' has a '*' in the middle, which matches only a literal "
                                              "'*'; '*' works only at the start or end. Use {*} or {**} templates")


def _methods(report: Report, values: Any, path: tuple) -> Iterator:
    for k, value in enumerate(as_list(values)):
        if isinstance(value, str) and value != value.upper():
            yield report.warning(path + (k,), f"method '{value}' never matches: HTTP methods are upper case. Write "
                                              f"'{value.upper()}'")


def key_problem(key: str) -> str | None:
    """Why Istio rejects this `when` key, or None (the key half of security.ValidateAttribute)."""
    if key.startswith(MAP_KEY_PREFIXES):
        open_at = key.find("[")
        if not (key.endswith("]") and 0 < open_at < len(key) - 2):
            return f"'{key}' must have the form {key.split('[')[0]}[<name>]"
        return None
    if key in IP_KEYS or key in PLAIN_KEYS or key in ("source.serviceAccount", "destination.port"):
        return None
    if key == "destination.namespace":
        return "destination.namespace is replaced by the policy's own namespace (metadata.namespace)"
    if key.startswith("destination.labels"):
        return "destination.labels is replaced by the policy's selector"
    if key in ("destination.name", "destination.user"):
        return f"{key} was only supported by the old v1alpha1 API"
    stem, bracket, rest = key.partition("[")
    import difflib  # an unknown key: rare

    close = difflib.get_close_matches(stem, [*MAP_KEY_PREFIXES, *IP_KEYS, *PLAIN_KEYS, "source.serviceAccount",
                                             "destination.port"], n=1, cutoff=0.8)
    if close and close[0] != stem:
        return f"unknown attribute '{key}'; did you mean '{close[0]}{bracket}{rest}'?"
    return f"unknown attribute '{key}'; known keys: {KNOWN_KEYS}"


def value_problem(key: str, value: str) -> str | None:
    """Why Istio rejects this value of a `when` condition with a valid key, or None."""
    if value == "":
        return "empty values are not allowed"
    if key in IP_KEYS:
        return ip_subnet_problem(value)
    if key == "source.serviceAccount":
        return service_account_problem(value)
    if key == "destination.port" and not (value.isdigit() and value.isascii() and int(value) <= 65535):
        return f"port '{value}' must be a number from 0 to 65535"
    return None


def _rule(report: Report, rule: dict, path: tuple, action: str) -> Iterator:
    sources = rule.get("from")
    if isinstance(sources, list) and not sources:
        # Decoded from YAML, an empty list is the same as no list: it matches any source, not none.
        yield report.warning(path + ("from",), "an empty `from` list matches any source (as if it were absent), not "
                                               "no source; remove it, or list the sources", key=True)
    from_exists = tcp_in_from = False
    for j, item in enumerate(as_list(sources)):
        where = path + ("from", j)
        source = as_dict(item).get("source")
        if not isinstance(source, dict):
            if source is None:
                yield report.error(where, "a `from` entry needs a source; Istio rejects it")
            continue
        from_exists = True
        base = where + ("source",)
        if not any(as_list(source.get(f)) for f in SOURCE_FIELDS):
            yield report.error(base, "the source is empty; Istio rejects it. Remove the `from` entry to match any "
                                     "source")
        for field in IP_FIELDS:
            yield from _ips(report, source.get(field), base + (field,))
        for field in SOURCE_FIELDS:
            if field in SERVICE_ACCOUNT_FIELDS:
                yield from _service_accounts(report, source.get(field), base + (field,), field)
            else:
                yield from _empty_values(report, source.get(field), base + (field,), field)
        if any(source.get(f) is not None for f in TCP_SOURCE_FIELDS):
            tcp_in_from = True
        if action == "CUSTOM":
            for field in CUSTOM_UNSUPPORTED_SOURCES:
                if as_list(source.get(field)):
                    yield report.error(base + (field,), f"{field} is not supported with action CUSTOM; Istio rejects "
                                                        "it", key=True)
    operations = rule.get("to")
    if isinstance(operations, list) and not operations:
        yield report.warning(path + ("to",), "an empty `to` list matches any operation (as if it were absent), not "
                                             "no operation; remove it, or list the operations", key=True)
    to_exists = tcp_in_to = False
    for j, item in enumerate(as_list(operations)):
        where = path + ("to", j)
        operation = as_dict(item).get("operation")
        if not isinstance(operation, dict):
            if operation is None:
                yield report.error(where, "a `to` entry needs an operation; Istio rejects it")
            continue
        to_exists = True
        base = where + ("operation",)
        if not any(as_list(operation.get(f)) for f in OPERATION_FIELDS):
            yield report.error(base, "the operation is empty; Istio rejects it. Remove the `to` entry to match any "
                                     "operation")
        for field in ("ports", "notPorts"):
            yield from _ports(report, operation.get(field), base + (field,))
        for field in OPERATION_FIELDS:
            yield from _empty_values(report, operation.get(field), base + (field,), field)
        for field in ("paths", "notPaths"):
            yield from _paths(report, operation.get(field), base + (field,), field)
        for field in ("methods", "notMethods"):
            yield from _methods(report, operation.get(field), base + (field,))
        if operation.get("ports") is not None or operation.get("notPorts") is not None:
            tcp_in_to = True
    for j, condition in enumerate(as_list(rule.get("when"))):
        where = path + ("when", j)
        condition = as_dict(condition)
        key = condition.get("key")
        if not isinstance(key, str):
            continue
        if key == "":
            yield report.error(where + ("key",), "a `when` condition needs a key; Istio rejects an empty one")
            continue
        if action == "CUSTOM" and (key in CUSTOM_UNSUPPORTED_KEYS or key.startswith("request.auth.")):
            yield report.error(where + ("key",), f"'{key}' is not supported with action CUSTOM; Istio rejects it")
        values, not_values = as_list(condition.get("values")), as_list(condition.get("notValues"))
        if not values and not not_values:
            yield report.error(where, f"condition '{key}' needs values or notValues; Istio rejects it")
            continue
        problem = key_problem(key)
        if problem:
            yield report.error(where + ("key",), f"invalid condition: {problem}; Istio rejects it")
            continue
        for field, items in (("values", values), ("notValues", not_values)):
            for k, value in enumerate(items):
                problem = value_problem(key, value) if isinstance(value, str) else None
                if problem:
                    yield report.error(where + (field, k), f"invalid value for '{key}': {problem}; Istio rejects it")
    if action == "DENY" and ((from_exists and not to_exists and not tcp_in_from) or (to_exists and not tcp_in_to)):
        yield report.warning(path, "this DENY rule uses only HTTP attributes, so on TCP ports it cannot be evaluated "
                                   "and denies all traffic to them; add ports to the operation to limit it")
