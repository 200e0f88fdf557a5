"""Shared checks of the validation rules (a helper module: it declares no CODE).

Everything here follows what Istio's admission webhook accepts, written from its documented behaviour:
DNS names and wildcards, Go durations with millisecond precision, label syntax, exportTo lists,
ports, IP addresses and subnets, HTTP header names and Envoy header-value formatters, connection
pools. Rules run on input that may have failed schema validation, so every helper reads defensively:
a value of the wrong type is skipped (schema-violation reports it), never an exception.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Iterator

from ...finding import Finding, Severity
from ...hosts import is_ip

WARNING = Severity.WARNING

# ---------------------------------------------------------------------------------------- reading


def as_int(value: Any) -> int | None:
    """An integer field (booleans are not integers, whatever Python says)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def as_number(value: Any) -> float | int | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def present(mapping: Any, key: str) -> bool:
    """The field is set (a protobuf message or list that is not null), as Go's `x != nil` sees it."""
    return isinstance(mapping, dict) and mapping.get(key) is not None


def nonempty_str(mapping: Any, key: str) -> bool:
    value = mapping.get(key) if isinstance(mapping, dict) else None
    return isinstance(value, str) and value != ""


def is_istio(resource: Any, kind: str) -> bool:
    """An Istio resource of this kind (other API groups reuse some names, e.g. Gateway)."""
    return getattr(resource, "kind", None) == kind and getattr(resource, "is_istio", False)


class Report:
    """Builds findings of one rule for one resource; warnings carry their own severity."""

    def __init__(self, ctx: Any, resource: Any) -> None:
        self.ctx = ctx
        self.resource = resource
        self.verdicts: Verdicts = ctx.service("validation.verdicts", Verdicts)  # shared by the run's rules

    def error(self, path: Iterable[Any], message: str, key: bool = False, related: Iterable[Any] = ()) -> Finding:
        return self.ctx.finding(self.resource, tuple(path), message, key=key, related=list(related))

    def warning(self, path: Iterable[Any], message: str, key: bool = False, related: Iterable[Any] = ()) -> Finding:
        return self.ctx.finding(self.resource, tuple(path), message, key=key, related=list(related), severity=WARNING)

    def related(self, path: Iterable[Any], message: str, key: bool = False) -> Any:
        return self.ctx.related(self.resource, tuple(path), message, key=key)


_UNKNOWN = object()


class Verdicts:
    """What the pure checks of a string said, kept for the run (one per run, through the engine's
    services): inputs repeat the same hosts, durations and names on resource after resource."""

    def __init__(self) -> None:
        self._domains: dict[str, str | None] = {}
        self._durations: dict[str, tuple[int | None, str | None]] = {}

    def wildcard_domain(self, name: str) -> str | None:
        """`wildcard_domain_problem` of ``name``."""
        found = self._domains.get(name, _UNKNOWN)
        if found is _UNKNOWN:
            found = self._domains[name] = wildcard_domain_problem(name)
        return found  # type: ignore[return-value]

    def duration(self, text: str) -> tuple[int | None, str | None]:
        """`parse_duration` of ``text``."""
        found = self._durations.get(text)
        if found is None:
            found = self._durations[text] = parse_duration(text)
        return found


# ---------------------------------------------------------------------------------------- DNS

_LABEL = r"[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?"
_LABEL_RE = re.compile(_LABEL)
# A wildcard first label: "*", or a label led by "*" or "*-" (Istio accepts "*foo" and "*-foo").
_WILDCARD_LABEL_RE = re.compile(rf"\*|(?:\*|\*-)?{_LABEL}")
_GO_INT = re.compile(r"[+-]?[0-9]+")


def is_dns_label(value: Any) -> bool:
    """A DNS-1123 label as Istio checks it (letters of either case, at most 63 characters)."""
    return isinstance(value, str) and len(value) <= 63 and _LABEL_RE.fullmatch(value) is not None


def _is_wildcard_label(value: str) -> bool:
    return len(value) <= 63 and _WILDCARD_LABEL_RE.fullmatch(value) is not None


