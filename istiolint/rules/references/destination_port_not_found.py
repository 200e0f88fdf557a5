"""IL403 destination-port-not-found: a destination port that the Service or ServiceEntry does not expose."""

from __future__ import annotations

from ...references import resolved_destinations

CODE = "IL403"
KINDS = ("VirtualService",)


def known_ports(res) -> tuple[set[int], str] | None:
    """Ports of every visible target, or None when any of them has ports we cannot know."""
    ports: set[int] = set()
    for target in res.visible:
        if target.ports is None:
            return None
        ports.update(target.ports)
    if not res.visible:
        return None
    return ports, res.visible[0].label


def check(resource, ctx):
    resolved = resolved_destinations(ctx.index, resource, ctx.settings.cluster_domain)
    for path, _, _, _, number, _, _, resolution in resolved.entries:
        if number is None or resolution is None:
            continue  # no integer port number, or not a host we can look up
        res = resolved.resolutions[resolution]
        known = known_ports(res)
        if known is None or number in known[0]:
            continue
        ports, label = known
        listed = ", ".join(str(p) for p in sorted(ports))
        yield ctx.finding(resource, path + ("port", "number"), (
            f"{label} has no port {number} (its ports: {listed}); Istio builds no cluster for "
            f"{res.host}:{number} and requests fail (503): use one of the service ports"))
