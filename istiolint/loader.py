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
from typing import Any, Iterable

from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from .record import field, record

# Limits that keep hostile input from exhausting memory or recursion in later stages.
MAX_DEPTH = 100  # Kubernetes objects nest ~20 deep; deeper input is a mistake or an attack.
MAX_ALIAS_NODES = 200_000  # nodes reachable through aliases in one document (alias bombs).
# Nodes (scalars, keys, containers, aliases) in one file. Loaded data costs ~150 bytes a node (~250
# for a file of nothing but tiny containers), so this keeps the whole run of one such file well under
# 1 GiB. Real manifests have about one node per 14 bytes: a 25 MB file of Kubernetes objects fits.
MAX_NODES = 2_000_000
MAX_PROBLEMS = 1_000  # loader problems reported per file; past that the file is noise

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


@record(frozen=True)
class LoadProblem:
    """Something wrong with the text itself, kept as data (the engine turns it into a finding)."""

    kind: str  # "syntax" (yaml-syntax), "duplicate-key", "tag", "limit"
    line: int
    column: int
    message: str
    document: int | None = None  # index of the document it belongs to, when known
    path: tuple = ()  # path of the offending node inside that document, when known


@record(eq=False)
class Document:
    index: int  # 0-based position in the stream
    data: Any
    line: int  # where the document's root node starts (1-based)
    column: int
    # Positions of every entry of every container, keyed by the container's ``id``: for a mapping
    # ``{key: packed key and value position}``, for a sequence ``[packed position of item i]`` (see
    # ``_pack``). Packed ints take a third of the memory of tuples, which matters for large files.
    table: dict[int, dict[str, int] | list[int]]
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
            packed = None
            if isinstance(entries, dict) and isinstance(node, dict):
                packed = entries.get(step) if isinstance(step, str) else None
            elif isinstance(entries, list) and isinstance(node, list):
                if type(step) is int and 0 <= step < len(entries) and step < len(node):
                    packed = entries[step]
            if packed is None:
                key_position = None
                break
            key_line, key_col, line, col = _unpack(packed)
            key_position = (key_line, key_col)
            node = node[step]
        if key and key_position is not None:
            return key_position
        return line, col


_BITS = 32
_MASK = (1 << _BITS) - 1


def _pack(key_line: int, key_col: int, line: int, col: int) -> int:
    return (((key_line << _BITS | key_col) << _BITS | line) << _BITS) | col


def _unpack(packed: int) -> tuple[int, int, int, int]:
    return packed >> 3 * _BITS, (packed >> 2 * _BITS) & _MASK, (packed >> _BITS) & _MASK, packed & _MASK


@record(eq=False)
class SourceFile:
    path: str  # as given on the command line ("-" for standard input)
    text: str
    documents: list[Document]
    problems: list[LoadProblem]

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()


# File signatures of binary formats people commit by mistake next to manifests (images, archives,
# executables, documents). Any of them at the start means "not text", whatever the bytes after it.
_BINARY_MAGIC = (
    b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"\xff\xd8\xff", b"\x1f\x8b", b"PK\x03\x04", b"PK\x05\x06",
    b"\x7fELF", b"%PDF-", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd", b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07",
    b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\x04\x22\x4d\x18",
)
_BINARY_NAMES = {
    b"\x89PNG": "a PNG image", b"GIF8": "a GIF image", b"\xff\xd8\xff": "a JPEG image", b"\x1f\x8b": "gzip data",
    b"PK": "a zip archive", b"\x7fELF": "an ELF executable", b"%PDF": "a PDF document",
}
# Bytes that never occur in a text file (C0 controls except tab, LF, VT, FF, CR, ESC; DEL).
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13, 27)) + b"\x7f"
_SAMPLE = 8192


def _binary_reason(raw: bytes) -> str | None:
    """Why ``raw`` is not a text file (None when it looks like text). Looks at the first 8 KiB only."""
    if raw.startswith(_BINARY_MAGIC):
        kind = next((name for magic, name in _BINARY_NAMES.items() if raw.startswith(magic)), "binary data")
        return f"binary file ({kind}); not parsed"
    sample = raw[:_SAMPLE]
    if b"\x00" in sample:
        return "binary file (contains NUL bytes); not parsed"
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if sample and controls * 10 > len(sample):  # >10% control bytes: no YAML file looks like that
        return "binary file (mostly control characters); not parsed"
    return None


