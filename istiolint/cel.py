"""CEL validation rules of the CRDs, evaluated the way the Kubernetes API server evaluates them.

Istio's CRDs carry ``x-kubernetes-validations`` rules (kept verbatim in the generated schemas). The API
server compiles them in its own CEL environment: the CEL standard library, the ``strings``, optional
and ``cel.bind`` extensions, and Kubernetes' libraries (URLs, IP addresses, CIDRs, quantities, regex
``find``). This module provides that environment on top of Google's CEL runtime (``cel-expr-python``,
the C++ implementation): the Kubernetes functions are written here once, in Python, with Go's
semantics where Go's standard library decides (``net/url``, ``net/netip``, ``time.ParseDuration``),
because that is what the API server runs.

Parts:

* Go-compatible parsers: `parse_go_duration`, `parse_url`/`request_uri` (``net/url``),
  `parse_ip`/`parse_cidr` (``net/netip`` plus Kubernetes' restrictions), `parse_quantity`
  (``resource.Quantity``). Pure functions, unit-tested on their own.
* `KubernetesCel`: the CEL environment; `compile` returns a `Program` or raises `Unsupported`.
  The CEL runtime has no opaque custom types, so URL, IP, CIDR and quantity values travel as strings
  in a canonical form (an IP as netip prints it, a quantity as an exact fraction): equality of two
  ``ip(...)`` values is then equality of addresses, as in Kubernetes.
* `istiolint.cel_validator.CelValidator` (a light module of its own, which imports this one only when
  a document reaches a rule): walks a document and its schema together and evaluates every rule at
  every node the rule's schema node applies to, as the API server does on create (rules that read
  ``oldSelf`` are transition rules and are skipped). Every expression is compiled once per validator
  (one validator per run, through the engine's services).

Never a false error: a rule that cannot be compiled here (a function this environment lacks) is
skipped and listed in `CelValidator.skipped`; a run-time "no such overload" (a divergence of our
dynamically typed ``self`` from Kubernetes' typed one) is not reported either.
"""

from __future__ import annotations

import datetime
import functools
import ipaddress
import math
import re
from fractions import Fraction
from typing import Any, Callable, Iterator

from .record import record

# -- Go's time.ParseDuration ----------------------------------------------------------------------

_DURATION_UNITS = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,  # micro sign
    "\u03bcs": 1_000,  # Greek mu
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60 * 1_000_000_000,
    "h": 3600 * 1_000_000_000,
}
_MAX_NS = (1 << 63) - 1


@functools.lru_cache(maxsize=1024)  # resources repeat the same few durations (a ValueError is not cached)
def parse_go_duration(text: str) -> int:
    """Nanoseconds of a Go duration string (``1h30m``, ``1.5s``, ``100µs``, ``-2m``, ``0``), as
    ``time.ParseDuration`` reads it; ValueError otherwise (no unit, unknown unit, overflow)."""
    original = text
    invalid = ValueError(f'time: invalid duration "{original}"')
    negative = False
    if text[:1] in ("-", "+"):
        negative = text[0] == "-"
        text = text[1:]
    if text == "0":
        return 0
    if not text:
        raise invalid
    total = 0
    while text:
        match = re.match(r"([0-9]*)(?:\.([0-9]*))?", text)
        whole, fraction = match.group(1), match.group(2)
        if not whole and not fraction:
            raise invalid  # "." alone, or a unit without a number
        text = text[match.end():]
        unit_match = re.match(r"[^0-9.]+", text)
        if unit_match is None:
            raise ValueError(f'time: missing unit in duration "{original}"')
        unit = unit_match.group(0)
        if unit not in _DURATION_UNITS:
            raise ValueError(f'time: unknown unit "{unit}" in duration "{original}"')
        text = text[unit_match.end():]
        scale = _DURATION_UNITS[unit]
        value = int(whole or "0") * scale
        if fraction:
            # Go truncates the fractional nanoseconds.
            value += int(fraction) * scale // 10 ** len(fraction)
        total += value
        if total > (1 << 63):
            raise invalid
    if total > _MAX_NS and not (negative and total == 1 << 63):
        raise invalid
    return -total if negative else total


