"""YAML (and JSON) streams → plain Python data plus a position table.

Built on ruamel.yaml's event stream (the C parser from ``ruamel.yaml.clib`` when it is installed, the
pure-Python parser otherwise) instead of ruamel's round-trip loader, which is ~40× slower: we need plain
dicts and lists for schema validation and rules, and the line/column of every key and value for findings.

Scalars resolve the way Kubernetes resolves them. ``kubectl`` converts YAML to JSON with go-yaml v2,
which follows YAML 1.1: ``yes``/``no``/``on``/``off`` (and y/n) are booleans, ``0o17`` and ``017`` are
octal, ``1:20`` is a string, timestamps stay strings. Mapping keys become JSON strings.

Positions are 1-based. For every container we keep ``{key_or_index: (key_line, key_col, value_line,
value_col)}`` in a table keyed by the container's ``id`` (the container lives as long as the document),
which costs one small tuple per node and no path tuples.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

# Limits that keep hostile input from exhausting memory or recursion in later stages.
MAX_DEPTH = 100  # Kubernetes objects nest ~20 deep; deeper input is a mistake or an attack.
MAX_ALIAS_NODES = 200_000  # nodes reachable through aliases in one document (alias bombs).

_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_TRUE = frozenset(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"))
_FALSE = frozenset(("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"))
# The spellings a YAML 1.2 reader (and most humans) would take for strings.
YAML11_ONLY_BOOLS = frozenset(w for w in _TRUE | _FALSE if w.lower() not in ("true", "false"))
_INT_RE = re.compile(r"[-+]?(?:0b[01]+|0o[0-7]+|0x[0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)\Z")
_FLOAT_RE = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_SPECIAL_FLOATS = {
    ".inf": float("inf"), ".Inf": float("inf"), ".INF": float("inf"),
    "+.inf": float("inf"), "+.Inf": float("inf"), "+.INF": float("inf"),
    "-.inf": float("-inf"), "-.Inf": float("-inf"), "-.INF": float("-inf"),
    ".nan": float("nan"), ".NaN": float("nan"), ".NAN": float("nan"),
}
_NUMBER_START = frozenset("+-.0123456789")

_TAG_PREFIX = "tag:yaml.org,2002:"
_STANDARD_TAGS = frozenset(
    _TAG_PREFIX + t for t in ("str", "int", "float", "bool", "null", "map", "seq", "binary", "timestamp")
)


@dataclass(frozen=True)
class LoadProblem:
    """Something wrong with the text itself, kept as data (the engine turns it into a finding)."""

    kind: str  # "syntax" (yaml-syntax), "duplicate-key", "tag", "limit"
    line: int
    column: int
    message: str
    document: int | None = None  # index of the document it belongs to, when known
    path: tuple = ()  # path of the offending node inside that document, when known


@dataclass(eq=False)
class Document:
    index: int  # 0-based position in the stream
    data: Any
    line: int  # where the document's root node starts (1-based)
    column: int
    table: dict[int, dict[Any, tuple[int, int, int, int]]]
    # Paths of plain scalars that YAML 1.1 read as booleans although they look like words (``yes``).
    yaml11_bools: dict[tuple, str] = field(default_factory=dict)
    dropped: bool = False  # content dropped because a limit was exceeded

    def position(self, path: Iterable[Any], key: bool = False) -> tuple[int, int]:
        """Line and column of the node at ``path`` (its key when ``key``), or of its nearest ancestor."""
        line, col = self.line, self.column
        key_position = None
        node = self.data
        for step in path:
            entries = self.table.get(id(node)) if isinstance(node, (dict, list)) else None
            if entries is None or step not in entries:
                key_position = None
                break
            key_line, key_col, line, col = entries[step]
            key_position = (key_line, key_col)
            node = node[step]
        if key and key_position is not None:
            return key_position
        return line, col


@dataclass(eq=False)
class SourceFile:
    path: str  # as given on the command line ("-" for standard input)
    text: str
    documents: list[Document]
    problems: list[LoadProblem]

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()


def decode(raw: bytes) -> tuple[str | None, LoadProblem | None]:
    """Bytes → text. UTF-8 (with or without BOM) and UTF-16/32 with a BOM, as YAML allows."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), None
        except UnicodeDecodeError:
            pass
    if b"\x00" in raw[:8192]:
        return None, LoadProblem("binary", 1, 1, "binary file (contains NUL bytes); not parsed")
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as err:
        before = raw[: err.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        return None, LoadProblem(
            "syntax", line, column,
            f"invalid UTF-8 byte 0x{raw[err.start]:02x} at byte offset {err.start}; save the file as UTF-8",
        )


def resolve_plain(text: str) -> Any:
    """A plain (unquoted) scalar as go-yaml v2 / Kubernetes reads it."""
    if text in _NULLS:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if text and text[0] in _NUMBER_START:
        digits = text.replace("_", "")
        if _INT_RE.match(digits):
            sign = -1 if digits[0] == "-" else 1
            body = digits.lstrip("+-")
            if body.startswith(("0b", "0o", "0x")):
                return sign * int(body, 0)
            if len(body) > 1 and body[0] == "0":
                return sign * int(body, 8)
            return sign * int(body)
        if _FLOAT_RE.match(digits):
            return float(digits)
        special = _SPECIAL_FLOATS.get(text)
        if special is not None:
            return special
    return text


def _resolve_tagged(value: str, tag: str) -> Any:
    short = tag[len(_TAG_PREFIX):] if tag.startswith(_TAG_PREFIX) else tag
    if short == "str":
        return value
    resolved = resolve_plain(value)
    if short == "int" and isinstance(resolved, int) and not isinstance(resolved, bool):
        return resolved
    if short == "float" and isinstance(resolved, (int, float)) and not isinstance(resolved, bool):
        return float(resolved)
    if short == "bool" and isinstance(resolved, bool):
        return resolved
    if short == "null" and resolved is None:
        return None
    return value


def _key_string(key: Any) -> str:
    """Kubernetes turns YAML keys into JSON object keys: non-strings become their JSON text."""
    if isinstance(key, str):
        return key
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)


