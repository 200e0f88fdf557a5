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

from typing import Iterator

from ...workloads import workloads
from ..gateway.servers import is_istio_gateway, selector_of, servers_of
from .common import Reports, SelectorIndex, format_labels, label, listed

CODE = "IL230"
KINDS = ("Gateway",)

MEMO_KEY = "conflicts.gateway-certificates"
NO_CERTIFICATE_MODES = frozenset(("PASSTHROUGH", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL"))


def check(resource, ctx) -> Iterator:
    if not is_istio_gateway(resource):
        return
    reports: Reports = ctx.index.memo(MEMO_KEY, _build)
    groups = reports.grouped(resource)
    if not groups:
        return
    clauses, related = [], []
    for path, group in groups:
        certificate, port = group[0].detail[0], group[0].detail[1]
        others = ", ".join(f"{label(p.other)} at {_format_path(p.other_path[:3])} ({p.detail[2]})" for p in group)
        clauses.append(f"{certificate} on port {port} ({_format_path(path[:3])}) is also used by {others}")
        related.extend(ctx.related(p.other, p.other_path, "the same certificate is used here") for p in group)
    message = (f"{listed(clauses)}. Each server gets its own routes, and browsers reuse an HTTP/2 connection for "
               "every host the certificate covers: a request for one server's host can arrive on the other "
               "server's connection and get a 404. Serve these hosts from one server, or give each server its "
               "own certificate")
    yield ctx.finding(resource, groups[0][0], message, related=related)


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
                why = _shared(i, j, selectors, selected, all_workloads)
                if why is None:
                    continue
                reports.add(gateways[i], path_i, gateways[j], path_j, detail=(description, port_i, why),
                            key="certificate")
    return reports


def _shared(i: int, j: int, selectors: list[dict], selected: list[set[int]], all_workloads: list) -> str | None:
    """Why Gateways i and j apply to one workload, or None when they do not."""
    a, b = selectors[i].items(), selectors[j].items()
    common = selected[i] & selected[j]
    if common:
        w = all_workloads[min(common)]
        return f"both select {w.resource.kind} {w.namespace}/{w.name}"
    if a <= b or b <= a:
        narrow = selectors[j] if a <= b else selectors[i]
        return f"a gateway pod labelled {format_labels(narrow)} is selected by both"
    return None
