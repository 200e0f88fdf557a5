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

from ...record import field, record
from .common import (
    ALL,
    Claim,
    Pool,
    capped,
    describe_scope,
    export_scope,
    joined,
    label,
    listed,
    order_key,
    shared_scope,
)

CODE = "IL420"
KINDS = ("ServiceEntry",)

MEMO_KEY = "conflicts.serviceentry-protocols"
UNSET = "(unset)"


def check(resource, ctx) -> Iterator:
    ports: HostPorts = ctx.index.memo(MEMO_KEY, _build)
    scope = export_scope(resource.get(("spec", "exportTo")), resource.namespace)
    if scope is not ALL and not scope:
        return
    # Every other ServiceEntry named, in the order the message lists them: by this side's location, then
    # by the other side; (host, port) clauses in the order of their first named other.
    pending = []
    totals: dict[tuple, tuple[str, int, int]] = {}  # (host, port) -> (this side's protocol, named, in all)
    for host, number, path, mine in ports.claims_of(resource):
        named, total = ports.others(host, number, mine, resource, scope)
        if not named:
            continue
        totals[(host, number)] = (mine, len(named), total)
        where = (resource.position(path), tuple(map(str, path)))
        pending.extend((where, order_key(c.resource), host, number, path, c) for c in named)
    if not pending:
        return
    pending.sort(key=lambda p: p[:2])
    by_port: dict[tuple, list] = {}
    related = []
    for _, _, host, number, _, c in pending:
        by_port.setdefault((host, number), []).append(c)
        related.append(ctx.related(c.resource, c.path, f"{host}:{number} declared {c.detail} here"))
    clauses = []
    for (host, number), others in by_port.items():
        mine, shown, total = totals[(host, number)]
        here = "has no protocol here" if mine == UNSET else f"is declared {mine} here"
        said = joined([f"{label(c.resource)} {_says(c.detail)} ({describe_scope(shared_scope(scope, c.scope))})"
                       for c in others], total - shown)
        clauses.append(f"host '{host}' port {number} {here}, but {said}")
    message = (f"{listed(clauses)}. Istio merges ServiceEntries by host and keeps one protocol per host and port, "
               "so one of them is handled with the other's protocol. Use the same protocol everywhere, or declare "
               "the host in one ServiceEntry")
    yield ctx.finding(resource, pending[0][4], message, related=capped(related))


def _says(protocol: str) -> str:
    return "leaves it without a protocol" if protocol == UNSET else f"declares it {protocol}"


def _protocol(port: dict) -> str:
    value = port.get("protocol")
    return value.upper() if isinstance(value, str) and value else UNSET


@record
class HostPorts:
    """ServiceEntry ports by (host, port number) and protocol: the claimants of one protocol conflict with
    those of every other protocol of the same host and port (kept as groups, never as pairs)."""

    groups: dict[tuple, dict[str, list[Claim]]] = field(default_factory=dict)  # (host, n) -> protocol -> claims
    by_entry: dict[int, list[tuple]] = field(default_factory=dict)  # id(se) -> [(host, n, path, protocol)]
    _pools: dict[tuple, Pool] = field(default_factory=dict)

    def claims_of(self, se) -> list[tuple]:
        return self.by_entry.get(id(se), [])

    def others(self, host: str, number: int, protocol: str, se, scope) -> tuple[list[Claim], int]:
        """The first few ServiceEntries declaring this host and port with another protocol (visible together
        with ``scope``), and how many there are."""
        by_protocol = self.groups[(host, number)]
        if len(by_protocol) < 2:
            return [], 0
        key = (host, number, protocol)
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = Pool.union(
                [Pool(claims) for other, claims in sorted(by_protocol.items()) if other != protocol] or [Pool(())])
        return pool.others(se, scope)


def _build(index) -> HostPorts:
    out = HostPorts()
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
            protocol = _protocol(port)
            path = ("spec", "ports", k) + (("protocol",) if "protocol" in port else ())
            for host in dict.fromkeys(hosts):
                out.groups.setdefault((host, number), {}).setdefault(protocol, []).append(
                    Claim(se, path, scope, protocol))
                out.by_entry.setdefault(id(se), []).append((host, number, path, protocol))
    return out