def _numeric(label: str) -> bool:
    # Go's strconv.Atoi: an optional sign and digits that fit in 64 bits.
    return _GO_INT.fullmatch(label) is not None and -(2**63) <= int(label) < 2**63


def _labels_problem(domain: str) -> str | None:
    parts = domain.split(".")
    if _numeric(parts[-1]):
        return f"the top-level domain '{parts[-1]}' cannot be all digits"
    for i, label in enumerate(parts):
        if i == len(parts) - 1 and label == "":
            return None  # a trailing dot: "istio.io."
        if not is_dns_label(label):
            return f"'{label}' is not a valid DNS label (letters, digits and '-', at most 63 characters)"
    return None


def _preconditions(name: str) -> str | None:
    if len(name) > 255:
        return "the name is longer than 255 characters"
    if not name:
        return "the name is empty"
    return None


_PLACEHOLDER_LABEL = re.compile(r"[A-Z0-9_]*_[A-Z0-9_]*")


def is_placeholder(value: str) -> bool:
    """A value a tool fills in before applying (kustomize vars, envsubst, Helm): ``$(NS)``, ``${HOST}``,
    ``{{ .Values.host }}``, ``DEX_SERVICE.DEX_NAMESPACE.svc``. Names are not judged until rendered."""
    if "$" in value or "{{" in value:
        return True
    if "_" not in value:
        return False  # a placeholder label has an underscore (the common case, decided without splitting)
    return any(_PLACEHOLDER_LABEL.fullmatch(label) and any(c.isalpha() for c in label)
               for label in re.split(r"[./]", value))


def fqdn_problem(name: str) -> str | None:
    """Why ``name`` is not a DNS name without wildcards (Istio's ValidateFQDN), or None."""
    if is_placeholder(name):
        return None
    return _preconditions(name) or _labels_problem(name)


def wildcard_domain_problem(name: str) -> str | None:
    """Why ``name`` is not a DNS name whose first label may be a wildcard (ValidateWildcardDomain)."""
    if is_placeholder(name):
        return None
    problem = _preconditions(name)
    if problem:
        return problem
    first, dot, rest = name.partition(".")
    if not _is_wildcard_label(first):
        if "*" in first:
            return f"'{first}': a wildcard is allowed only at the start of the first label ('*', '*.x', '*x')"
        return f"'{first}' is not a valid DNS label (letters, digits and '-', at most 63 characters)"
    return _labels_problem(rest) if dot else None


def partial_wildcard(host: str) -> bool:
    """A wildcard that is not ``*`` or a whole leftmost ``*.`` label (``*foo.com``, ``foo.*.com``)."""
    return "*" in host and host != "*" and not host.startswith("*.")


# ---------------------------------------------------------------------------------------- durations

_MS = 1_000_000
_S = 1_000_000_000
_UNITS = {"ns": 1, "us": 1_000, "\u00b5s": 1_000, "\u03bcs": 1_000, "ms": _MS, "s": _S, "m": 60 * _S, "h": 3600 * _S}
_NUMBER = re.compile(r"([0-9]*)(?:(\.)([0-9]*))?")
_UNIT = re.compile(r"[^0-9.]*")


def parse_duration(text: str) -> tuple[int | None, str | None]:
    """Nanoseconds of a Go duration ("1h30m", "1.5s", "250ms"), or (None, why it is not one).

    Istio reads duration fields with Go's time.ParseDuration: a sequence of decimal numbers each with
    a unit (ns, us, ms, s, m, h), an optional sign, and "0" alone without a unit.
    """
    s = text
    negative = False
    if s[:1] in ("+", "-"):
        negative = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0, None
    if not s:
        return None, "it is empty"
    total = 0
    while s:
        number = _NUMBER.match(s)
        assert number is not None  # the pattern matches the empty string
        whole, dot, fraction = number.group(1), number.group(2), number.group(3) or ""
        if not whole and not fraction:
            return None, f"'{s}' does not start with a number"
        s = s[number.end():]
        unit_match = _UNIT.match(s)
        unit = unit_match.group(0) if unit_match else ""
        if not unit:
            return None, f"'{whole}{dot or ''}{fraction}' has no unit (use ns, us, ms, s, m or h)"
        if unit not in _UNITS:
            return None, f"unknown unit '{unit}' (use ns, us, ms, s, m or h; days are not a unit)"
        s = s[len(unit):]
        scale = _UNITS[unit]
        value = int(whole or "0") * scale
        if fraction:
            # Go truncates below 1ns: exact integer arithmetic, as Fraction would give
            value += int(fraction) * scale // 10 ** len(fraction)
        total += value
        if total > 2**63 - (0 if negative else 1):
            return None, "it is too large"
    return (-total if negative else total), None


