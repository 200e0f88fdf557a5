"""Exact "does match entry E cover match entry M" decisions for route shadowing.

A VirtualService's ``http`` rules are tried top to bottom, so a match entry M of a later rule is
dead when an earlier entry E *covers* it: every request that satisfies M also satisfies E.  This
module decides that question condition by condition, exactly, with a tri-state answer:

* ``True``  -- proven: every request (connection) matching M also matches E;
* ``False`` -- proven not to cover, or not provable (also returned when M on its own can match
  nothing at all: such an M is dead for another reason, and "shadowed by E" would mislead);
* ``None``  -- undecidable or malformed input (a regex outside the exactly-supported RE2 subset, an
  invalid RE2 pattern, a value of the wrong type, an unknown key).  Callers stay silent on None.

Model of a request (what each condition reads, from Istio's translation to Envoy route matches):

* ``uri`` reads ``:path``.  ``prefix`` compares against the whole ``:path``, query string
  included; ``exact`` and ``regex`` see the path with the query string removed, and a regex must
  match all of it.  Paths start with ``/`` and hold no ``#`` (Envoy rejects or strips fragments)
  and, like every header, no NUL, CR or LF.
  ``ignoreUriCase`` makes ``exact``/``prefix`` ASCII-case-insensitive; it never affects ``regex``.
* ``headers`` / ``withoutHeaders`` read one header each (names case-insensitive); ``method``,
  ``authority`` and ``scheme`` are the always-present pseudo-headers ``:method``, ``:authority``,
  ``:scheme``.  ``{}`` and ``regex: "*"`` mean "present"; under ``withoutHeaders`` they mean
  "absent", and a value matcher there treats a missing header as ``""``.  Header values never hold
  NUL, CR or LF.  Keys starting with ``@request.auth.claims`` match JWT claims (which may be lists),
  and are compared only in the simple shapes that stay exact for lists.
* ``queryParams`` read the first value of a query parameter (names case-sensitive).
* ``port``, ``sourceLabels``, ``sourceNamespace`` and ``gateways`` decide on which proxies and
  listener ports the entry exists at all; match-level ``gateways`` narrow the VirtualService's
  gateways (default ``[mesh]``), and when an HTTP entry sets ``gateways`` Istio ignores its
  ``sourceLabels`` and ``sourceNamespace``.  For TCP/TLS, sidecars evaluate gateways, labels,
  namespace and port, while gateways evaluate only ``port`` and ``gateways``.

Gateway names are compared as given: pass the VirtualService's gateways spelled the way its match
entries spell theirs (or normalized the same way).  Both entries are assumed to serve the same
host; host binding is the caller's business.

Each condition constrains one dimension of the request (the path, one header, one query
parameter, the port, the proxy), and E covers M when, on every dimension E constrains, M's
constraint implies E's.  That is exact for independent dimensions; query parameters are also part
of ``:path``, where the test stays sound (never a wrong True) and can only miss.  String conditions
are compared as regular languages: RE2 patterns are parsed here (RE2's syntax, not Python's) into
automata over the whole of Unicode with ``greenery``'s character classes; constructs that cannot be
represented exactly (``\\b``, ``\\B``, ``\\C``, ``\\p{..}``, non-ASCII characters under ``(?i)``,
anchors away from the ends of the pattern) give None.  Compiled automata and inclusion answers are
cached, so each pattern is compiled once per run.

Speed (route shadowing asks these questions for every pair of match entries of every
VirtualService): languages without a regex -- exact, prefix, the path and header domains -- are
decided by string comparisons alone; for a regex, a sample string (a language inside it) and the
cone of its fixed start (a language around it) often find a witness without any automaton; and
automata read code points through interval partitions, so products refine alphabets by merging
integer boundaries.  All three give exactly the automata's answers (tests/test_match_cover_automata.py
checks them against a plain greenery construction), except that a witness found stands even where
an automaton would have been over its size limit (None before).

Route shadowing reads each entry once (`http_side`) and asks `http_side_covers`, which wants only
"proven" answers: most pairs are turned down there by string comparisons -- a header E requires that M
does not name, a path M surely takes (``/`` when it leaves the uri open) that E does not, literal path
starts that disagree -- before any regex is parsed (tests/test_match_cover_sides.py checks that these
prove exactly the pairs the full decision does).
"""

from __future__ import annotations

import functools
import os
import re
from bisect import bisect_right
from collections.abc import Iterable
from typing import Any, Union

# greenery (character classes) and re2 are imported on first use (`_load_classes`): the literal
# decisions most routes need use neither, and a small run should not pay for importing them.
Charclass: Any = None
negate: Any = None
_re2: Any = None

__all__ = [
    "HttpSide",
    "http_match_covers",
    "http_side",
    "http_side_covers",
    "http_sides",
    "http_sides_cover",
    "matches_everything",
    "string_match_covers",
    "tcp_match_covers",
    "tls_match_duplicate",
]

Tri = Union[bool, None]


class _Undecidable(Exception):
    """The input is malformed or outside what can be decided exactly: the answer is None."""


# ---------------------------------------------------------------------------------------------
# Character classes
# ---------------------------------------------------------------------------------------------

_ANY: Any = None  # every code point (set by _load_classes, as are the class tables below)


def _load_classes() -> None:
    """Import greenery and re2 and build the class tables, once."""
    global Charclass, negate, _re2, _ANY, _PERL_CLASSES, _POSIX_CLASSES, _STAR_ANY
    if _ANY is not None:
        return
    from greenery import Charclass as charclass
    from greenery.charclass import negate as negate_ranges

    Charclass, negate = charclass, negate_ranges
    try:  # google-re2: the validator Envoy's own regex engine implies
        import re2
    except ImportError:  # pragma: no cover - google-re2 is a declared dependency
        re2 = None
    _re2 = re2
    # RE2's Perl classes are ASCII-only; note \s has no \v (unlike [[:space:]]).
    _PERL_CLASSES = {
        "d": _cc((_o("0"), _o("9"))),
        "s": _chars("\t\n\f\r "),
        "w": _cc((_o("0"), _o("9")), (_o("A"), _o("Z")), (_o("_"), _o("_")), (_o("a"), _o("z"))),
    }
    _POSIX_CLASSES = {
        "alnum": _cc((_o("0"), _o("9")), (_o("A"), _o("Z")), (_o("a"), _o("z"))),
        "alpha": _cc((_o("A"), _o("Z")), (_o("a"), _o("z"))),
        "ascii": _cc((0, 0x7F)),
        "blank": _chars("\t "),
        "cntrl": _cc((0, 0x1F), (0x7F, 0x7F)),
        "digit": _cc((_o("0"), _o("9"))),
        "graph": _cc((_o("!"), _o("~"))),
        "lower": _cc((_o("a"), _o("z"))),
        "print": _cc((_o(" "), _o("~"))),
        "punct": _cc((_o("!"), _o("/")), (_o(":"), _o("@")), (_o("["), _o("`")), (_o("{"), _o("~"))),
        "space": _chars("\t\n\v\f\r "),
        "upper": _cc((_o("A"), _o("Z"))),
        "word": _cc((_o("0"), _o("9")), (_o("A"), _o("Z")), (_o("_"), _o("_")), (_o("a"), _o("z"))),
        "xdigit": _cc((_o("0"), _o("9")), (_o("A"), _o("F")), (_o("a"), _o("f"))),
    }
    _ANY = ~Charclass()
    _STAR_ANY = ("rep", ("cc", _ANY), 0, None)


def _cc(*ranges: tuple[int, int]) -> Charclass:
    return Charclass(tuple((chr(lo), chr(hi)) for lo, hi in ranges))


@functools.lru_cache(maxsize=4096)
def _chars(text: str) -> Charclass:
    # Cached: building a Charclass is slow, and patterns are made of the same few characters.
    return Charclass(text)


def _o(c: str) -> int:
    return ord(c)


_PERL_CLASSES: dict = {}  # set by _load_classes
_POSIX_CLASSES: dict = {}

_KELVIN = "\u212a"  # RE2's simple case folding puts K, k and KELVIN SIGN in one orbit
_LONG_S = "\u017f"  # ... and S, s and LATIN SMALL LETTER LONG S


def _positive_chars(cc: Charclass) -> list[tuple[int, int]]:
    if cc.negated:
        raise _Undecidable("negated class in fold")
    return list(cc.ord_ranges)


def _re2_fold(cc: Charclass) -> Charclass:
    """RE2 ``(?i)`` closure of a positive class.  Exact for ASCII members only (the two non-ASCII
    characters that fold into ASCII orbits are added); anything else is undecidable here."""
    out = cc
    for lo, hi in _positive_chars(cc):
        if hi > 0x7F:
            raise _Undecidable("case-insensitive non-ASCII character")
        for u in range(lo, hi + 1):
            c = chr(u)
            if c.isalpha():
                out = out | _chars(c.swapcase())
                if c in "kK":
                    out = out | _chars(_KELVIN)
                elif c in "sS":
                    out = out | _chars(_LONG_S)
    return out


def _ascii_fold_char(c: str) -> Charclass:
    """Envoy's ``ignore_case`` (and ``ignoreUriCase``) compares with ASCII case folding only."""
    if c.isascii() and c.isalpha():
        return _chars(c.lower() + c.upper())
    return _chars(c)


