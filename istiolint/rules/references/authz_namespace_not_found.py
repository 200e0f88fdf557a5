"""IL410 authz-namespace-not-found: an AuthorizationPolicy source namespace that matches no namespace."""

from __future__ import annotations

from ...references import close_names, registry

CODE = "IL410"
KINDS = ("AuthorizationPolicy",)


def namespace_matches(pattern: str, namespace: str) -> bool:
    """Istio's string match for source namespaces: exact, `*`, `prefix*` or `*suffix`."""
    if pattern == "*":
        return True
    if pattern.startswith("*"):
        return namespace.endswith(pattern[1:])
    if pattern.endswith("*"):
        return namespace.startswith(pattern[:-1])
    return namespace == pattern


def _matches_some(reg, pattern: str) -> bool:
    """Does the pattern match a known namespace? (An exact name by lookup; patterns once per run.)"""
    if "*" not in pattern:
        return pattern in reg.known_namespaces
    key = ("namespace-pattern", pattern)
    if key not in reg._cache:
        reg._cache[key] = any(namespace_matches(pattern, ns) for ns in reg.known_namespaces)
    return reg._cache[key]


def check(resource, ctx):
    reg = registry(ctx.index, ctx.settings.cluster_domain)
    # Closed world: the input declares Namespace objects, so it could have declared this one.
    if not reg.namespace_objects and not ctx.settings.strict_references:
        return
    known = reg.known_namespaces
    rules = resource.spec.get("rules")
    for i, rule in enumerate(rules if isinstance(rules, list) else ()):
        sources = rule.get("from") if isinstance(rule, dict) else None
        for j, item in enumerate(sources if isinstance(sources, list) else ()):
            source = item.get("source") if isinstance(item, dict) else None
            if not isinstance(source, dict):
                continue
            for field in ("namespaces", "notNamespaces"):
                values = source.get(field)
                for k, pattern in enumerate(values if isinstance(values, list) else ()):
                    if not isinstance(pattern, str) or _matches_some(reg, pattern):
                        continue
                    close = close_names(pattern, known) if "*" not in pattern else []
                    hint = f" (did you mean {close[0]}?)" if close else ""
                    effect = ("this entry never matches a caller" if field == "namespaces"
                              else "this entry excludes nothing")
                    yield ctx.finding(resource, ("spec", "rules", i, "from", j, "source", field, k), (
                        f'{field} entry "{pattern}" matches no namespace of the input{hint}; {effect}: '
                        "fix the name or create the namespace"))