def _count_nodes(value: Any, limit: int) -> int:
    """Nodes reachable from ``value`` (shared sub-trees counted each time), stopping past ``limit``."""
    count = 0
    stack = [value]
    while stack:
        node = stack.pop()
        count += 1
        if count > limit:
            return count
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return count


def _event_parser(text: str):
    """A ``get_event`` callable over ``text``: the C parser if installed, else ruamel's pure parser."""
    try:
        from _ruamel_yaml import CParser  # ruamel.yaml.clib
    except ImportError:  # pragma: no cover - exercised only without the C extension
        from ruamel.yaml import YAML

        events = iter(YAML(typ="safe", pure=True).parse(text))
        return lambda: next(events, None)
    return CParser(text).get_event


class _Frame:
    __slots__ = ("container", "entries", "is_map", "pending_key", "key_pos", "merge_sources", "slot")

    def __init__(self, container, is_map, slot):
        self.container = container
        self.entries: dict = {}
        self.is_map = is_map
        self.pending_key: Any = _NO_KEY
        self.key_pos = (0, 0)
        self.merge_sources: list = []
        self.slot = slot  # key or index of this container in its parent


_NO_KEY = object()


def load_text(text: str, path: str = "<string>") -> SourceFile:
    """Parse every document of a YAML/JSON stream. Problems are returned as data, never raised."""
    documents: list[Document] = []
    problems: list[LoadProblem] = []
    try:
        _parse_stream(text, documents, problems)
    except _ParseAbort:
        pass
    except Exception as err:  # the parser's own errors carry a position
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        line = (mark.line + 1) if mark is not None else 1
        column = (mark.column + 1) if mark is not None else 1
        problem = getattr(err, "problem", None) or str(err)
        context = getattr(err, "context", None)
        context_mark = getattr(err, "context_mark", None)
        if context and context_mark is not None and mark is not None and context_mark.line != mark.line:
            context = f"{context} that starts at line {context_mark.line + 1}, column {context_mark.column + 1}"
        message = f"{problem} ({context})" if context else str(problem)
        problems.append(LoadProblem("syntax", line, column, _friendly_syntax(message, text, line), len(documents)))
    return SourceFile(path, text, documents, problems)


def _friendly_syntax(message: str, text: str, line: int) -> str:
    """Add the likely cause for the syntax errors people hit most."""
    lines = text.splitlines()
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    if "{{" in text and "}}" in text:
        return message + "; looks like an unrendered Helm template: lint the output of `helm template`"
    if source.startswith(("<<<<<<<", "=======", ">>>>>>>")) or "\n<<<<<<< " in text:
        return message + "; the file contains merge conflict markers"
    if "\t" in source[: len(source) - len(source.lstrip())]:
        return message + "; YAML does not allow tabs for indentation"
    return message


class _ParseAbort(Exception):
    pass


