"""IL405 destination-rule-host-not-found: a DestinationRule's host matches no Service or ServiceEntry."""

from __future__ import annotations

from ...hosts import is_wildcard
from ...references import checkable_host, consumer_namespaces, could_hold, describe_missing, registry, resolve

CODE = "IL405"
KINDS = ("DestinationRule",)


def check(resource, ctx):
    host = resource.spec.get("host")
    if not checkable_host(host):
        return
    consumers = consumer_namespaces(resource.spec.get("exportTo"), resource.namespace)
    if not consumers:
        return
    reg = registry(ctx.index, ctx.settings.cluster_domain)
    strict = ctx.settings.strict_references
    res = resolve(reg, host, resource.namespace, consumers)
    if res.found:
        return
    if is_wildcard(res.host):
        # A wildcard policy for hosts that may come and go: only a closed world can call it dead.
        if not strict:
            return
    elif not could_hold(reg, res, consumers, strict):
        return
    yield ctx.finding(resource, ("spec", "host"), describe_missing(
        reg, res, consumers, "host", "this DestinationRule applies to no traffic (its policies and subsets are ignored)"))