# ---------------------------------------------------------------------------------------------
# Regular-language syntax trees (hashable tuples)
# ---------------------------------------------------------------------------------------------
# ("cc", Charclass)          one character from the class
# ("cat", (node, ...))       concatenation
# ("alt", (node, ...))       alternation
# ("rep", node, lo, hi)      repetition, hi None = unbounded
# ("eps",)                   the empty string
# ("null",)                  nothing at all
# ("start",) / ("end",)      anchors, only in parser output

_EPS = ("eps",)
_NULL = ("null",)
_STAR_ANY: Any = None  # ("rep", ("cc", _ANY), 0, None), set by _load_classes


def _cat(*nodes: tuple) -> tuple:
    return ("cat", tuple(nodes))


def _literal(text: str, fold: bool) -> tuple:
    return _cat(*(("cc", _ascii_fold_char(c) if fold else _chars(c)) for c in text))


_MAX_REPEAT = 1000  # RE2's own limit
_MAX_PATTERN = 1024  # Istio rejects longer regexes
_REPEAT_OPS = "*+?"


class _RE2Parser:
    """A parser for RE2 syntax (Perl mode, as Envoy compiles it) into the tuple trees above.

    Only what can be represented exactly is accepted; everything else raises _Undecidable.
    Patterns are validated with RE2 itself first, so this parser may assume well-formed input but
    still refuses anything it does not understand."""

    def __init__(self, pattern: str) -> None:
        self.s = pattern
        self.i = 0

    def parse(self) -> tuple:
        node = self._alternation({"i": False, "s": False})
        if self.i != len(self.s):
            raise _Undecidable("unbalanced parenthesis")
        return node

    # -- structure ------------------------------------------------------------------------------

    def _peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.s[j] if j < len(self.s) else ""

    def _alternation(self, flags: dict) -> tuple:
        # Flags set by "(?i)" last to the end of the enclosing group, across "|" as well: the
        # dict is shared by every branch of this group.
        branches = [self._concatenation(flags)]
        while self._peek() == "|":
            self.i += 1
            branches.append(self._concatenation(flags))
        return branches[0] if len(branches) == 1 else ("alt", tuple(branches))

    def _concatenation(self, flags: dict) -> tuple:
        items: list[tuple] = []
        while self.i < len(self.s) and self._peek() not in "|)":
            atom = self._atom(flags)
            if atom is None:  # a flag group such as (?i), or an empty \Q\E
                continue
            if atom[0] == "quoted":
                # A repetition after \Q...\E applies to the last quoted character only.
                items.extend(atom[1][:-1])
                atom = atom[1][-1]
            items.append(self._repetition(atom))
        if not items:
            return _EPS
        return items[0] if len(items) == 1 else ("cat", tuple(items))

    def _repetition_spec(self) -> tuple[int, int | None, int] | None:
        """(lo, hi, length) when a valid {n}, {n,} or {n,m} starts here; RE2 reads any other
        "{" as a literal."""
        s, i = self.s, self.i
        if i >= len(s) or s[i] != "{":
            return None
        j = i + 1
        k = j
        while k < len(s) and s[k].isdigit() and s[k].isascii():
            k += 1
        if k == j or k >= len(s):
            return None
        lo = int(s[j:k])
        if s[k] == "}":
            return lo, lo, k + 1 - i
        if s[k] != ",":
            return None
        m = k + 1
        while m < len(s) and s[m].isdigit() and s[m].isascii():
            m += 1
        if m >= len(s) or s[m] != "}":
            return None
        hi = int(s[k + 1 : m]) if m > k + 1 else None
        return lo, hi, m + 1 - i

    def _repetition(self, atom: tuple) -> tuple:
        c = self._peek()
        if c in _REPEAT_OPS and c:
            self.i += 1
            lo, hi = {"*": (0, None), "+": (1, None), "?": (0, 1)}[c]
        else:
            spec = self._repetition_spec()
            if spec is None:
                return atom
            lo, hi, length = spec
            self.i += length
            if lo > _MAX_REPEAT or (hi is not None and (hi > _MAX_REPEAT or hi < lo)):
                raise _Undecidable("invalid repetition size")
        if self._peek() == "?":  # non-greedy: same language
            self.i += 1
        if (self._peek() in _REPEAT_OPS and self._peek()) or self._repetition_spec() is not None:
            raise _Undecidable("bad repetition operator")
        return ("rep", atom, lo, hi)

    def _atom(self, flags: dict) -> tuple | None:
        c = self._peek()
        if c == "(":
            return self._group(flags)
        if c == "[":
            return ("cc", self._char_class(flags))
        if c == ".":
            self.i += 1
            # Without (?s) the dot excludes only "\n".
            return ("cc", _ANY if flags["s"] else ~_chars("\n"))
        if c == "^":
            self.i += 1
            return ("start",)
        if c == "$":
            self.i += 1
            return ("end",)
        if c == "\\":
            return self._escape(flags)
        if c in _REPEAT_OPS or self._repetition_spec() is not None:
            raise _Undecidable("missing argument to repetition operator")
        self.i += 1
        return ("cc", self._fold(_chars(c), flags))

    def _group(self, flags: dict) -> tuple | None:
        s = self.s
        self.i += 1  # "("
        inner_flags = dict(flags)
        if self._peek() == "?":
            if s.startswith("?P<", self.i) or (s.startswith("?<", self.i) and self._peek(2) not in "=!"):
                # Named capture group: the name does not change the language.
                end = s.find(">", self.i)
                if end < 0:
                    raise _Undecidable("bad named group")
                self.i = end + 1
            else:
                self.i += 1
                sign = True
                seen = False
                while True:
                    c = self._peek()
                    if c in ("i", "m", "s", "U"):
                        if c in ("i", "s"):
                            inner_flags[c] = sign
                        seen = True
                        self.i += 1
                    elif c == "-" and sign:
                        sign = False
                        seen = False
                        self.i += 1
                    elif c == ")":
                        if not sign and not seen:
                            raise _Undecidable("bad flags")
                        self.i += 1
                        # (?flags) changes the rest of the enclosing group.
                        flags.update(inner_flags)
                        return None
                    elif c == ":":
                        if not sign and not seen:
                            raise _Undecidable("bad flags")
                        self.i += 1
                        break
                    else:
                        # Lookarounds (?= (?! (?<= (?<!, backreferences (?P=, ...: not RE2, or
                        # not regular.
                        raise _Undecidable("unsupported group")
        node = self._alternation(inner_flags)
        if self._peek() != ")":
            raise _Undecidable("missing )")
        self.i += 1
        return node

    # -- escapes and classes ---------------------------------------------------------------------

    def _fold(self, cc: Charclass, flags: dict) -> Charclass:
        return _re2_fold(cc) if flags["i"] else cc

    def _char_escape(self) -> str:
        """A single-character escape at self.i (pointing at the backslash)."""
        s = self.s
        c = self._peek(1)
        if not c:
            raise _Undecidable("trailing backslash")
        simple = {"a": "\a", "f": "\f", "t": "\t", "n": "\n", "r": "\r", "v": "\v"}
        if c in simple:
            self.i += 2
            return simple[c]
        if c == "x":
            j = self.i + 2
            if self._peek(2) == "{":
                end = s.find("}", j)
                digits = s[j + 1 : end] if end > 0 else ""
                if not digits or any(d not in "0123456789abcdefABCDEF" for d in digits):
                    raise _Undecidable("bad hex escape")
                code = int(digits, 16)
                self.i = end + 1
            else:
                digits = s[j : j + 2]
                if len(digits) != 2 or any(d not in "0123456789abcdefABCDEF" for d in digits):
                    raise _Undecidable("bad hex escape")
                code = int(digits, 16)
                self.i = j + 2
            if code > 0x10FFFF:
                raise _Undecidable("bad hex escape")
            return chr(code)
        if c in "01234567":
            # RE2: \0 plus up to two octal digits; \1-\7 must be followed by an octal digit
            # (a lone \1 would be a backreference, which RE2 rejects).
            j = self.i + 1
            digits = c
            j += 1
            if c != "0" and not (j < len(s) and s[j] in "01234567"):
                raise _Undecidable("backreference")
            while len(digits) < 3 and j < len(s) and s[j] in "01234567":
                digits += s[j]
                j += 1
            self.i = j
            return chr(int(digits, 8))
        if c.isascii() and not c.isalnum():
            self.i += 2
            return c
        raise _Undecidable(f"unsupported escape \\{c}")

    def _perl_class(self, c: str) -> Charclass:
        base = _PERL_CLASSES[c.lower()]
        return base if c.islower() else ~base

    def _escape(self, flags: dict) -> tuple | None:
        c = self._peek(1)
        if c in ("d", "D", "s", "S", "w", "W") and c:
            self.i += 2
            return ("cc", self._class_item(self._perl_class(c.lower()), not c.islower(), flags))
        if c == "A":
            self.i += 2
            return ("start",)
        if c == "z":
            self.i += 2
            return ("end",)
        if c == "Q":
            # \Q...\E quotes literally (to the end of the pattern when \E is missing).
            end = self.s.find("\\E", self.i + 2)
            text = self.s[self.i + 2 : end if end >= 0 else len(self.s)]
            self.i = end + 2 if end >= 0 else len(self.s)
            if not text:
                return None
            return ("quoted", tuple(("cc", self._fold(_chars(ch), flags)) for ch in text))
        # \b \B (word boundaries), \C (any byte), \p \P (Unicode tables), \G \Z ...: no exact
        # automaton here.
        return ("cc", self._fold(_chars(self._char_escape()), flags))

    def _class_item(self, positive: Charclass, negated: bool, flags: dict) -> Charclass:
        # RE2 folds a negated Perl/POSIX class by folding the positive class, then negating.
        folded = self._fold(positive, flags)
        return ~folded if negated else folded

    def _class_char(self) -> str:
        c = self._peek()
        if c == "\\":
            nxt = self._peek(1)
            if nxt in ("d", "D", "s", "S", "w", "W", "p", "P", "Q", "E", "b", "B") and nxt:
                raise _Undecidable("class escape")
            return self._char_escape()
        if not c:
            raise _Undecidable("missing ]")
        self.i += 1
        return c

    def _char_class(self, flags: dict) -> Charclass:
        s = self.s
        self.i += 1  # "["
        negated = False
        if self._peek() == "^":
            negated = True
            self.i += 1
        out = Charclass()
        first = True
        while True:
            c = self._peek()
            if not c:
                raise _Undecidable("missing ]")
            if c == "]" and not first:
                self.i += 1
                break
            first = False
            if s.startswith("[:", self.i):
                end = s.find(":]", self.i + 2)
                if end < 0:
                    raise _Undecidable("bad POSIX class")
                name = s[self.i + 2 : end]
                neg = name.startswith("^")
                name = name[1:] if neg else name
                if name not in _POSIX_CLASSES:
                    raise _Undecidable("unknown POSIX class")
                self.i = end + 2
                out = out | self._class_item(_POSIX_CLASSES[name], neg, flags)
                continue
            if c == "\\" and self._peek(1) in ("d", "D", "s", "S", "w", "W") and self._peek(1):
                p = self._peek(1)
                self.i += 2
                out = out | self._class_item(self._perl_class(p.lower()), not p.islower(), flags)
                continue
            lo = self._class_char()
            if self._peek() == "-" and self._peek(1) not in ("]", ""):
                self.i += 1
                hi = self._class_char()
                if hi < lo:
                    raise _Undecidable("bad range")
                item = Charclass(((lo, hi),))
            else:
                item = _chars(lo)
            out = out | self._fold(item, flags)
        # RE2 negates after folding; "[^a]" includes "\n" (RE2's default ClassNL).
        return ~out if negated else out


