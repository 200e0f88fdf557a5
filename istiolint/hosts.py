"""Istio's host and namespace rules, in one place for every rule to use.

Pure functions with no dependency on the rest of istiolint. Rules may run on
resources that failed schema validation, so every function accepts anything and
never raises: a non-string where a string belongs gives ``False``/``None``.

Host comparison is case-insensitive (DNS names are; Envoy lower-cases domains
and the Host header before matching). Namespaces and Kubernetes object names
are compared exactly (the API server only admits lower-case DNS-1123 names).

Wildcards follow Istio's own host comparison (``host.Name.Matches`` and
``SubsetOf``): a pattern is ``*`` followed by a suffix, and it matches a name
when the name ends with that suffix. ``*`` therefore stands for any sequence of
characters, *including the empty one*: ``*foo.example.com`` matches
``foo.example.com``. This matters only for partial leftmost labels (allowed in
VirtualService and ServiceEntry hosts); for ``*.example.com`` the suffix starts
with a dot so ``example.com`` is never matched. Envoy itself does not let a
wildcard domain match the empty string; see :func:`envoy_domain_matches` for
that (runtime) view.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from .record import record

__all__ = [
    "DEFAULT_CLUSTER_DOMAIN",
    "EXPORT_TO_ANNOTATION",
    "MESH_GATEWAY",
    "GatewayRef",
    "effective_gateway_refs",
    "envoy_domain_matches",
    "expand_short_name",
    "host_covers",
    "host_matches",
    "hosts_intersect",
    "is_ip",
    "is_wildcard",
    "normalize_host",
    "parse_fqdn",
    "resolve_gateway_ref",
    "server_host_admits",
    "service_export_to",
    "service_hosts",
    "split_namespaced_host",
    "visible_to",
]

DEFAULT_CLUSTER_DOMAIN = "cluster.local"
# Annotation by which a Kubernetes Service limits its visibility (comma separated).
EXPORT_TO_ANNOTATION = "networking.istio.io/exportTo"
# Reserved gateway name: "all the sidecars of the mesh".
MESH_GATEWAY = "mesh"


# --------------------------------------------------------------------------- basics


def normalize_host(host: Any) -> str | None:
    """The host as compared: lower-cased (DNS is case-insensitive); None if not a string."""
    if not isinstance(host, str):
        return None
    return host.lower()


def is_wildcard(host: Any) -> bool:
    """True for a wildcard host pattern.

    Istio treats a host as wildcarded exactly when its first character is ``*``
    (``*``, ``*.example.com``, ``*foo.example.com``); a ``*`` elsewhere
    (``a.*.com``) is not a wildcard, just an (invalid) literal character.
    """
    return isinstance(host, str) and host.startswith("*")


def is_ip(host: Any) -> bool:
    """True for an IPv4 or IPv6 literal (IPv6 possibly with a ``%zone``), like Go's netip.ParseAddr."""
    if not isinstance(host, str) or not host:
        return False
    if ":" not in host and host.strip("0123456789."):
        return False  # neither IPv6 (always a colon) nor dotted decimal: a name (most hosts; no exception)
    import ipaddress  # only for hosts that look like addresses (a name returns above)

    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def expand_short_name(
    host: Any, namespace: Any, cluster_domain: Any = DEFAULT_CLUSTER_DOMAIN
) -> str | None:
    """Expand a short name the way Istio does for VirtualService/DestinationRule hosts.

    A short name (no dot; not ``*``; not an IP literal such as ``::1``) becomes
    ``name.<namespace>.svc.<cluster domain>``, where the namespace is that of the
    *resource holding the reference*, not of any Service. Anything else is returned
    unchanged: a dotted host is literal (``reviews.default`` stays as is).

    Like Istio, a dot-less wildcard such as ``*foo`` is a short name too and becomes
    ``*foo.<ns>.svc.<domain>``; only ``*`` itself is left alone.

    Returns None when ``host`` is not a string. An empty host stays empty. With a
    non-string or empty namespace/domain that part is left out, as Istio does.
    """
    if not isinstance(host, str):
        return None
    if not host or host == "*" or "." in host or is_ip(host):
        return host
    out = host
    if isinstance(namespace, str) and namespace:
        out += "." + namespace
    if isinstance(cluster_domain, str) and cluster_domain:
        out += ".svc." + cluster_domain
    return out


# --------------------------------------------------------------------------- matching


def _suffix(pattern: str) -> str:
    """The text a wildcard pattern requires at the end of a name (``*`` -> ``""``)."""
    return pattern[1:]


