"""IL105 destinationrule-invalid: what Istio's admission webhook rejects in a DestinationRule.

Beyond the schema and the CEL duration rules: the host, subsets (unique DNS-label names, valid
labels), every traffic policy (top level, per subset, per port): empty policies, outlier detection,
connection pools, load balancer settings (consistent hash, maglev, locality), client TLS, tunnels,
and exportTo with a workload selector. Repeated port-level settings are a warning (only the first
applies).
"""

from __future__ import annotations

import math
from typing import Any, Iterator

from ...hosts import is_ip
from .common import (
    Report,
    as_dict,
    as_int,
    as_list,
    as_number,
    as_str,
    check_connection_pool,
    check_duration,
    check_export_to,
    check_labels,
    fqdn_problem,
    is_dns_label,
    is_istio,
    nonempty_str,
    port_problem,
    present,
)

CODE = "IL105"
KINDS = ("DestinationRule",)

POLICY_FIELDS = ("outlierDetection", "connectionPool", "loadBalancer", "tls", "portLevelSettings", "tunnel",
                 "proxyProtocol", "retryBudget")
PORT_POLICY_FIELDS = ("outlierDetection", "connectionPool", "loadBalancer", "tls")
TOPOLOGY_LABELS = frozenset(("topology.kubernetes.io/region", "topology.kubernetes.io/zone",
                             "topology.istio.io/subzone"))
MAGLEV_TABLE_LIMIT = 5000011
CONFIGMAP_PREFIX = "configmap://"


def check(resource, ctx) -> Iterator:
    if not is_istio(resource, "DestinationRule"):
        return
    spec = resource.get(("spec",))
    if not isinstance(spec, dict):
        return
    report = Report(ctx, resource)
    namespace = resource.namespace
    host = spec.get("host")
    if isinstance(host, str):
        problem = report.verdicts.wildcard_domain(host)
        if problem:
            yield report.error(("spec", "host"), f"invalid host '{host}': {problem}; Istio rejects it")
    if "trafficPolicy" in spec:
        yield from _traffic_policy(report, spec.get("trafficPolicy"), ("spec", "trafficPolicy"), namespace)
    seen: dict[str, int] = {}
    for i, subset in enumerate(as_list(spec.get("subsets"))):
        if not isinstance(subset, dict):
            continue
        path = ("spec", "subsets", i)
        name = subset.get("name")
        if isinstance(name, str):
            if name in seen:
                yield report.error(path + ("name",), f"subset name '{name}' is used twice; Istio rejects it. Subset "
                                                     "names must be unique",
                                   related=[report.related(("spec", "subsets", seen[name], "name"), "first use")])
            else:
                seen[name] = i
            if name == "":
                yield report.error(path + ("name",), "a subset name cannot be empty; Istio rejects it")
            elif not is_dns_label(name):
                yield report.error(path + ("name",), f"subset name '{name}' is not a DNS label (letters, digits and "
                                                     "'-', at most 63 characters); Istio rejects it")
        yield from check_labels(report, subset.get("labels"), path + ("labels",))
        if "trafficPolicy" in subset:
            yield from _traffic_policy(report, subset.get("trafficPolicy"), path + ("trafficPolicy",), namespace)
    yield from check_export_to(report, spec, namespace, dr_with_selector=spec.get("workloadSelector") is not None)


def _traffic_policy(report: Report, policy: Any, path: tuple, namespace: str | None) -> Iterator:
    if not isinstance(policy, dict):
        return  # null: nothing set; other types: schema-violation
    if not any(present(policy, f) for f in POLICY_FIELDS):
        yield report.error(path, "a trafficPolicy needs at least one setting; Istio rejects an empty one. Remove it")
        return
    if present(policy, "tunnel") and present(policy, "proxyProtocol"):
        yield report.error(path + ("proxyProtocol",), "tunnel and proxyProtocol cannot be set together; Istio "
                                                      "rejects it", key=True)
        return
    outlier = policy.get("outlierDetection")
    yield from _outlier(report, outlier, path + ("outlierDetection",))
    yield from check_connection_pool(report, policy.get("connectionPool"), path + ("connectionPool",))
    yield from _load_balancer(report, policy.get("loadBalancer"), outlier, path + ("loadBalancer",))
    yield from _client_tls(report, policy.get("tls"), path + ("tls",), namespace)
    yield from _port_level(report, policy.get("portLevelSettings"), path + ("portLevelSettings",), namespace)
    yield from _tunnel(report, policy.get("tunnel"), path + ("tunnel",))