def _parse_stream(text: str, documents: list[Document], problems: list[LoadProblem]) -> None:
    get_event = _event_parser(text)
    stack: list[_Frame] = []
    anchors: dict[str, tuple[Any, int, int]] = {}
    table: dict[int, dict] = {}
    yaml11: dict[tuple, str] = {}
    root: Any = None
    root_pos = (1, 1)
    doc_index = 0
    alias_nodes = 0
    dropped = False

    def next_slot() -> Any:
        """Key or index that the next value attached to the innermost container will get."""
        top = stack[-1]
        return _key_string(top.pending_key) if top.is_map else len(top.container)

    def path_to_next() -> tuple:
        return tuple(frame.slot for frame in stack[1:]) + (next_slot(),)

    def attach(value: Any, line: int, col: int, anchor: str | None) -> None:
        nonlocal root, root_pos
        if anchor:
            anchors[anchor] = (value, line, col)
        if not stack:
            root, root_pos = value, (line, col)
            return
        frame = stack[-1]
        if frame.is_map:
            if frame.pending_key is _NO_KEY:
                # ``value`` is a key.
                if isinstance(value, (dict, list)):
                    problems.append(LoadProblem("syntax", line, col, "a mapping key must be a scalar", doc_index))
                    value = "<complex key>"
                frame.pending_key = value
                frame.key_pos = (line, col)
                return
            key = frame.pending_key
            frame.pending_key = _NO_KEY
            kl, kc = frame.key_pos
            if key == "<<" and isinstance(value, (dict, list)):
                # YAML 1.1 merge key (go-yaml honours it): merged after explicit keys.
                sources = value if isinstance(value, list) else [value]
                frame.merge_sources.extend(s for s in sources if isinstance(s, dict))
                return
            key = _key_string(key)
            container = frame.container
            if key in container:
                first = frame.entries[key]
                problems.append(LoadProblem(
                    "duplicate-key", kl, kc,
                    f'duplicate key "{key}" (first at line {first[0]}); kubectl silently keeps the last '
                    "value and istioctl rejects the file: remove one",
                    doc_index, tuple(f.slot for f in stack[1:]) + (key,),
                ))
            container[key] = value
            frame.entries[key] = (kl, kc, line, col)
        else:
            frame.entries[len(frame.container)] = (line, col, line, col)
            frame.container.append(value)

    while True:
        event = get_event()
        if event is None:
            break
        name = type(event).__name__
        if name == "ScalarEvent":
            mark = event.start_mark
            line, col = mark.line + 1, mark.column + 1
            value = event.value
            tag = event.tag
            if tag and tag != "!":
                if tag not in _STANDARD_TAGS:
                    problems.append(LoadProblem(
                        "tag", line, col,
                        f"YAML tag {tag.replace(_TAG_PREFIX, '!!')} is not allowed in a Kubernetes manifest; "
                        "the value is read as a plain string, nothing is constructed",
                        doc_index,
                    ))
                else:
                    value = _resolve_tagged(value, tag)
            elif not event.style:
                resolved = resolve_plain(value)
                if value in YAML11_ONLY_BOOLS and stack and not (stack[-1].is_map and stack[-1].pending_key is _NO_KEY):
                    yaml11[path_to_next()] = value
                value = resolved
            attach(value, line, col, event.anchor)
        elif name == "MappingStartEvent" or name == "SequenceStartEvent":
            mark = event.start_mark
            line, col = mark.line + 1, mark.column + 1
            is_map = name == "MappingStartEvent"
            depth = len(stack) + 1
            if depth > MAX_DEPTH:
                problems.append(LoadProblem(
                    "limit", line, col,
                    f"nesting deeper than {MAX_DEPTH} levels; the rest of the file is not linted", doc_index,
                ))
                raise _ParseAbort
            if event.tag and event.tag not in _STANDARD_TAGS and event.tag != "!":
                problems.append(LoadProblem(
                    "tag", line, col,
                    f"YAML tag {event.tag.replace(_TAG_PREFIX, '!!')} is not allowed in a Kubernetes manifest; "
                    "nothing is constructed",
                    doc_index,
                ))
            container: Any = {} if is_map else []
            slot = next_slot() if stack and not (stack[-1].is_map and stack[-1].pending_key is _NO_KEY) else None
            attach(container, line, col, event.anchor)
            frame = _Frame(container, is_map, slot)
            stack.append(frame)
        elif name == "MappingEndEvent" or name == "SequenceEndEvent":
            frame = stack.pop()
            if frame.merge_sources:
                for source in frame.merge_sources:
                    source_entries = table.get(id(source), {})
                    for key, value in source.items():
                        if key not in frame.container:
                            frame.container[key] = value
                            if key in source_entries:
                                frame.entries[key] = source_entries[key]
            table[id(frame.container)] = frame.entries
        elif name == "AliasEvent":
            mark = event.start_mark
            line, col = mark.line + 1, mark.column + 1
            target = anchors.get(event.anchor)
            if target is None:
                problems.append(LoadProblem("syntax", line, col, f"unknown alias *{event.anchor}", doc_index))
                attach(None, line, col, None)
                continue
            value = target[0]
            if isinstance(value, (dict, list)):
                alias_nodes += _count_nodes(value, MAX_ALIAS_NODES)
                if alias_nodes > MAX_ALIAS_NODES and not dropped:
                    dropped = True
                    problems.append(LoadProblem(
                        "limit", line, col,
                        f"aliases expand this document to more than {MAX_ALIAS_NODES:,} nodes (a YAML bomb?); "
                        "the document is not linted",
                        doc_index,
                    ))
                if dropped:
                    value = None
            attach(value, line, col, None)
        elif name == "DocumentStartEvent":
            stack.clear()
            anchors.clear()
            table = {}
            yaml11 = {}
            root, root_pos = None, (event.start_mark.line + 1, event.start_mark.column + 1)
            alias_nodes = 0
            dropped = False
        elif name == "DocumentEndEvent":
            documents.append(Document(
                doc_index, None if dropped else root, root_pos[0], root_pos[1], table, yaml11, dropped
            ))
            doc_index += 1
        elif name == "StreamEndEvent":
            break
