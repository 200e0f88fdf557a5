"""gateway-duplicate-certificate: servers of different Gateways on one gateway workload and port terminate
TLS with the same certificate.

Each such server becomes its own filter chain (chosen by SNI) with its own route table. Browsers reuse an
HTTP/2 connection for any host the certificate covers (same address, same port), so a request for the
second server's host arrives on the connection set up for the first server, whose routes do not know
that host: the gateway answers 404. Istio reports this as IST0138 (GatewayDuplicateCertificate).

- Only servers that terminate TLS count (mode SIMPLE, MUTUAL, OPTIONAL_MUTUAL; PASSTHROUGH — the default
  — and AUTO_PASSTHROUGH never use the certificate, ISTIO_MUTUAL uses the mesh's).
- Same certificate: the same ``credentialName`` (or an entry of ``credentialNames``), or the same
  ``serverCertificate`` and ``privateKey`` files (also inside ``tlsCertificates``).
- Same port: connections are only reused for the same port.
- Same workload: both Gateways select a Pod or pod template of the input, or one selector is a subset of
  the other (equal included). Gateways without a selector are not compared (as in gateway-port-conflict).
- Every Gateway involved is reported (see ``common.py``), once: one finding at its first server that
  shares a certificate, listing each server with the other Gateways' servers. istioctl reports only the
  Gateway whose selector is a subset of the other's (it looks from each Gateway towards Gateways with a
  superset selector), but the 404s happen on the pods both select, and either Gateway can be the one
  to change.
"""

from __future__ import annotations

from typing import Any, Iterator

from ...record import field, record
from ...workloads import workloads
from ..gateway.servers import is_istio_gateway, selector_of, servers_of
from .common import Claim, Pool, SelectorIndex, capped, format_labels, joined, label, listed

CODE = "IL230"
KINDS = ("Gateway",)