def host_matches(pattern: Any, name: Any) -> bool:
    """True when the concrete host ``name`` is matched by ``pattern``.

    ``*`` matches any name; ``*.x.com`` matches ``a.x.com`` and ``a.b.x.com`` but not
    ``x.com``; ``*foo.x.com`` matches ``xfoo.x.com`` and also ``foo.x.com`` (Istio's
    suffix semantics, see the module docstring). A non-wildcard pattern matches only
    the same name. Case-insensitive. Empty names and non-strings never match.

    If ``name`` is itself a wildcard, the answer is :func:`host_covers` (every name it
    stands for is matched by ``pattern``).
    """
    p, n = normalize_host(pattern), normalize_host(name)
    if not p or not n:
        return False
    if is_wildcard(n):
        return host_covers(p, n)
    if is_wildcard(p):
        return n.endswith(_suffix(p))
    return p == n


def hosts_intersect(a: Any, b: Any) -> bool:
    """True when some concrete name matches both patterns (wildcards on either or both sides).

    Two wildcards intersect exactly when one suffix ends with the other
    (``*.example.com`` and ``*.com`` do, ``*.a.com`` and ``*.b.com`` do not). This is
    Istio's ``host.Name.Matches``, and it does not depend on whether ``*`` may match the
    empty string.
    """
    x, y = normalize_host(a), normalize_host(b)
    if not x or not y:
        return False
    xw, yw = is_wildcard(x), is_wildcard(y)
    if xw and yw:
        sx, sy = _suffix(x), _suffix(y)
        return sx.endswith(sy) or sy.endswith(sx)
    if xw:
        return y.endswith(_suffix(x))
    if yw:
        return x.endswith(_suffix(y))
    return x == y


class HostIndex:
    """Host patterns (items added in order) found by :func:`hosts_intersect` without comparing every pair.

    Concrete hosts are kept by name and, reversed and sorted, for "ends with" ranges; wildcard patterns
    by the suffix they require, likewise. A concrete query looks up its own name and each of its
    suffixes (the wildcards that match it); a wildcard query takes the ranges of hosts and suffixes
    ending with its suffix, and the wildcards whose suffix its own ends with. ``intersecting`` returns
    item positions in insertion order.
    """

    def __init__(self, hosts: list[Any]):
        self._exact: dict[str, list[int]] = {}
        self._wild: dict[str, list[int]] = {}  # required suffix -> positions
        for i, raw in enumerate(hosts):
            host = normalize_host(raw)
            if not host:
                continue
            if is_wildcard(host):
                self._wild.setdefault(_suffix(host), []).append(i)
            else:
                self._exact.setdefault(host, []).append(i)
        self._exact_reversed = sorted(h[::-1] for h in self._exact)
        self._wild_reversed = sorted(s[::-1] for s in self._wild)

    @staticmethod
    def _ending_with(reversed_sorted: list[str], suffix: str) -> list[str]:
        """The entries (reversed back) that end with ``suffix``."""
        key = suffix[::-1]
        out = []
        for i in range(bisect_left(reversed_sorted, key), len(reversed_sorted)):
            if not reversed_sorted[i].startswith(key):
                break
            out.append(reversed_sorted[i][::-1])
        return out

    def intersecting(self, pattern: Any) -> list[int]:
        """Positions of the hosts that intersect ``pattern``, in insertion order."""
        host = normalize_host(pattern)
        if not host:
            return []
        found: list[int] = []
        if is_wildcard(host):
            suffix = _suffix(host)
            for name in self._ending_with(self._exact_reversed, suffix):
                found.extend(self._exact[name])
            wild = set(self._ending_with(self._wild_reversed, suffix))
            wild.update(suffix[i:] for i in range(len(suffix) + 1) if suffix[i:] in self._wild)
            for required in wild:
                found.extend(self._wild[required])
        else:
            found.extend(self._exact.get(host, ()))
            for i in range(len(host) + 1):
                found.extend(self._wild.get(host[i:], ()))
        return sorted(set(found))


def host_covers(a: Any, b: Any) -> bool:
    """True when every name matching ``b`` also matches ``a`` (b is a subset of a).

    A concrete ``a`` covers only the same concrete name; a wildcard ``a`` covers a
    wildcard ``b`` when b's suffix ends with a's (``*.com`` covers ``*.example.com``;
    ``*`` covers everything). This is Istio's ``host.Name.SubsetOf(b, a)``.
    """
    x, y = normalize_host(a), normalize_host(b)
    if not x or not y:
        return False
    if is_wildcard(y):
        return is_wildcard(x) and _suffix(y).endswith(_suffix(x))
    if is_wildcard(x):
        return y.endswith(_suffix(x))
    return x == y