# -- Go's net/url ----------------------------------------------------------------------------------
# Go works on bytes; here a byte string is carried as a str of code points < 256 (latin-1).

_HOST = "host"
_PATH = "path"
_USER = "userinfo"
_QUERY = "query"
_FRAGMENT = "fragment"


def _should_escape(c: str, mode: str) -> bool:
    if c.isascii() and c.isalnum():
        return False
    if mode == _HOST and c in "!$&'()*+,;=:[]<>\"":
        return False
    if c in "-_.~":
        return False
    if c in "$&+,/:;=?@":
        if mode == _USER:
            return c in "@/?:"
        if mode == _PATH:
            return c == "?"
        if mode == _QUERY:
            return True
        if mode == _FRAGMENT:
            return False
    if mode == _FRAGMENT and c in "!()*":
        return False
    return True


def _unescape(s: str, mode: str) -> str:
    """net/url ``unescape``: %XX must be well formed; a host may only %-encode non-ASCII bytes (or
    %25) and may not contain characters that need escaping."""
    out = []
    i = 0
    while i < len(s):
        c = s[i]
        if c == "%":
            chunk = s[i:i + 3]
            if len(chunk) < 3 or not all(h in "0123456789abcdefABCDEF" for h in chunk[1:]):
                raise ValueError(f'invalid URL escape "{chunk}"')
            if mode == _HOST and int(chunk[1], 16) < 8 and chunk != "%25":
                raise ValueError(f'invalid URL escape "{chunk}"')
            out.append(chr(int(chunk[1:], 16)))
            i += 3
            continue
        if c == "+" and mode == _QUERY:
            out.append(" ")
        else:
            if mode == _HOST and ord(c) < 0x80 and _should_escape(c, mode):
                raise ValueError(f'invalid character "{c}" in host name')
            out.append(c)
        i += 1
    return "".join(out)


def _escape(s: str, mode: str) -> str:
    return "".join(f"%{ord(c):02X}" if _should_escape(c, mode) else c for c in s)


def _valid_encoded(s: str, mode: str) -> bool:
    return all(c in "!$&'()*+,;=:@[]%" or not _should_escape(c, mode) for c in s)


def _valid_optional_port(port: str) -> bool:
    return port == "" or (port[0] == ":" and all("0" <= c <= "9" for c in port[1:]))


def _latin1(text: str) -> str:
    return text.encode("utf-8", "surrogatepass").decode("latin-1")


def _utf8(data: str) -> str:
    return data.encode("latin-1").decode("utf-8", "replace")


@record(frozen=True)
class GoURL:
    """The fields of Go's ``url.URL`` that Kubernetes' URL functions read (as Go byte strings)."""

    scheme: str = ""
    opaque: str = ""
    host: str = ""
    path: str = ""
    raw_path: str = ""
    raw_query: str = ""
    fragment: str = ""

    def hostname(self) -> str:
        return _utf8(_split_host_port(self.host)[0])

    def port(self) -> str:
        return _utf8(_split_host_port(self.host)[1])

    def escaped_path(self) -> str:
        if self.raw_path and _valid_encoded(self.raw_path, _PATH):
            try:
                if _unescape(self.raw_path, _PATH) == self.path:
                    return _utf8(self.raw_path)
            except ValueError:
                pass
        if self.path == "*":
            return "*"
        return _utf8(_escape(self.path, _PATH))

    def query(self) -> dict[str, list[str]]:
        """``url.Values`` of the query; malformed pairs are left out, as ``URL.Query`` does."""
        values: dict[str, list[str]] = {}
        for pair in self.raw_query.split("&"):
            if not pair or ";" in pair:
                continue
            key, _, value = pair.partition("=")
            try:
                key, value = _unescape(key, _QUERY), _unescape(value, _QUERY)
            except ValueError:
                continue
            values.setdefault(_utf8(key), []).append(_utf8(value))
        return values


