"""Where the CEL validation rules of a schema apply to a document, and what they decide there.

The light half of the CEL support: it walks a document and its schema together, and only when it
reaches a node that carries rules does it load the CEL runtime (`istiolint.cel`: Google's CEL, the
Kubernetes libraries), compiling each expression once, on first use. Most documents of a small run
reach no rule at all (the rules sit on optional fields such as timeouts and TLS settings), so a
pre-commit run on them never pays for the runtime's import.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from typing import Any

from .record import field, record

_INT64 = (-(1 << 63), (1 << 63) - 1)

# -- validating a document against the rules of its schema ----------------------------------------

# Kubernetes exposes a property whose name is a CEL keyword, or holds characters CEL identifiers
# cannot, under an escaped name (``self.__namespace__``, ``self.x__dash__y``).
_CEL_RESERVED = frozenset((
    "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if",
    "import", "let", "loop", "package", "namespace", "return", "var", "void", "while",
))
_ESCAPABLE = re.compile(r"[a-zA-Z_.\-/][a-zA-Z0-9_.\-/]*\Z")


def escape_property(name: str) -> str | None:
    """The name under which CEL sees a property, or None when CEL cannot see it."""
    if name in _CEL_RESERVED:
        return f"__{name}__"
    if not _ESCAPABLE.match(name):
        return None
    return (name.replace("__", "__underscores__").replace(".", "__dot__").replace("-", "__dash__")
            .replace("/", "__slash__"))


@record(frozen=True)
class CelProblem:
    path: tuple  # from the document root, where the finding belongs (the rule's node plus fieldPath)
    message: str
    rule: str  # the rule's expression


@record
class _Rule:
    source: str
    program: Any  # istiolint.cel.Program
    message: str | None
    message_program: Any  # istiolint.cel.Program | None
    field_path: tuple


@record
class _Plan:
    """The part of a schema that holds rules: each node with its rules and the children leading to more.
    ``entries`` are the node's raw rules; ``rules`` their compiled form, made the first time a
    document reaches the node (None until then)."""

    schema: dict
    entries: list = field(default_factory=list)
    rules: "list[_Rule] | None" = None
    properties: dict[str, "_Plan"] = field(default_factory=dict)
    items: "_Plan | None" = None
    additional: "_Plan | None" = None
    known: dict = field(default_factory=dict)  # the schema's own properties (not under ``additional``)
    # What the rules decide on a scalar value, by (type, value): a scalar's rules read nothing but the
    # value, and documents repeat the same few (durations such as "5s" on every route).
    decided: dict = field(default_factory=dict)


class _Blocked(Exception):
    """The value breaks its schema in a way that stops the API server from running CEL rules."""


_INT64_MIN, _INT64_MAX = _INT64


def _types(schema: dict) -> list[str]:
    kind = schema.get("type")
    if kind is None:
        return []
    return kind if isinstance(kind, list) else [kind]


def _key_text(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)


def _non_nullable(schema: Any) -> bool:
    """Is null not a value of this schema? (Then the API server prunes a null of it from a mapping.)"""
    if not isinstance(schema, dict):
        return False
    types = _types(schema)
    return "null" not in types if types else bool(schema)


def _plain(value: Any) -> Any:
    """A value under ``x-kubernetes-preserve-unknown-fields`` or without a schema type, as JSON."""
    if isinstance(value, dict):
        return {_key_text(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise _Blocked
    if isinstance(value, int) and not isinstance(value, bool) and not _INT64_MIN <= value <= _INT64_MAX:
        raise _Blocked
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def to_cel(value: Any, schema: Any) -> Any:
    """The value as the API server hands it to a CEL rule: pruned (unknown fields and nulls of
    non-nullable fields dropped), typed by its schema (a ``number`` is a double, ``format: byte`` is
    bytes). Raises `_Blocked` for a value with the wrong type, a missing required field, a value
    outside its enum, or one over a length/size limit: the errors that make Kubernetes skip CEL."""
    if not isinstance(schema, dict) or not schema:
        return _plain(value)
    types = _types(schema)
    if value is None:
        if "null" in types or not types:
            return None
        raise _Blocked
    if "enum" in schema and value not in schema["enum"]:
        raise _Blocked
    if isinstance(value, dict) and ("object" in types or not types):
        return _object_to_cel(value, schema)
    if isinstance(value, list) and ("array" in types or not types):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            raise _Blocked
        items = schema.get("items")
        return [to_cel(item, items) if isinstance(items, dict) else _plain(item) for item in value]
    if isinstance(value, bool):
        if "boolean" in types or not types:
            return value
        raise _Blocked
    if isinstance(value, int):
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise _Blocked
        if "integer" in types or not types:
            return value
        if "number" in types:
            return float(value)
        raise _Blocked
    if isinstance(value, float):
        if math.isfinite(value) and ("number" in types or not types):
            return value
        if "integer" in types and math.isfinite(value) and value.is_integer():
            return int(value)  # JSON has one number type: 5.0 is an integer
        raise _Blocked
    if isinstance(value, str):
        if "string" not in types and types:
            raise _Blocked
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            raise _Blocked
        if schema.get("format") == "byte":
            try:
                return base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise _Blocked from None
        return value
    if hasattr(value, "isoformat") and ("string" in types or not types):
        return value.isoformat()  # a YAML 1.2 date; a string to the API server
    raise _Blocked


def _object_to_cel(value: dict, schema: dict) -> dict:
    properties = schema.get("properties")
    extra = schema.get("additionalProperties")
    preserve = schema.get("x-kubernetes-preserve-unknown-fields") is True
    out: dict = {}
    present: set[str] = set()
    for raw_key, item in value.items():
        key = _key_text(raw_key)
        if properties and key in properties:
            sub = properties[key]
            if item is None and _non_nullable(sub):
                continue  # pruned, as the API server does
            name = escape_property(key)
            converted = to_cel(item, sub)
            present.add(key)
            if name is not None:
                out[name] = converted
        elif isinstance(extra, dict):
            if item is None and _non_nullable(extra):
                continue
            out[key] = to_cel(item, extra)
            present.add(key)
        elif extra is True or preserve:
            out[key] = _plain(item)
            present.add(key)
        # anything else is an unknown field: pruned
    if any(name not in present for name in schema.get("required", ())):
        raise _Blocked
    if "maxProperties" in schema and len(present) > schema["maxProperties"]:
        raise _Blocked
    return out


_FIELD_PATH_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\['((?:[^'\\]|\\.)*)'\]|\[([0-9]+)\]")


def parse_field_path(text: str) -> tuple | None:
    """A rule's ``fieldPath`` (``.spec.ports``, ``['a.b']``, ``.items[0]``) as path steps; None if it
    does not parse."""
    steps: list = []
    i = 0
    while i < len(text):
        match = _FIELD_PATH_STEP.match(text, i)
        if match is None:
            return None
        name, quoted, index = match.groups()
        if name is not None:
            steps.append(name)
        elif quoted is not None:
            steps.append(re.sub(r"\\(.)", r"\1", quoted))
        else:
            steps.append(int(index))
        i = match.end()
    return tuple(steps)


def _resolve(document: Any, path: tuple) -> bool:
    node = document
    for step in path:
        if isinstance(step, int):
            if not isinstance(node, list) or not 0 <= step < len(node):
                return False
        elif not isinstance(node, dict) or step not in node:
            return False
        node = node[step]
    return True


def transition_rule(source: str) -> bool:
    """Does the rule compare with the old object (``oldSelf``)? On create there is none."""
    from .cel import identifiers

    return any(name == "oldSelf" for name, _, _ in identifiers(source))


_NOT_LOADED = object()
_MAX_DECIDED = 4096  # scalar values remembered per schema node (a run repeats a few; a bound for odd inputs)


class CelValidator:
    """Evaluates the CEL rules of generated schemas on documents. One per run: the compiled programs
    (one per distinct expression) and the per-schema plans are kept here, not in module state."""

    def __init__(self, cel: Any = None) -> None:
        """``cel``: an `istiolint.cel.KubernetesCel`; by default one is made when a rule is first
        compiled (importing the runtime costs more than a small run's rules)."""
        self.unavailable: str | None = None
        self._cel_runtime = _NOT_LOADED if cel is None else cel
        self._programs: dict[str, Any] = {}  # expression -> istiolint.cel.Program | None
        self.skipped: dict[str, str] = {}  # expression -> why it is not evaluated
        self._plans: dict[int, tuple[dict, _Plan | None]] = {}

    @property
    def _cel(self) -> Any:
        """The CEL environment (None when the runtime is missing: `unavailable` says why)."""
        if self._cel_runtime is _NOT_LOADED:
            from . import cel as runtime

            try:
                self._cel_runtime = runtime.KubernetesCel()
            except runtime.CelUnavailable as error:
                self.unavailable = str(error)
                self._cel_runtime = None
        return self._cel_runtime

    # -- compiling -----------------------------------------------------------------------------

    def program(self, source: str) -> Any:
        """The compiled expression (an `istiolint.cel.Program`), or None (with the reason in
        `skipped`)."""
        if source in self._programs:
            return self._programs[source]
        program = None
        if self._cel is None:
            self.skipped[source] = self.unavailable or "no CEL runtime"
        elif transition_rule(source):
            self.skipped[source] = "transition rule (reads oldSelf): not evaluated on create"
        else:
            from .cel import Unsupported

            try:
                program = self._cel.compile(source)
            except Unsupported as error:
                self.skipped[source] = f"not supported here: {error}"
        self._programs[source] = program
        return program

    def _rule(self, entry: Any) -> _Rule | None:
        if not isinstance(entry, dict) or not isinstance(entry.get("rule"), str):
            return None
        source = entry["rule"]
        if entry.get("optionalOldSelf"):
            self.skipped[source] = "transition rule (optionalOldSelf): not evaluated on create"
            self._programs[source] = None
            return None
        program = self.program(source)
        if program is None:
            return None
        message_program = None
        if isinstance(entry.get("messageExpression"), str):
            message_program = self.program(entry["messageExpression"])
        field_path = parse_field_path(entry["fieldPath"]) if isinstance(entry.get("fieldPath"), str) else ()
        message = entry.get("message") if isinstance(entry.get("message"), str) else None
        return _Rule(source, program, message, message_program, field_path or ())

    def _plan(self, schema: Any) -> _Plan | None:
        if not isinstance(schema, dict):
            return None
        plan = _Plan(schema, list(schema.get("x-kubernetes-validations", ())))
        for name, sub in (schema.get("properties") or {}).items():
            child = self._plan(sub)
            if child is not None:
                plan.properties[name] = child
        plan.items = self._plan(schema.get("items"))
        plan.additional = self._plan(schema.get("additionalProperties"))
        plan.known = schema.get("properties") or {}
        if plan.entries or plan.properties or plan.items or plan.additional:
            return plan
        return None

    def plan(self, schema: dict) -> _Plan | None:
        """The rules of a schema, compiled on first use (keyed by the schema object, which the
        schema store keeps for the whole run)."""
        cached = self._plans.get(id(schema))
        if cached is None or cached[0] is not schema:
            cached = (schema, self._plan(schema))
            self._plans[id(schema)] = cached
        return cached[1]

    def compile_all(self, schema: dict) -> int:
        """Compile every rule of a schema now; the number of rules found (compiled or skipped)."""
        count = 0

        def walk(node: Any) -> None:
            nonlocal count
            if isinstance(node, dict):
                for entry in node.get("x-kubernetes-validations", ()):
                    count += 1
                    self._rule(entry)
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(schema)
        return count

    # -- evaluating ----------------------------------------------------------------------------

    def validate(self, schema: dict, document: Any) -> list[CelProblem]:
        """Every failing rule of ``schema`` on ``document``, in document order."""
        plan = self.plan(schema)
        if plan is None:
            return []
        problems: list[CelProblem] = []
        self._walk(document, plan, (), document, problems)
        return problems

    def _walk(self, value: Any, plan: _Plan, path: tuple, document: Any, out: list[CelProblem]) -> None:
        if value is None:
            return  # the API server validates only values that are there
        if plan.entries:
            rules = plan.rules
            if rules is None:  # the first document to reach this node: compile its rules
                rules = plan.rules = [rule for rule in map(self._rule, plan.entries) if rule is not None]
            if rules:
                kind = type(value)
                if kind is str or kind is int or kind is bool:
                    # A scalar has no children, and a rule's fieldPath cannot go below it: the problems
                    # sit at the value itself, and depend on nothing but the value.
                    key = (kind, value)
                    decided = plan.decided.get(key)
                    if decided is None:
                        decided = self._decide(value, plan, rules)
                        if len(plan.decided) < _MAX_DECIDED:
                            plan.decided[key] = decided
                    for message, source in decided:
                        out.append(CelProblem(path, message, source))
                    return
                try:
                    converted = to_cel(value, plan.schema)
                except _Blocked:
                    return  # the schema error is reported by schema-violation; Kubernetes stops there too
                try:
                    activation = self._cel.activation(converted)
                except Exception:  # noqa: BLE001 - a value the runtime cannot hold: nothing to decide here
                    return
                for rule in rules:
                    message = self._failure(rule, activation)
                    if message is not None:
                        where = path + rule.field_path
                        if rule.field_path and not _resolve(document, where):
                            where = path
                        out.append(CelProblem(where, message, rule.source))
        if isinstance(value, dict):
            properties = plan.properties
            if properties:
                for raw_key, item in value.items():
                    child = properties.get(raw_key if type(raw_key) is str else _key_text(raw_key))
                    if child is not None and item is not None:
                        self._walk(item, child, path + (raw_key,), document, out)
            additional = plan.additional
            if additional is not None:
                known = plan.known
                for raw_key, item in value.items():
                    if (raw_key if type(raw_key) is str else _key_text(raw_key)) not in known and item is not None:
                        self._walk(item, additional, path + (raw_key,), document, out)
        elif isinstance(value, list):
            items = plan.items
            if items is not None:
                for index, item in enumerate(value):
                    if item is not None:
                        self._walk(item, items, path + (index,), document, out)

    def _decide(self, value: Any, plan: _Plan, rules: list[_Rule]) -> tuple[tuple[str, str], ...]:
        """(message, rule) of each rule failing on a scalar value."""
        try:
            converted = to_cel(value, plan.schema)
        except _Blocked:
            return ()
        try:
            activation = self._cel.activation(converted)
        except Exception:  # noqa: BLE001 - a value the runtime cannot hold: nothing to decide here
            return ()
        found = []
        for rule in rules:
            message = self._failure(rule, activation)
            if message is not None:
                found.append((message, rule.source))
        return tuple(found)

    def _failure(self, rule: _Rule, activation: Any) -> str | None:
        """The message of a rule failing on the activation's value; None when it holds (or cannot be
        decided here)."""
        outcome = rule.program.evaluate(activation)
        if outcome.environment_error is not None:
            return None
        if outcome.error is None:
            if outcome.value is not False:
                return None  # true, or not a boolean (a rule Kubernetes would not have accepted)
            return self._message(rule, activation)
        # The API server's wording for a rule that could not be evaluated on this value.
        return f"{outcome.error} evaluating rule: {(rule.message or rule.source).strip()}"

    def _message(self, rule: _Rule, activation: Any) -> str:
        if rule.message_program is not None:
            outcome = rule.message_program.evaluate(activation)
            if isinstance(outcome.value, str) and outcome.value.strip() and "\n" not in outcome.value:
                return outcome.value.strip()
        if rule.message and rule.message.strip():
            return rule.message.strip()
        return f"failed rule: {rule.source.strip()}"
