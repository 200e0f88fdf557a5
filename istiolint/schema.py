"""Strict schema validation of Istio resources, with messages a person understands.

The schemas are generated from Istio's CRDs by ``scripts/gen_schemas.py`` (see there for how they are
made strict). This module only needs plain dicts and lists, as a YAML loader produces them.

Speed: a compiled ``jsonschema_rs`` validator per schema decides validity (about a microsecond for a
typical resource); only invalid resources are explained, from the same validator's structured errors,
so the fast path and the explanation can never disagree.

Like the API server, a ``null`` mapping value whose schema is not nullable counts as absent (Kubernetes
prunes such nulls before validating a custom resource): ``selector:`` with nothing after it is fine,
``hosts: [null]`` is not.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from typing import Any, Iterable

from ._data import data_dir
from .paths import format_path
from .record import record


@record(frozen=True)
class SchemaProblem:
    path: tuple  # from the document root, e.g. ("spec", "http", 0, "route", 0, "destinaton")
    anchor: str  # "key": the mapping key at `path` itself is wrong (unknown field); "value": the value is
    message: str


# LookupResult.status values.
OK = "ok"
UNKNOWN_GROUP = "unknown-group"  # an Istio API group that no current Istio serves
UNKNOWN_KIND = "unknown-kind"  # a group Istio serves, but not this kind
UNKNOWN_VERSION = "unknown-version"  # a kind Istio serves, but not in this version
NOT_APPLICABLE = "not-applicable"  # not an Istio resource: Kubernetes core, Gateway API, other CRDs


@record(frozen=True)
class LookupResult:
    status: str
    schema: dict | None = None
    message: str = ""  # why the lookup failed, e.g. 'networking.istio.io/v1 has no kind "Virtualservice"'
    suggestion: str | None = None  # e.g. 'did you mean "VirtualService"?' or "did you mean networking.istio.io/v1?"

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def applicable(self) -> bool:
        return self.status != NOT_APPLICABLE


# Groups under istio.io whose objects are not served by the API server from Istio's CRDs.
# IstioOperator is read by istioctl and the operator, never applied as a served resource kind here.
_NOT_SERVED_ISTIO_GROUPS = frozenset({"install.istio.io"})
# Groups that older Istio releases served and current ones do not (facts, for the message).
_REMOVED_GROUPS = {
    "authentication.istio.io": "replaced by PeerAuthentication and RequestAuthentication in security.istio.io",
    "rbac.istio.io": "replaced by AuthorizationPolicy in security.istio.io",
    "config.istio.io": "Mixer configuration, which Istio no longer has",
    "policy.istio.io": "Mixer configuration, which Istio no longer has",
}


class SchemaStore:
    """Generated schemas of a directory, loaded and compiled on first use."""

    def __init__(self, directory: str | os.PathLike | None = None) -> None:
        self.directory = os.fspath(directory) if directory is not None else data_dir("schemas")
        self._index: dict[str, Any] | None = None
        self._schemas: dict[str, dict] = {}
        self._validators: dict[str, Any] = {}

    # -- lookup -----------------------------------------------------------------------------------

    @property
    def index(self) -> dict[str, Any]:
        if self._index is None:
            with open(os.path.join(self.directory, "index.json"), encoding="utf-8") as handle:
                self._index = json.load(handle)
        return self._index

    def schema(self, relative: str) -> dict:
        if relative not in self._schemas:
            with open(os.path.join(self.directory, relative), encoding="utf-8") as handle:
                self._schemas[relative] = json.load(handle)
        return self._schemas[relative]

    def _relative(self, api_version: Any, kind: Any) -> str | None:
        if isinstance(api_version, str) and isinstance(kind, str):
            return self.index["schemas"].get(api_version, {}).get(kind)
        return None

    def lookup(self, api_version: Any, kind: Any) -> LookupResult:
        """Which schema applies to a resource, or why none does (with a suggestion where one is likely)."""
        relative = self._relative(api_version, kind)
        if relative is not None:
            return LookupResult(OK, self.schema(relative))
        if not isinstance(api_version, str) or not isinstance(kind, str) or "/" not in api_version:
            return LookupResult(NOT_APPLICABLE)  # core group (``v1``) or not a resource at all
        group, _, version = api_version.partition("/")
        groups: dict[str, Any] = self.index["groups"]
        if group in groups:
            kinds = groups[group]["kinds"]
            if kind in kinds:
                preferred = kinds[kind]["preferred"]
                served = ", ".join(kinds[kind]["versions"])
                return LookupResult(
                    UNKNOWN_VERSION,
                    message=f"{kind} is not served as {api_version} (served versions: {served})",
                    suggestion=f"did you mean {group}/{preferred}?",
                )
            return LookupResult(
                UNKNOWN_KIND,
                message=f'{group} has no kind "{kind}"',
                suggestion=self._suggest_kind(group, version, kind),
            )
        if not _looks_like_istio_group(group, groups):
            return LookupResult(NOT_APPLICABLE)
        if group in _NOT_SERVED_ISTIO_GROUPS:
            return LookupResult(NOT_APPLICABLE)
        message = f'"{group}" is not an API group that Istio serves'
        if group in _REMOVED_GROUPS:
            message += f" ({_REMOVED_GROUPS[group]})"
        home = self._group_of_kind(kind)
        suggestion = None
        if home is not None:
            suggestion = f"did you mean {home}/{groups[home]['kinds'][kind]['preferred']}?"
        elif group not in _REMOVED_GROUPS:
            close = _close_matches(group, list(groups), n=1, cutoff=0.8)
            if close:
                suggestion = f"did you mean {close[0]}/{groups[close[0]]['versions'][0]}?"
        return LookupResult(UNKNOWN_GROUP, message=message, suggestion=suggestion)

    def _group_of_kind(self, kind: str) -> str | None:
        for group, entry in sorted(self.index["groups"].items()):
            if kind in entry["kinds"]:
                return group
        return None

    def _suggest_kind(self, group: str, version: str, kind: str) -> str | None:
        groups = self.index["groups"]
        home = self._group_of_kind(kind)
        if home is not None:  # right kind, wrong group: VirtualService under security.istio.io
            return f"did you mean {home}/{groups[home]['kinds'][kind]['preferred']}?"
        match = _close_match(kind, groups[group]["kinds"])
        if match is not None:
            entry = groups[group]["kinds"][match]
            if version in entry["versions"]:
                return f'did you mean "{match}"?'
            return f'did you mean "{match}" (apiVersion {group}/{entry["preferred"]})?'
        everywhere = {k: g for g, e in sorted(groups.items(), reverse=True) for k in e["kinds"]}
        match = _close_match(kind, everywhere)
        if match is not None:
            home = everywhere[match]
            return f'did you mean "{match}" (apiVersion {home}/{groups[home]["kinds"][match]["preferred"]})?'
        return None

    # -- validation -------------------------------------------------------------------------------

    def _validator(self, relative: str) -> Any:
        validator = self._validators.get(relative)
        if validator is None:
            from .jsonschema_import import import_jsonschema_rs

            # Here, not at the top: start-up time matters when nothing is validated.
            jsonschema_rs = import_jsonschema_rs()

            # The API server checks string formats it knows (byte = base64, date-time); int32 and
            # double are only hints to clients, and unknown formats are ignored here as there.
            validator = jsonschema_rs.validator_for(
                self.schema(relative),
                validate_formats=True,
                formats={"byte": _is_base64},
                keywords={LIST_TYPE: ListType},
            )
            self._validators[relative] = validator
        return validator

    def validate(self, api_version: Any, kind: Any, document: Any) -> list[SchemaProblem]:
        """Problems of one resource against its schema; ``[]`` when it is valid or when no schema
        applies (ask `lookup` why)."""
        relative = self._relative(api_version, kind)
        if relative is None:
            return []
        validator = self._validator(relative)
        try:
            if validator.is_valid(document):
                return []
        except (ValueError, TypeError, OverflowError):
            pass  # a value JSON has no type for (a date, a non-string key): normalised below
        schema = self.schema(relative)
        instance = _prune_non_nullable_nulls(_jsonable(document), schema)
        if validator.is_valid(instance):
            return []
        return explain(validator.iter_errors(instance), schema, instance)


def _is_base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


# -- x-kubernetes-list-type ----------------------------------------------------------------------

LIST_TYPE = "x-kubernetes-list-type"
LIST_MAP_KEYS = "x-kubernetes-list-map-keys"


class ListType:
    """``x-kubernetes-list-type``: the API server rejects a ``map`` list with two items that have the
    same key fields (ServiceEntry ports with one name twice) and a ``set`` list with a repeated item."""

    def __init__(self, parent_schema: dict, value: Any, schema_path: list) -> None:
        self.list_type = value
        self.keys = tuple(parent_schema.get(LIST_MAP_KEYS) or ())

    def validate(self, instance: Any) -> None:
        duplicate = next(iter(list_duplicates(instance, self.list_type, self.keys)), None)
        if duplicate is not None:
            raise ValueError(f"item {duplicate[1]} repeats item {duplicate[0]}")


def list_duplicates(items: Any, list_type: str, keys: tuple = ()) -> list[tuple[int, int]]:
    """``(first, repeat)`` index pairs of items a list-type ``map`` (by ``keys``) or ``set`` forbids."""
    if not isinstance(items, list) or list_type not in ("map", "set"):
        return []
    seen: dict[str, int] = {}
    pairs = []
    for index, item in enumerate(items):
        if list_type == "map":
            if not isinstance(item, dict):
                continue  # reported as a type error
            identity = json.dumps([item.get(k) for k in keys], sort_keys=True, default=str)
        else:
            identity = json.dumps(item, sort_keys=True, default=str)
        if identity in seen:
            pairs.append((seen[identity], index))
        else:
            seen[identity] = index
    return pairs


# -- explaining errors ----------------------------------------------------------------------------

_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "null": "null",
}

_SCALAR_RANK = {
    name: rank
    for rank, name in enumerate(
        ("MinLength", "MaxLength", "Minimum", "Maximum", "ExclusiveMinimum", "ExclusiveMaximum", "Enum",
         "Pattern", "MultipleOf", "Format")
    )
}


def explain(errors: Iterable[Any], schema: dict, document: Any) -> list[SchemaProblem]:
    """jsonschema_rs errors → one SchemaProblem per real problem (no cascades, no duplicates)."""
    found = [(e, type(e.kind).__name__, tuple(e.instance_path)) for e in errors]
    # A value of the wrong type makes every other keyword about it moot (a oneOf of required fields
    # "passes" several times over on a string, for instance).
    mistyped = {path for _, kind, path in found if kind == "Type"}
    composite = [_is_composite(e, kind, schema) for e, kind, _ in found]
    concrete = [path for (_, _, path), c in zip(found, composite) if not c]
    # Fields an unknown key probably meant: a missing "host" beside an unknown "hst" is one problem.
    meant: dict[tuple, set] = {}
    for error, kind, path in found:
        if kind == "AdditionalProperties":
            allowed = (_schema_node(schema, error.schema_path) or {}).get("properties", {})
            for key in error.kind.as_dict()["unexpected"]:
                match = _close_match(str(key), allowed)
                if match is not None:
                    meant.setdefault(path, set()).add(match)
    # A value that breaks several constraints (an empty header name: too short *and* not matching the
    # pattern) gets the one message that says most simply what to do.
    best_scalar: dict[tuple, int] = {}
    for error, kind, path in found:
        if kind in _SCALAR_RANK:
            best_scalar[path] = min(best_scalar.get(path, 99), _SCALAR_RANK[kind])
    problems: list[SchemaProblem] = []
    for (error, kind, path), is_composite in zip(found, composite):
        if kind in _SCALAR_RANK and _SCALAR_RANK[kind] > best_scalar[path]:
            continue
        if kind != "Type" and path in mistyped:
            continue
        if is_composite and any(p[: len(path)] == path for p in concrete):
            continue  # an alternative failed because of something inside it, reported on its own
        if kind == "Required" and error.kind.as_dict()["property"] in meant.get(path, ()):
            continue
        if kind == "OneOfNotValid" and path in meant:
            continue  # "must set one of x, y" when an unknown key is a typo of x or y
        problems.extend(_describe(error, kind, path, schema, document))
    unique = list(dict.fromkeys(problems))
    unique.sort(key=lambda p: (_path_key(p.path), p.anchor, p.message))
    return unique


def _is_composite(error: Any, kind: str, schema: dict) -> bool:
    """Does this error only say that some alternative failed (its cause being elsewhere)?"""
    if kind in ("AnyOf", "Not"):
        return True
    if kind in ("OneOfNotValid", "OneOfMultipleValid"):
        return not _is_at_most_one(error, schema)
    return False


def _describe(error: Any, kind: str, path: tuple, schema: dict, document: Any) -> list[SchemaProblem]:
    where = _where(path)
    value = _resolve(document, path)
    details = error.kind.as_dict()
    node = _schema_node(schema, error.schema_path)  # the node holding the failed keyword

    def at(message: str) -> list[SchemaProblem]:
        return [SchemaProblem(path, "value", message)]

    if kind == "Custom" and details.get("keyword") == LIST_TYPE and node is not None:
        keys = tuple(node.get(LIST_MAP_KEYS) or ())
        out = []
        for first, repeat in list_duplicates(value, node.get(LIST_TYPE), keys):
            item = format_path(path + (repeat,))
            if keys:
                same = _or((f"{k} {_show(value[repeat].get(k))}" for k in keys), "and")
                message = (
                    f"{item} has the same {same} as {format_path(path + (first,))}; "
                    f"each item of {where} needs a unique {_or(keys, 'and')}"
                )
            else:
                message = f"{item} repeats {format_path(path + (first,))}; the items of {where} must be unique"
            out.append(SchemaProblem(path + (repeat,), "value", message))
        return out
    if kind == "AdditionalProperties":
        allowed = sorted((node or {}).get("properties", {}))
        out = []
        for key in details["unexpected"]:
            if path:
                message = f'unknown field "{key}" in {where}'
            else:
                message = f'unknown top-level field "{key}"'
            if not allowed:
                message += " (no fields are allowed here)"
            else:
                match = _close_match(str(key), allowed)
                if match is not None:
                    message += f'; did you mean "{match}"?'
            out.append(SchemaProblem(path + (key,), "key", message))
        return out
    if kind == "Type":
        wanted = [t for t in details["types"] if t != "null"] or details["types"]
        message = f"{where} must be {_or(_TYPE_NAMES.get(t, t) for t in wanted)}, got {_describe_value(value)}"
        if "string" in wanted and isinstance(value, (bool, int, float)):
            # YAML reads unquoted yes/no/on/off/true and numbers as non-strings (Kubernetes too).
            message += "; quote it to make it a string"
        return at(message)
    if kind == "Required":
        return at(f'{where} is missing required field "{details["property"]}"')
    if kind == "Enum":
        options = [o for o in details["options"] if o is not None]
        message = f"{where} must be one of {_or((_show(o) for o in options), 'or')}, got {_show(value)}"
        if isinstance(value, str):
            match = _close_match(value, [o for o in options if isinstance(o, str)])
            if match is not None:
                message += f'; did you mean "{match}"?'
        return at(message)
    if kind == "OneOfMultipleValid" and _is_at_most_one(error, schema):
        branches = (node or {}).get("oneOf", [])
        context = details.get("context") or []
        # The branches that passed are the fields that are set (a passing "none set" branch cannot
        # be among two passing ones).
        chosen = [
            name
            for i, branch in enumerate(branches)
            if i < len(context) and not context[i]
            for name in branch.get("required", [])
        ]
        options = _at_most_one_fields(branches)
        return at(
            f"{where} sets {_or((_quote(f) for f in chosen), 'and')}, "
            f"but only one of {_or((_quote(f) for f in options), 'or')} may be set"
        )
    if kind == "OneOfNotValid" and _required_only((node or {}).get("oneOf", [])):
        options = _at_most_one_fields((node or {}).get("oneOf", []))
        return at(f"{where} must set one of {_or((_quote(f) for f in options), 'or')}")
    if kind == "AnyOf":
        context = details.get("context") or []
        if context and all(len(c) == 1 and type(c[0].kind).__name__ == "Type" for c in context):
            wanted = [t for c in context for t in c[0].kind.as_dict()["types"] if t != "null"]
            names = _or(_TYPE_NAMES.get(t, t) for t in dict.fromkeys(wanted))
            return at(f"{where} must be {names}, got {_describe_value(value)}")
    limit = details.get("limit")
    if kind == "Pattern":
        return at(f"{where} must match the regular expression {details['pattern']}, got {_show(value)}")
    if kind == "Minimum":
        return at(f"{where} must be at least {limit}, got {_show(value)}")
    if kind == "Maximum":
        return at(f"{where} must be at most {limit}, got {_show(value)}")
    if kind == "ExclusiveMinimum":
        return at(f"{where} must be greater than {limit}, got {_show(value)}")
    if kind == "ExclusiveMaximum":
        return at(f"{where} must be less than {limit}, got {_show(value)}")
    if kind == "MinLength":
        if limit == 1:
            return at(f"{where} must not be empty")
        return at(f"{where} must be at least {limit} characters long, got {len(value)}")
    if kind == "MaxLength":
        return at(f"{where} must be at most {limit} characters long, got {len(value)}")
    if kind == "MinItems":
        if limit == 1:
            return at(f"{where} must not be empty")
        return at(f"{where} must have at least {limit} items, got {len(value)}")
    if kind == "MaxItems":
        return at(f"{where} must have at most {_count(limit, 'item')}, got {len(value)}")
    if kind == "MinProperties":
        if limit == 1:
            return at(f"{where} must not be empty")
        return at(f"{where} must have at least {limit} entries, got {len(value)}")
    if kind == "MaxProperties":
        return at(f"{where} must have at most {_count(limit, 'entry', 'entries')}, got {len(value)}")
    if kind == "UniqueItems":
        return at(f"{where} must not contain the same item twice")
    if kind == "Format":
        wanted = {"byte": "base64-encoded data", "date-time": "an RFC 3339 date and time"}.get(
            details.get("format"), f"a valid {details.get('format')}"
        )
        return at(f"{where} must be {wanted}, got {_show(value)}")
    if kind == "MultipleOf":
        return at(f"{where} must be a multiple of {details.get('multiple_of')}, got {_show(value)}")
    if kind in ("OneOfNotValid", "AnyOf"):
        return at(f"{where} does not match any of the forms allowed here")
    if kind == "OneOfMultipleValid":
        return at(f"{where} matches more than one of the forms allowed here, and must match exactly one")
    if kind == "Not":
        return at(f"{where} has a form that is not allowed here")
    if kind == "FalseSchema":
        return at(f"{where} is not allowed here")
    return at(f"{where}: {error.message}")


def _is_at_most_one(error: Any, schema: dict) -> bool:
    """Is this a oneOf the CRDs use to say "at most one of these fields"?

    Istio spells it ``oneOf: [{not: {anyOf: [{required: [a]}, {required: [b]}]}}, {required: [a]},
    {required: [b]}]``: nothing set passes the first branch, one field passes exactly one other.
    """
    if type(error.kind).__name__ not in ("OneOfMultipleValid", "OneOfNotValid"):
        return False
    node = _schema_node(schema, error.schema_path)
    return _required_only((node or {}).get("oneOf", []))


def _required_only(branches: list) -> bool:
    def plain(branch: Any) -> bool:
        if not isinstance(branch, dict) or not branch:
            return False
        if set(branch) == {"required"}:
            return True
        if set(branch) == {"not"}:
            return plain(branch["not"])
        if set(branch) in ({"anyOf"}, {"oneOf"}, {"allOf"}):
            return all(plain(b) for b in next(iter(branch.values())))
        return False

    return bool(branches) and all(plain(b) for b in branches)


def _at_most_one_fields(branches: list) -> list[str]:
    fields: dict[str, None] = {}

    def collect(branch: Any) -> None:
        if isinstance(branch, dict):
            for name in branch.get("required", []):
                fields.setdefault(name)
            for key in ("anyOf", "oneOf", "allOf"):
                for sub in branch.get(key, []):
                    collect(sub)
            if "not" in branch:
                collect(branch["not"])

    for branch in branches:
        collect(branch)
    return list(fields)


# -- helpers --------------------------------------------------------------------------------------


def _where(path: tuple) -> str:
    return format_path(path) if path else "the resource"


def _path_key(path: tuple) -> tuple:
    return tuple((0, step, "") if isinstance(step, int) else (1, 0, str(step)) for step in path)


def _schema_node(schema: dict, schema_path: Iterable[Any]) -> dict | None:
    """The schema object that holds the keyword at the end of ``schema_path``."""
    steps = list(schema_path)[:-1]
    node: Any = schema
    for step in steps:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return None
    return node if isinstance(node, dict) else None


def _resolve(document: Any, path: tuple) -> Any:
    node = document
    for step in path:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _close_match(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate a typo most likely meant: same letters ignoring case and ``_``/``-``, else the
    closest by difflib."""
    candidates = list(candidates)
    folded = _fold(word)
    for candidate in candidates:
        if _fold(candidate) == folded:
            return candidate
    matches = _close_matches(word, candidates, n=1, cutoff=0.6)
    if matches:
        return matches[0]
    by_fold = {_fold(c): c for c in candidates}
    matches = _close_matches(folded, list(by_fold), n=1, cutoff=0.6)
    return by_fold[matches[0]] if matches else None