def _split_host_port(host_port: str) -> tuple[str, str]:
    host, port = host_port, ""
    colon = host.rfind(":")
    if colon != -1 and _valid_optional_port(host[colon:]):
        host, port = host[:colon], host[colon + 1:]
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, port


def _get_scheme(raw: str) -> tuple[str, str]:
    for i, c in enumerate(raw):
        if "a" <= c <= "z" or "A" <= c <= "Z":
            continue
        if "0" <= c <= "9" or c in "+-.":
            if i == 0:
                return "", raw
            continue
        if c == ":":
            if i == 0:
                raise ValueError("missing protocol scheme")
            return raw[:i], raw[i + 1:]
        return "", raw  # an invalid character: there is no scheme
    return "", raw


_USERINFO_CHARS = frozenset("-._:~!$&'()*+,;=%@")


def _parse_host(host: str) -> str:
    if host.startswith("["):
        end = host.rfind("]")
        if end < 0:
            raise ValueError("missing ']' in host")
        if not _valid_optional_port(host[end + 1:]):
            raise ValueError(f'invalid port "{host[end + 1:]}" after host')
        zone = host.find("%25", 0, end)
        if zone >= 0:  # RFC 6874 zone: any %-encoding is allowed there
            return _unescape(host[:zone], _HOST) + _unescape(host[zone:end], _PATH) + _unescape(host[end:], _HOST)
    else:
        colon = host.rfind(":")
        if colon != -1 and not _valid_optional_port(host[colon:]):
            raise ValueError(f'invalid port "{host[colon:]}" after host')
    return _unescape(host, _HOST)


def _parse(raw: str, via_request: bool) -> GoURL:
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in raw):
        raise ValueError("net/url: invalid control character in URL")
    if raw == "" and via_request:
        raise ValueError("empty url")
    if raw == "*":
        return GoURL(path="*")
    scheme, rest = _get_scheme(raw)
    scheme = scheme.lower()
    raw_query = ""
    if rest.endswith("?") and rest.count("?") == 1:
        rest = rest[:-1]
    else:
        rest, _, raw_query = rest.partition("?")
    if not rest.startswith("/"):
        if scheme:
            return GoURL(scheme=scheme, opaque=rest, raw_query=raw_query)  # rootless: opaque
        if via_request:
            raise ValueError("invalid URI for request")
        if ":" in rest.partition("/")[0]:
            raise ValueError("first path segment in URL cannot contain colon")
    host = ""
    if (scheme or (not via_request and not rest.startswith("///"))) and rest.startswith("//"):
        authority, slash, tail = rest[2:].partition("/")
        rest = slash + tail
        at = authority.rfind("@")
        host = _parse_host(authority[at + 1:])
        if at >= 0:
            userinfo = authority[:at]
            if not all(c in _USERINFO_CHARS or (c.isascii() and c.isalnum()) for c in userinfo):
                raise ValueError("net/url: invalid userinfo")
            for part in userinfo.split(":", 1):
                _unescape(part, _USER)
    path = _unescape(rest, _PATH)
    raw_path = "" if _escape(path, _PATH) == rest else rest
    return GoURL(scheme=scheme, host=host, path=path, raw_path=raw_path, raw_query=raw_query)


_GO_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v",
               "\\": "\\\\", '"': '\\"'}


def _go_quote(text: str) -> str:
    """Go's ``%q`` of a string, for messages worded as the API server words them."""
    return '"' + "".join(
        _GO_ESCAPES.get(c) or (f"\\x{ord(c):02x}" if ord(c) < 0x20 or ord(c) == 0x7F else c) for c in text
    ) + '"'


