"""What the input declares, for the reference rules (IL4xx): services, DestinationRules, workloads, Secrets.

One ``Registry`` per run (memoised on the index) answers "which Service or ServiceEntry does this host
name, and is it visible from here?" the way Istio resolves it:

- A dot-less short name is expanded with the namespace of the resource that holds it (never the
  Service's); any host with a dot is literal, so ``reviews.default`` is not the Service ``reviews`` of
  ``default`` (its registry name is ``reviews.default.svc.<cluster domain>``).
- A Kubernetes Service is known by ``name.ns.svc.<domain>`` only and is visible where its
  ``networking.istio.io/exportTo`` annotation says; a ServiceEntry by its hosts exactly as written
  (wildcards by suffix) and visible where ``spec.exportTo`` says.

Every lookup uses all resources of the index, ``--context`` ones included; rules only report on the
resources being analysed (the engine calls them for those only).

**Closed world.** A target missing from the input is reported only when the input "could have held it"
(``could_hold_*`` below) or with ``--strict-references``: files are often linted one at a time, and a
VirtualService naturally routes to a Service of another file.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import Any, Iterator

from .hosts import (
    expand_short_name,
    host_matches,
    hosts_intersect,
    is_ip,
    is_wildcard,
    normalize_host,
    parse_fqdn,
    service_export_to,
    visible_to,
)
from .model import Index, Resource
from .record import field, record
from .workloads import LabelIndex, Workload, workloads

# Istio's config root namespace (meshConfig.rootNamespace defaults to the control plane's namespace):
# DestinationRules there apply mesh-wide; policies there with a selector pick workloads of any namespace.
ROOT_NAMESPACE = "istio-system"
# Namespaces every cluster with Istio has, whether or not the input declares them.
ALWAYS_PRESENT_NAMESPACES = frozenset(("default", "kube-system", "kube-public", "kube-node-lease", ROOT_NAMESPACE))
# The default install's ingress gateway (istio-system, these labels) is assumed to exist, as istioctl does:
# a Gateway selecting `istio: ingressgateway` is the norm and the input rarely holds Istio's own pods.
IMPLICIT_INGRESS_LABELS = {"istio": "ingressgateway", "app": "istio-ingressgateway"}

SERVICE_KINDS = ("Service",)


# --------------------------------------------------------------------------- small helpers


def str_map(value: Any) -> dict[str, str] | None:
    """A label map as Kubernetes stores it (strings); None when it is not a mapping."""
    if not isinstance(value, dict):
        return None
    return {str(k): ("" if v is None else str(v)) for k, v in value.items()}


def format_labels(labels: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in labels.items()) or "(empty)"


# A "did you mean" hint compares the name with every candidate (difflib, ~2 us each): with thousands of
# misspelt references into a namespace of thousands of names that is quadratic. Past this many
# candidates the hint looks only at those sorted nearest the name (a typo usually keeps the start).
HINT_CANDIDATES = 1000
HINT_WINDOW = 100


def close_names(name: str, candidates: Any, n: int = 1, presorted: bool = False) -> list[str]:
    """The candidates closest to ``name`` (difflib ratio at least 0.75); ``presorted``: the candidates are
    already sorted and distinct."""
    pool = candidates if presorted else sorted(set(candidates))
    if len(pool) > HINT_CANDIDATES:
        i = bisect_left(pool, name)
        pool = pool[max(0, i - HINT_WINDOW):i + HINT_WINDOW]
    import difflib  # only for a name that resolves to nothing: not on the start-up path

    return difflib.get_close_matches(name, pool, n=n, cutoff=0.75)


def consumer_namespaces(export_to: Any, own_namespace: str | None) -> set[str]:
    """Namespaces whose proxies use a VirtualService/DestinationRule with this ``exportTo``.

    Unset means everywhere; we then check from the resource's own namespace (it is one of them).
    ``*`` likewise. ``.`` is the own namespace; ``~`` (not valid for these kinds) exports nowhere.
    """
    own = own_namespace or ""
    if not isinstance(export_to, list) or not export_to:
        return {own}
    out: set[str] = set()
    for entry in export_to:
        if not isinstance(entry, str):
            continue
        if entry in (".", "*"):
            out.add(own)
        elif entry != "~":
            out.add(entry)
    return out


# --------------------------------------------------------------------------- the registry


@record(frozen=True)
class Target:
    """A Service or ServiceEntry a host resolves to."""

    resource: Resource
    export_to: list | None
    ports: tuple[int, ...] | None  # None when unknown (not a core Service, or no ports listed)
    host: str  # the registry host that matched (the Service FQDN, or the ServiceEntry host)

    @property
    def kind(self) -> str:
        return self.resource.kind or ""

    @property
    def label(self) -> str:
        return f"{self.kind} {self.resource.namespace}/{self.resource.name}"

    def visible_from(self, namespace: str) -> bool:
        return visible_to(self.export_to, self.resource.namespace, namespace)


@record(frozen=True)
class DestinationRuleInfo:
    resource: Resource
    host: str  # expanded in the DestinationRule's namespace, lower-cased
    subsets: tuple[str, ...]
    export_to: list | None


def _int_ports(items: Any, key: str) -> tuple[int, ...] | None:
    if not isinstance(items, list):
        return None
    ports = [p.get(key) for p in items if isinstance(p, dict)]
    ints = tuple(p for p in ports if isinstance(p, int) and not isinstance(p, bool))
    return ints or None


@record
class Registry:
    cluster_domain: str
    services: dict[tuple[str, str], list[Target]] = field(default_factory=dict)  # (ns, name) -> Services
    entries_exact: dict[str, list[Target]] = field(default_factory=dict)  # literal SE host -> entries
    entries_wild: list[Target] = field(default_factory=list)  # SE wildcard hosts
    service_namespaces: set[str] = field(default_factory=set)
    entries: list[Target] = field(default_factory=list)
    rules: list[DestinationRuleInfo] = field(default_factory=list)
    rules_exact: dict[str, list[DestinationRuleInfo]] = field(default_factory=dict)
    rules_wild: list[DestinationRuleInfo] = field(default_factory=list)
    secrets: set[tuple[str, str]] = field(default_factory=set)
    secret_namespaces: set[str] = field(default_factory=set)
    namespace_objects: set[str] = field(default_factory=set)
    known_namespaces: set[str] = field(default_factory=set)
    # Derived lookups (filled by ``_build`` / on first use): every query stays off the full lists.
    services_by_name: dict[str, list[Target]] = field(default_factory=dict)
    service_names_by_namespace: dict[str, list[str]] = field(default_factory=dict)
    secrets_by_name: dict[str, list[str]] = field(default_factory=dict)  # name -> namespaces, sorted
    secrets_by_namespace: dict[str, list[str]] = field(default_factory=dict)  # namespace -> names
    _cache: dict = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ hosts

    def lookup(self, host: str) -> list[Target]:
        """Every Service/ServiceEntry the (already expanded, lower-cased) host names, visible or not."""
        key = ("lookup", host)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._lookup(host)
        return found

    def _lookup(self, host: str) -> list[Target]:
        found: list[Target] = []
        if is_wildcard(host):
            # A wildcard destination (allowed for VirtualService/DestinationRule hosts) names whatever it covers.
            for (ns, name), targets in self.services.items():
                fqdn = f"{name}.{ns}.svc.{self.cluster_domain}".lower()
                if hosts_intersect(host, fqdn):
                    found.extend(targets)
            for target in self.entries:
                if hosts_intersect(host, target.host):
                    found.append(target)
            return found
        parsed = parse_fqdn(host, self.cluster_domain)
        if parsed is not None:
            name, ns = parsed
            found.extend(self.services.get((ns, name), ()))
        found.extend(self.entries_exact.get(host, ()))
        found.extend(t for t in self.entries_wild if host_matches(t.host, host))
        return found

    def services_named(self, name: str) -> list[Target]:
        return self.services_by_name.get(name, [])

    def service_names_in(self, namespace: str) -> list[str]:
        return self.service_names_by_namespace.get(namespace, [])

    def sorted_names(self, what: str, namespace: str | None, names: Any) -> list[str]:
        """``sorted(set(names()))``, kept per run (the candidates of "did you mean" hints)."""
        key = ("sorted", what, namespace)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = sorted(set(names()))
        return found

    def entries_visible_from(self, namespaces: set[str]) -> bool:
        key = ("entries-visible", frozenset(namespaces))
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = any(t.visible_from(ns) for t in self.entries for ns in namespaces)
        return found

    # ------------------------------------------------------------------ destination rules

    def rules_for(self, host: str) -> list[DestinationRuleInfo]:
        """DestinationRules whose host is this host or a wildcard covering it (any namespace)."""
        key = ("rules", host)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self.rules_exact.get(host, []) + \
                [r for r in self.rules_wild if host_matches(r.host, host)]
        return list(found)

    def subset_rules_for(self, host: str) -> list[DestinationRuleInfo]:
        """Those of :meth:`rules_for` that say something about subsets: this host's own DestinationRules,
        and wildcard ones that define subsets (a wildcard TLS policy says nothing about them)."""
        return [r for r in self.rules_for(host) if r.host == host or r.subsets]


def registry(index: Index, cluster_domain: str) -> Registry:
    """The run's registry (built once per index and cluster domain)."""
    return index.memo(f"references.registry:{cluster_domain}", lambda ix: _build(ix, cluster_domain))


