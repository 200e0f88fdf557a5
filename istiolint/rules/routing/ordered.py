"""The ordered route analysis of one VirtualService, shared by the IL30x rules (a helper module: it
declares no CODE).

Istio tries a VirtualService's ``http`` rules top to bottom and takes the first rule with a match entry
that applies (entries of one rule are alternatives). A rule without ``match`` (or with an empty list)
matches everything. So an entry M is dead when an earlier entry E -- in an earlier rule, or earlier in
the same rule -- *covers* it: every request matching M also matches E. Coverage itself is decided by
``istiolint.analysis.match_cover``; this module walks the rules once, remembers the first covering
entry of each entry, and is memoised per run so the rules sharing it compute it once.

TCP routes follow the same first-match order with one exception (istiod's sidecar listener code): on
sidecars an entry with ``destinationSubnets`` does not end the list, it becomes a filter chain of its
own and Envoy picks the most specific destination prefix among the chains. Such an entry therefore
hides nothing on sidecars; on gateways subnets are not evaluated and the first matching route wins.
"""

from __future__ import annotations

from typing import Any

from ...analysis.match_cover import (
    http_match_covers,
    http_side_covers,
    http_sides,
    matches_everything,
    tcp_match_covers,
)
from ...hosts import MESH_GATEWAY, resolve_gateway_ref
from ...record import record
from .cover_index import CoverCandidates

HTTP, TCP, TLS = "http", "tcp", "tls"
MEMO_KEY = "routing.ordered"
MAX_LISTED = 4
INDEX_FROM = 24  # HTTP entries of one VirtualService from which earlier entries are looked up by index


# --------------------------------------------------------------------------- gateways


def _gateway_key(raw: Any, namespace: Any) -> Any:
    """``namespace/name`` (or ``mesh``) for a gateway reference, so VirtualService-level and
    match-level spellings (``gw``, ``./gw``, ``ns/gw``, ``gw.ns``) compare equal. Unresolvable or
    non-string values are returned unchanged (the coverage module then answers "undecidable")."""
    if not isinstance(raw, str):
        return raw
    ref = resolve_gateway_ref(raw, namespace)
    return ref.key if ref is not None else raw


def resolve_gateways(value: Any, namespace: Any) -> Any:
    """A ``gateways`` list with every entry resolved; anything that is not a list is returned as is."""
    if not isinstance(value, list):
        return value
    return [_gateway_key(g, namespace) for g in value]


def vs_gateways(resource: Any) -> Any:
    """The VirtualService's resolved ``spec.gateways`` for the coverage functions (``[]`` = mesh)."""
    value = resolve_gateways(resource.get(("spec", "gateways")), resource.namespace)
    return [] if value is None else value


def effective_gateways(data: Any, gateways: Any) -> set:
    """Where an entry exists: its own ``gateways`` narrowing the VirtualService's (default mesh)."""
    vs = set(g for g in gateways if isinstance(g, str)) if isinstance(gateways, list) else set()
    vs = vs or {MESH_GATEWAY}
    own = data.get("gateways") if isinstance(data, dict) else None
    if isinstance(own, list) and own:
        return vs & {g for g in own if isinstance(g, str)}
    return vs


# --------------------------------------------------------------------------- rules and entries


@record(frozen=True)
class Entry:
    """One match entry of a route, or the implicit catch-all of a route without ``match``."""

    kind: str
    rule: int
    index: int | None  # position in the rule's ``match`` list; None: the rule has no match entries
    data: Any  # the entry, match-level gateways resolved (``{}`` for a rule without match)

    @property
    def path(self) -> tuple:
        if self.index is None:
            return ("spec", self.kind, self.rule)
        return ("spec", self.kind, self.rule, "match", self.index)

    @property
    def implicit(self) -> bool:
        return self.index is None

    def label(self, rule: Any = None) -> str:
        """``http[2].match[0]``, with the rule's and the entry's ``name`` when they are set:
        ``http[2].match[0] (rule "beta", match "mobile")``."""
        text = f"{self.kind}[{self.rule}]" + ("" if self.index is None else f".match[{self.index}]")
        names = []
        rule_name = rule.get("name") if isinstance(rule, dict) else None
        if isinstance(rule_name, str) and rule_name:
            names.append(f'rule "{rule_name}"')
        entry_name = self.data.get("name") if isinstance(self.data, dict) and self.index is not None else None
        if isinstance(entry_name, str) and entry_name:
            names.append(f'match "{entry_name}"')
        return text + (f" ({', '.join(names)})" if names else "")


