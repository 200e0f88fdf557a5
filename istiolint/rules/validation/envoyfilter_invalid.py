"""IL110 envoyfilter-invalid: what Istio's admission webhook rejects in an EnvoyFilter's patches.

Beyond the schema and its CEL rules (waypoint matches, one of workloadSelector/targetRefs): every
patch needs applyTo, an operation and (unless it removes) a value; the match must be of the kind the
patch applies to; filter and sub-filter matches need names, and a sub-filter match needs the HTTP
connection manager; Envoy v2 type URLs no longer exist. The proxyVersion regex is regex-invalid's.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from .common import Report, as_dict, as_list, as_str, is_istio

CODE = "IL110"
KINDS = ("EnvoyFilter",)

LISTENER_CLASS = frozenset(("LISTENER", "FILTER_CHAIN", "NETWORK_FILTER", "HTTP_FILTER"))
ROUTE_CLASS = frozenset(("ROUTE_CONFIGURATION", "VIRTUAL_HOST", "HTTP_ROUTE"))
HTTP_CONNECTION_MANAGER = ("envoy.filters.network.http_connection_manager", "envoy.http_connection_manager")
MATCH_KINDS = ("listener", "routeConfiguration", "cluster")
# Type URLs of Envoy's v2 API, which Istio (and Envoy) no longer know.
_V2_TYPE = re.compile(r"(?:^|/)envoy\.[\w.]*\.v2(?:alpha\d*)?\.\w+$")


def check(resource, ctx) -> Iterator:
    if not is_istio(resource, "EnvoyFilter"):
        return
    report = Report(ctx, resource)
    patches = resource.get(("spec", "configPatches"))
    for i, patch in enumerate(as_list(patches)):
        path = ("spec", "configPatches", i)
        if isinstance(patch, dict):  # a null patch is schema-violation's
            yield from _patch(report, patch, path)


def _patch(report: Report, patch: dict, path: tuple) -> Iterator:
    apply_to = patch.get("applyTo")
    if apply_to is None or apply_to == "INVALID":
        yield report.error(path + ("applyTo",) if "applyTo" in patch else path,
                           "the patch needs applyTo (what it changes: LISTENER, HTTP_FILTER, CLUSTER, ...); Istio "
                           "rejects it")
        return
    body = patch.get("patch")
    if not isinstance(body, dict):
        if body is None:
            yield report.error(path, "the config patch needs a patch (operation and value); Istio rejects it")
        return
    operation = body.get("operation")
    if operation is None or operation == "INVALID":
        yield report.error(path + ("patch", "operation") if "operation" in body else path + ("patch",),
                           "the patch needs an operation (MERGE, ADD, REMOVE, INSERT_BEFORE, ...); Istio rejects it",
                           key="operation" not in body)
        return
    if operation != "REMOVE" and body.get("value") is None:
        yield report.error(path + ("patch",), f"the patch needs a value for operation {operation}; Istio rejects "
                                              "it. Only REMOVE works without one", key=True)
        return
    if not isinstance(apply_to, str):
        return
    match = patch.get("match")
    if isinstance(match, dict):
        yield from _match(report, apply_to, match, path + ("match",))
    yield from _type_urls(report, body.get("value"), path + ("patch", "value"))


def _match(report: Report, apply_to: str, match: dict, path: tuple) -> Iterator:
    kind = next((k for k in MATCH_KINDS if match.get(k) is not None), None)
    if kind is None:
        return  # no object match (or a waypoint match, which fits every applyTo)
    expected = "listener" if apply_to in LISTENER_CLASS else "routeConfiguration" if apply_to in ROUTE_CLASS \
        else "cluster" if apply_to == "CLUSTER" else None
    if expected and kind != expected:
        yield report.error(path + (kind,), f"applyTo {apply_to} needs a {expected} match, not a {kind} match; Istio "
                                           "rejects it", key=True)
        return
    if kind != "listener":
        return
    filter_match = as_dict(as_dict(match["listener"]).get("filterChain")).get("filter")
    if not isinstance(filter_match, dict):
        return
    base = path + ("listener", "filterChain", "filter")
    if apply_to in ("LISTENER", "FILTER_CHAIN"):
        yield report.warning(base, f"a filter match has no effect with applyTo {apply_to}", key=True)
    name = as_str(filter_match.get("name")) or ""
    if not name:
        yield report.error(base, "a filter match needs the filter name; Istio rejects it", key=True)
        return
    sub_filter = filter_match.get("subFilter")
    if isinstance(sub_filter, dict):
        if apply_to != "HTTP_FILTER":
            yield report.error(base + ("subFilter",), "a subFilter match works only with applyTo HTTP_FILTER; Istio "
                                                      "rejects it", key=True)
        elif name not in HTTP_CONNECTION_MANAGER:
            yield report.error(base + ("name",), f"a subFilter match needs the filter "
                                                 f"'{HTTP_CONNECTION_MANAGER[0]}', not '{name}'; Istio rejects it")
        elif not as_str(sub_filter.get("name")):
            yield report.error(base + ("subFilter",), "a subFilter match needs the HTTP filter name; Istio rejects "
                                                      "it", key=True)


def _type_urls(report: Report, value: Any, path: tuple) -> Iterator:
    """Every "@type" in the patch value that names an Envoy v2 type (gone since Istio 1.10)."""
    stack = [(path, value)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, dict):
            for key, item in node.items():
                if key == "@type" and isinstance(item, str) and _V2_TYPE.search(item):
                    yield report.error(where + (key,), f"'{item}' is an Envoy v2 type, which no longer exists; Istio "
                                                       "rejects it. Use the v3 type (envoy.extensions...v3)")
                elif isinstance(item, (dict, list)):
                    stack.append((where + (key,), item))
        elif isinstance(node, list):
            stack.extend((where + (k,), item) for k, item in enumerate(node))