def _build(index: Index, cluster_domain: str) -> Registry:
    reg = Registry(cluster_domain=cluster_domain.lower())
    for svc in index.of_kind(*SERVICE_KINDS):
        if not svc.name or not svc.namespace:
            continue
        # Only core Services carry ports we understand; a Knative Service (serving.knative.dev) also
        # creates a Kubernetes Service of its name, so it counts as a host with unknown ports.
        ports = _int_ports(svc.spec.get("ports"), "port") if svc.group == "" else None
        fqdn = f"{svc.name}.{svc.namespace}.svc.{cluster_domain}".lower()
        target = Target(svc, service_export_to(svc.annotations), ports, fqdn)
        reg.services.setdefault((svc.namespace, svc.name), []).append(target)
        reg.service_namespaces.add(svc.namespace)
    for se in index.of_kind("ServiceEntry"):
        hosts = se.spec.get("hosts")
        if not isinstance(hosts, list):
            continue
        export_to = se.spec.get("exportTo") if isinstance(se.spec.get("exportTo"), list) else None
        ports = _int_ports(se.spec.get("ports"), "number")
        for raw in hosts:
            host = normalize_host(raw)
            if not host:
                continue
            target = Target(se, export_to, ports, host)
            reg.entries.append(target)
            if is_wildcard(host):
                reg.entries_wild.append(target)
            else:
                reg.entries_exact.setdefault(host, []).append(target)
    for dr in index.of_kind("DestinationRule"):
        host = expand_short_name(dr.spec.get("host"), dr.namespace, cluster_domain)
        if not isinstance(host, str) or not host:
            continue
        subsets = dr.spec.get("subsets")
        names = tuple(s["name"] for s in subsets if isinstance(s, dict) and isinstance(s.get("name"), str)) \
            if isinstance(subsets, list) else ()
        export_to = dr.spec.get("exportTo") if isinstance(dr.spec.get("exportTo"), list) else None
        info = DestinationRuleInfo(dr, host.lower(), names, export_to)
        reg.rules.append(info)
        if is_wildcard(info.host):
            reg.rules_wild.append(info)
        else:
            reg.rules_exact.setdefault(info.host, []).append(info)
    for secret in index.of_kind("Secret"):
        if secret.name and secret.namespace:
            reg.secrets.add((secret.namespace, secret.name))
            reg.secret_namespaces.add(secret.namespace)
    for (ns, name), targets in reg.services.items():
        reg.services_by_name.setdefault(name, []).extend(targets)
        reg.service_names_by_namespace.setdefault(ns, []).append(name)
    for ns, name in sorted(reg.secrets):
        reg.secrets_by_name.setdefault(name, []).append(ns)
        reg.secrets_by_namespace.setdefault(ns, []).append(name)
    reg.namespace_objects = {r.name for r in index.of_kind("Namespace") if r.name}
    reg.known_namespaces = index.namespaces() | ALWAYS_PRESENT_NAMESPACES
    return reg