@record
class Rule:
    index: int
    raw: Any
    entries: list[Entry] | None  # None: a malformed rule, left out of the analysis

    def label(self, kind: str) -> str:
        text = f"{kind}[{self.index}]"
        name = self.raw.get("name") if isinstance(self.raw, dict) else None
        if isinstance(name, str) and name:
            text += f' (rule "{name}")'
        return text


def _normalized(entry: Any, namespace: Any) -> Any:
    if isinstance(entry, dict) and isinstance(entry.get("gateways"), list):
        entry = dict(entry)
        entry["gateways"] = resolve_gateways(entry["gateways"], namespace)
    return entry


def rule_entries(kind: str, j: int, route: Any, namespace: Any, implicit: bool = True) -> list[Entry] | None:
    """The entries of route ``j``: its match entries, or one implicit catch-all when it has none
    (``implicit`` False: no entry at all, for TLS where a match is required). None when the route or
    its ``match`` has the wrong type."""
    if not isinstance(route, dict):
        return None
    match = route.get("match")
    if match is None or (isinstance(match, list) and not match):
        return [Entry(kind, j, None, {})] if implicit else []
    if not isinstance(match, list):
        return None
    return [Entry(kind, j, k, _normalized(entry, namespace)) for k, entry in enumerate(match)]


def has_subnets(data: Any) -> bool:
    subnets = data.get("destinationSubnets") if isinstance(data, dict) else None
    return isinstance(subnets, list) and bool(subnets)


def covers(kind: str, e: Entry, m: Entry, e_gateways: Any, m_gateways: Any) -> bool:
    """Does ``e``, tried before ``m``, take every request (connection) ``m`` would take?"""
    if kind == HTTP:
        return http_match_covers(e.data, m.data, e_gateways, m_gateways) is True
    if kind == TCP:
        if tcp_match_covers(e.data, m.data, e_gateways, m_gateways) is not True:
            return False
        # On sidecars an entry with destinationSubnets is a filter chain of its own (the most specific
        # prefix wins), it does not end the route list: it hides nothing there.
        if has_subnets(e.data) and MESH_GATEWAY in effective_gateways(m.data, m_gateways):
            return False
        return True
    return False


def is_catch_all(entry: Entry) -> bool:
    return matches_everything(entry.data, entry.kind) if isinstance(entry.data, dict) else False


# --------------------------------------------------------------------------- the analysis


class Analysis:
    """The route list of one kind of a VirtualService: its rules (read when first asked, see `analysis`)
    and, for each covered entry, the first earlier entry that covers it."""

    __slots__ = ("_resource", "_rules", "cover", "kind")

    def __init__(self, kind: str, resource: Any, rules: list[Rule] | None = None,
                 cover: dict[tuple[int, int | None], Entry] | None = None) -> None:
        self.kind = kind
        self._resource = resource
        self._rules = rules
        self.cover: dict[tuple[int, int | None], Entry] = {} if cover is None else cover

    @property
    def rules(self) -> list[Rule]:
        if self._rules is None:
            self._rules = read_rules(self._resource, self.kind)
        return self._rules

    def covering(self, entry: Entry) -> Entry | None:
        return self.cover.get((entry.rule, entry.index))

    def is_dead(self, entry: Entry) -> bool:
        return (entry.rule, entry.index) in self.cover

    def rule(self, index: int) -> Rule:
        return self.rules[index]

    def shadowed_rules(self) -> list[Rule]:
        """Rules every entry of which is covered by an earlier one."""
        if not self.cover:
            return []
        return [r for r in self.rules if r.entries and all(self.is_dead(e) for e in r.entries)]

    def redundant_entries(self) -> list[tuple[Entry, Entry]]:
        """(entry, covering entry) for covered entries of rules that are not wholly shadowed."""
        if not self.cover:
            return []
        out = []
        for r in self.rules:
            if not r.entries or all(self.is_dead(e) for e in r.entries):
                continue
            out.extend((e, self.cover[(e.rule, e.index)]) for e in r.entries if self.is_dead(e))
        return out


