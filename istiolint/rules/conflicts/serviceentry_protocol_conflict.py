"""serviceentry-protocol-conflict: ServiceEntries visible in one namespace give the same host and port
different protocols.

Istio's registry keys a ServiceEntry service by host; when several ServiceEntries visible in a namespace
declare the same host and port, their ports are merged and one protocol wins for everybody there (the
oldest ServiceEntry's). A port declared HTTP in one and TLS in another therefore gets one kind of
listener and route — the other ServiceEntry's traffic is handled with the wrong protocol (for example,
TLS bytes parsed as plain HTTP). Istio reports this as IST0177 (ConflictingServiceEntryProtocol).

- Hosts are compared exactly (case-insensitively): ServiceEntry hosts are never expanded.
- Protocols are compared case-insensitively; an unset protocol counts as its own value, as in Istio.
- Visibility: ``exportTo`` (``.``, names, ``*``, ``~``; unset = everywhere); ServiceEntries that no
  namespace sees together do not conflict.

Every ServiceEntry involved is reported (see ``common.py``), once: one finding at its first conflicting
port, listing each host and port with the other ServiceEntries' protocols.
"""

from __future__ import annotations

from typing import Iterator

from .common import Reports, describe_scope, export_scope, label, listed, shared_scope

CODE = "IL420"
KINDS = ("ServiceEntry",)

MEMO_KEY = "conflicts.serviceentry-protocols"
UNSET = "(unset)"


def check(resource, ctx) -> Iterator:
    reports: Reports = ctx.index.memo(MEMO_KEY, _build)
    pending = reports.of(resource)
    if not pending:
        return
    # (host, port) -> [this side's protocol, [(other, its protocol, scope)]], in document order
    by_port: dict[tuple, list] = {}
    related = []
    for p in pending:
        host, number, mine, theirs, scope = p.detail
        entry = by_port.setdefault((host, number), [mine, []])
        entry[1].append((p.other, theirs, scope))
        related.append(ctx.related(p.other, p.other_path, f"{host}:{number} declared {theirs} here"))
    clauses = []
    for (host, number), (mine, others) in by_port.items():
        here = "has no protocol here" if mine == UNSET else f"is declared {mine} here"
        said = ", ".join(f"{label(other)} {_says(theirs)} ({describe_scope(scope)})" for other, theirs, scope in others)
        clauses.append(f"host '{host}' port {number} {here}, but {said}")
    message = (f"{listed(clauses)}. Istio merges ServiceEntries by host and keeps one protocol per host and port, "
               "so one of them is handled with the other's protocol. Use the same protocol everywhere, or declare "
               "the host in one ServiceEntry")
    yield ctx.finding(resource, pending[0].path, message, related=related)


def _says(protocol: str) -> str:
    return "leaves it without a protocol" if protocol == UNSET else f"declares it {protocol}"


def _protocol(port: dict) -> str:
    value = port.get("protocol")
    return value.upper() if isinstance(value, str) and value else UNSET


def _build(index) -> Reports:
    reports = Reports()
    # (host, port number) -> [(ServiceEntry, path of the port, protocol, scope)]
    groups: dict[tuple, list[tuple]] = {}
    for se in index.of_kind("ServiceEntry"):
        scope = export_scope(se.get(("spec", "exportTo")), se.namespace)
        if scope is not None and not scope:
            continue
        hosts = se.get(("spec", "hosts"))
        ports = se.get(("spec", "ports"))
        hosts = [h.lower() for h in (hosts if isinstance(hosts, list) else ()) if isinstance(h, str) and h]
        for k, port in enumerate(ports if isinstance(ports, list) else ()):
            number = port.get("number") if isinstance(port, dict) else None
            if not isinstance(number, int) or isinstance(number, bool):
                continue
            for host in dict.fromkeys(hosts):
                path = ("spec", "ports", k) + (("protocol",) if "protocol" in port else ())
                groups.setdefault((host, number), []).append((se, path, _protocol(port), scope))
    for (host, number), entries in groups.items():
        if len({e[2] for e in entries}) < 2:
            continue
        for a in range(len(entries)):
            for b in range(a + 1, len(entries)):
                x, y = entries[a], entries[b]
                if x[2] == y[2]:
                    continue
                scope = shared_scope(x[3], y[3])
                if scope is not None and not scope:
                    continue
                reports.add(x[0], x[1], y[0], y[1], detail=(host, number, x[2], y[2], scope),
                            detail_b=(host, number, y[2], x[2], scope), key=(host, number))
    return reports