def format_ns(ns: int) -> str:
    if ns % _S == 0:
        return f"{ns // _S}s"
    if ns % _MS == 0:
        return f"{ns // _MS}ms"
    return f"{ns}ns"


def check_duration(report: Report, path: tuple, value: Any, *, cel: bool = True, zero_ok: bool = False,
                   seconds: bool = False) -> tuple[Finding, ...]:
    """Istio's duration rule: at least 1ms, and a whole number of milliseconds.

    ``cel``: the CRD carries the CEL rule ``duration(self) >= duration('1ms')`` on this field, so syntax
    and the 1ms minimum are cel-validation's to report; only the precision is left here.
    ``zero_ok``: 0 disables the setting (TCP idleTimeout). ``seconds``: whole seconds only (CORS maxAge).
    (A tuple, not a generator: it is asked about every optional duration field, mostly absent.)
    """
    if not isinstance(value, str):
        return ()  # absent, or the wrong type: schema-violation
    ns, why = report.verdicts.duration(value)
    if ns is None:
        if not cel:
            return (report.error(path, f"'{value}' is not a duration: {why}. Write it like 500ms, 10s, 1m30s"),)
        return ()
    if zero_ok and ns == 0:
        return ()
    if ns < _MS:
        if not cel:
            return (report.error(path, f"duration '{value}' must be at least 1ms; Istio rejects it"),)
        return ()
    if seconds and ns % _S:
        return (report.error(path, f"duration '{value}' must be whole seconds ({format_ns(ns - ns % _S)} or "
                                   f"{format_ns(ns - ns % _S + _S)}): Istio rejects sub-second values here"),)
    if ns % _MS:
        return (report.error(path, f"duration '{value}' is not a whole number of milliseconds: Istio accepts "
                                   f"durations only to millisecond precision (use {format_ns(ns - ns % _MS)} or "
                                   f"{format_ns(ns - ns % _MS + _MS)})"),)
    return ()


# ---------------------------------------------------------------------------------------- labels

_QUALIFIED = r"(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_ISTIO_TAG_KEY = re.compile(rf"(?:({_LABEL}(?:\.{_LABEL})*)/)?({_QUALIFIED})")
_ISTIO_TAG_VALUE = re.compile(rf"(?:{_QUALIFIED})?")


def label_problems(labels: Any, path: tuple) -> Iterator[tuple[tuple, str, bool]]:
    """(path, problem, at key) for each label Istio's label check rejects (keys as Kubernetes label
    names, values letters, digits, '-', '_', '.' starting and ending alphanumeric)."""
    if not isinstance(labels, dict):
        return
    for key, value in labels.items():
        if not isinstance(key, str):
            continue
        match = _ISTIO_TAG_KEY.fullmatch(key)
        if match is None:
            yield path + (key,), (f"invalid label key '{key}': use an optional DNS prefix and '/', then "
                                  "letters, digits, '-', '_' or '.', starting and ending with a letter or digit"), True
        elif match.group(1) and len(match.group(1)) > 253:
            yield path + (key,), f"invalid label key '{key}': the prefix is longer than 253 characters", True
        elif len(match.group(2)) > 63:
            yield path + (key,), f"invalid label key '{key}': the name after the prefix is longer than 63 characters", True
        if isinstance(value, str) and _ISTIO_TAG_VALUE.fullmatch(value) is None:
            yield path + (key,), (f"invalid label value '{value}': use letters, digits, '-', '_' or '.', "
                                  "starting and ending with a letter or digit"), False