def envoy_domain_matches(domain: Any, authority: Any) -> bool:
    """Envoy's runtime view: does a virtual-host ``domain`` match a request's host?

    Unlike Istio's config comparison, Envoy's suffix wildcard must stand for at
    least one character: ``*-bar.foo.com`` matches ``baz-bar.foo.com`` but not
    ``-bar.foo.com``. ``*`` matches any non-empty host. Prefix wildcards (``foo.*``)
    are Envoy-only and not produced from Istio hosts, so they are compared literally.
    """
    d, h = normalize_host(domain), normalize_host(authority)
    if not d or not h or is_wildcard(h):
        return False
    if is_wildcard(d):
        suffix = _suffix(d)
        return len(h) > len(suffix) and h.endswith(suffix)
    return d == h


# --------------------------------------------------------------------------- gateways


def split_namespaced_host(server_host: Any) -> tuple[str | None, str] | None:
    """Split a Gateway (or Sidecar) host ``[namespace/]dnsName`` at the first ``/``.

    ``"ns/h"`` -> ``("ns", "h")``, ``"./h"`` -> ``(".", "h")``, ``"*/h"`` -> ``("*", "h")``,
    ``"h"`` -> ``(None, "h")``. The parts are returned as written (validation is a rule's
    job: ``"/h"`` gives ``("", "h")``). Returns None when ``server_host`` is not a string.
    """
    if not isinstance(server_host, str):
        return None
    ns, sep, host = server_host.partition("/")
    if not sep:
        return None, server_host
    return ns, host


def server_host_admits(ns_part: Any, gateway_namespace: Any, vs_namespace: Any) -> bool:
    """May a VirtualService in ``vs_namespace`` bind through a server host with this namespace part?

    No namespace part, or ``*``, admits every namespace; ``.`` admits only the
    Gateway's own namespace; any other value admits only the namespace so named
    (exact comparison, as Istio's ``NamesForNamespace`` does).
    """
    if not isinstance(vs_namespace, str) or not vs_namespace:
        return False
    if ns_part is None or ns_part == "*":
        return True
    if not isinstance(ns_part, str):
        return False
    if ns_part == ".":
        return isinstance(gateway_namespace, str) and gateway_namespace == vs_namespace
    return ns_part == vs_namespace


@record(frozen=True)
class GatewayRef:
    """A VirtualService's reference to a gateway, resolved.

    ``mesh`` is True for the reserved name ``mesh`` (all sidecars; namespace ``""``).
    ``legacy`` is True for the deprecated dotted forms (``name.ns``,
    ``name.ns.svc.cluster.local``), which Istio still resolves but warns about.
    """

    namespace: str
    name: str
    mesh: bool = False
    legacy: bool = False

    @property
    def key(self) -> str:
        """``namespace/name`` (or ``mesh``), the form Istio indexes gateways by."""
        return MESH_GATEWAY if self.mesh else f"{self.namespace}/{self.name}"


def resolve_gateway_ref(
    ref: Any, vs_namespace: Any, cluster_domain: Any = DEFAULT_CLUSTER_DOMAIN
) -> GatewayRef | None:
    """Resolve an entry of a VirtualService's ``gateways`` like Istio's ``resolveGatewayName``.

    - ``mesh`` (exactly; ``Mesh`` is an ordinary name) -> the mesh.
    - ``name`` and ``./name`` -> ``name`` in the VirtualService's namespace.
    - ``ns/name`` -> as written (``ns/mesh`` is a Gateway called mesh, not the mesh).
    - Legacy ``name.ns`` and ``name.ns.svc.<domain>`` -> ``ns/name``, ``legacy=True``.
      Istio takes the second label as the namespace whatever follows it (so
      ``gw.ns.svc.other.domain`` and ``gw.ns.x`` also resolve to ``ns/gw``);
      ``cluster_domain`` therefore does not change the result and is accepted for
      symmetry with the other helpers.

    Returns None for a non-string, or when a name or namespace part would be empty
    (``""``, ``"ns/"``, ``"/gw"``, ``"gw."``, ``".gw"``): Istio would look up a
    gateway that cannot exist.
    """
    del cluster_domain  # see docstring: Istio ignores the suffix of legacy names
    if not isinstance(ref, str) or not ref:
        return None
    if ref == MESH_GATEWAY:
        return GatewayRef(namespace="", name=MESH_GATEWAY, mesh=True)
    if "/" in ref:
        ns, _, name = ref.partition("/")
        if ns == ".":
            ns = vs_namespace if isinstance(vs_namespace, str) else ""
        if not ns or not name:
            return None
        return GatewayRef(namespace=ns, name=name)
    if "." in ref:
        labels = ref.split(".")
        name, ns = labels[0], labels[1]
        if not name or not ns:
            return None
        return GatewayRef(namespace=ns, name=name, legacy=True)
    if not isinstance(vs_namespace, str) or not vs_namespace:
        return None
    return GatewayRef(namespace=vs_namespace, name=ref)