def parse_url(text: str, via_request: bool = False) -> GoURL:
    """``url.Parse`` (``via_request=False``: the fragment is split off first) or
    ``url.ParseRequestURI`` (``via_request=True``: absolute URL or absolute path, no fragment)."""
    raw = _latin1(text)
    try:
        if via_request:
            return _parse(raw, True)
        head, hash_sign, fragment = raw.partition("#")
        url = _parse(head, False)
        if hash_sign:
            url = GoURL(url.scheme, url.opaque, url.host, url.path, url.raw_path, url.raw_query,
                        _unescape(fragment, _FRAGMENT))
        return url
    except ValueError as error:
        raise ValueError(f"parse {_go_quote(text)}: {error}") from None


def request_uri(text: str) -> GoURL:
    """What Kubernetes' ``url(string)`` makes of a string: it must pass ``url.ParseRequestURI``, and the
    value is then ``url.Parse``'s (which handles a fragment)."""
    try:
        parse_url(text, via_request=True)
        return parse_url(text)
    except ValueError as error:
        raise ValueError(f"URL parse error during conversion from string: {error}") from None


def is_url(text: str) -> bool:
    try:
        parse_url(text, via_request=True)
    except ValueError:
        return False
    return True


# -- IP addresses and CIDRs (Go's net/netip, with Kubernetes' restrictions) -------------------------

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _netip_addr(text: str) -> IPAddress:
    if "%" in text:
        raise ValueError(f"IP address {_go_quote(text)} with zone value is not allowed")
    try:
        if ":" in text:
            address: IPAddress = ipaddress.IPv6Address(text)
        else:
            address = ipaddress.IPv4Address(text)
    except ValueError:
        raise ValueError(f"IP Address {_go_quote(text)} parse error during conversion from string") from None
    return address


def parse_ip(text: str) -> IPAddress:
    """An IP address as Kubernetes' ``ip()`` accepts it: IPv4 dotted quad without leading zeros, or
    IPv6; no zone, no IPv4-mapped IPv6 form."""
    address = _netip_addr(text)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        raise ValueError(f"IPv4-mapped IPv6 address {_go_quote(text)} is not allowed")
    return address


def ip_string(address: IPAddress) -> str:
    """netip's canonical text (RFC 5952 for IPv6)."""
    return address.compressed


def is_global_unicast(address: IPAddress) -> bool:
    """Go's ``IsGlobalUnicast``: anything but unspecified, loopback, multicast, link-local unicast and
    the IPv4 broadcast address (private ranges count as global here, unlike Python's ``is_global``)."""
    if address.is_unspecified or address.is_loopback or address.is_multicast or address.is_link_local:
        return False
    return not (isinstance(address, ipaddress.IPv4Address) and int(address) == 0xFFFFFFFF)


def is_link_local_multicast(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv4Address):
        return address in ipaddress.IPv4Network("224.0.0.0/24")
    return (int(address) >> 112) & 0xFF0F == 0xFF02


def parse_cidr(text: str) -> tuple[IPAddress, int]:
    """``(address as written, prefix length)`` of a CIDR as Kubernetes' ``cidr()`` accepts it."""
    address_text, slash, bits_text = text.rpartition("/")
    error = ValueError(f"network address parse error during conversion from string: netip.ParsePrefix({_go_quote(text)})")
    if not slash:
        raise error
    if "%" in address_text:
        raise error  # no zones in a prefix
    try:
        address = _netip_addr(address_text)
    except ValueError:
        raise error from None
    # Go rejects a sign and leading zeros in the length.
    if not bits_text.isdigit() or not bits_text.isascii() or (len(bits_text) > 1 and bits_text[0] == "0"):
        raise error
    bits = int(bits_text)
    if bits > address.max_prefixlen:
        raise error
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        raise ValueError(f"IPv4-mapped IPv6 address {_go_quote(text)} is not allowed")
    return address, bits


def cidr_string(address: IPAddress, bits: int) -> str:
    return f"{ip_string(address)}/{bits}"


def _masked(address: IPAddress, bits: int) -> IPAddress:
    network = ipaddress.ip_network(f"{address}/{bits}", strict=False)
    return network.network_address


