"""IL409 gateway-credential-not-found: a Gateway server's credentialName names no Secret where the gateway
proxy runs."""

from __future__ import annotations

from ...references import (
    checkable_name,
    close_names,
    format_labels,
    gateway_workloads_present,
    registry,
    select,
    str_map,
)
from ..bounds import first_few

CODE = "IL409"
KINDS = ("Gateway",)


def _credentials(resource):
    servers = resource.spec.get("servers")
    for i, server in enumerate(servers if isinstance(servers, list) else ()):
        tls = server.get("tls") if isinstance(server, dict) else None
        if not isinstance(tls, dict):
            continue
        if isinstance(tls.get("credentialName"), str):
            yield ("spec", "servers", i, "tls", "credentialName"), tls["credentialName"]
        names = tls.get("credentialNames")
        for k, name in enumerate(names if isinstance(names, list) else ()):
            if isinstance(name, str):
                yield ("spec", "servers", i, "tls", "credentialNames", k), name


def check(resource, ctx):
    credentials = [(p, n) for p, n in _credentials(resource) if checkable_name(n)]
    if not credentials:
        return
    reg = registry(ctx.index, ctx.settings.cluster_domain)
    strict = ctx.settings.strict_references
    selector = str_map(resource.spec.get("selector")) or {}
    picked = select(ctx.index, selector, None) if selector else []
    if picked:
        namespaces = sorted({w.namespace for w in picked})
        where = f"where the gateway proxy selected by {format_labels(selector)} runs"
    elif selector and (strict or gateway_workloads_present(ctx.index)):
        return  # the selector picks nothing: IL407 says so, and we cannot tell where the proxy runs
    else:
        namespaces = [resource.namespace]  # the proxy is outside the input; assume the Gateway's namespace
        where = "the Gateway's namespace (its proxy is not in the input)"
    for path, name in credentials:
        if any((ns, name) in reg.secrets for ns in namespaces):
            continue
        # Where the proxy runs is known only when its workload is in the input; only then does a Secret of
        # that name in another namespace say the input could have held this one.
        elsewhere = reg.secrets_by_name.get(name, []) if picked else []
        if not (strict or elsewhere or any(ns in reg.secret_namespaces for ns in namespaces)):
            continue  # closed world: the input holds no Secrets there, so it could not have held this one
        hint = (f" (a Secret {name} exists in namespace {elsewhere[0]}, but a gateway reads its certificates "
                "from its own namespace)") if elsewhere else ""
        close = close_names(name, [n for ns in namespaces for n in reg.secrets_by_namespace.get(ns, ())])
        if close and not hint:
            hint = f" (did you mean {close[0]}?)"
        yield ctx.finding(resource, path, (
            f'no Secret "{name}" in namespace {first_few(namespaces, 20)}, {where}{hint}; the server has no '
            "certificate and its TLS handshakes fail: create the Secret there or fix the name"))
