"""Which HTTP match entries may cover a given one, without asking ``match_cover`` about every pair (a
helper module: it declares no CODE).

``match_cover`` decides "does E cover M" exactly but costs real work (RE2 automata for regexes), so
comparing every pair of entries is quadratic in a VirtualService with thousands of routes, or in the
VirtualServices merged on one gateway host. Two conditions are *necessary* for E to cover M, and
cheap to index:

- **the path**: an E with an ``exact`` or ``prefix`` uri takes only paths that start with that text
  (ASCII case folded, which only widens the test), so it can cover M only if M's own literal uri
  (every path M takes starts with it; ``/`` when M leaves the uri open, as every path starts with
  ``/``) starts with E's text. An E without a literal uri (none, a regex, anything odd) may cover
  anything as far as the path goes.
- **the headers**: a condition on a header in E's ``headers`` (any matcher: ``{}``, exact, prefix,
  regex) requires the header to be present, and only M's own conditions on that header can promise
  that (in ``headers``, or in ``withoutHeaders``, where ``exact: ""`` excludes a missing header), so E
  can cover M only if M names every such header of E too. Pseudo-headers
  (``:authority``...) are always present and JWT claims (``@request.auth.claims``) may be lists:
  neither is used to narrow.

An M whose uri is a regex (or anything odd) is compared with every entry. The candidates are a
superset of the entries that cover M; the caller still asks ``match_cover`` about each, so answers are
exactly those of the pairwise comparison.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any


def freeze(value: Any) -> Hashable:
    """A hashable stand-in for a YAML value, equal exactly when the values are (booleans kept apart from
    numbers): the key of "the same match entry" or "the same route action"."""
    if isinstance(value, dict):
        return ("map", frozenset((freeze(k), freeze(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("seq", tuple(freeze(v) for v in value))
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (str, int, float)) or value is None:
        return value
    return ("other", repr(value))


def _uri_literal(data: Any) -> str | None:
    """The text every path an entry takes starts with, lower-cased; None when the uri is a regex or odd."""
    uri = data.get("uri") if isinstance(data, dict) else None
    if uri is None:
        return "/"
    if not isinstance(uri, dict):
        return None
    values = [(k, uri.get(k)) for k in ("exact", "prefix", "regex") if uri.get(k) is not None]
    if not values:
        return "/"
    if len(values) > 1 or values[0][0] == "regex" or not isinstance(values[0][1], str):
        return None
    text = values[0][1].lower()
    return text if text else "/"  # an empty prefix leaves the path open


def _required_headers(data: Any) -> frozenset[str]:
    """Header names an entry's ``headers`` require present (pseudo-headers and claims left out)."""
    headers = data.get("headers") if isinstance(data, dict) else None
    if not isinstance(headers, dict):
        return frozenset()
    return frozenset(n.lower() for n in headers if isinstance(n, str) and n and not n.startswith((":", "@")))


def _named_headers(data: Any) -> frozenset[str]:
    """Header names an entry says anything about: in ``headers``, and in ``withoutHeaders`` (where a
    value matcher reads a missing header as "", so ``exact: ""`` there requires the header)."""
    names: set[str] = set()
    for field in ("headers", "withoutHeaders"):
        headers = data.get(field) if isinstance(data, dict) else None
        if isinstance(headers, dict):
            names.update(n.lower() for n in headers if isinstance(n, str))
    return frozenset(names)


class CoverCandidates:
    """HTTP match entries filed by key (``add``); ``candidates`` lists the keys of those that may cover
    an entry (see the module docstring), in the order they were added."""

    def __init__(self) -> None:
        self._order: dict[Hashable, int] = {}
        self._by_literal: dict[str, list[Hashable]] = {}
        self._open_by_header: dict[str, list[Hashable]] = {}  # uri not literal, filed under one header
        self._open: list[Hashable] = []  # uri not literal, no header required
        self._required: dict[Hashable, frozenset[str]] = {}

    def __len__(self) -> int:
        return len(self._order)

    def add(self, key: Hashable, data: Any) -> None:
        if key in self._order:
            return
        self._order[key] = len(self._order)
        required = self._required[key] = _required_headers(data)
        uri = data.get("uri") if isinstance(data, dict) else None
        literal = _uri_literal(data) if uri is not None else None  # no uri at all: open
        if literal is not None and literal != "/":
            self._by_literal.setdefault(literal, []).append(key)
        elif required:
            self._open_by_header.setdefault(min(required), []).append(key)
        else:
            self._open.append(key)

    def candidates(self, data: Any) -> list[Hashable]:
        literal = _uri_literal(data) if isinstance(data, dict) else None
        if literal is None:
            return list(self._order)  # a regex (or odd) uri: compare with everything
        named = _named_headers(data)
        found: list[Hashable] = []
        for k in range(1, len(literal) + 1):
            found.extend(self._by_literal.get(literal[:k], ()))
        found.extend(self._open)
        for name in named:
            found.extend(self._open_by_header.get(name, ()))
        found = [key for key in found if self._required[key] <= named]
        found.sort(key=self._order.__getitem__)
        return found