def read_rules(resource: Any, kind: str) -> list[Rule]:
    """The rules of one kind of route of a VirtualService, with their entries (match-level gateways
    resolved); [] when the list is missing or not a list."""
    routes = resource.get(("spec", kind))
    if not isinstance(routes, list):
        return []
    return [Rule(j, route, rule_entries(kind, j, route, resource.namespace)) for j, route in enumerate(routes)]


def compute(resource: Any, kind: str) -> Analysis:
    out = Analysis(kind, resource, read_rules(resource, kind))
    if not out.rules:
        return out
    gateways = vs_gateways(resource)
    # Many HTTP entries: ask match_cover only about the earlier entries that may cover each one (see
    # cover_index); a few: every earlier entry, which is cheaper than indexing them.
    index = CoverCandidates() if kind == HTTP and sum(len(r.entries or ()) for r in out.rules) > INDEX_FROM else None
    # HTTP: each entry read once (match_cover.http_sides), not once per pair
    sides = http_sides([m.data for r in out.rules for m in r.entries or ()], gateways) if kind == HTTP else []
    earlier: list[Entry] = []
    for rule in out.rules:
        for m in rule.entries or ():
            if kind == HTTP:
                side = sides[len(earlier)]
                if side is not None:  # an entry that cannot be read exactly is covered by none (None)
                    for k in (range(len(earlier)) if index is None else index.candidates(m.data)):
                        if http_side_covers(sides[k], side):
                            out.cover[(m.rule, m.index)] = earlier[k]
                            break
            else:
                for e in earlier:
                    if covers(kind, e, m, gateways, gateways):
                        out.cover[(m.rule, m.index)] = e
                        break
            if index is not None:
                index.add(len(earlier), m.data)
            earlier.append(m)
    return out


def with_dead_entries(resource: Any, kind: str, index: Any) -> Analysis | None:
    """`analysis` when some entry of the route list is covered, else None (route-shadowed and
    match-redundant report nothing then: no object is made for the usual route list)."""
    memo = index.memo(MEMO_KEY, lambda _index: {})
    key = (id(resource), kind)
    if key in memo:
        return memo[key]
    found = analysis(resource, kind, index)
    return found if found.cover else None


def analysis(resource: Any, kind: str, index: Any) -> Analysis:
    """The memoised :func:`compute` (route-shadowed and match-redundant both need it).

    Most route lists hide nothing: for those only that is kept (None), not their rule and entry objects,
    which a large run would otherwise hold to its end (and every full garbage collection would scan);
    merge-overlap, which reads their entries again, gets them read again."""
    memo = index.memo(MEMO_KEY, lambda _index: {})
    key = (id(resource), kind)
    if key not in memo:
        found = compute(resource, kind)
        memo[key] = found if found.cover else None
        return found
    found = memo[key]
    return found if found is not None else Analysis(kind, resource)


# --------------------------------------------------------------------------- messages


def _uri_value(data: Any, *keys: str) -> tuple[str, str] | None:
    uri = data.get("uri") if isinstance(data, dict) else None
    if not isinstance(uri, dict):
        return None
    for key in keys:
        value = uri.get(key)
        if isinstance(value, str):
            return key, value
    return None


def why(e: Entry, m: Entry) -> str:
    """A short explanation of a coverage people often find surprising ('' when there is none)."""
    data = e.data if isinstance(e.data, dict) else {}
    rest = {k for k in data if k not in ("name", "ignoreUriCase")}
    if e.implicit:
        return "a rule without `match` matches every request" if e.kind == HTTP \
            else "a route without `match` matches every connection"
    if not rest:
        return "an empty match entry matches everything"
    if e.kind == HTTP and rest == {"uri"} and _uri_value(data, "prefix") == ("prefix", "/"):
        return "`uri.prefix: /` matches every path"
    e_prefix = _uri_value(data, "prefix")
    m_value = _uri_value(m.data, "prefix", "exact")
    if e_prefix and m_value:
        p, v = e_prefix[1], m_value[1]
        if v != p and v.startswith(p) and not p.endswith("/") and v[len(p)] != "/":
            return (f"`prefix: {p}` is a plain string prefix, not a path segment: it also matches "
                    f"`{v}`")
    return ""


def listing(items: list[str]) -> str:
    shown = ", ".join(items[:MAX_LISTED])
    return shown + (f" and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else "")