def check_labels(report: Report, labels: Any, path: tuple) -> Iterator[Finding]:
    for where, problem, key in label_problems(labels, path):
        yield report.error(where, problem + "; Istio rejects it", key=key)


# ---------------------------------------------------------------------------------------- exportTo


def _visibility_problem(entry: str) -> str | None:
    if entry in (".", "*"):
        return None
    if entry == "~":
        return "'~' (visible to no namespace) is allowed only on ServiceEntries"
    if not is_dns_label(entry):
        return f"'{entry}' is not '.', '*' or a namespace name"
    return None


def check_export_to(report: Report, spec: dict, namespace: str | None, *, service_entry: bool = False,
                    dr_with_selector: bool = False) -> Iterator[Finding]:
    export_to = spec.get("exportTo")
    if not isinstance(export_to, list) or not export_to:
        return
    base = ("spec", "exportTo")
    seen: dict[str, int] = {}
    for i, entry in enumerate(export_to):
        if not isinstance(entry, str):
            continue
        key = namespace if entry == "." and namespace else entry
        if key in seen:
            first = seen[key]
            what = (f"'.' and '{namespace}' both name this namespace" if export_to[first] != entry
                    else f"'{entry}' is listed twice")
            yield report.error(base + (i,), f"duplicate exportTo entry: {what}; Istio rejects it",
                               related=[report.related(base + (first,), "first entry")])
            continue
        problem = None if (service_entry and entry == "~") else _visibility_problem(key)
        if problem:
            yield report.error(base + (i,), f"invalid exportTo entry: {problem}; Istio rejects it")
            continue
        seen[key] = i
    if dr_with_selector and seen:
        if namespace in seen:
            if len(seen) > 1:
                yield report.error(base, "a DestinationRule with a workloadSelector can only be exported to its "
                                         "own namespace; remove the other exportTo entries")
        else:
            yield report.error(base, "a DestinationRule with a workloadSelector cannot be exported beyond its own "
                                     "namespace; use exportTo: ['.']")
    if "*" in seen and len(export_to) > 1:
        yield report.error(base, "exportTo lists '*' (every namespace) together with other entries; Istio rejects "
                                 "it. Keep only '*', or only the namespaces")
    if "~" in seen and len(export_to) > 1:
        yield report.error(base, "exportTo lists '~' (no namespace) together with other entries; Istio rejects it")


# ---------------------------------------------------------------------------------------- ports, IPs


def port_problem(value: Any) -> str | None:
    number = as_int(value)
    if number is None:
        return None
    if not 1 <= number <= 65535:
        return f"port {number} is outside 1..65535"
    return None


def ip_subnet_problem(value: str) -> str | None:
    """Why ``value`` is neither an IP address nor a CIDR block (Go netip semantics), or None."""
    if value.count("/") == 1:
        address, _, bits = value.partition("/")
        if not bits.isdigit() or (len(bits) > 1 and bits[0] == "0") or "%" in address:
            return f"'{value}' is not a valid CIDR block"
        import ipaddress  # only for CIDR values

        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            return f"'{value}' is not a valid CIDR block"
        return None
    if not is_ip(value):
        return f"'{value}' is not a valid IP address"
    return None


def unix_path_problem(path: str) -> str | None:
    if not path:
        return "the unix socket path is empty"
    if path.startswith("@"):
        return None  # an abstract socket
    if not path.startswith("/") or path.endswith("/"):
        return f"'{path}' is not an absolute path to a file"
    return None


# ---------------------------------------------------------------------------------------- HTTP headers

# RFC 7230 token characters: what an HTTP header name may contain.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~A-Za-z0-9]+")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def is_header_token(name: str) -> bool:
    return _TOKEN.fullmatch(name) is not None