def _resolve_anchors(node: tuple, at_start: bool, at_end: bool) -> tuple:
    """Envoy requires a full match, so "^"/"\\A" at the very start and "$"/"\\z" at the very end
    are no-ops (also with (?m): position 0 is a line start too).  Anywhere else they would need
    more than a plain automaton: undecidable."""
    kind = node[0]
    if kind == "start":
        if at_start:
            return _EPS
        raise _Undecidable("anchor inside pattern")
    if kind == "end":
        if at_end:
            return _EPS
        raise _Undecidable("anchor inside pattern")
    if kind == "alt":
        return ("alt", tuple(_resolve_anchors(b, at_start, at_end) for b in node[1]))
    if kind == "cat":
        items = node[1]
        zero = [it[0] in ("start", "end", "eps") for it in items]
        out = []
        for k, it in enumerate(items):
            s = at_start and all(zero[:k])
            e = at_end and all(zero[k + 1 :])
            out.append(_resolve_anchors(it, s, e))
        return ("cat", tuple(out))
    if kind == "rep":
        _, child, lo, hi = node
        # A repeated anchor sits at the ends only if the repetition runs at most once.
        once = hi is not None and hi <= 1
        return ("rep", _resolve_anchors(child, at_start and once, at_end and once), lo, hi)
    return node


def _without_chars(node: tuple, banned: Charclass) -> tuple:
    """The same pattern with `banned` removed from every class: its language minus all strings
    that contain a banned character (each character is read by exactly one class)."""
    kind = node[0]
    if kind == "cc":
        return ("cc", _class_minus(node[1], banned))
    if kind in ("cat", "alt"):
        return (kind, tuple(_without_chars(n, banned) for n in node[1]))
    if kind == "rep":
        return ("rep", _without_chars(node[1], banned), node[2], node[3])
    return node


@functools.lru_cache(maxsize=1024)
def _class_minus(cc: Charclass, banned: Charclass) -> Charclass:
    # Patterns repeat the same few classes: character-class algebra is slow enough to cache.
    return cc & ~banned


@functools.lru_cache(maxsize=4096)
def _regex_tree(pattern: str) -> tuple | None:
    """The RE2 pattern as a tree with anchors resolved, or None when it is invalid RE2 or not
    representable exactly."""
    if not pattern or len(pattern) > _MAX_PATTERN:
        return None
    _load_classes()
    if _re2 is not None:
        options = _re2.Options()
        options.log_errors = False  # a linter must not write to stderr for a user's bad regex
        try:
            _re2.compile(pattern, options)
        except Exception:  # re2.error: invalid for Envoy -> undecidable, another rule reports it
            return None
    try:
        return _resolve_anchors(_RE2Parser(pattern).parse(), True, True)
    except _Undecidable:
        return None
    except (ValueError, IndexError):  # defensive: malformed input the validator let through
        return None


# ---------------------------------------------------------------------------------------------
# Automata: Thompson NFA -> DFA over a partition of Unicode into intervals
# ---------------------------------------------------------------------------------------------
# A DFA reads code points through its own partition of Unicode into pieces (unions of intervals
# that no class of the pattern tells apart), so one transition serves a whole piece.  Products
# refine the partitions of their automata by merging interval boundaries: integer work only, no
# character-class algebra (which made every inclusion test cost milliseconds).

_MAX_NFA_STATES = 50_000
_MAX_DFA_STATES = 5_000
_UNICODE_END = 0x110000  # one past the last code point


class _NFA:
    def __init__(self) -> None:
        self.eps: list[list[int]] = []
        self.edges: list[list[tuple[Charclass, int]]] = []

    def state(self) -> int:
        if len(self.eps) >= _MAX_NFA_STATES:
            raise _Undecidable("pattern too large")
        self.eps.append([])
        self.edges.append([])
        return len(self.eps) - 1

    def build(self, node: tuple) -> tuple[int, int]:
        kind = node[0]
        if kind == "cc":
            a, b = self.state(), self.state()
            if not node[1].empty():
                self.edges[a].append((node[1], b))
            return a, b
        if kind == "eps":
            a = self.state()
            return a, a
        if kind == "null":
            return self.state(), self.state()
        if kind == "cat":
            if not node[1]:
                a = self.state()
                return a, a
            first, last = self.build(node[1][0])
            for child in node[1][1:]:
                a, b = self.build(child)
                self.eps[last].append(a)
                last = b
            return first, last
        if kind == "alt":
            a, b = self.state(), self.state()
            for child in node[1]:
                x, y = self.build(child)
                self.eps[a].append(x)
                self.eps[y].append(b)
            return a, b
        if kind == "rep":
            _, child, lo, hi = node
            a = self.state()
            last = a
            for _ in range(lo):
                x, y = self.build(child)
                self.eps[last].append(x)
                last = y
            if hi is None:
                # Kleene star around a fresh copy, with its own entry/exit so loops don't leak.
                hub = self.state()
                self.eps[last].append(hub)
                x, y = self.build(child)
                self.eps[hub].append(x)
                self.eps[y].append(hub)
                return a, hub
            end = self.state()
            self.eps[last].append(end)
            for _ in range(hi - lo):
                x, y = self.build(child)
                self.eps[last].append(x)
                self.eps[y].append(end)
                last = y
            return a, end
        raise _Undecidable(f"unexpected node {kind}")


def _class_ranges(cc: Charclass) -> tuple[tuple[int, int], ...]:
    """The code points of a class as sorted, disjoint, inclusive ranges."""
    return tuple(negate(list(cc.ord_ranges))) if cc.negated else tuple(cc.ord_ranges)


def _partition(classes: Iterable[Charclass]) -> tuple[list[int], list[int], dict[Charclass, list[int]]]:
    """Split Unicode into pieces so that every class is a union of pieces.

    Returns (starts, piece_at, pieces of each class): interval ``i`` is ``[starts[i], starts[i+1])``
    (the last one runs to the end of Unicode) and belongs to piece ``piece_at[i]``; intervals that
    every class treats alike share a piece (which is why a piece may hold several intervals)."""
    classes = list(dict.fromkeys(classes))
    ranges = [_class_ranges(cc) for cc in classes]
    bounds = {0}
    for class_ranges in ranges:
        for lo, hi in class_ranges:
            bounds.add(lo)
            bounds.add(hi + 1)
    bounds.discard(_UNICODE_END)
    starts = sorted(bounds)
    where = {b: i for i, b in enumerate(starts)}
    members: list[list[int]] = [[] for _ in starts]  # the classes holding each interval
    for c, class_ranges in enumerate(ranges):
        for lo, hi in class_ranges:
            for i in range(where[lo], where.get(hi + 1, len(starts))):
                members[i].append(c)
    ids: dict[tuple, int] = {}
    piece_at = [ids.setdefault(tuple(m), len(ids)) for m in members]
    of_class: list[set[int]] = [set() for _ in classes]
    for i, m in enumerate(members):
        for c in m:
            of_class[c].add(piece_at[i])
    return starts, piece_at, {cc: sorted(p) for cc, p in zip(classes, of_class)}