# --------------------------------------------------------------------------- host resolution


@record
class Resolution:
    """What a destination host resolves to, seen from some namespaces."""

    written: str
    host: str  # expanded and lower-cased
    targets: list[Target]
    visible: list[Target]
    service: tuple[str, str] | None  # (name, ns) when the host is a Kubernetes Service FQDN
    dotted_service: tuple[str, str] | None  # (name, ns) when the host is `name.ns` or `name.ns.svc`

    @property
    def found(self) -> bool:
        return bool(self.visible)


def resolve(reg: Registry, written: str, namespace: str, consumers: set[str]) -> Resolution:
    # Several rules resolve the same destinations (host, subset, port): each is resolved once per run.
    # (A Resolution is only read.)
    cache = reg.__dict__.setdefault("_resolved", {})
    key = (written, namespace, frozenset(consumers))
    found = cache.get(key)
    if found is None:
        found = cache[key] = _resolve(reg, written, namespace, consumers)
    return found


def _resolve(reg: Registry, written: str, namespace: str, consumers: set[str]) -> Resolution:
    host = (expand_short_name(written, namespace, reg.cluster_domain) or "").lower()
    targets = reg.lookup(host)
    visible = [t for t in targets if any(t.visible_from(c) for c in consumers)]
    service = parse_fqdn(host, reg.cluster_domain)
    dotted = None
    labels = host.split(".")
    if service is None and not is_wildcard(host) and (
            len(labels) == 2 or (len(labels) >= 3 and labels[2] == "svc")) and all(labels):
        # `name.ns`, `name.ns.svc` or `name.ns.svc.<another domain>`: a Kubernetes-style name only when `ns`
        # is a namespace we know of (otherwise it is an ordinary domain such as httpbin.org).
        if labels[1] in reg.known_namespaces or (labels[1], labels[0]) in reg.services:
            dotted = (labels[0], labels[1])
    return Resolution(written, host, targets, visible, service, dotted)