def effective_gateway_refs(gateways: Any, vs_namespace: Any) -> list[GatewayRef]:
    """The gateways a VirtualService applies to: its ``gateways`` resolved, ``[mesh]`` when unset/empty.

    Entries that cannot be resolved (non-strings, empty parts) are skipped. A
    ``gateways`` field of the wrong type is treated as unset.
    """
    if not isinstance(gateways, list) or not gateways:
        return [GatewayRef(namespace="", name=MESH_GATEWAY, mesh=True)]
    refs = []
    for g in gateways:
        r = resolve_gateway_ref(g, vs_namespace)
        if r is not None:
            refs.append(r)
    return refs


# --------------------------------------------------------------------------- visibility


def visible_to(
    export_to: Any,
    owner_namespace: Any,
    consumer_namespace: Any,
    *,
    default: list[str] | None = None,
) -> bool:
    """Is a resource of ``owner_namespace`` with this ``exportTo`` visible in ``consumer_namespace``?

    Follows Istio's index building: ``*`` anywhere wins (visible everywhere); else
    ``~`` anywhere hides it from every namespace (its own included); else ``.`` and
    the owner's name admit the owner namespace and other names admit themselves.
    ``None``/``[]`` (or a value of the wrong type) mean "not set": the mesh-wide
    default applies, given as ``default`` (None = everywhere, Istio's default).
    Non-string entries are ignored.
    """
    if not isinstance(owner_namespace, str) or not isinstance(consumer_namespace, str):
        return False
    if not isinstance(export_to, list) or not export_to:
        if not isinstance(default, list) or not default:
            return True
        export_to = default
    values = {e for e in export_to if isinstance(e, str)}
    if "*" in values:
        return True
    if "~" in values:
        return False
    if consumer_namespace == owner_namespace and ("." in values or owner_namespace in values):
        return True
    return consumer_namespace in values


def service_export_to(annotations: Any) -> list[str] | None:
    """The ``exportTo`` of a Kubernetes Service, from its ``networking.istio.io/exportTo`` annotation.

    Comma separated, each entry trimmed, order kept. None when the annotation is
    absent, empty or not a string (visible by default). As in Istio, blank entries
    are kept as ``""`` (``"a,,b"`` -> ``["a", "", "b"]``): a namespace called ``""``
    does not exist, so a whitespace-only value hides the Service everywhere, which is
    what Istio does with it.
    """
    if not isinstance(annotations, dict):
        return None
    value = annotations.get(EXPORT_TO_ANNOTATION)
    if not isinstance(value, str) or value == "":
        return None
    return [part.strip() for part in value.split(",")]


# --------------------------------------------------------------------------- Kubernetes names


def parse_fqdn(host: Any, cluster_domain: Any = DEFAULT_CLUSTER_DOMAIN) -> tuple[str, str] | None:
    """``name.ns.svc.<domain>`` -> ``(name, ns)`` (lower-cased); anything else -> None.

    Exactly two labels before ``.svc.<domain>``; wildcards, empty labels and other
    domains give None. Case-insensitive.
    """
    h = normalize_host(host)
    if not h or not isinstance(cluster_domain, str) or not cluster_domain:
        return None
    tail = ".svc." + cluster_domain.lower()
    if not h.endswith(tail):
        return None
    labels = h[: -len(tail)].split(".")
    if len(labels) != 2 or not all(labels) or any("*" in label for label in labels):
        return None
    return labels[0], labels[1]


def service_hosts(name: Any, namespace: Any, cluster_domain: Any = DEFAULT_CLUSTER_DOMAIN) -> set[str]:
    """The Istio hosts by which a Kubernetes Service is known: ``{name.ns.svc.<domain>}``.

    Only the FQDN. Istio's registry keys a Service by that one name, and config
    hosts are compared as text after a single step: a dot-less short name is
    expanded with the namespace of the *resource that holds it* (not the client's,
    not the Service's). So ``reviews`` in a VirtualService of namespace ``a`` means
    ``reviews.a.svc.cluster.local`` even if the Service lives in ``b``, and
    ``reviews.default`` or ``reviews.default.svc`` (which contain a dot) are literal
    hosts that name no Service at all, although a client's DNS search path resolves
    them and Envoy accepts them as Host headers. Empty set for non-strings or empty parts.
    """
    if not all(isinstance(x, str) and x for x in (name, namespace, cluster_domain)):
        return set()
    return {f"{name}.{namespace}.svc.{cluster_domain}".lower()}