class _DFA:
    """A complete DFA over the pieces of a partition of Unicode; state 0 is the initial state."""

    __slots__ = ("escapable", "finals", "live", "piece_at", "prefix", "rows", "starts")

    def __init__(self, starts: list[int], piece_at: list[int], rows: list[list[int]], finals: frozenset[int]):
        self.starts = starts
        self.piece_at = piece_at
        self.rows = rows  # rows[state][piece] -> state
        self.finals = finals
        self.live = _reaching(rows, finals)  # states from which some string is accepted
        # States from which some string is rejected: a product whose negated automaton has left
        # them can only produce strings that automaton accepts.
        self.escapable = _reaching(rows, frozenset(range(len(rows))) - finals)
        self.prefix = self._forced_prefix()

    def piece(self, char: str) -> int:
        return self.piece_at[bisect_right(self.starts, ord(char)) - 1]

    def accepts(self, text: str) -> bool:
        state = 0
        for char in text:
            state = self.rows[state][self.piece(char)]
        return state in self.finals

    def _forced_prefix(self) -> str:
        """The longest string every accepted string starts with (as far as single characters are
        forced): two languages whose forced prefixes diverge share no string."""
        out: list[str] = []
        state = 0
        seen = set()
        while state in self.live and state not in self.finals and state not in seen:
            seen.add(state)
            onward = {p for p, target in enumerate(self.rows[state]) if target in self.live}
            if len(onward) != 1:
                break
            piece = onward.pop()
            intervals = [i for i, p in enumerate(self.piece_at) if p == piece]
            if len(intervals) != 1:
                break
            i = intervals[0]
            end = self.starts[i + 1] if i + 1 < len(self.starts) else _UNICODE_END
            if end - self.starts[i] != 1:
                break
            out.append(chr(self.starts[i]))
            state = self.rows[state][piece]
        return "".join(out)


def _reaching(rows: list[list[int]], targets: frozenset[int]) -> frozenset[int]:
    """States from which one of `targets` can be reached (in zero or more steps)."""
    reverse: list[set[int]] = [set() for _ in rows]
    for s, row in enumerate(rows):
        for t in row:
            reverse[t].add(s)
    found = set(targets)
    stack = list(found)
    while stack:
        for prev in reverse[stack.pop()]:
            if prev not in found:
                found.add(prev)
                stack.append(prev)
    return frozenset(found)