MEMO_KEY = "conflicts.gateway-certificates"
NO_CERTIFICATE_MODES = frozenset(("PASSTHROUGH", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL"))


def check(resource, ctx) -> Iterator:
    if not is_istio_gateway(resource):
        return
    shared: SharedCertificates = ctx.index.memo(MEMO_KEY, _build)
    clauses, related = [], []
    first = None
    servers = sorted(shared.servers_of(resource), key=lambda e: (resource.position(e[0]), tuple(map(str, e[0]))))
    for path, group, description, port in servers:
        named, total = shared.others(resource, group)
        if not named:
            continue
        first = first or path
        others = joined([f"{label(c.resource)} at {_format_path(c.path[:3])} ({shared.why(resource, c.resource)})"
                         for c in named], total - len(named))
        clauses.append(f"{description} on port {port} ({_format_path(path[:3])}) is also used by {others}")
        related.extend(ctx.related(c.resource, c.path, "the same certificate is used here") for c in named)
    if first is None:
        return
    message = (f"{listed(clauses)}. Each server gets its own routes, and browsers reuse an HTTP/2 connection for "
               "every host the certificate covers: a request for one server's host can arrive on the other "
               "server's connection and get a 404. Serve these hosts from one server, or give each server its "
               "own certificate")
    yield ctx.finding(resource, first, message, related=capped(related))


def _format_path(path: tuple) -> str:
    return f"spec.servers[{path[2]}]" if len(path) > 2 else "spec.servers"


def certificates(tls: dict) -> list[tuple[tuple, tuple, str]]:
    """``(identity, path inside tls, description)`` of each certificate a terminating tls block serves."""
    mode = tls.get("mode")
    mode = mode.upper() if isinstance(mode, str) and mode else "PASSTHROUGH"
    if mode in NO_CERTIFICATE_MODES:
        return []
    out = []
    name = tls.get("credentialName")
    if isinstance(name, str) and name:
        out.append((("credential", name), ("credentialName",), f"credential '{name}'"))
    names = tls.get("credentialNames")
    for k, name in enumerate(names if isinstance(names, list) else ()):
        if isinstance(name, str) and name:
            out.append((("credential", name), ("credentialNames", k), f"credential '{name}'"))
    if out:
        return out
    cert, key = tls.get("serverCertificate"), tls.get("privateKey")
    if isinstance(cert, str) and cert and isinstance(key, str) and key:
        out.append((("file", cert, key), ("serverCertificate",), f"certificate file '{cert}'"))
    entries = tls.get("tlsCertificates")
    for k, entry in enumerate(entries if isinstance(entries, list) else ()):
        if not isinstance(entry, dict):
            continue
        cert, key = entry.get("serverCertificate"), entry.get("privateKey")
        if isinstance(cert, str) and cert and isinstance(key, str) and key:
            out.append((("file", cert, key), ("tlsCertificates", k, "serverCertificate"),
                        f"certificate file '{cert}'"))
    return out


@record
class SharedCertificates:
    """Gateway servers grouped by (certificate, port), and Gateways grouped by selector (a class): two
    servers of one group conflict when their Gateways differ and apply to one gateway workload, which is
    decided once per pair of classes, not per pair of Gateways."""

    gateways: list
    selectors: list[dict]  # class -> selector
    selected: list[set[int]]  # class -> the workloads (by position) it selects
    class_of: dict[int, int]  # id(gateway) -> class
    all_workloads: list
    # id(gateway) -> [(path, group, description, port)] of its certificate-serving servers, in document order
    by_gateway: dict[int, list[tuple]] = field(default_factory=dict)
    groups: list[dict[int, list[Claim]]] = field(default_factory=list)  # group -> class -> claims
    _why: dict[tuple[int, int], str | None] = field(default_factory=dict)
    _pools: dict[tuple, Pool] = field(default_factory=dict)

    def servers_of(self, gateway: Any) -> list[tuple]:
        return self.by_gateway.get(id(gateway), [])

    def shared(self, c: int, d: int) -> str | None:
        """Why Gateways of classes c and d apply to one workload, or None when they do not."""
        key = (min(c, d), max(c, d))
        if key not in self._why:
            self._why[key] = _shared(key[0], key[1], self.selectors, self.selected, self.all_workloads)
        return self._why[key]

    def why(self, a: Any, b: Any) -> str:
        return self.shared(self.class_of[id(a)], self.class_of[id(b)]) or ""

    def others(self, gateway: Any, group: int) -> tuple[list[Claim], int]:
        c = self.class_of[id(gateway)]
        pool = self._pools.get((group, c))
        if pool is None:
            classes = self.groups[group]
            pool = Pool.union([Pool(classes[d]) for d in sorted(classes) if self.shared(c, d) is not None] or
                              [Pool(())])
            self._pools[(group, c)] = pool
        return pool.others(gateway)


def _build(index) -> SharedCertificates:
    gateways = [g for g in index.of_kind("Gateway") if is_istio_gateway(g) and selector_of(g)]
    selectors: list[dict] = []
    class_of: dict[int, int] = {}
    by_key: dict[frozenset, int] = {}
    for g in gateways:
        key = frozenset(selector_of(g).items())
        if key not in by_key:
            by_key[key] = len(selectors)
            selectors.append(selector_of(g))
        class_of[id(g)] = by_key[key]
    # workloads each class of Gateways selects (by position), to tell whether two Gateways share one
    selected: list[set[int]] = [set() for _ in selectors]
    by_selector = SelectorIndex((selectors[c], c) for c in range(len(selectors)))
    all_workloads = workloads(index)
    for w_index, w in enumerate(all_workloads):
        for c in by_selector.matching(w.labels):
            selected[c].add(w_index)
    out = SharedCertificates(gateways, selectors, selected, class_of, all_workloads)
    # (certificate identity, port) -> group; group -> class -> [claims] in input order
    group_of: dict[tuple, int] = {}
    for gateway in gateways:
        for server in servers_of(gateway):
            if server.tls is None or server.number is None:
                continue
            for identity, tls_path, description in certificates(server.tls):
                path = server.path + ("tls",) + tls_path
                key = (identity, server.number)
                if key not in group_of:
                    group_of[key] = len(out.groups)
                    out.groups.append({})
                group = group_of[key]
                out.groups[group].setdefault(class_of[id(gateway)], []).append(Claim(gateway, path))
                out.by_gateway.setdefault(id(gateway), []).append((path, group, description, server.number))
    return out


def _shared(i: int, j: int, selectors: list[dict], selected: list[set[int]], all_workloads: list) -> str | None:
    """Why Gateways of classes i and j apply to one workload, or None when they do not."""
    a, b = selectors[i].items(), selectors[j].items()
    common = selected[i] & selected[j]
    if common:
        w = all_workloads[min(common)]
        return f"both select {w.resource.kind} {w.namespace}/{w.name}"
    if a <= b or b <= a:
        narrow = selectors[j] if a <= b else selectors[i]
        return f"a gateway pod labelled {format_labels(narrow)} is selected by both"
    return None