def decode(raw: bytes) -> tuple[str | None, LoadProblem | None]:
    """Bytes → text. UTF-8 (with or without BOM) and UTF-16/32 with a BOM, as YAML allows.

    Binary files give one ``binary`` problem and no text; text that is not valid UTF-8 gives one
    ``syntax`` problem at the first bad byte (line and column in characters, byte offset in the file).
    """
    if raw.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        try:
            return raw.decode("utf-32"), None
        except UnicodeDecodeError:
            pass
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), None
        except UnicodeDecodeError:
            pass
    offset = 0
    if raw.startswith(b"\xef\xbb\xbf"):
        raw, offset = raw[3:], 3
    reason = _binary_reason(raw)
    if reason is not None:
        return None, LoadProblem("binary", 1, 1, reason)
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as err:
        line_start = raw.rfind(b"\n", 0, err.start) + 1
        line = raw.count(b"\n", 0, err.start) + 1
        # Everything before the bad byte decoded, so the column can be counted in characters.
        column = len(raw[line_start: err.start].decode("utf-8")) + 1
        return None, LoadProblem(
            "syntax", line, column,
            f"invalid UTF-8 byte 0x{raw[err.start]:02x} at byte offset {err.start + offset}; "
            "save the file as UTF-8",
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


def _measure(value: Any, budget: int) -> tuple[int, int]:
    """(nodes, height) of ``value`` with shared sub-trees counted each time, as an alias expands
    them; counting stops once past ``budget``. Height counts container levels (0 for a scalar)."""
    count = 0
    height = 0
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > budget:
            break
        if isinstance(node, (dict, list)):
            if depth > height:
                height = depth
            if count + len(stack) + len(node) > budget + 1:
                return budget + 1, height  # wider than what is left: no need to look further
            stack.extend((item, depth + 1) for item in (node.values() if isinstance(node, dict) else node))
    return count, height


def _event_parser(text: str, pure: bool = False):
    """(``get_event`` callable over ``text``, whether it is the pure parser): the C parser from
    ruamel.yaml.clib if installed (unless ``pure``), else ruamel's pure-Python parser (~10× slower)."""
    try:
        if pure:
            raise ImportError
        from _ruamel_yaml import CParser  # ruamel.yaml.clib
    except ImportError:
        from ruamel.yaml import YAML

        events = iter(YAML(typ="safe", pure=True).parse(text))  # pragma: no cover - without the C parser
        return (lambda: next(events, None)), True
    return CParser(text).get_event, False


class _Frame:
    __slots__ = ("container", "entries", "is_map", "pending_key", "key_pos", "merge_sources", "slot", "flow")

    def __init__(self, container, is_map, slot, flow):
        self.container = container
        self.entries: Any = {} if is_map else []
        self.is_map = is_map
        self.pending_key: Any = _NO_KEY
        self.key_pos = (0, 0)
        self.merge_sources: list = []
        self.slot = slot  # key or index of this container in its parent
        self.flow = flow  # written in flow style ([...] or {...})


_NO_KEY = object()

# The C parser (libyaml) rejects a colon inside a plain scalar in a flow collection
# (``addresses: [1.2.3.4, 2001:db8::1]``), which kubectl (go-yaml) reads as the string
# "2001:db8::1". On that error the text is parsed again with such colons replaced by a private-use
# character (one character for one, so every position stays right) that is turned back into ":" in
# every scalar read.
_FLOW_COLON = "found unexpected ':'"
# A word (no blanks, no flow indicators) that does not start with an indicator and has a colon after
# its first character: go-yaml reads its colons as part of a plain scalar, except a final one
# followed by a blank (``key: value``). Words starting with ":" stay: in a flow collection go-yaml
# takes that colon for an indicator and fails on ``[::1]``, as the C parser does.
_COLON_WORD_RE = re.compile(r"(?<![^\s,\[\]{}])[^\s,\[\]{}:\"'&*!%#|>@`][^\s,\[\]{}:]*:[^\s,\[\]{}]*")


def _mask_colons(text: str) -> tuple[str, str] | None:
    """(text with in-scalar colons replaced by a placeholder, the placeholder), or None when no
    private-use character is free to serve as one."""
    placeholder = next((chr(c) for c in range(0xE000, 0xE020) if chr(c) not in text), None)
    if placeholder is None:
        return None

    def mask(match: re.Match) -> str:
        word = match.group()
        end = match.end()
        if word.endswith(":") and (end == len(text) or text[end] in " \t\r\n"):
            return word[:-1].replace(":", placeholder) + ":"
        return word.replace(":", placeholder)

    return _COLON_WORD_RE.sub(mask, text), placeholder


def load_text(text: str, path: str = "<string>") -> SourceFile:
    """Parse every document of a YAML/JSON stream. Problems are returned as data, never raised."""
    documents, problems, retry = _load(text)
    if retry:
        masked = _mask_colons(text)
        if masked is not None:
            documents, problems, _ = _load(masked[0], masked[1], text)
    conflict = _conflict_markers(text)
    if conflict is not None:
        # A parse error after the first marker is the markers' doing: say the cause once.
        problems = [conflict] + [p for p in problems if not (p.kind == "syntax" and p.line >= conflict.line)]
    return SourceFile(path, text, documents, problems)


def _load(text: str, colon: str | None = None, original: str | None = None
          ) -> tuple[list[Document], list[LoadProblem], bool]:
    """(documents, problems, whether to parse again with colons masked). ``colon`` is the placeholder
    of a masked ``text``; ``original`` the text before masking (for messages)."""
    documents: list[Document] = []
    problems: list[LoadProblem] = []
    try:
        _parse_stream(text, documents, problems, colon)
    except _ParseAbort:
        pass
    except Exception as err:  # the parser's own errors carry a position; anything else is our bug
        if colon is None and getattr(err, "problem", None) == _FLOW_COLON:
            return documents, problems, True
        if isinstance(err, YAMLError):
            problem = _parser_problem(err, original or text, len(documents))
        else:
            problem = LoadProblem("syntax", 1, 1, f"internal error while reading this file ({type(err).__name__}: "
                                                  f"{err}); this is a bug in istiolint, please report it",
                                  len(documents))
        if colon is not None:
            problem = LoadProblem(problem.kind, problem.line, problem.column, problem.message.replace(colon, ":"),
                                  problem.document)
        problems.append(problem)
    return documents, problems, False


def _parser_problem(err: Exception, text: str, document: int) -> LoadProblem:
    """A parser exception as a problem, with its position and the likely cause in plain words."""
    position = getattr(err, "position", None)
    if getattr(err, "reason", None) is not None and isinstance(position, int):
        # A reader error: a character YAML does not allow (control characters, U+FFFE, ...).
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        character = getattr(err, "character", None)
        code = f"U+{character:04X}" if isinstance(character, int) else repr(character)
        return LoadProblem("syntax", line, column,
                           f"character {code} is not allowed in YAML ({err.reason})", document)
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    line = (mark.line + 1) if mark is not None else 1
    column = (mark.column + 1) if mark is not None else 1
    problem = getattr(err, "problem", None) or str(err)
    context = getattr(err, "context", None)
    context_mark = getattr(err, "context_mark", None)
    if context == "while scanning a quoted scalar" and context_mark is not None and "end of stream" in str(problem):
        # The parser notices at the end of the file; the mistake is where the quote opens.
        line, column = context_mark.line + 1, context_mark.column + 1
        return LoadProblem("syntax", line, column,
                           _friendly_syntax("unterminated quoted string: this quote is never closed", text, line),
                           document)
    if context and context_mark is not None and mark is not None and context_mark.line != mark.line:
        context = f"{context} that starts at line {context_mark.line + 1}, column {context_mark.column + 1}"
    message = f"{problem} ({context})" if context else str(problem)
    if problem == "did not find expected node content" and mark is not None and _char_at(text, mark.index) == ":":
        # ``addresses: [::1]``: in a flow collection go-yaml (kubectl) fails on it too.
        message += '; a value in [...] or {...} cannot start with ":": quote it, e.g. "::1"'
    return LoadProblem("syntax", line, column, _friendly_syntax(message, text, line), document)


def _char_at(text: str, index: Any) -> str:
    return text[index] if isinstance(index, int) and 0 <= index < len(text) else ""


_HELM_HINT = "; looks like an unrendered Helm template: lint the output of `helm template`"
_CONFLICT_RE = re.compile(r"^(<{7}|>{7})(?: |$)", re.MULTILINE)


def _conflict_markers(text: str) -> LoadProblem | None:
    """Git's conflict markers: an unresolved merge, whether or not the YAML still parses."""
    if "<<<<<<<" not in text:
        return None
    found = {}
    for match in _CONFLICT_RE.finditer(text):
        found.setdefault(match.group(1)[0], match.start())
    if "<" not in found or ">" not in found or found[">"] < found["<"]:
        return None
    start = found["<"]
    line = text.count("\n", 0, start) + 1
    end_line = text.count("\n", 0, found[">"]) + 1
    return LoadProblem("syntax", line, 1, f"unresolved merge conflict: git conflict markers at lines {line} to "
                                          f"{end_line}; resolve the conflict", 0)


def _friendly_syntax(message: str, text: str, line: int) -> str:
    """Add the likely cause for the syntax errors people hit most."""
    lines = text.splitlines()
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    if "{{" in text and "}}" in text:
        return message + _HELM_HINT
    if source.startswith(("<<<<<<<", "=======", ">>>>>>>")) or _conflict_markers(text) is not None:
        return message + "; the file contains merge conflict markers"
    if "\t" in source[: len(source) - len(source.lstrip())]:
        return message + "; YAML does not allow tabs for indentation"
    return message


class _ParseAbort(Exception):
    pass


def _parse_stream(text: str, documents: list[Document], problems: list[LoadProblem], colon: str | None = None) -> None:
    get_event, pure = _event_parser(text)
    stack: list[_Frame] = []
    open_ids: set[int] = set()  # containers still being read (an alias to one is recursive)
    anchors: dict[str, Any] = {}
    table: dict[int, Any] = {}
    yaml11: dict[tuple, str] = {}
    strings: dict[str, str] = {}  # one object per distinct short string: keys repeat a lot
    plain: dict[str, Any] = {}  # short plain scalar text -> what it resolves to (strings: one object each)
    root: Any = None
    root_pos = (1, 1)
    doc_index = 0
    alias_nodes = 0
    nodes = 0
    dropped = False

    def problem(kind: str, line: int, col: int, message: str, path: tuple = ()) -> None:
        if len(problems) < MAX_PROBLEMS:
            problems.append(LoadProblem(kind, line, col, message, doc_index, path))
        elif len(problems) == MAX_PROBLEMS:
            problems.append(LoadProblem("limit", line, col, f"more than {MAX_PROBLEMS:,} problems in this file; "
                                                            "the rest are not reported", doc_index))

    def next_slot() -> Any:
        """Key or index that the next value attached to the innermost container will get."""
        top = stack[-1]
        return _key_string(top.pending_key) if top.is_map else len(top.container)

    def path_to_next() -> tuple:
        return tuple(frame.slot for frame in stack[1:]) + (next_slot(),)

    def attach(value: Any, line: int, col: int) -> None:
        nonlocal root, root_pos
        if not stack:
            root, root_pos = value, (line, col)
            return
        frame = stack[-1]
        if frame.is_map:
            if frame.pending_key is _NO_KEY:
                # ``value`` is a key.
                if isinstance(value, (dict, list)):
                    message = "a mapping key must be a scalar"
                    problem("syntax", line, col, message + _HELM_HINT if "{{" in text else message)
                    value = "<complex key>"
                frame.pending_key = value
                frame.key_pos = (line, col)
                return
            key = frame.pending_key
            frame.pending_key = _NO_KEY
            kl, kc = frame.key_pos
            if key == "<<" and isinstance(value, (dict, list)):
                # YAML 1.1 merge key (go-yaml honours it): merged after explicit keys, when this mapping
                # ends (a sequence of sources written inline is still empty here).
                frame.merge_sources.append(value)
                return
            key = _key_string(key)
            container = frame.container
            if key in container:
                first_line = _unpack(frame.entries[key])[0]
                problem(
                    "duplicate-key", kl, kc,
                    f'duplicate key "{key}" (first at line {first_line}); kubectl silently keeps the last '
                    "value and istioctl rejects the file: remove one",
                    tuple(f.slot for f in stack[1:]) + (key,),
                )
            container[key] = value
            frame.entries[key] = _pack(kl, kc, line, col)
        else:
            frame.entries.append(_pack(line, col, line, col))
            frame.container.append(value)

    while True:
        event = get_event()
        if event is None:
            break
        cls = type(event)
        if cls is ScalarEvent or cls is AliasEvent or cls is MappingStartEvent or cls is SequenceStartEvent:
            nodes += 1
            if nodes > MAX_NODES:
                mark = event.start_mark
                problem("limit", mark.line + 1, mark.column + 1,
                        f"more than {MAX_NODES:,} YAML nodes in this file; the rest of the file is not linted "
                        "(split it into smaller files)")
                raise _ParseAbort
        if cls is ScalarEvent:
            mark = event.start_mark
            line, col = mark.line + 1, mark.column + 1
            value = event.value
            tag = event.tag
            if colon is not None:
                value = value.replace(colon, ":")
                tag = tag.replace(colon, ":") if tag else tag
            if pure and not value.isascii():
                value = _valid_unicode(value, line, col, problem)
            if tag and tag != "!":
                if tag not in _STANDARD_TAGS:
                    problem(
                        "tag", line, col,
                        f"YAML tag {tag.replace(_TAG_PREFIX, '!!')} is not allowed in a Kubernetes manifest; "
                        "the value is read as a plain string, nothing is constructed",
                    )
                else:
                    value = _resolve_tagged(value, tag)
            elif not event.style:
                if pure and value.startswith(":") and stack and stack[-1].flow:
                    # go-yaml (kubectl) takes a colon that starts a flow item for an indicator.
                    problem("syntax", line, col, f'"{value[:40]}" in a flow collection cannot start with ":" '
                                                 "(kubectl fails on it); quote it")
                # Keys and many values repeat within a file: each distinct short plain text is resolved
                # once, and its string kept once (the cache holds the first object of each text).
                resolved = plain.get(value, _NO_KEY)
                if resolved is _NO_KEY:
                    resolved = resolve_plain(value)
                    if len(value) <= 64:
                        plain[value] = resolved
                if value in YAML11_ONLY_BOOLS and stack and not (
                        stack[-1].is_map and stack[-1].pending_key is _NO_KEY):
                    yaml11[path_to_next()] = value
                value = resolved
            elif type(value) is str and len(value) <= 64:
                value = strings.setdefault(value, value)
            if tag and type(value) is str and len(value) <= 64:
                value = strings.setdefault(value, value)  # a tagged scalar read as a string
            if event.anchor:
                anchors[event.anchor] = value
            # `attach` inlined for the cases that are nearly every scalar of a manifest: a key, the
            # value of a string key seen once, a list item (the loader's hottest lines).
            if stack:
                frame = stack[-1]
                if frame.is_map:
                    key = frame.pending_key
                    if key is _NO_KEY:
                        frame.pending_key = value
                        frame.key_pos = (line, col)
                        continue
                    if type(key) is str and key not in frame.container:
                        frame.pending_key = _NO_KEY
                        kl, kc = frame.key_pos
                        frame.container[key] = value
                        frame.entries[key] = (((kl << _BITS | kc) << _BITS | line) << _BITS) | col
                        continue
                else:
                    frame.entries.append((((line << _BITS | col) << _BITS | line) << _BITS) | col)
                    frame.container.append(value)
                    continue
            attach(value, line, col)
        elif cls is MappingStartEvent or cls is SequenceStartEvent:
            mark = event.start_mark
            line, col = mark.line + 1, mark.column + 1
            is_map = cls is MappingStartEvent
            if len(stack) + 1 > MAX_DEPTH:
                problem("limit", line, col, f"nesting deeper than {MAX_DEPTH} levels; the rest of the file is not linted")
                raise _ParseAbort
            tag = event.tag.replace(colon, ":") if colon is not None and event.tag else event.tag
            if tag and tag not in _STANDARD_TAGS and tag != "!":
                problem(
                    "tag", line, col,
                    f"YAML tag {tag.replace(_TAG_PREFIX, '!!')} is not allowed in a Kubernetes manifest; "
                    "nothing is constructed",
                )
            container: Any = {} if is_map else []
            if event.anchor:
                anchors[event.anchor] = container
            # `attach` and `next_slot` inlined for the usual places of a container: the value of a
            # string key seen once, a list item, the document's root.
            slot = None
            if not stack:
                attach(container, line, col)
            else:
                top = stack[-1]
                key = top.pending_key
                if not top.is_map:
                    slot = len(top.container)
                    top.entries.append((((line << _BITS | col) << _BITS | line) << _BITS) | col)
                    top.container.append(container)
                elif type(key) is str and key != "<<" and key not in top.container:  # "<<": a merge
                    slot = key
                    top.pending_key = _NO_KEY
                    kl, kc = top.key_pos
                    top.container[key] = container
                    top.entries[key] = (((kl << _BITS | kc) << _BITS | line) << _BITS) | col
                else:
                    slot = None if key is _NO_KEY else _key_string(key)
                    attach(container, line, col)
            stack.append(_Frame(container, is_map, slot, bool(event.flow_style)))
            open_ids.add(id(container))
        elif cls is MappingEndEvent or cls is SequenceEndEvent:
            frame = stack.pop()
            open_ids.discard(id(frame.container))
            if frame.merge_sources:
                # Earlier sources win over later ones, explicit keys over all (the merge key's rules).
                sources = [m for v in frame.merge_sources for m in (v if isinstance(v, list) else [v])]
                for source in sources:
                    if not isinstance(source, dict):
                        continue
                    source_entries = table.get(id(source), {})
                    for key, value in source.items():
                        if key not in frame.container:
                            frame.container[key] = value
                            if key in source_entries:
                                frame.entries[key] = source_entries[key]
            if frame.entries:  # an empty container needs no table: its own position is its parent's entry
                table[id(frame.container)] = frame.entries
        elif cls is AliasEvent:
            mark = event.start_mark
            line, col = mark.line + 1, mark.column + 1
            if event.anchor not in anchors:
                problem("syntax", line, col, f"unknown alias *{event.anchor}")
                attach(None, line, col)
                continue
            value = anchors[event.anchor]
            if isinstance(value, (dict, list)):
                if id(value) in open_ids:
                    # ``a: &x [*x]``: a node that contains itself. go-yaml rejects it, and expanding
                    # it would never end.
                    problem("syntax", line, col, f"alias *{event.anchor} refers to a node that contains it "
                                                 "(a recursive alias); kubectl rejects it")
                    value = None
                elif dropped:
                    value = None
                else:
                    count, height = _measure(value, MAX_ALIAS_NODES - alias_nodes)
                    alias_nodes += count
                    if alias_nodes > MAX_ALIAS_NODES:
                        problem("limit", line, col,
                                f"aliases expand this document to more than {MAX_ALIAS_NODES:,} nodes (a YAML "
                                "bomb?); the document is not linted")
                        dropped, value = True, None
                    elif len(stack) + height > MAX_DEPTH:
                        problem("limit", line, col,
                                f"aliases nest this document deeper than {MAX_DEPTH} levels; the document is "
                                "not linted")
                        dropped, value = True, None
            attach(value, line, col)
        elif cls is DocumentStartEvent:
            stack.clear()
            open_ids.clear()
            anchors.clear()
            table = {}
            yaml11 = {}
            root, root_pos = None, (event.start_mark.line + 1, event.start_mark.column + 1)
            alias_nodes = 0
            dropped = False
        elif cls is DocumentEndEvent:
            documents.append(Document(
                doc_index, None if dropped else root, root_pos[0], root_pos[1], table, yaml11, dropped
            ))
            doc_index += 1
        elif cls is StreamEndEvent:
            break


def _valid_unicode(value: str, line: int, col: int, problem) -> str:
    """``value`` without lone surrogates (from escapes such as ``"\\ud800"``), which no JSON or
    UTF-8 output can carry; the C parser rejects them, the pure one does not."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        problem("syntax", line, col, "invalid Unicode escape (a lone surrogate) in a string")
        return value.encode("utf-8", "replace").decode("utf-8")
    return value