def could_hold(reg: Registry, res: Resolution, consumers: set[str], strict: bool) -> bool:
    """Closed world: would the input have held the missing target of ``res`` if it existed?"""
    if strict or res.targets:
        return True  # hidden by exportTo: the target is in the input
    if res.service is not None:
        name, ns = res.service
        if ns in reg.service_namespaces:
            return True
        # A short name for a Service the input has in another namespace: the classic cross-namespace slip
        # (a short name is expanded with the namespace of the resource that holds it).
        return "." not in res.written and bool(reg.services_named(name))
    labels = res.host.split(".")
    if len(labels) > 3 and labels[2] == "svc":
        # `name.ns.svc.<another domain>`: another cluster's or a federated mesh's names, provided by
        # registries the input does not describe.
        return False
    if res.dotted_service is not None:
        name, ns = res.dotted_service
        if reg.services.get((ns, name)) or ns in reg.service_namespaces:
            return True
    return reg.entries_visible_from(consumers)


def describe_missing(reg: Registry, res: Resolution, consumers: set[str], what: str,
                     consequence: str = "requests routed there fail (503)") -> str:
    """Why ``res`` resolves to nothing visible, and what was probably meant."""
    where = ", ".join(sorted(consumers))
    shown = f'"{res.written}"' + (f" ({res.host})" if res.host != res.written.lower() else "")
    if res.targets:
        hidden = res.targets[0]
        export = ", ".join(str(e) for e in hidden.export_to or [])
        how = "networking.istio.io/exportTo annotation" if hidden.kind == "Service" else "exportTo"
        return (f"{what} {shown} is {hidden.label}, which is not visible from namespace {where} "
                f"(its {how} is [{export}]), so {consequence}: export it there or refer to it from a "
                "namespace that sees it")
    text = f"{what} {shown} matches no Service or ServiceEntry visible from namespace {where}, so {consequence}"
    hint = _hint(reg, res)
    return text + (f"; {hint}" if hint else "")


