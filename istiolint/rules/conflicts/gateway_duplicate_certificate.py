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
- Reported on the Gateway with the wider selector (the one that reaches the other's workloads); on the
  later one (namespace, then name) when neither is wider.
"""

from __future__ import annotations

from typing import Iterator

from ...workloads import workloads
from ..gateway.servers import is_istio_gateway, selector_of, servers_of
from .common import Reports, SelectorIndex, format_labels, label

CODE = "IL230"
KINDS = ("Gateway",)

MEMO_KEY = "conflicts.gateway-certificates"
NO_CERTIFICATE_MODES = frozenset(("PASSTHROUGH", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL"))


def check(resource, ctx) -> Iterator:
    if not is_istio_gateway(resource):
        return
    reports: Reports = ctx.index.memo(MEMO_KEY, _build)
    for path, group in reports.grouped(resource):
        parts = []
        for p in group:
            certificate, port, why = p.detail
            parts.append(f"{label(p.other)} at {_format_path(p.other_path[:3])} ({why})")
        certificate, port = group[0].detail[0], group[0].detail[1]
        message = (f"{certificate} on port {port} is also used by {'; '.join(parts)}. Each server gets its own "
                   "routes, and browsers reuse an HTTP/2 connection for every host the certificate covers: a "
                   "request for the other server's host arrives on this server's connection and gets a 404. "
                   "Serve these hosts from one server, or give each server its own certificate")
        related = [ctx.related(p.other, p.other_path, "the same certificate is used here") for p in group]
        yield ctx.finding(resource, path, message, related=related)


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


def _build(index) -> Reports:
    reports = Reports()
    gateways = [g for g in index.of_kind("Gateway") if is_istio_gateway(g) and selector_of(g)]
    selectors = [selector_of(g) for g in gateways]
    # workloads each Gateway selects (by position), to tell whether two Gateways share one
    selected: list[set[int]] = [set() for _ in gateways]
    by_selector = SelectorIndex((selectors[i], i) for i in range(len(gateways)))
    for w_index, w in enumerate(workloads(index)):
        for i in by_selector.matching(w.labels):
            selected[i].add(w_index)
    all_workloads = workloads(index)
    # certificate identity -> [(gateway position, path, port number, description)]
    by_certificate: dict[tuple, list[tuple]] = {}
    for i, gateway in enumerate(gateways):
        for server in servers_of(gateway):
            if server.tls is None or server.number is None:
                continue
            for identity, tls_path, description in certificates(server.tls):
                path = server.path + ("tls",) + tls_path
                by_certificate.setdefault(identity, []).append((i, path, server.number, description))
    for entries in by_certificate.values():
        for a in range(len(entries)):
            for b in range(a + 1, len(entries)):
                i, path_i, port_i, description = entries[a]
                j, path_j, port_j, _ = entries[b]
                if i == j or port_i != port_j:
                    continue
                why, wider = _shared(i, j, selectors, selected, all_workloads)
                if why is None:
                    continue
                prefer = None if wider is None else gateways[wider]
                reports.add(gateways[i], path_i, gateways[j], path_j, detail=(description, port_i, why),
                            key="certificate", prefer=prefer)
    return reports


def _shared(i: int, j: int, selectors: list[dict], selected: list[set[int]], all_workloads: list,
            ) -> tuple[str | None, int | None]:
    """(why Gateways i and j apply to one workload, or None; position of the wider one, if any)."""
    a, b = selectors[i].items(), selectors[j].items()
    wider = i if a <= b else j if b <= a else None
    if a == b:
        wider = None
    common = selected[i] & selected[j]
    if common:
        w = all_workloads[min(common)]
        return f"both select {w.resource.kind} {w.namespace}/{w.name}", wider
    if a <= b or b <= a:
        narrow = selectors[j] if a <= b else selectors[i]
        return f"a gateway pod labelled {format_labels(narrow)} is selected by both", wider
    return None, None