def cidr_contains_ip(cidr: str, ip: str) -> bool:
    address, bits = parse_cidr(cidr)
    other = parse_ip(ip)
    return other.version == address.version and _masked(other, bits) == _masked(address, bits)


def cidr_contains_cidr(cidr: str, other: str) -> bool:
    address, bits = parse_cidr(cidr)
    other_address, other_bits = parse_cidr(other)
    return (other_address.version == address.version and bits <= other_bits
            and _masked(other_address, bits) == _masked(address, bits))


# -- Kubernetes resource.Quantity ------------------------------------------------------------------

_QUANTITY_RE = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?(.*)\Z", re.S)
_QUANTITY_SUFFIXES = {
    "Ki": Fraction(2) ** 10, "Mi": Fraction(2) ** 20, "Gi": Fraction(2) ** 30,
    "Ti": Fraction(2) ** 40, "Pi": Fraction(2) ** 50, "Ei": Fraction(2) ** 60,
    "n": Fraction(1, 10**9), "u": Fraction(1, 10**6), "m": Fraction(1, 10**3), "": Fraction(1),
    "k": Fraction(10**3), "M": Fraction(10**6), "G": Fraction(10**9), "T": Fraction(10**12),
    "P": Fraction(10**15), "E": Fraction(10**18),
}
_NANO = Fraction(1, 10**9)
_INT64 = (-(1 << 63), (1 << 63) - 1)