def _hint(reg: Registry, res: Resolution) -> str:
    domain = reg.cluster_domain
    if res.dotted_service is not None:
        name, ns = res.dotted_service
        fqdn = f"{name}.{ns}.svc.{domain}"
        exists = "a Service " + f"{ns}/{name} exists; " if reg.services.get((ns, name)) else ""
        if len(res.host.split(".")) > 3:
            return f"{exists}the cluster domain is {domain}: did you mean {fqdn}?"
        return (f"{exists}Istio takes a host with a dot literally and expands only dot-less short names, "
                f"so this is not the Service's name: did you mean {fqdn}?")
    if res.service is not None:
        name, ns = res.service
        elsewhere = sorted({t.resource.namespace for t in reg.services_named(name)} - {ns})
        if elsewhere and "." not in res.written:
            return (f"a Service {name} exists in namespace {elsewhere[0]}, but a short name is expanded with "
                    f"the namespace of the resource that holds it ({ns}): write "
                    f"{name}.{elsewhere[0]}.svc.{domain}")
        if elsewhere:
            return f"a Service {name} exists in namespace {elsewhere[0]}: did you mean {name}.{elsewhere[0]}.svc.{domain}?"
        close = close_names(name, reg.sorted_names("services", ns, lambda: reg.service_names_in(ns)),
                            presorted=True)
        if close:
            return f"did you mean {close[0]}?"
        return ""
    close = close_names(res.host, reg.sorted_names("entries", None, lambda: [t.host for t in reg.entries]),
                        presorted=True)
    return f"did you mean {close[0]}?" if close else ""


# --------------------------------------------------------------------------- VirtualService destinations


class DestinationRef:
    """One destination of a VirtualService route or mirror (read only), with the fields the reference
    rules look at."""

    __slots__ = ("destination", "host", "mirror", "path", "port_number", "section", "subset")

    def __init__(self, path: tuple, destination: dict | None, section: str, mirror: bool) -> None:
        self.path = path  # path of the destination mapping (or of the route entry when it has none)
        self.destination = destination
        self.section = section  # http, tcp or tls
        self.mirror = mirror
        if destination is None:
            self.host = self.subset = self.port_number = None
        else:
            self.host: Any = destination.get("host")
            self.subset: Any = destination.get("subset")
            port = destination.get("port")
            self.port_number: Any = port.get("number") if isinstance(port, dict) else None

    def __repr__(self) -> str:
        return f"DestinationRef({self.path!r}, {self.destination!r}, {self.section!r}, {self.mirror!r})"


def destinations(vs: Resource) -> Iterator[DestinationRef]:
    """Route destinations of http/tcp/tls rules, then http mirrors (``mirror`` and ``mirrors``)."""
    for section in ("http", "tcp", "tls"):
        rules = vs.spec.get(section)
        if not isinstance(rules, list):
            continue
        for i, rule in enumerate(rules):
            if not isinstance(rule, dict):
                continue
            routes = rule.get("route")
            if isinstance(routes, list):
                for j, route in enumerate(routes):
                    if not isinstance(route, dict):
                        continue
                    dest = route.get("destination")
                    if isinstance(dest, dict):
                        yield DestinationRef(("spec", section, i, "route", j, "destination"), dest, section, False)
                    else:
                        yield DestinationRef(("spec", section, i, "route", j), None, section, False)
            if section != "http":
                continue
            mirror = rule.get("mirror")
            if isinstance(mirror, dict):
                yield DestinationRef(("spec", "http", i, "mirror"), mirror, section, True)
            mirrors = rule.get("mirrors")
            if isinstance(mirrors, list):
                for k, item in enumerate(mirrors):
                    if isinstance(item, dict) and isinstance(item.get("destination"), dict):
                        yield DestinationRef(("spec", "http", i, "mirrors", k, "destination"),
                                             item["destination"], section, True)


class ResolvedDestinations:
    """A VirtualService's consumers (see `consumer_namespaces`) and its destinations with what their hosts
    resolve to from there. Each entry of ``entries`` is a plain tuple

        (path, mirror, missing, subset, number, numbered, port_malformed, resolution)

    - ``path``: of the destination mapping (of the route entry when it has none); ``mirror``: a mirror,
      not a route destination; ``missing``: no destination, or no host in it (it routes nowhere);
    - ``subset``: the subset when it is a non-empty string, else None;
    - ``number``: the port number when it is an integer, else None; ``numbered``: a port number of any
      type is set; ``port_malformed``: ``port`` is set but is not a mapping;
    - ``resolution``: index of the host's `Resolution` in ``resolutions`` (None: not a host we can look
      up, see `checkable_host`).

    Plain values only, because every VirtualService keeps its entries for the run: the garbage collector
    stops tracking such tuples, and tens of thousands of tracked survivors would make full collections
    frequent on a large input."""

    __slots__ = ("consumers", "entries", "resolutions")

    def __init__(self, consumers: set[str], entries: tuple, resolutions: list[Resolution]) -> None:
        self.consumers = consumers  # shared: not to be modified
        self.entries = entries
        self.resolutions = resolutions


