"""IL402 destination-subset-not-found: a route or mirror names a subset no applicable DestinationRule
defines for that host."""

from __future__ import annotations

from ...hosts import visible_to
from ..bounds import first_few
from ...references import ROOT_NAMESPACE, registry, resolved_destinations

CODE = "IL402"
KINDS = ("VirtualService",)
MAX_LISTED = 20  # subsets listed in a message before "and N more"


def _applies(rule, consumers: set[str], service_namespaces: set[str]) -> bool:
    """Istio uses a DestinationRule of the client's namespace, else of the service's namespace, else of
    the root namespace, provided it is exported to the client's namespace."""
    ns = rule.resource.namespace
    if ns not in consumers | service_namespaces | {ROOT_NAMESPACE}:
        return False
    return any(visible_to(rule.export_to, ns, c) for c in consumers)


def _rules(ctx, reg, res, consumers: set[str]) -> tuple:
    """The namespaces of the services ``res`` names; the DestinationRules saying something about the
    subsets of its host, those that apply for these clients, the subsets those define, the first rule
    defining each subset, and the subsets to list (kept per run: every route to the host asks the same)."""
    # A resolution is shared by every destination naming the same host from the same namespaces: the
    # answer is kept by its identity first, then by what it depends on.
    by_resolution = ctx.index.memo("references.subset-rules:by-resolution", lambda ix: {})
    found = by_resolution.get(id(res))
    if found is not None and found[0] is res:
        return found[1]
    service_namespaces = {t.resource.namespace for t in res.targets}
    if res.service is not None:
        service_namespaces.add(res.service[1])
    host = res.host
    cache = ctx.index.memo("references.subset-rules", lambda ix: {})
    key = (host, frozenset(consumers), frozenset(service_namespaces))
    found = cache.get(key)
    if found is None:
        rules = reg.subset_rules_for(host)
        applicable = [r for r in rules if _applies(r, consumers, service_namespaces)]
        first_defining: dict = {}  # subset -> the first DestinationRule (of all) defining it
        for r in rules:
            for s in r.subsets:
                first_defining.setdefault(s, r)
        defined = sorted({s for r in applicable or rules for s in r.subsets})
        found = cache[key] = (rules, applicable, {s for r in applicable for s in r.subsets}, first_defining, defined)
    found = (service_namespaces,) + found
    by_resolution[id(res)] = (res, found)
    return found


def check(resource, ctx):
    resolved = resolved_destinations(ctx.index, resource, ctx.settings.cluster_domain)
    consumers = resolved.consumers
    reg = None
    for path, _, _, subset, _, _, _, resolution in resolved.entries:
        if subset is None or resolution is None:
            continue  # no subset, or not a host we can look up
        res = resolved.resolutions[resolution]
        if reg is None:
            reg = registry(ctx.index, ctx.settings.cluster_domain)
        service_namespaces, rules, applicable, defined_here, first_defining, defined = _rules(ctx, reg, res,
                                                                                              consumers)
        if subset in defined_here:
            continue
        path = path + ("subset",)
        rule = first_defining.get(subset)
        if rule is not None:
            other = rule.resource
            clients = ", ".join(sorted(consumers))
            if other.namespace in consumers | service_namespaces | {ROOT_NAMESPACE}:
                export = ", ".join(str(e) for e in rule.export_to or [])
                why = f"it is not exported to namespace {clients} (exportTo: [{export}])"
            else:
                why = (f"a DestinationRule is taken from the client's namespace ({clients}), the service's "
                       f"namespace or {ROOT_NAMESPACE}, not from {other.namespace}")
            yield ctx.finding(resource, path, (
                f'subset "{subset}" of {res.host} is defined by DestinationRule {other.namespace}/{other.name}, '
                f"which does not apply here: {why}; requests to this subset fail (503)"),
                related=[ctx.related(other, ("metadata", "name"), "the subset is defined here")])
            continue
        if rules:
            first = (applicable or rules)[0].resource
            listed = first_few(defined, MAX_LISTED) if defined else "none"
            yield ctx.finding(resource, path, (
                f'no DestinationRule for {res.host} defines subset "{subset}" (subsets defined: {listed}); '
                "requests routed to it fail (503): add the subset or fix the name"),
                related=[ctx.related(first, ("spec", "subsets"), "subsets of this host are defined here")])
            continue
        if ctx.settings.strict_references:
            yield ctx.finding(resource, path, (
                f'subset "{subset}" is used but no DestinationRule for {res.host} defines subsets; '
                "requests routed to it fail (503): add a DestinationRule with this subset"))