def parse_quantity(text: str) -> Fraction:
    """The exact value of a Kubernetes quantity (``500m``, ``1Gi``, ``1e3``, ``0.5``); values finer
    than a nano-unit are rounded away from zero, as ``resource.ParseQuantity`` does."""
    match = _QUANTITY_RE.match(text)
    if not text or match is None:
        raise ValueError("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
    sign, whole, fraction, suffix = match.groups()
    if not whole and not fraction:
        raise ValueError("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
    value = Fraction(int(whole or "0")) + (Fraction(int(fraction), 10 ** len(fraction)) if fraction else 0)
    if suffix in _QUANTITY_SUFFIXES:
        value *= _QUANTITY_SUFFIXES[suffix]
    elif re.fullmatch(r"[eE][+-]?[0-9]+", suffix):
        exponent = int(suffix[1:])
        if abs(exponent) > 10_000:
            raise ValueError("unable to parse quantity's suffix")
        value *= Fraction(10) ** exponent
    else:
        raise ValueError("unable to parse quantity's suffix")
    units = value / _NANO
    if units.denominator != 1:
        value = math.ceil(units) * _NANO
    return -value if sign == "-" else value


def _quantity_carrier(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def _quantity_of(carrier: str) -> Fraction:
    return Fraction(carrier)


def _quantity_as_int(value: Fraction) -> int:
    if value.denominator != 1 or not _INT64[0] <= value.numerator <= _INT64[1]:
        raise ValueError("cannot convert value to integer")
    return value.numerator


# -- CEL source scanning ---------------------------------------------------------------------------

_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER_RE = re.compile(r"[0-9A-Za-z_.]+")  # a number literal: 1, 0x1F, 1.5e3, 2u (not an identifier)


def identifiers(source: str) -> Iterator[tuple[str, int, int]]:
    """``(name, start, end)`` of each identifier of a CEL expression, outside string literals and
    comments (so ``"oldSelf"`` in a string is not a reference to ``oldSelf``)."""
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        if c == "/" and source.startswith("//", i):
            end = source.find("\n", i)
            i = n if end < 0 else end
        elif c in "'\"":
            i = _skip_string(source, i, raw=False)
        elif c.isalpha() or c == "_":
            match = _IDENT_RE.match(source, i)
            name = match.group(0)
            if name.lower() in ("r", "b", "rb", "br") and match.end() < n and source[match.end()] in "'\"":
                i = _skip_string(source, match.end(), raw="r" in name.lower())
                continue
            yield name, i, match.end()
            i = match.end()
        elif c.isdigit():
            match = _NUMBER_RE.match(source, i)
            i = match.end()
        else:
            i += 1


def _skip_string(source: str, start: int, raw: bool) -> int:
    quote = source[start]
    delimiter = quote * 3 if source.startswith(quote * 3, start) else quote
    i = start + len(delimiter)
    while i < len(source):
        if not raw and source[i] == "\\":
            i += 2
            continue
        if source.startswith(delimiter, i):
            return i + len(delimiter)
        i += 1
    return len(source)


def _rename_calls(source: str, renames: dict[str, str]) -> str:
    """Rename global function calls (``duration(`` but not ``x.duration(``)."""
    out, last = [], 0
    for name, start, end in identifiers(source):
        if name not in renames:
            continue
        before = source[:start].rstrip()
        after = source[end:].lstrip()
        if before.endswith(".") or not after.startswith("("):
            continue
        out.append(source[last:start])
        out.append(renames[name])
        last = end
    out.append(source[last:])
    return "".join(out)


# -- the CEL environment ---------------------------------------------------------------------------


class Unsupported(Exception):
    """An expression this environment cannot compile (a function or construct it lacks)."""


class CelUnavailable(Unsupported):
    """The CEL runtime (cel-expr-python) is not installed."""


# Kubernetes' duration() is Go's time.ParseDuration (which knows "µs"); the runtime's own duration()
# is not, and cannot be replaced, so rules call ours under another name.
_DURATION_FUNCTION = "k8sGoDuration"
_STATUS_PREFIX = re.compile(r"^[A-Z_]+: ")
# Run-time errors that say our dynamically typed environment diverged from Kubernetes' typed one, not
# that the value is wrong: never reported.
_ENVIRONMENT_ERRORS = ("no matching overload", "no such overload", "no value with name", "unimplemented",
                       "undeclared reference", "istiolint internal error")
# cel-go's wording where it is well known and the C++ runtime words it differently.
_GO_WORDING = (
    (re.compile(r"^cannot convert string to (int|uint|double)$"), r"type conversion error from 'string' to '\1'"),
    (re.compile(r'^Key not found in map ?: ?"?(.*?)"?$'), r"no such key: \1"),
)


@record(frozen=True)
class Outcome:
    """The result of one evaluation: ``value`` (a Python value), or ``error`` (cel-go-worded text), or
    ``environment_error`` (our environment cannot decide: not to be reported)."""

    value: Any = None
    error: str | None = None
    environment_error: str | None = None


class Program:
    def __init__(self, source: str, compiled: Any) -> None:
        self.source = source
        self._compiled = compiled

    def evaluate(self, activation: Any) -> Outcome:
        try:
            result = self._compiled.eval(activation)
            kind = result.type().name()
            value = result.value()
        except Exception as error:  # noqa: BLE001 - the runtime raises for what it cannot represent
            return Outcome(environment_error=str(error))
        if kind != "ERROR":
            return Outcome(value=value)
        text = _STATUS_PREFIX.sub("", str(value)).strip()
        if any(marker in text.lower() for marker in _ENVIRONMENT_ERRORS):
            return Outcome(environment_error=text)
        for pattern, wording in _GO_WORDING:
            text = pattern.sub(wording, text)
        return Outcome(error=text)


class KubernetesCel:
    """Google's CEL runtime with the libraries the Kubernetes API server offers CRD validation rules."""

    def __init__(self) -> None:
        try:
            from cel_expr_python import cel
            from cel_expr_python.ext import ext_bindings, ext_optional, ext_strings
        except ImportError as error:  # pragma: no cover - depends on the installation
            raise CelUnavailable(f"the CEL runtime is not installed ({error})") from None
        self._cel = cel
        T = cel.Type
        self._env = cel.NewEnv(
            variables={"self": T.DYN},
            extensions=[ext_strings.ExtStrings(), ext_optional.ExtOptional(), ext_bindings.ExtBindings()],
            functions=_function_decls(cel),
        )

    def compile(self, source: str) -> Program:
        """Compile once; evaluate many times. Raises `Unsupported` with the reason."""
        renamed = _rename_calls(source, {"duration": _DURATION_FUNCTION})
        try:
            return Program(source, self._env.compile(renamed))
        except Exception as error:  # noqa: BLE001 - the runtime reports compile errors as RuntimeError
            text = _STATUS_PREFIX.sub("", str(error)).split("\n")[0].replace(_DURATION_FUNCTION, "duration")
            raise Unsupported(re.sub(r"^(ERROR: )?<input>:\d+:\d+: ", "", text)) from None

    def activation(self, value: Any) -> Any:
        """Bind ``self`` once for all the rules of a node."""
        return self._env.Activation(data={"self": value})

    def evaluate(self, program: Program, value: Any) -> Outcome:
        return program.evaluate(self.activation(value))


_INTERNAL = "istiolint internal error"


def _guarded(impl: Callable[..., Any]) -> Callable[..., Any]:
    """A ValueError of an implementation is the function's CEL error (a rejection, worded as Kubernetes
    words it); any other exception is a bug here, which must not become a finding."""

    def call(*args: Any) -> Any:
        try:
            return impl(*args)
        except ValueError:
            raise
        except Exception as error:  # noqa: BLE001
            raise RuntimeError(f"{_INTERNAL}: {type(error).__name__}: {error}") from None

    return call


def _function_decls(cel: Any) -> list[Any]:
    T = cel.Type
    S, B, I, D = T.STRING, T.BOOL, T.INT, T.DOUBLE

    def fn(name: str, *overloads: tuple) -> Any:
        return cel.FunctionDecl(name, [
            cel.Overload(f"k8s_{name.replace('.', '_')}_{i}", result, params, member, _guarded(impl))
            for i, (result, params, member, impl) in enumerate(overloads)
        ])

    def go_duration(text: str) -> datetime.timedelta:
        try:
            nanoseconds = parse_go_duration(text)
        except ValueError:
            raise ValueError("type conversion error from 'string' to 'google.protobuf.Duration'") from None
        # Rounded down to the microsecond (the runtime's Python bridge carries no finer unit): exact for
        # every comparison with a whole number of microseconds, like the rules' "1ms".
        return datetime.timedelta(microseconds=nanoseconds // 1000)

    def url(text: str) -> str:
        request_uri(text)
        return text

    def ip(text: str) -> str:
        return ip_string(parse_ip(text))

    def cidr(text: str) -> str:
        return cidr_string(*parse_cidr(text))

    def quantity(text: str) -> str:
        try:
            return _quantity_carrier(parse_quantity(text))
        except ValueError as error:
            raise ValueError(f"quantity parse error: {error}") from None

    def is_ok(parser: Callable[[str], Any]) -> Callable[[str], bool]:
        def check(text: str) -> bool:
            try:
                parser(text)
            except ValueError:
                return False
            return True
        return check

    def canonical_ip(text: str) -> bool:
        return ip_string(parse_ip(text)) == text

    def find(text: str, pattern: str) -> str:
        match = _regex(pattern).search(text)
        return match.group(0) if match else ""

    def find_all(text: str, pattern: str, limit: int = -1) -> list[str]:
        if limit == 0:
            return []
        found = [m.group(0) for m in _regex(pattern).finditer(text)]
        return found if limit < 0 else found[:limit]

    def q(carrier: str) -> Fraction:
        return _quantity_of(carrier)

    def compare(a: Fraction, b: Fraction) -> int:
        return (a > b) - (a < b)

    DUR = T.DURATION
    return [
        fn(_DURATION_FUNCTION, (DUR, [S], False, go_duration), (DUR, [DUR], False, lambda d: d)),
        # URLs (the value is the URL text; each accessor parses it as Go does)
        fn("url", (S, [S], False, url)),
        fn("isURL", (B, [S], False, is_url)),
        fn("getScheme", (S, [S], True, lambda u: _utf8(request_uri(u).scheme))),
        fn("getHost", (S, [S], True, lambda u: _utf8(request_uri(u).host))),
        fn("getHostname", (S, [S], True, lambda u: request_uri(u).hostname())),
        fn("getPort", (S, [S], True, lambda u: request_uri(u).port())),
        fn("getEscapedPath", (S, [S], True, lambda u: request_uri(u).escaped_path())),
        fn("getQuery", (T.Map(S, T.List(S)), [S], True, lambda u: request_uri(u).query())),
        # IP addresses and CIDRs (the value is the canonical text)
        fn("ip", (S, [S], False, ip), (S, [S], True, lambda c: ip_string(parse_cidr(c)[0]))),
        fn("isIP", (B, [S], False, is_ok(parse_ip))),
        fn("ip.isCanonical", (B, [S], False, canonical_ip)),
        fn("family", (I, [S], True, lambda a: parse_ip(a).version)),
        fn("isUnspecified", (B, [S], True, lambda a: parse_ip(a).is_unspecified)),
        fn("isLoopback", (B, [S], True, lambda a: parse_ip(a).is_loopback)),
        fn("isLinkLocalMulticast", (B, [S], True, lambda a: is_link_local_multicast(parse_ip(a)))),
        fn("isLinkLocalUnicast", (B, [S], True, lambda a: parse_ip(a).is_link_local)),
        fn("isGlobalUnicast", (B, [S], True, lambda a: is_global_unicast(parse_ip(a)))),
        fn("cidr", (S, [S], False, cidr)),
        fn("isCIDR", (B, [S], False, is_ok(parse_cidr))),
        fn("containsIP", (B, [S, S], True, cidr_contains_ip)),
        fn("containsCIDR", (B, [S, S], True, cidr_contains_cidr)),
        fn("masked", (S, [S], True, lambda c: cidr_string(_masked(*parse_cidr(c)), parse_cidr(c)[1]))),
        fn("prefixLength", (I, [S], True, lambda c: parse_cidr(c)[1])),
        # quantities (the value is the exact fraction)
        fn("quantity", (S, [S], False, quantity)),
        fn("isQuantity", (B, [S], False, is_ok(parse_quantity))),
        fn("sign", (I, [S], True, lambda c: compare(q(c), Fraction(0)))),
        fn("isInteger", (B, [S], True, is_ok(lambda c: _quantity_as_int(q(c))))),
        fn("asInteger", (I, [S], True, lambda c: _quantity_as_int(q(c)))),
        fn("asApproximateFloat", (D, [S], True, lambda c: float(q(c)))),
        fn("add", (S, [S, S], True, lambda a, b: _quantity_carrier(q(a) + q(b))),
           (S, [S, I], True, lambda a, b: _quantity_carrier(q(a) + b))),
        fn("sub", (S, [S, S], True, lambda a, b: _quantity_carrier(q(a) - q(b))),
           (S, [S, I], True, lambda a, b: _quantity_carrier(q(a) - b))),
        fn("isGreaterThan", (B, [S, S], True, lambda a, b: q(a) > q(b))),
        fn("isLessThan", (B, [S, S], True, lambda a, b: q(a) < q(b))),
        fn("compareTo", (I, [S, S], True, lambda a, b: compare(q(a), q(b)))),
        # regex library (RE2, as Go's regexp)
        fn("find", (S, [S, S], True, find)),
        fn("findAll", (T.List(S), [S, S], True, find_all), (T.List(S), [S, S, I], True, find_all)),
    ]


def _regex(pattern: str) -> Any:
    """An RE2 pattern (Go's regexp syntax), compiled without RE2 logging to stderr."""
    import re2

    options = re2.Options()
    options.log_errors = False
    try:
        return re2.compile(pattern, options)
    except re2.error as error:
        reason = error.args[0] if error.args else ""
        reason = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
        raise ValueError(f"error parsing regexp: {reason}") from None