def _outlier(report: Report, outlier: Any, path: tuple) -> Iterator:
    if not isinstance(outlier, dict):
        return
    yield from check_duration(report, path + ("baseEjectionTime",), outlier.get("baseEjectionTime"))
    yield from check_duration(report, path + ("interval",), outlier.get("interval"))
    local = as_int(outlier.get("consecutiveLocalOriginFailures"))
    if local and local > 0 and outlier.get("splitExternalLocalOriginErrors") is not True:
        yield report.error(path + ("consecutiveLocalOriginFailures",),
                           "consecutiveLocalOriginFailures counts only when splitExternalLocalOriginErrors is true; "
                           "Istio rejects it otherwise. Set splitExternalLocalOriginErrors: true")
    for field in ("maxEjectionPercent", "minHealthPercent"):
        value = as_int(outlier.get(field))
        if value is not None and not 0 <= value <= 100:
            yield report.error(path + (field,), f"{field} {value} is not a percentage (0-100); Istio rejects it")


def is_prime(x: int) -> bool:
    """Envoy's primality test for maglev table sizes."""
    if 0 < x < 4:
        return True
    if x % 2 == 0:
        return False
    for factor in range(3, math.isqrt(x) + 1, 2):
        if x % factor == 0:
            return False
    return True


def _load_balancer(report: Report, lb: Any, outlier: Any, path: tuple) -> Iterator:
    if not isinstance(lb, dict):
        return
    hashing = lb.get("consistentHash")
    if isinstance(hashing, dict):
        base = path + ("consistentHash",)
        cookie = hashing.get("httpCookie")
        if isinstance(cookie, dict) and cookie.get("name") == "":
            yield report.error(base + ("httpCookie", "name"), "httpCookie needs a name; Istio rejects an empty one")
        ring = as_int(hashing.get("minimumRingSize"))
        algorithm = next((f for f in ("ringHash", "maglev") if present(hashing, f)), None)
        if ring and algorithm:
            yield report.error(base + ("minimumRingSize",), f"minimumRingSize cannot be combined with {algorithm}; "
                                                            f"Istio rejects it. Set the size inside {algorithm}")
        maglev = hashing.get("maglev")
        if isinstance(maglev, dict):
            size = as_int(maglev.get("tableSize"))
            where = base + ("maglev", "tableSize") if "tableSize" in maglev else base + ("maglev",)
            if not size:
                yield report.error(where, "maglev needs a tableSize (a prime number, e.g. 65537); Istio rejects it")
            elif size >= MAGLEV_TABLE_LIMIT:
                yield report.error(where, f"maglev tableSize must be below {MAGLEV_TABLE_LIMIT}; Istio rejects {size}")
            elif not is_prime(size):
                yield report.error(where, f"maglev tableSize {size} is not a prime number; Istio rejects it "
                                          "(65537 is the usual choice)")
    yield from _locality(report, lb.get("localityLbSetting"), outlier, path + ("localityLbSetting",))
    warmup = lb.get("warmup")
    if isinstance(warmup, dict):
        yield from check_duration(report, path + ("warmup", "duration"), warmup.get("duration"))
        aggression = as_number(warmup.get("aggression"))
        if aggression is not None and aggression < 1:
            yield report.error(path + ("warmup", "aggression"), f"warmup aggression {aggression} must be at least 1; "
                                                                "Istio rejects it")


