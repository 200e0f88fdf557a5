"""IL401 destination-host-not-found: a VirtualService route or mirror names a host no Service or
ServiceEntry visible from the VirtualService's namespace provides."""

from __future__ import annotations

from ...references import could_hold, describe_missing, registry, resolved_destinations

CODE = "IL401"
KINDS = ("VirtualService",)


def check(resource, ctx):
    resolved = resolved_destinations(ctx.index, resource, ctx.settings.cluster_domain)
    consumers = resolved.consumers
    if not consumers:
        return
    reg = registry(ctx.index, ctx.settings.cluster_domain)
    strict = ctx.settings.strict_references
    for path, mirror, missing, _, _, _, _, number in resolved.entries:
        if missing:
            # Istio rejects a route entry without a destination host; istioctl reports it as a host "".
            what = "mirror" if mirror else "route entry"
            yield ctx.finding(resource, path, f"this {what} has no destination host, so it routes nowhere; "
                                              "set destination.host to a Service or ServiceEntry host")
            continue
        if number is None:
            continue  # not a host we can look up
        res = resolved.resolutions[number]
        if res.found or not could_hold(reg, res, consumers, strict):
            continue
        what = "mirror host" if mirror else "destination host"
        yield ctx.finding(resource, path + ("host",), describe_missing(reg, res, consumers, what))