def _tree_to_fsm(tree: tuple) -> _DFA:
    nfa = _NFA()
    start, accept = nfa.build(tree)
    classes = {cc for edges in nfa.edges for cc, _ in edges}
    starts, piece_at, piece_ids = _partition(classes)
    n_pieces = max(piece_at) + 1
    # Per NFA state: piece index -> targets.
    moves: list[dict[int, list[int]]] = []
    for edges in nfa.edges:
        table: dict[int, list[int]] = {}
        for cc, target in edges:
            for p in piece_ids[cc]:
                table.setdefault(p, []).append(target)
        moves.append(table)

    def closure(states: Iterable[int]) -> frozenset[int]:
        seen = set(states)
        stack = list(seen)
        while stack:
            for nxt in nfa.eps[stack.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return frozenset(seen)

    initial = closure([start])
    ids = {initial: 0}
    order = [initial]
    rows: list[list[int]] = []
    dead: int | None = None  # the state of no NFA state, once some piece leads there

    def state_of(nfa_states: frozenset[int]) -> int:
        found = ids.get(nfa_states)
        if found is None:
            if len(order) >= _MAX_DFA_STATES:
                raise _Undecidable("automaton too large")
            found = ids[nfa_states] = len(order)
            order.append(nfa_states)
        return found

    i = 0
    while i < len(order):
        # Only the pieces some NFA state moves on need a closure; every other piece leads to the
        # dead state (most pieces, for the literal paths routes are made of).
        targets: dict[int, list[int]] = {}
        for s in order[i]:
            for p, to in moves[s].items():
                targets.setdefault(p, []).extend(to)
        if len(targets) < n_pieces and dead is None:
            dead = state_of(frozenset())
        row = [dead] * n_pieces
        for p, to in targets.items():
            row[p] = state_of(closure(to))
        rows.append(row)
        i += 1
    return _DFA(starts, piece_at, rows, frozenset(k for k, st in enumerate(order) if accept in st))


# Language keys (hashable) name every language the decisions need:
#   ("exact", text, fold) ("prefix", text, fold) ("regex", pattern)
#   ("uri-exact", text, fold) ("uri-regex", pattern)   -- :path with its query string
#   ("dom-uri",) ("dom-header",) ("any",)


def _key_tree(key: tuple) -> tuple | None:
    _load_classes()
    kind = key[0]
    query_tail = ("rep", _cat(("cc", _chars("?")), _STAR_ANY), 0, 1)
    if kind == "exact":
        return _literal(key[1], key[2])
    if kind == "prefix":
        return _cat(_literal(key[1], key[2]), _STAR_ANY)
    if kind == "regex":
        return _regex_tree(key[1])
    if kind == "uri-exact":
        # Compared with the path once the query string is cut off: a "?" inside can never match.
        if "?" in key[1]:
            return _NULL
        return _cat(_literal(key[1], key[2]), query_tail)
    if kind == "uri-regex":
        tree = _regex_tree(key[1])
        if tree is None:
            return None
        # The regex sees the path before the first "?", and must match all of it.
        return _cat(_without_chars(tree, _chars("?")), query_tail)
    if kind == "dom-uri":
        # ":path" starts with "/", holds no fragment, and like every header no NUL, CR or LF.
        return _cat(("cc", _chars("/")), ("rep", ("cc", ~_chars("#\0\r\n")), 0, None))
    if kind == "dom-header":
        # HTTP/1 and HTTP/2 codecs reject NUL, CR and LF in header values.
        return ("rep", ("cc", ~_chars("\0\r\n")), 0, None)
    if kind == "any":
        return _STAR_ANY
    raise _Undecidable(f"unknown language {kind}")


@functools.lru_cache(maxsize=4096)
def _fsm(key: tuple) -> _DFA | None:
    try:
        tree = _key_tree(key)
        return None if tree is None else _tree_to_fsm(tree)
    except _Undecidable:
        return None


def _joint_alphabet(dfas: list[_DFA]) -> list[tuple[int, ...]]:
    """The pieces of the common refinement of the automata's partitions, each as the tuple of
    the piece every automaton reads it as."""
    bounds = sorted(set().union(*(d.starts for d in dfas)))
    symbols = {tuple(d.piece_at[bisect_right(d.starts, b) - 1] for d in dfas) for b in bounds}
    return sorted(symbols)


# Languages without a regex are decided without automata.  Each is a union of atoms -- a single
# string ("s", text) or every extension of one ("c", text) -- minus the strings holding a banned
# character.  Longer literals go through the automata, whose size limits then say None as before.
_MAX_LITERAL = 1000
_DOMAIN_LITERALS = {
    "dom-uri": ((("c", "/"),), frozenset("#\0\r\n")),
    "dom-header": ((("c", ""),), frozenset("\0\r\n")),
    "any": ((("c", ""),), frozenset()),
}


def _literal_language(key: tuple) -> tuple[tuple[tuple[str, str], ...], frozenset[str]] | None:
    """(atoms, banned characters) of a language key without a regex, or None."""
    kind = key[0]
    if kind in _DOMAIN_LITERALS:
        return _DOMAIN_LITERALS[kind]
    if kind not in ("exact", "prefix", "uri-exact"):
        return None
    text, fold = key[1], key[2]
    if len(text) > _MAX_LITERAL or (fold and any(c.isascii() and c.isalpha() for c in text)):
        return None  # ASCII case folding turns a letter into a class: left to the automata
    if kind == "exact":
        return (("s", text),), frozenset()
    if kind == "prefix":
        return (("c", text),), frozenset()
    if "?" in text:  # compared with the path once its query string is cut off: never equal
        return (), frozenset()
    return (("s", text), ("c", text + "?")), frozenset()


def _atom_meet(a: tuple[str, str], b: tuple[str, str]) -> tuple[str, str] | None:
    """The intersection of two atoms (an atom again, or None when they share no string)."""
    (a_kind, a_text), (b_kind, b_text) = a, b
    if a_kind == "s" and b_kind == "s":
        return a if a_text == b_text else None
    if a_kind == "s":
        return a if a_text.startswith(b_text) else None
    if b_kind == "s":
        return b if b_text.startswith(a_text) else None
    if a_text.startswith(b_text):
        return a
    return b if b_text.startswith(a_text) else None


def _in_literal(text: str, language: tuple) -> bool:
    atoms, banned = language
    if banned and not banned.isdisjoint(text):
        return False
    return any(text == t if kind == "s" else text.startswith(t) for kind, t in atoms)


def _literal_exists(pos: list[tuple], neg: list[tuple]) -> bool:
    """`_exists` for languages without a regex.

    A single string is tested directly.  An extension cone p... (minus banned characters) escapes
    the negative languages unless one of them holds a cone q... with q a prefix of p whose banned
    characters are all banned here too: extend p by a character no negative atom continues p with,
    then by one character each other such language bans (and this one does not)."""
    atoms: list[tuple[str, str]] = [("c", "")]
    banned: frozenset[str] = frozenset()
    for language_atoms, language_banned in pos:
        meets = (_atom_meet(a, b) for a in atoms for b in language_atoms)
        atoms = list(dict.fromkeys(m for m in meets if m is not None))
        banned |= language_banned
    for kind, text in atoms:
        if not banned.isdisjoint(text):
            continue
        if kind == "s":
            if not any(_in_literal(text, n) for n in neg):
                return True
            continue
        if not any(
            n_banned <= banned and n_banned.isdisjoint(text)
            and any(n_kind == "c" and text.startswith(t) for n_kind, t in n_atoms)
            for n_atoms, n_banned in neg
        ):
            return True
    return False


def _tree_sample(node: tuple) -> str | None:
    """One string of the tree's language (a short one), or None when the language is empty."""
    kind = node[0]
    if kind == "cc":
        ranges = _class_ranges(node[1])
        if not ranges:
            return None
        # A printable ASCII member when there is one: samples then also satisfy the path and
        # header domains (which ban "#", "?", NUL, CR, LF) more often.
        for lo, hi in ranges:
            if hi >= 0x30 and lo <= 0x7E:
                return chr(max(lo, 0x30))
        return chr(ranges[0][0])
    if kind == "eps":
        return ""
    if kind == "cat":
        parts = []
        for child in node[1]:
            part = _tree_sample(child)
            if part is None:
                return None
            parts.append(part)
        return "".join(parts)
    if kind == "alt":
        for child in node[1]:
            part = _tree_sample(child)
            if part is not None:
                return part
        return None
    if kind == "rep":
        part = _tree_sample(node[1])
        if part is None:
            return None if node[2] > 0 else ""
        return part * node[2]
    return None  # "null"


def _tree_prefix(node: tuple) -> tuple[str, bool]:
    """(p, whole): every string of the tree's language starts with p; whole when p is the only one."""
    kind = node[0]
    if kind == "cc":
        ranges = _class_ranges(node[1])
        if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
            return chr(ranges[0][0]), True
        return "", False
    if kind == "eps":
        return "", True
    if kind == "cat":
        out = []
        for child in node[1]:
            part, whole = _tree_prefix(child)
            out.append(part)
            if not whole:
                return "".join(out), False
        return "".join(out), True
    if kind == "rep" and node[2] > 0:
        part, whole = _tree_prefix(node[1])
        if whole:
            return part * node[2], node[2] == node[3]
        return part, False
    return "", False


@functools.lru_cache(maxsize=4096)
def _regex_bounds(key: tuple) -> tuple | None:
    """Literal bounds of a regex language: (atoms of a language inside it, atoms of one around it),
    in `_literal_language`'s form; None when the regex is undecidable here."""
    try:
        tree = _key_tree(key)
    except _Undecidable:
        return None
    if tree is None:
        return None
    sample = _tree_sample(tree)
    inside = ((("s", sample),) if sample is not None else (), frozenset())
    around = ((("c", _tree_prefix(tree)[0]),), frozenset())
    return inside, around


@functools.lru_cache(maxsize=16384)
def _exists(pos: tuple[tuple, ...], neg: tuple[tuple, ...]) -> Tri:
    """Is there a string in every language of `pos` and in none of `neg`?  None when one of the
    languages cannot be built exactly."""
    literals = [_literal_language(key) for key in pos + neg]
    if all(lang is not None for lang in literals):
        return _literal_exists(literals[: len(pos)], literals[len(pos):])
    # A quick witness: one sample string stands for each regex in `pos` (a language inside it), the
    # cone of its fixed start for each regex in `neg` (a language around it).  Finding a string
    # then proves there is one; finding none proves nothing, and the automata decide.
    inside, around = [], []
    for k, (key, language) in enumerate(zip(pos + neg, literals)):
        if language is None:
            bounds = _regex_bounds(key)
            if bounds is None:
                return None
            language = bounds[0] if k < len(pos) else bounds[1]
        (inside if k < len(pos) else around).append(language)
    if _literal_exists(inside, around):
        return True
    pos_dfas = []
    for key in pos or (("any",),):
        f = _fsm(key)
        if f is None:
            return None
        pos_dfas.append(f)
    # Negative languages: literal ones are read without building their automaton (most are dropped
    # below); a regex one is built, as its being undecidable makes the answer None.
    neg_prefixes: list[str | None] = []
    for key, language in zip(neg, literals[len(pos):]):
        if language is not None:
            atoms = [text for _, text in language[0]]
            neg_prefixes.append(os.path.commonprefix(atoms) if atoms else None)  # None: empty
        else:
            f = _fsm(key)
            if f is None:
                return None
            neg_prefixes.append(f.prefix)
    # Languages whose forced prefixes diverge are disjoint: the positive ones then share nothing,
    # and a negative one removes nothing (dropping it makes the question one already answered
    # for other negatives: "is M non-empty" is asked with every earlier entry in turn).
    longest = max((d.prefix for d in pos_dfas), key=len)
    if any(not longest.startswith(d.prefix) for d in pos_dfas):
        return False
    kept = tuple(key for key, prefix in zip(neg, neg_prefixes)
                 if prefix is not None and (longest.startswith(prefix) or prefix.startswith(longest)))
    if len(kept) < len(neg):
        return _exists(pos, kept)
    dfas = pos_dfas + [_fsm(key) for key in neg]
    n_pos = len(pos_dfas)
    n = len(dfas)
    rows = [d.rows for d in dfas]
    finals = [d.finals for d in dfas]
    # Product states worth visiting: every positive automaton can still accept, every negative
    # one can still reject.
    viable = [d.live for d in dfas[:n_pos]] + [d.escapable for d in dfas[n_pos:]]
    start = (0,) * n
    if any(0 not in v for v in viable):
        return False
    symbols = _joint_alphabet(dfas)
    seen = {start}
    stack = [start]
    while stack:
        state = stack.pop()
        if all(state[k] in finals[k] for k in range(n_pos)) and not any(
            state[k] in finals[k] for k in range(n_pos, n)
        ):
            return True
        for symbol in symbols:
            nxt = tuple([rows[k][state[k]][symbol[k]] for k in range(n)])
            if nxt in seen:
                continue
            seen.add(nxt)
            if all(nxt[k] in viable[k] for k in range(n)):
                stack.append(nxt)
    return False


def _not(value: Tri) -> Tri:
    return None if value is None else not value


def _accepts(key: tuple, text: str) -> Tri:
    f = _fsm(key)
    return None if f is None else f.accepts(text)


# ---------------------------------------------------------------------------------------------
# StringMatch
# ---------------------------------------------------------------------------------------------

_PRESENT = ("present",)  # {} or regex "*": the value exists (Istio turns it into present_match)
_UNCONSTRAINED = ("unconstrained",)  # a uri without exact/prefix/regex: Envoy's default prefix "/"


def _string_match(sm: Any, *, uri: bool, fold: bool) -> tuple:
    """The language key of a StringMatch, or _PRESENT / _UNCONSTRAINED."""
    if type(sm) is dict and len(sm) == 1:
        # The usual shape, one non-empty string (the same keys as the general reading below, sooner).
        ((kind, value),) = sm.items()
        if type(value) is str and value:
            if kind == "exact":
                return ("uri-exact" if uri else "exact", value, fold)
            if kind == "prefix":
                return ("prefix", value, fold)
            if kind == "regex" and (uri or value != "*"):
                return ("uri-regex" if uri else "regex", value)
    if not isinstance(sm, dict):
        raise _Undecidable("StringMatch is not a mapping")
    unknown = set(sm) - {"exact", "prefix", "regex"}
    if unknown:
        raise _Undecidable("unknown StringMatch key")
    set_keys = [k for k in ("exact", "prefix", "regex") if sm.get(k) is not None]
    if len(set_keys) > 1:
        raise _Undecidable("StringMatch sets more than one of exact/prefix/regex")
    if not set_keys:
        return _UNCONSTRAINED if uri else _PRESENT
    kind = set_keys[0]
    value = sm[kind]
    if not isinstance(value, str):
        raise _Undecidable("StringMatch value is not a string")
    if kind == "regex":
        if value == "*" and not uri:
            return _PRESENT
        if not value:  # Istio: "regex string match should not be empty"
            raise _Undecidable("empty regex")
        return ("uri-regex" if uri else "regex", value)
    if kind == "prefix":
        if not value:
            if uri:  # Envoy allows an empty path prefix: every path
                return _UNCONSTRAINED
            raise _Undecidable("empty prefix")  # rejected by Istio for non-uri fields
        return ("prefix", value, fold)
    return ("uri-exact" if uri else "exact", value, fold)


def _values_included(
    m_pos: tuple, m_neg: tuple, e_pos: tuple, e_neg: tuple, domain: tuple | None
) -> Tri:
    """Is {v in domain, v in all m_pos, v in no m_neg} a subset of {v in all e_pos, in no e_neg}?"""
    base = m_pos + ((domain,) if domain else ())
    result: Tri = True
    for e in e_pos:
        found = _exists(base, m_neg + (e,))
        if found is None:
            result = None
        elif found:
            return False
    for e in e_neg:
        found = _exists(base + (e,), m_neg)
        if found is None:
            result = None
        elif found:
            return False
    return result


def _values_empty(pos: tuple, neg: tuple, domain: tuple | None) -> Tri:
    return _not(_exists(pos + ((domain,) if domain else ()), neg))


def string_match_covers(
    e: dict,
    m: dict,
    *,
    e_ignore_case: bool = False,
    m_ignore_case: bool = False,
    must_start_with_slash: bool = False,
) -> bool | None:
    """Does every value matched by StringMatch `m` also match StringMatch `e`?

    ``must_start_with_slash=True`` selects the URI (``:path``) model: values start with "/",
    prefix reads the query string, exact and regex do not; ``{}`` matches every path.  Otherwise
    ``{}`` and ``regex: "*"`` mean "present with any value" and values range over all strings.
    The ignore-case flags are Envoy's ASCII folding for exact/prefix (regex unaffected)."""
    try:
        if not all(isinstance(f, bool) for f in (e_ignore_case, m_ignore_case, must_start_with_slash)):
            raise _Undecidable("flags must be booleans")
        uri = must_start_with_slash
        ek = _string_match(e, uri=uri, fold=e_ignore_case)
        mk = _string_match(m, uri=uri, fold=m_ignore_case)
    except _Undecidable:
        return None
    domain = ("dom-uri",) if uri else None
    m_pos = () if mk in (_PRESENT, _UNCONSTRAINED) else (mk,)
    empty = _values_empty(m_pos, (), domain)
    if empty is None or empty:
        return None if empty is None else False
    if ek in (_PRESENT, _UNCONSTRAINED):
        return True
    return _values_included(m_pos, (), (ek,), (), domain)


# ---------------------------------------------------------------------------------------------
# Entry normalization (all type checks happen here)
# ---------------------------------------------------------------------------------------------

_HTTP_KEYS = frozenset(
    {
        "name", "uri", "scheme", "method", "authority", "headers", "port", "sourceLabels",
        "gateways", "queryParams", "ignoreUriCase", "withoutHeaders", "sourceNamespace",
        "statPrefix",
    }
)
_TCP_KEYS = frozenset(
    {"destinationSubnets", "port", "sourceLabels", "gateways", "sourceNamespace", "sourceSubnet"}
)
_TLS_KEYS = frozenset(
    {"sniHosts", "destinationSubnets", "port", "sourceLabels", "gateways", "sourceNamespace"}
)
_PSEUDO_HEADERS = frozenset({":method", ":authority", ":scheme", ":path"})
_CLAIM_PREFIX = "@request.auth.claims"


def _entry(entry: Any, allowed: frozenset) -> dict:
    if not isinstance(entry, dict):
        raise _Undecidable("match entry is not a mapping")
    if not allowed.issuperset(entry):
        raise _Undecidable("unknown match key")
    # A JSON null is pruned by the API server for these (non-nullable) fields: same as absent.
    return {k: v for k, v in entry.items() if v is not None}


def _str_list(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise _Undecidable("expected a list of strings")
    return tuple(value)


def _str_map(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise _Undecidable("expected a map of strings")
    return dict(value)


def _string(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _Undecidable("expected a string")
    return value


def _port(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Undecidable("port is not an integer")
    return value  # 0 is proto3's "unset"


def _vs_gateways(value: Any) -> tuple[str, ...]:
    gws = _str_list(value)
    return gws if gws else ("mesh",)  # a VirtualService without gateways binds to sidecars


def _ip_network(text: str) -> Any:
    # ipaddress is imported when a subnet is first read: most runs have none.
    import ipaddress

    return ipaddress.ip_network(text, strict=False)


def _networks(values: tuple[str, ...]) -> list:
    out = []
    for text in values:
        try:
            # Istio accepts "a.b.c.d/n" (host bits allowed, Envoy masks them) or a bare address.
            out.append(_ip_network(text.strip()))
        except ValueError as exc:
            raise _Undecidable("bad subnet") from exc
    return out


class _Scope:
    """Where an entry exists: effective gateways, source labels, source namespace."""

    def __init__(self, entry: dict, vs_gateways: Any) -> None:
        own = _str_list(entry.get("gateways"))
        vs = _vs_gateways(vs_gateways)
        self.own_gateways = bool(own)
        # Match-level gateways narrow the VirtualService's: a VirtualService is only evaluated
        # for the gateways (and mesh) it binds to.
        self.gateways = frozenset(own) & frozenset(vs) if own else frozenset(vs)
        self.labels = _str_map(entry.get("sourceLabels"))
        self.namespace = _string(entry.get("sourceNamespace"))

    def source_implied_by(self, other: _Scope) -> bool:
        """Do `other`'s source constraints imply ours (labels subset, namespace equal)?"""
        if self.namespace and self.namespace != other.namespace:
            return False
        return all(other.labels.get(k) == v for k, v in self.labels.items())


def _http_scope_covers(e: _Scope, m: _Scope) -> bool:
    if not m.gateways or not m.gateways <= e.gateways:
        return False
    if e.own_gateways:  # Istio ignores sourceLabels/sourceNamespace next to match gateways
        return True
    if not e.labels and not e.namespace:
        return True
    if m.own_gateways:  # M ignores its own source constraints: it exists on every source
        return False
    return e.source_implied_by(m)


def _l4_scope_covers(e: _Scope, m: _Scope) -> bool:
    # Sidecars (mesh) check gateways, labels and namespace; gateways check only gateways (and port).
    if not m.gateways or not m.gateways <= e.gateways:
        return False
    if "mesh" in m.gateways:
        return e.source_implied_by(m)
    return True


def _port_covers(e_port: int, m_port: int) -> bool:
    return e_port == 0 or e_port == m_port


# ---------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------


class _Keyed:
    """Constraints of one entry on one header (or query parameter):
    absent allowed?, present allowed?, value must match all `pos` and none of `neg`."""

    def __init__(self, always_present: bool) -> None:
        self.absent_ok = not always_present
        self.present_ok = True
        self.pos: tuple = ()
        self.neg: tuple = ()
        self.mentioned = False
        # For JWT-claim keys: which shapes occurred.
        self.shapes: list[tuple[str, tuple]] = []


def _header_key(name: str) -> str:
    # Envoy lower-cases header names; claim names are case-sensitive.
    return name if name.startswith(_CLAIM_PREFIX) else name.lower()


def _http_keyed(entry: dict) -> tuple[dict[str, list], dict[str, list]]:
    """Header and query-parameter conditions of an entry: key -> [(polarity, matcher), ...]."""
    headers: dict[str, list] = {}
    for field, polarity in (("headers", True), ("withoutHeaders", False)):
        raw = entry.get(field)
        if raw is None:
            continue
        if not isinstance(raw, dict):
            raise _Undecidable(f"{field} is not a mapping")
        for name, sm in raw.items():
            if not isinstance(name, str) or not name:
                raise _Undecidable("bad header name")
            headers.setdefault(_header_key(name), []).append(
                (polarity, _string_match(sm, uri=False, fold=False))
            )
    for field, pseudo in (("method", ":method"), ("authority", ":authority"), ("scheme", ":scheme")):
        if field in entry:
            headers.setdefault(pseudo, []).append(
                (True, _string_match(entry[field], uri=False, fold=False))
            )
    params: dict[str, list] = {}
    raw = entry.get("queryParams")
    if raw is not None:
        if not isinstance(raw, dict):
            raise _Undecidable("queryParams is not a mapping")
        for name, sm in raw.items():
            if not isinstance(name, str) or not name:
                raise _Undecidable("bad query parameter name")
            params.setdefault(name, []).append((True, _string_match(sm, uri=False, fold=False)))
    return headers, params


def _keyed_state(conditions: list, always_present: bool) -> _Keyed:
    st = _Keyed(always_present)
    for polarity, matcher in conditions:
        st.mentioned = True
        if polarity:
            st.absent_ok = False
            if matcher != _PRESENT:
                st.pos += (matcher,)
        elif matcher == _PRESENT:
            st.present_ok = False  # withoutHeaders {}: the header must be absent
        else:
            # A missing header counts as "" (treat_missing_header_as_empty).
            accepts_empty = _accepts(matcher, "")
            if accepts_empty is None:
                raise _Undecidable("regex")
            if accepts_empty:
                st.absent_ok = False
            st.neg += (matcher,)
    return st


def _keyed_covers(e: _Keyed, m: _Keyed, domain: tuple | None) -> Tri:
    # Is M's set of header states (absent, or present with a value) inside E's?
    m_values_empty: Tri = True
    if m.present_ok:
        m_values_empty = _values_empty(m.pos, m.neg, domain)
        if m_values_empty is None:
            return None
    if not m.absent_ok and m_values_empty:
        return False  # M can never hold: dead on its own, not "shadowed"
    if m.absent_ok and not e.absent_ok:
        return False
    if m_values_empty:
        return True
    if not e.present_ok:
        return False
    return _values_included(m.pos, m.neg, e.pos, e.neg, domain)


def _claim_covers(e_conditions: list, m_conditions: list | None) -> Tri:
    """JWT claims may be lists: "headers" means some element matches, "withoutHeaders" means no
    element does.  Only same-shaped single conditions stay exact under that reading."""
    if any(matcher == _PRESENT for _, matcher in e_conditions + (m_conditions or [])):
        return None  # how Istio builds a presence matcher for a claim is not modelled
    if not m_conditions:
        return False
    if len(e_conditions) != 1 or len(m_conditions) != 1:
        return False
    (e_pol, e_lang), (m_pol, m_lang) = e_conditions[0], m_conditions[0]
    if e_pol != m_pol:
        return False
    if e_pol:  # some element in L(M) => some element in L(E) when L(M) <= L(E)
        return _values_included((m_lang,), (), (e_lang,), (), None)
    # no element in L(M) => no element in L(E) when L(E) <= L(M)
    return _values_included((e_lang,), (), (m_lang,), (), None)


def _combine(results: Iterable[Tri]) -> Tri:
    """Conjunction over independent conditions: any False wins, then any None."""
    out: Tri = True
    for r in results:
        if r is False:
            return False
        if r is None:
            out = None
    return out


def http_match_covers(e: dict, m: dict, e_gateways: list[str], m_gateways: list[str]) -> bool | None:
    """Does HTTP match entry `e` cover entry `m`: does every request matching `m` match `e`?

    `e_gateways` / `m_gateways` are the ``gateways`` of the VirtualServices holding `e` and `m`
    (empty means ``[mesh]``); match-level ``gateways`` narrow them.  See the module docstring for
    the request model, and for what True, False and None promise."""
    return http_sides_cover(http_side(e, e_gateways), http_side(m, m_gateways))


class HttpSide:
    """An HTTP match entry read once (see `http_side`): route shadowing compares each entry with many
    others, so everything that depends on one entry alone is computed once, not once per pair."""

    __slots__ = (
        "_live",
        "_start",
        "_states",
        "headers",
        "named",
        "params",
        "path_test",
        "port",
        "required",
        "scope",
        "uri",
        "witness",
    )

    def __init__(self, scope: _Scope, port: int, uri: tuple, headers: dict, params: dict) -> None:
        self.scope, self.port, self.uri, self.headers, self.params = scope, port, uri, headers, params
        self._start: Any = _UNSET
        self._live: Any = _UNSET
        self._states: dict[tuple[str, str], Any] = {}
        # Keys whose presence the entry requires (a positive condition; pseudo-headers are always
        # present and claims may be lists, so neither counts), and every key it says anything about:
        # an E can cover an M only if M names every key E requires (`http_side_covers`).
        if headers or params:
            self.required = frozenset(
                [("h", k) for k, conds in headers.items()
                 if not k.startswith((":", "@")) and any(polarity for polarity, _ in conds)]
                + [("q", k) for k in params])
            self.named = frozenset([("h", k) for k in headers] + [("q", k) for k in params])
        else:
            self.required = self.named = _NO_KEYS
        self.witness, self.path_test = _path_hints(uri)

    @property
    def start(self) -> str | None:
        """A string every path the uri takes starts with (None: unconstrained or undecidable)."""
        if self._start is _UNSET:
            self._start = _language_start(self.uri)
        return self._start

    def uri_live(self) -> Tri:
        """Does the uri match some path at all (asked of M with every E: answered once)?"""
        if self._live is _UNSET:
            self._live = _not(_values_empty((self.uri,), (), _DOM_URI))
        return self._live

    def state(self, space: str, key: str) -> _Keyed:
        """The entry's constraints on one header ("h") or query parameter ("q"), read once; raises
        _Undecidable (each time) when they cannot be read exactly."""
        found = self._states.get((space, key))
        if found is None:
            try:
                conditions = (self.headers if space == "h" else self.params).get(key, [])
                found = _keyed_state(conditions, space == "h" and key in _PSEUDO_HEADERS)
            except _Undecidable:
                found = _UNREADABLE
            self._states[(space, key)] = found
        if found is _UNREADABLE:
            raise _Undecidable("condition")
        return found


_UNSET = object()
_UNREADABLE = object()
_NO_KEYS: frozenset = frozenset()


def _path_hints(uri: tuple) -> tuple[str | None, tuple | None]:
    """(witness, test) of a uri language, for `http_side_covers` to turn most pairs down with a string
    comparison or two (no regex parsed, no language built).

    witness: a path the uri takes whenever it takes any (None: not known without parsing).
    test: ("exact", t) -- the paths taken are t and t?...; ("prefix", p) -- the paths taken start with p
    (for a regex: a start read off the pattern text, `_pattern_start`); None -- no test (everything is
    taken, or ASCII case folding, which these comparisons do not model)."""
    if uri == _UNCONSTRAINED:
        return "/", None  # every path, so "/" too
    kind = uri[0]
    if kind == "uri-regex":
        return None, ("prefix", _pattern_start(uri[1]).partition("?")[0])
    if kind in ("uri-exact", "prefix"):
        # The text itself is taken (folding keeps it): a literal that is not a path (no leading "/",
        # "#", NUL, CR, LF, "?" in an exact) takes no path at all, and a dead M is covered by nothing.
        test = None if uri[2] else ("exact" if kind == "uri-exact" else "prefix", uri[1])
        return uri[1], test
    return None, None


_PATTERN_META = re.compile(r"[.\[\](){}*+?^$|\\]")  # RE2's operators (outside a class)
_PATTERN_REPEAT = frozenset("*+?{")


def _pattern_start(pattern: str) -> str:
    """A string every member of an RE2 pattern's language starts with, read off the text without
    parsing it (shorter than `_tree_prefix` may find, never wrong for a valid pattern): the literal
    characters it opens with, up to the first operator. Any "|" may be a top-level alternation: then "".
    A character followed by a repetition operator (or "{", which may be one) is not part of it."""
    if "|" in pattern:
        return ""
    i = 1 if pattern.startswith("^") else 0
    out = ""
    while True:
        found = _PATTERN_META.search(pattern, i)
        if found is None:
            return out + pattern[i:]
        end = found.start()
        run = pattern[i:end]
        c = pattern[end]
        if c in _PATTERN_REPEAT:
            return out + run[:-1]  # the repetition applies to the run's last character
        nxt = pattern[end + 1 : end + 2]
        if c != "\\" or not nxt or not nxt.isascii() or nxt.isalnum():
            return out + run  # an operator, or \d, \Q, \x41, \b...: not a plain character
        if pattern[end + 2 : end + 3] in _PATTERN_REPEAT:
            return out + run  # an escaped character, repeated
        out += run + nxt
        i = end + 2


_DOM_URI = ("dom-uri",)
_DOM_HEADER = ("dom-header",)


def http_side(entry: Any, gateways: Any) -> HttpSide | None:
    """An HTTP match entry and the ``gateways`` of its VirtualService, normalised for `http_sides_cover`;
    None when the entry cannot be read exactly (every answer about it is then None)."""
    return _read_http_side(entry, gateways, None)


def http_sides(entries: Iterable[Any], gateways: Any) -> list[HttpSide | None]:
    """`http_side` of each of the entries of one VirtualService (the same answers, sooner: where an
    entry exists is read once for all the entries that set no gateways or sources of their own)."""
    try:
        plain: _Scope | None = _Scope({}, gateways)
    except _Undecidable:
        plain = None  # the VirtualService's gateways cannot be read: each entry finds out on its own
    return [_read_http_side(entry, gateways, plain) for entry in entries]


_SCOPE_KEYS = frozenset(("gateways", "sourceLabels", "sourceNamespace"))
_KEYED_KEYS = frozenset(("headers", "withoutHeaders", "queryParams", "method", "authority", "scheme"))


def _read_http_side(entry: Any, gateways: Any, plain: _Scope | None) -> HttpSide | None:
    try:
        if type(entry) is dict and _HTTP_KEYS.issuperset(entry) and None not in entry.values():
            data = entry  # `_entry` would copy it unchanged (and it is only read here)
        else:
            data = _entry(entry, _HTTP_KEYS)
        fold = data.get("ignoreUriCase", False)
        if not isinstance(fold, bool):
            raise _Undecidable("ignoreUriCase is not a boolean")
        uri = _string_match(data["uri"], uri=True, fold=fold) if "uri" in data else _UNCONSTRAINED
        if plain is not None and _SCOPE_KEYS.isdisjoint(data):
            scope = plain  # never modified: shared by the entries of one VirtualService
        else:
            scope = _Scope(data, gateways)
        keyed = ({}, {}) if _KEYED_KEYS.isdisjoint(data) else _http_keyed(data)
        return HttpSide(scope, _port(data.get("port")), uri, *keyed)
    except _Undecidable:
        return None


def http_sides_cover(e: HttpSide | None, m: HttpSide | None) -> Tri:
    """`http_match_covers` for entries read by `http_side`: the same answers."""
    if e is None or m is None:
        return None
    if not _http_scope_covers(e.scope, m.scope) or not _port_covers(e.port, m.port):
        return False
    e_start, m_start = e.start, m.start
    if e_start is not None and m_start is not None and not (
            e_start.startswith(m_start) or m_start.startswith(e_start)):
        # The paths of M and of E start differently: no path is in both, so E cannot cover M (and an
        # M that matches no path is not "covered" either). The usual case, decided without automata.
        return False
    try:
        return _combine(_http_conditions(e, m))
    except _Undecidable:
        return None


def http_side_covers(e: HttpSide | None, m: HttpSide | None) -> bool:
    """``http_sides_cover(e, m) is True``, sooner: what route shadowing asks of every pair.

    A key E requires (a header it matches, a query parameter) that M says nothing about may be
    missing from a request M takes, so E cannot cover M; tested first, as it is the usual reason
    entries of one VirtualService do not cover one another. (Only "proven" answers are cut short:
    `http_sides_cover` can say None for such a pair, when another condition is undecidable.)"""
    if e is None or m is None or not e.required <= m.named:
        return False
    # The path M surely takes (if any) must be one E takes: else E does not cover M, or M takes no path
    # and is dead on its own (never "covered"). Both sides' literal starts must agree for the same reason.
    witness, test = m.witness, e.path_test
    if test is not None:
        if witness is not None:
            if test[0] == "exact":
                if witness != test[1] and not witness.startswith(test[1] + "?"):
                    return False
            elif not witness.startswith(test[1]):
                return False
        other = m.path_test
        if other is not None:
            e_start, m_start = test[1], other[1]
            if not (e_start.startswith(m_start) or m_start.startswith(e_start)):
                return False
            if test[0] == "exact" and len(m_start) > len(e_start) and m_start[len(e_start)] != "?":
                return False  # every path of M is longer than E's exact one, and not by a query string
    return http_sides_cover(e, m) is True


def _language_start(key: Any) -> str | None:
    """A string every member of the language starts with (None: unconstrained or undecidable)."""
    if not isinstance(key, tuple) or key in (_UNCONSTRAINED, _PRESENT):
        return None
    language = _literal_language(key)
    if language is None:
        tree = _regex_tree(key[1]) if key[0] in ("regex", "uri-regex") else None
        if tree is None:
            return None  # a regex undecidable here, or a folded literal: left to the full decision
        start = _tree_prefix(tree)[0]
        # A "uri-regex" sees the path without its query string: no "?" is read, so the fixed start ends
        # before one (and when it holds one, the language is empty: any start is right).
        return start.partition("?")[0] if key[0] == "uri-regex" else start
    texts = [text for _, text in language[0]]
    return os.path.commonprefix(texts) if texts else key[1]  # no member at all: any start is right


def _http_conditions(e: HttpSide, m: HttpSide):
    """Yield one tri-state per condition, cheapest first, so the caller can stop at a False."""
    m_uri_pos = () if m.uri == _UNCONSTRAINED else (m.uri,)
    if m_uri_pos:
        yield m.uri_live()  # an M uri matching no path: dead
    if e.uri != _UNCONSTRAINED:
        yield _values_included(m_uri_pos, (), (e.uri,), (), _DOM_URI)

    # Keys M constrains but E does not are still checked for M being satisfiable at all.
    e_headers, m_headers = e.headers, m.headers
    for key in sorted(e_headers.keys() | m_headers.keys()):
        if key.startswith(_CLAIM_PREFIX):
            if key in e_headers:
                yield _claim_covers(e_headers[key], m_headers.get(key))
            continue
        yield _keyed_covers(e.state("h", key), m.state("h", key), _DOM_HEADER)
    for key in sorted(e.params.keys() | m.params.keys()):
        yield _keyed_covers(e.state("q", key), m.state("q", key), None)


def matches_everything(entry: dict, kind: str = "http") -> bool:
    """Is this match entry a catch-all in Istio's sense (the one that moves routes to the end when
    several VirtualServices for one host are merged on a gateway)?

    HTTP: the translated route has path prefix "/" (no uri, ``{}``, ``prefix: "/"``) or the regex
    exactly ``".*"``, and no header, pseudo-header (method/authority/scheme), withoutHeaders or
    query-parameter condition.  ``port``, ``sourceLabels``, ``sourceNamespace`` and ``gateways``
    decide where the route exists, not whether it is a catch-all there, so they are ignored.
    TCP: no ``destinationSubnets``.  TLS: ``sniHosts`` contains ``"*"`` and no
    ``destinationSubnets``.  Wrong types or unknown keys: False.  Pass ``{}`` for a rule
    without ``match``."""
    try:
        if kind == "http":
            entry = _entry(entry, _HTTP_KEYS)
            for field in ("headers", "withoutHeaders", "queryParams"):
                value = entry.get(field)
                if value is not None and not isinstance(value, dict):
                    return False
                if value:
                    return False
            if any(field in entry for field in ("method", "authority", "scheme")):
                return False
            if "uri" not in entry:
                return True
            uri = entry["uri"]
            if not isinstance(uri, dict) or set(uri) - {"exact", "prefix", "regex"}:
                return False
            set_keys = [k for k in ("exact", "prefix", "regex") if uri.get(k) is not None]
            if not set_keys:
                return True
            if len(set_keys) > 1:
                return False
            return (set_keys[0], uri[set_keys[0]]) in (("prefix", "/"), ("regex", ".*"))
        if kind == "tcp":
            entry = _entry(entry, _TCP_KEYS)
            return not _str_list(entry.get("destinationSubnets"))
        if kind == "tls":
            entry = _entry(entry, _TLS_KEYS)
            return "*" in _str_list(entry.get("sniHosts")) and not _str_list(
                entry.get("destinationSubnets")
            )
    except _Undecidable:
        return False
    return False


# ---------------------------------------------------------------------------------------------
# TCP and TLS
# ---------------------------------------------------------------------------------------------


def _subnets_covered(e_nets: list, m_nets: list) -> bool:
    """Is every address in M's subnets (all addresses when M lists none) in one of E's?"""
    if not e_nets:
        return True
    if not m_nets:
        m_nets = [_ip_network("0.0.0.0/0"), _ip_network("::/0")]
    # Collapsing gives the canonical set of maximal blocks; a CIDR block inside the union of
    # blocks is then inside one of them.
    import ipaddress

    merged = {
        4: list(ipaddress.collapse_addresses(n for n in e_nets if n.version == 4)),
        6: list(ipaddress.collapse_addresses(n for n in e_nets if n.version == 6)),
    }
    return all(any(n.subnet_of(big) for big in merged[n.version]) for n in m_nets)


def tcp_match_covers(e: dict, m: dict, e_gateways: list[str], m_gateways: list[str]) -> bool | None:
    """Does TCP match entry `e` cover `m`: does every connection matching `m` match `e`?

    Pure inclusion.  On sidecars rules with ``destinationSubnets`` become separate filter chains
    (most specific prefix wins), so whether inclusion means shadowing there is the caller's call.
    Gateways evaluate only ``port`` and ``gateways``; subnets and source constraints count only
    where `m` applies to sidecars (``mesh``).  ``sourceSubnet`` (deprecated) is treated as a
    constraint when `e` has one (never claiming coverage it might not have)."""
    try:
        e = _entry(e, _TCP_KEYS)
        m = _entry(m, _TCP_KEYS)
        e_scope, m_scope = _Scope(e, e_gateways), _Scope(m, m_gateways)
        e_port, m_port = _port(e.get("port")), _port(m.get("port"))
        e_nets = _networks(_str_list(e.get("destinationSubnets")))
        m_nets = _networks(_str_list(m.get("destinationSubnets")))
        e_src = _string(e.get("sourceSubnet"))
        m_src = _string(m.get("sourceSubnet"))
        e_src_net = _networks((e_src,))[0] if e_src else None
        m_src_net = _networks((m_src,))[0] if m_src else None
    except _Undecidable:
        return None
    if not _l4_scope_covers(e_scope, m_scope) or not _port_covers(e_port, m_port):
        return False
    if "mesh" in m_scope.gateways and not _subnets_covered(e_nets, m_nets):
        return False
    if e_src_net is not None:
        if m_src_net is None or m_src_net.version != e_src_net.version:
            return False
        if not m_src_net.subnet_of(e_src_net):
            return False
    return True


def tls_match_duplicate(e: dict, m: dict, e_gateways: list[str], m_gateways: list[str]) -> bool | None:
    """Is TLS match `m` a duplicate of the earlier `e` that Istio drops?

    TLS routes pick the most specific SNI, not the first rule, so there is no inclusion here:
    `m` is dead when it has the same SNI hosts and destination subnets as `e` (compared as sets;
    Istio's own check compares the lists in order, and a reordered duplicate becomes two
    identical Envoy filter chains instead, equally broken) and `e` applies wherever `m` does
    (same or wider gateways, sources and port)."""
    try:
        e = _entry(e, _TLS_KEYS)
        m = _entry(m, _TLS_KEYS)
        e_scope, m_scope = _Scope(e, e_gateways), _Scope(m, m_gateways)
        e_port, m_port = _port(e.get("port")), _port(m.get("port"))
        e_sni, m_sni = _str_list(e.get("sniHosts")), _str_list(m.get("sniHosts"))
        e_nets = _networks(_str_list(e.get("destinationSubnets")))
        m_nets = _networks(_str_list(m.get("destinationSubnets")))
    except _Undecidable:
        return None
    if not _l4_scope_covers(e_scope, m_scope) or not _port_covers(e_port, m_port):
        return False
    if set(e_sni) != set(m_sni) or set(e_nets) != set(m_nets):
        return False
    # Gateways drop a later match for a *used* SNI host; with no hosts only the sidecar rule
    # (identical predicates) applies.
    if not m_sni and m_scope.gateways != frozenset({"mesh"}):
        return False
    return True