def header_value_problem(value: str) -> str | None:
    """Why Envoy would reject ``value`` as a header value to add or set, or None.

    Besides control characters, Envoy reads ``%NAME%`` and ``%NAME(args)%`` as formatter commands and
    ``%%`` as a literal percent sign; a lone ``%`` or an unterminated command is an error.
    """
    if _CONTROL.search(value):
        return "it contains a control character"
    state = "literal"
    i, n = 0, len(value)
    while i < n:
        ch = value[i]
        if state == "literal":
            if ch == "%":
                if i + 1 >= n:
                    return "a '%' at the end is not escaped (write '%%' for a literal percent sign)"
                if value[i + 1] == "%":
                    i += 1
                else:
                    state = "name"
        elif state == "name":
            if ch == "%":
                state = "literal"
            elif ch == "(":
                state = "array"
        elif state == "array":
            if ch == "[":
                state = "expect-string"
            elif ch != " ":
                state = "string"
        elif state == "delimiter":
            if ch == ",":
                state = "expect-string"
            elif ch == "]":
                state = "args-end"
            elif ch != " ":
                return "expected ',', ']' or a space in the %COMMAND([...])% arguments"
        elif state == "expect-string":
            if ch == '"':
                state = "string"
            elif ch != " ":
                return "expected '\"' to start an argument of %COMMAND([...])%"
        elif state == "string":
            if ch == "\\":
                if i + 1 >= n:
                    return "a backslash ends the value inside a %COMMAND(...)% argument"
                i += 1
            elif ch == ")":
                state = "end"
            elif ch == '"':
                state = "delimiter"
        elif state == "args-end":
            if ch == ")":
                state = "end"
            elif ch != " ":
                return "expected ')' after the %COMMAND([...])% arguments"
        elif state == "end":
            if ch == "%":
                state = "literal"
            elif ch != " ":
                return "expected '%' to close the %COMMAND(...)% expression"
        i += 1
    if state != "literal":
        return "a %COMMAND% expression is not closed (write '%%' for a literal percent sign)"
    return None


# ---------------------------------------------------------------------------------------- connection pools


def check_connection_pool(report: Report, pool: Any, path: tuple) -> Iterator[Finding]:
    """DestinationRule and Sidecar connection pool settings."""
    if not isinstance(pool, dict):
        return
    http, tcp = pool.get("http"), pool.get("tcp")
    if http is None and tcp is None:
        yield report.error(path, "a connectionPool needs http or tcp settings; Istio rejects an empty one")
        return
    if isinstance(http, dict):
        for field in ("http1MaxPendingRequests", "http2MaxRequests", "maxRequestsPerConnection", "maxRetries",
                      "maxConcurrentStreams"):
            number = as_int(http.get(field))
            if number is not None and number < 0:
                yield report.error(path + ("http", field), f"{field} must not be negative; Istio rejects it")
        yield from check_duration(report, path + ("http", "idleTimeout"), http.get("idleTimeout"))
        if http.get("h2UpgradePolicy") == "UPGRADE" and http.get("useClientProtocol") is True:
            yield report.error(path + ("http", "useClientProtocol"),
                               "useClientProtocol cannot be true with h2UpgradePolicy UPGRADE; Istio rejects it. "
                               "Choose one")
    if isinstance(tcp, dict):
        number = as_int(tcp.get("maxConnections"))
        if number is not None and number < 0:
            yield report.error(path + ("tcp", "maxConnections"), "maxConnections must not be negative; Istio rejects it")
        yield from check_duration(report, path + ("tcp", "connectTimeout"), tcp.get("connectTimeout"))
        yield from check_duration(report, path + ("tcp", "maxConnectionDuration"), tcp.get("maxConnectionDuration"))
        # No CEL rule guards tcp.idleTimeout; 0s turns the timeout off.
        yield from check_duration(report, path + ("tcp", "idleTimeout"), tcp.get("idleTimeout"), cel=False,
                                  zero_ok=True)
        keepalive = as_dict(tcp.get("tcpKeepalive"))
        for field in ("time", "interval"):
            yield from check_duration(report, path + ("tcp", "tcpKeepalive", field), keepalive.get(field))