_NOT_EXPORTED: tuple = ((), ())


def resolved_destinations(index: Index, vs: Resource, cluster_domain: str) -> ResolvedDestinations:
    """:func:`destinations` of ``vs``, resolved (kept per run: the four destination rules read them all).
    Nothing is resolved when the VirtualService is exported nowhere."""
    state = index.memo(f"references.resolved-destinations:{cluster_domain}", lambda ix: _ResolvedState())
    found = state.by_vs.get(vs)
    if found is None:
        found = state.by_vs[vs] = _resolve_destinations(index, vs, cluster_domain, state)
    consumers, entries = found
    return ResolvedDestinations(state.consumer_sets[consumers] if consumers else set(), entries, state.resolutions)


class _ResolvedState:
    """What `resolved_destinations` keeps for a run."""

    def __init__(self) -> None:
        self.by_vs: dict[Resource, tuple] = {}  # VirtualService -> (consumers as a sorted tuple, entries)
        self.consumer_sets: dict[tuple, set[str]] = {}  # shared by the VirtualServices of those consumers
        self.resolutions: list[Resolution] = []
        self.numbers: dict[int, int] = {}  # id(Resolution) -> index in resolutions
        self.checkable: dict[str, bool] = {}  # host -> checkable_host(host)


def _resolve_destinations(index: Index, vs: Resource, cluster_domain: str, state: _ResolvedState) -> tuple:
    consumers = consumer_namespaces(vs.spec.get("exportTo"), vs.namespace)
    if not consumers:
        return _NOT_EXPORTED
    key = tuple(sorted(consumers))
    consumers = state.consumer_sets.setdefault(key, consumers)
    reg = registry(index, cluster_domain)
    namespace = vs.namespace
    checkable = state.checkable
    resolved = reg.__dict__.setdefault("_resolved", {})  # resolve()'s cache, read here first
    frozen = frozenset(consumers)
    entries = []
    for ref in destinations(vs):
        host = ref.host
        if type(host) is str:
            ok = checkable.get(host)
            if ok is None:
                ok = checkable[host] = checkable_host(host)
        else:
            ok = checkable_host(host)
        number = None
        if ok:
            res = resolved.get((host, namespace, frozen)) or resolve(reg, host, namespace, consumers)
            number = state.numbers.get(id(res))
            if number is None:
                number = state.numbers[id(res)] = len(state.resolutions)
                state.resolutions.append(res)  # (kept here, so its id stays its own)
        subset, port_number = ref.subset, ref.port_number
        port = ref.destination.get("port") if ref.destination is not None else None
        entries.append((
            ref.path, ref.mirror, ref.destination is None or host is None,
            subset if isinstance(subset, str) and subset else None,
            port_number if isinstance(port_number, int) and not isinstance(port_number, bool) else None,
            port_number is not None, port is not None and not isinstance(port, dict), number,
        ))
    return key, tuple(entries)


_HOST_CHARS = re.compile(r"[A-Za-z0-9.*-]+")
_NAME_CHARS = re.compile(r"[a-z0-9.-]+")


def checkable_host(host: Any) -> bool:
    """A host we can look up: not empty, not `*`, not an IP address, and not a template placeholder
    (`$HOST`, `{{ .Values.host }}`, `NAME_PLACEHOLDER`: characters no DNS name has)."""
    return isinstance(host, str) and bool(host) and host != "*" and not is_ip(host) \
        and _HOST_CHARS.fullmatch(host) is not None


def checkable_name(name: Any) -> bool:
    """A Kubernetes object name we can look up (not a template placeholder such as `$CREDENTIAL_NAME`)."""
    return isinstance(name, str) and _NAME_CHARS.fullmatch(name) is not None


# --------------------------------------------------------------------------- workloads