def _close_matches(word: str, candidates: list[str], n: int, cutoff: float) -> list[str]:
    import difflib  # only when a name is wrong: not on the start-up path of a clean run

    return difflib.get_close_matches(word, candidates, n=n, cutoff=cutoff)


def _fold(word: str) -> str:
    return re.sub(r"[-_]", "", word).lower()


def _looks_like_istio_group(group: str, known: Iterable[str]) -> bool:
    if group == "istio.io" or group.endswith(".istio.io"):
        return True
    # A typo of a served group ("networking.istio.oi") still means Istio; Kubernetes' own groups
    # (networking.k8s.io) must not look like one.
    if group.endswith("k8s.io"):
        return False
    return _close_matches(group, list(known), n=1, cutoff=0.85) != []


def _quote(name: Any) -> str:
    return f'"{name}"'


def _or(items: Iterable[str], word: str = "or") -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    if word == "or" and len(items) > 2:
        return ", ".join(items[:-1]) + f" or {items[-1]}"
    return ", ".join(items[:-1]) + f" {word} {items[-1]}"


def _count(n: Any, singular: str, plural: str | None = None) -> str:
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def _show(value: Any) -> str:
    """A value as it would be written in JSON (strings quoted), shortened."""
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:56] + "…" + text[-1]


def _describe_value(value: Any) -> str:
    """A value with its YAML/JSON type: ``boolean true``, ``string "80"``, ``a mapping``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {'true' if value else 'false'}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"number {_show(value)}"
    if isinstance(value, str):
        return f"string {_show(value)}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return _show(value)


def _jsonable(value: Any) -> Any:
    """The value as JSON would carry it. Returns ``value`` itself when it already is (the usual case);
    otherwise dates and other scalars become strings and mapping keys strings, as YAML→JSON does."""
    if isinstance(value, dict):
        items = [(k, _jsonable(v)) for k, v in value.items()]
        if all(type(k) is str for k, _ in items) and all(v is value[k] for k, v in items):
            return value
        return {(k if isinstance(k, str) else _key_text(k)): v for k, v in items}
    if isinstance(value, list):
        items = [_jsonable(v) for v in value]
        return value if all(a is b for a, b in zip(items, value)) else items
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _key_text(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(_jsonable(key))


def _non_nullable(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    types = schema.get("type")
    if types is None:
        return bool(schema)  # "anything" ({}, our status) accepts null; Kubernetes would prune it too
    return "null" not in (types if isinstance(types, list) else [types])


def _prune_non_nullable_nulls(value: Any, schema: Any) -> Any:
    """Drop mapping entries whose value is null and whose schema does not allow null, as the API server
    does before validating a custom resource (list items are kept: ``[null]`` stays an error)."""
    if isinstance(value, dict):
        properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
        extra = schema.get("additionalProperties") if isinstance(schema, dict) else None
        out = {}
        changed = False
        for key, item in value.items():
            sub = properties.get(key) if key in properties else (extra if isinstance(extra, dict) else None)
            if item is None and sub is not None and _non_nullable(sub):
                changed = True
                continue
            pruned = _prune_non_nullable_nulls(item, sub)
            changed = changed or pruned is not item
            out[key] = pruned
        return out if changed else value
    if isinstance(value, list):
        items_schema = schema.get("items") if isinstance(schema, dict) else None
        pruned_items = [_prune_non_nullable_nulls(item, items_schema) for item in value]
        return pruned_items if any(a is not b for a, b in zip(pruned_items, value)) else value
    return value
