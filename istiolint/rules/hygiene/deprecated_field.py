"""deprecated-field (IL120): Istio API fields that are deprecated or ignored.

- VirtualService ``http[].fault.delay.percent``: replaced by ``percentage`` (reported when non-zero, as
  Istio does);
- VirtualService ``http[].mirrorPercent`` / ``mirror_percent``: replaced by ``mirrorPercentage``;
- Sidecar ``outboundTrafficPolicy.egressProxy``: ignored by Istio;
- DestinationRule ``loadBalancer.consistentHash.minimumRingSize``: replaced by
  ``consistentHash.ringHash.minimumRingSize``;
- DestinationRule ``loadBalancer.warmupDurationSecs``: replaced by ``loadBalancer.warmup``.

One finding per field and resource, at its first use (the others as related locations).
"""

from __future__ import annotations

from typing import Iterator

from ..bounds import capped
from .common import as_dict, as_list, int_value

CODE = "IL120"
KINDS = ("VirtualService", "Sidecar", "DestinationRule")


def _virtual_service(resource) -> Iterator[tuple[str, tuple]]:
    for i, route in enumerate(as_list(resource.spec.get("http"))):
        route = as_dict(route)
        delay = as_dict(as_dict(route.get("fault")).get("delay"))
        percent = delay.get("percent")
        if int_value(percent) is not None and percent > 0:
            yield "fault.delay.percent", ("spec", "http", i, "fault", "delay", "percent")
        for key in ("mirrorPercent", "mirror_percent"):
            if route.get(key) is not None:
                yield "mirrorPercent", ("spec", "http", i, key)


def _sidecar(resource) -> Iterator[tuple[str, tuple]]:
    if isinstance(as_dict(resource.spec.get("outboundTrafficPolicy")).get("egressProxy"), dict):
        yield "egressProxy", ("spec", "outboundTrafficPolicy", "egressProxy")


def _load_balancers(resource) -> Iterator[tuple[tuple, dict]]:
    def of_policy(path: tuple, policy: dict):
        if isinstance(policy.get("loadBalancer"), dict):
            yield path + ("loadBalancer",), policy["loadBalancer"]
        for i, setting in enumerate(as_list(policy.get("portLevelSettings"))):
            balancer = as_dict(setting).get("loadBalancer")
            if isinstance(balancer, dict):
                yield path + ("portLevelSettings", i, "loadBalancer"), balancer

    yield from of_policy(("spec", "trafficPolicy"), as_dict(resource.spec.get("trafficPolicy")))
    for j, subset in enumerate(as_list(resource.spec.get("subsets"))):
        yield from of_policy(("spec", "subsets", j, "trafficPolicy"), as_dict(as_dict(subset).get("trafficPolicy")))


def _destination_rule(resource) -> Iterator[tuple[str, tuple]]:
    for path, balancer in _load_balancers(resource):
        if as_dict(balancer.get("consistentHash")).get("minimumRingSize") is not None:
            yield "minimumRingSize", path + ("consistentHash", "minimumRingSize")
        if balancer.get("warmupDurationSecs") is not None:
            yield "warmupDurationSecs", path + ("warmupDurationSecs",)


WHAT = {
    "fault.delay.percent": "fault.delay.percent is deprecated: use fault.delay.percentage (value: 0-100, a double)",
    "mirrorPercent": "mirrorPercent (mirror_percent) is deprecated: use mirrorPercentage (value: 0-100, a double)",
    "egressProxy": "outboundTrafficPolicy.egressProxy is not implemented by Istio and is ignored: route unknown "
                   "destinations through an egress gateway with a ServiceEntry and VirtualService instead",
    "minimumRingSize": "consistentHash.minimumRingSize is deprecated: use consistentHash.ringHash.minimumRingSize",
    "warmupDurationSecs": "loadBalancer.warmupDurationSecs is deprecated: use loadBalancer.warmup.duration",
}
FIELDS = {"VirtualService": _virtual_service, "Sidecar": _sidecar, "DestinationRule": _destination_rule}


def check(resource, ctx) -> Iterator:
    if not resource.is_istio:
        return
    found: dict[str, list[tuple]] = {}
    for field, path in FIELDS[resource.kind](resource):
        found.setdefault(field, []).append(path)
    for field, paths in found.items():
        yield ctx.finding(resource, paths[0], WHAT[field], key=True,
                          related=capped(ctx.related(resource, p, "also used here", key=True) for p in paths[1:]))