def localities_problem(localities: list[str]) -> str | None:
    """Why a list of localities (region[/zone[/subzone]], optionally ending in '*') is invalid, or None."""
    tree: dict[str, dict[str, set[str]]] = {}
    for locality in localities:
        stars = locality.count("*")
        if stars and (stars > 1 or not locality.endswith("*")):
            return f"locality '{locality}': a '*' may appear once, at the end"
        if "*" in tree:
            return f"locality '{locality}' overlaps an earlier one ('*' covers everything)"
        items = locality.split("/", 2)
        if any(item == "" for item in items):
            return f"locality '{locality}' has an empty region, zone or subzone"
        region = items[0]
        if len(items) == 1:
            if region in tree:
                return f"locality '{locality}' overlaps an earlier one"
            tree[region] = {"*": {"*"}}
        elif len(items) == 2:
            zones = tree.setdefault(region, {})
            if "*" in zones or items[1] in zones:
                return f"locality '{locality}' overlaps an earlier one"
            zones[items[1]] = {"*"}
        else:
            zones = tree.setdefault(region, {})
            if "*" in zones:
                return f"locality '{locality}' overlaps an earlier one"
            subzones = zones.setdefault(items[1], set())
            if "*" in subzones or items[2] in subzones:
                return f"locality '{locality}' overlaps an earlier one"
            subzones.add(items[2])
    return None


def _locality(report: Report, setting: Any, outlier: Any, path: tuple) -> Iterator:
    if not isinstance(setting, dict):
        return
    distribute = as_list(setting.get("distribute"))
    failover = as_list(setting.get("failover"))
    priority = as_list(setting.get("failoverPriority"))
    if distribute and failover:
        yield report.error(path, "distribute and failover cannot both be set; Istio rejects it", key=True)
        return
    if failover and priority:
        for k, label in enumerate(priority):
            if label in TOPOLOGY_LABELS:
                yield report.error(path + ("failoverPriority", k),
                                   f"failoverPriority cannot use the topology label '{label}' together with failover; "
                                   "Istio rejects it")
                return
    sources = []
    for i, entry in enumerate(distribute):
        entry = as_dict(entry)
        if isinstance(entry.get("from"), str):
            sources.append(entry["from"])
        targets = as_dict(entry.get("to"))
        total = 0
        for locality, weight in targets.items():
            weight = as_int(weight)
            if weight is None:
                continue
            if not 1 <= weight <= 100:
                yield report.error(path + ("distribute", i, "to", locality),
                                   f"locality weight {weight} must be between 1 and 100; Istio rejects it")
                return
            total += weight
        if targets and total != 100:
            yield report.error(path + ("distribute", i, "to"), f"the locality weights add up to {total}, not 100; "
                                                               "Istio rejects it", key=True)
            return
        problem = localities_problem([k for k in targets if isinstance(k, str)])
        if problem:
            yield report.error(path + ("distribute", i, "to"), f"{problem}; Istio rejects it", key=True)
    problem = localities_problem(sources)
    if problem:
        yield report.error(path + ("distribute",), f"{problem}; Istio rejects it")
    if (failover or priority) and outlier is None:
        yield report.warning(path, "locality failover needs outlierDetection in the same traffic policy: without it "
                                   "unhealthy endpoints are never ejected, so traffic never fails over", key=True)
    for k, entry in enumerate(failover):
        entry = as_dict(entry)
        source, target = as_str(entry.get("from")) or "", as_str(entry.get("to")) or ""
        where = path + ("failover", k)
        if source == target:
            yield report.error(where, "a failover entry must go from one region to a different one; Istio rejects it")
        if "/" in source or "/" in target:
            yield report.error(where, "failover takes regions only (no zone or subzone); Istio rejects it")
        if "*" in source or "*" in target:
            yield report.error(where, "failover regions cannot contain '*'; Istio rejects it")