@record(frozen=True)
class Selectable:
    """A workload as a selector sees it (a pod, a pod template, or the implicit default ingress)."""

    namespace: str
    labels: dict
    workload: Workload | None  # None for the implicit ingress gateway

    @property
    def label(self) -> str:
        if self.workload is None:
            return f"the default ingress gateway ({ROOT_NAMESPACE})"
        return f"{self.workload.resource.kind} {self.namespace}/{self.workload.name}"


def selectable(index: Index) -> list[Selectable]:
    """Every workload of the input, plus Istio's default ingress gateway (assumed installed)."""
    def build(ix: Index) -> list[Selectable]:
        out = [Selectable(w.namespace or "", w.labels, w) for w in workloads(ix)]
        out.append(Selectable(ROOT_NAMESPACE, dict(IMPLICIT_INGRESS_LABELS), None))
        return out

    return index.memo("references.selectable", build)


def input_workloads(index: Index) -> list[Selectable]:
    """Workloads the input really holds (the implicit ingress gateway left out)."""
    return index.memo("references.input-workloads",
                      lambda ix: [s for s in selectable(ix) if s.workload is not None])


def _selectables(index: Index) -> LabelIndex:
    """:func:`selectable` indexed by namespace and label (memoised: a selector looks only at the
    workloads that have its rarest pair)."""
    return index.memo("references.selectable:index",
                      lambda ix: LabelIndex(selectable(ix), lambda s: s.labels, lambda s: s.namespace))


def select(index: Index, selector: dict, namespace: str | None) -> list[Selectable]:
    """Workloads (of ``namespace``, or all when None) whose labels include every pair of ``selector``."""
    found = _selectables(index)
    return found.select(selector) if namespace is None else found.select(selector, namespace)


def has_workloads(index: Index, namespace: str | None = None) -> bool:
    def build(ix: Index) -> set:
        return {s.namespace for s in input_workloads(ix)}

    present = index.memo("references.workload-namespaces", build)
    return bool(present) if namespace is None else namespace in present


def gateway_workloads_present(index: Index) -> bool:
    """Does the input hold an Istio gateway deployment (so it could have held the one a selector names)?"""
    return index.memo("references.gateway-workloads",
                      lambda ix: any(looks_like_gateway(w) for w in input_workloads(ix)))


def _label_values(index: Index, namespace: str | None, key: str) -> tuple[list[str], set[str]]:
    """The values of one label among the input's workloads (of ``namespace``, or all): sorted, and as a
    set (memoised)."""
    cache = index.memo("references.label-values", lambda ix: {})
    found = cache.get((namespace, key))
    if found is None:
        pool = input_workloads(index) if namespace is None else \
            [s for s in _selectables(index).in_namespace(namespace) if s.workload is not None]
        values = {s.labels[key] for s in pool if key in s.labels}
        found = cache[(namespace, key)] = (sorted(values), values)
    return found


def near_miss(index: Index, selector: dict, namespace: str | None) -> str:
    """A hint for a selector that picks nothing: workloads elsewhere it would pick, or the values in use."""
    if namespace is not None:
        elsewhere = [s for s in select(index, selector, None) if s.namespace != namespace]
        if elsewhere:
            return (f"{elsewhere[0].label} matches, but this selector only picks workloads of namespace "
                    f"{namespace}")
    for key, want in selector.items():
        values, present = _label_values(index, namespace, str(key))
        if values and str(want) not in present:
            shown = ", ".join(values[:5]) + (", ..." if len(values) > 5 else "")
            return f"workloads {'there ' if namespace is not None else ''}have {key}: {shown}"
    return ""


def looks_like_gateway(workload: Selectable) -> bool:
    """A workload that is an Istio gateway proxy (so the input holds the mesh's gateway deployments)."""
    labels = workload.labels
    if "istio" in labels or "gateway.networking.k8s.io/gateway-name" in labels or "istio.io/gateway-name" in labels:
        return True
    annotations = workload.workload.annotations if workload.workload else {}
    if "gateway" in str(annotations.get("inject.istio.io/templates", "")):
        return True
    pod_spec = workload.workload.pod_spec if workload.workload else {}
    containers = pod_spec.get("containers") if isinstance(pod_spec, dict) else None
    for container in containers if isinstance(containers, list) else ():
        if isinstance(container, dict) and ("proxyv2" in str(container.get("image", ""))
                                            or container.get("name") == "istio-proxy"):
            return True
    return False