def _client_tls(report: Report, tls: Any, path: tuple, namespace: str | None) -> Iterator:
    if not isinstance(tls, dict):
        return
    mode = tls.get("mode")
    credential = as_str(tls.get("credentialName")) or ""
    if credential.startswith(CONFIGMAP_PREFIX):
        reference = credential[len(CONFIGMAP_PREFIX):]
        ref_namespace, slash, name = reference.rpartition("/")
        if not name or (slash and not ref_namespace):
            yield report.error(path + ("credentialName",), f"'{credential}' is not configmap://<name> or "
                                                           "configmap://<namespace>/<name>; Istio rejects it")
        elif slash and ref_namespace != namespace:
            yield report.error(path + ("credentialName",), f"a configmap:// credential must be in the "
                                                           f"DestinationRule's own namespace ({namespace}); Istio "
                                                           "rejects it")
    skip_verify = tls.get("insecureSkipVerify") is True
    if skip_verify and mode == "SIMPLE":
        for field in ("caCertificates", "credentialName", "subjectAltNames"):
            if tls.get(field) not in (None, ""):
                yield report.error(path + (field,), f"{field} has no effect with insecureSkipVerify: true (the "
                                                    "server certificate is not verified); Istio rejects it", key=True)
    if skip_verify and mode == "MUTUAL":
        for field in ("caCertificates", "subjectAltNames"):
            if tls.get(field) not in (None, ""):
                yield report.error(path + (field,), f"{field} has no effect with insecureSkipVerify: true; Istio "
                                                    "rejects it", key=True)
    if mode in ("SIMPLE", "MUTUAL") and credential:
        for field in ("clientCertificate", "caCertificates", "privateKey", "caCrl"):
            if nonempty_str(tls, field):
                yield report.error(path + (field,), f"{field} cannot be set together with credentialName (the "
                                                    "credential holds the certificates); Istio rejects it", key=True)
        return
    if mode == "MUTUAL":
        missing = [f for f in ("clientCertificate", "privateKey") if not nonempty_str(tls, f)]
        if missing:
            yield report.error(path + ("mode",), f"MUTUAL TLS needs {' and '.join(missing)} (or a credentialName); "
                                                 "Istio rejects it. Use ISTIO_MUTUAL for mesh mTLS")


def _port_level(report: Report, settings: Any, path: tuple, namespace: str | None) -> Iterator:
    seen: dict[int, int] = {}
    for k, setting in enumerate(as_list(settings)):
        if not isinstance(setting, dict):
            continue
        where = path + (k,)
        port = setting.get("port")
        if port is None:
            yield report.error(where, "a port-level setting needs a port; Istio rejects it")
        else:
            number = as_int(as_dict(port).get("number"))
            if number is not None:
                if number in seen:
                    yield report.warning(where + ("port", "number"),
                                         f"port {number} already has settings at {path[-1]}[{seen[number]}]: only the "
                                         "first applies. Merge them",
                                         related=[report.related(path + (seen[number], "port", "number"), "first settings")])
                else:
                    seen[number] = k
        if not any(present(setting, f) for f in PORT_POLICY_FIELDS):
            yield report.error(where, "a port-level setting needs outlierDetection, connectionPool, loadBalancer or "
                                      "tls; Istio rejects an empty one")
            continue
        outlier = setting.get("outlierDetection")
        yield from _outlier(report, outlier, where + ("outlierDetection",))
        yield from check_connection_pool(report, setting.get("connectionPool"), where + ("connectionPool",))
        yield from _load_balancer(report, setting.get("loadBalancer"), outlier, where + ("loadBalancer",))
        yield from _client_tls(report, setting.get("tls"), where + ("tls",), namespace)


def _tunnel(report: Report, tunnel: Any, path: tuple) -> Iterator:
    if not isinstance(tunnel, dict):
        return
    protocol = as_str(tunnel.get("protocol"))
    if protocol and protocol not in ("CONNECT", "POST"):
        yield report.error(path + ("protocol",), f"tunnel protocol '{protocol}' must be CONNECT or POST; Istio "
                                                 "rejects it")
    target = tunnel.get("targetHost")
    if isinstance(target, str) and fqdn_problem(target) and not is_ip(target):
        yield report.error(path + ("targetHost",), f"tunnel targetHost '{target}' is not a DNS name or an IP "
                                                   "address; Istio rejects it")
    port = tunnel.get("targetPort")
    if as_int(port) is not None and port_problem(port):
        yield report.error(path + ("targetPort",), f"tunnel target {port_problem(port)}; Istio rejects it")
