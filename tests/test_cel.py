"""CEL support (istiolint/cel.py) and the cel-validation rule (IL103).

The Kubernetes extension functions are tested on their own (Go's semantics, from the Kubernetes and Go
documentation) and through the CEL environment; the rule against Istio's own CRD validation cases
(every invalid case only a CEL rule can catch is caught, no valid case fires) and the real corpus.
"""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from istiolint import cel as celmod
from istiolint import cel_validator
from istiolint.cel import (
    KubernetesCel,
    identifiers,
    is_url,
    parse_cidr,
    parse_go_duration,
    parse_ip,
    parse_quantity,
    parse_url,
    request_uri,
)
from istiolint.cel_validator import CelValidator, escape_property, parse_field_path, to_cel, transition_rule
from istiolint.schema import SchemaStore

from .conftest import ROOT, lint_paths, lint_text

pytest.importorskip("cel_expr_python")

SHARED = ROOT.parent / "shared"
PEER_VALIDATION = SHARED / "peer" / "istio-validation"
CORPUS = SHARED / "corpus"
STORE = SchemaStore(ROOT / "schemas")
CEL = KubernetesCel()


# -- Go durations ---------------------------------------------------------------------------------

MS = 1_000_000
S = 1_000 * MS


@pytest.mark.parametrize(
    ("text", "nanoseconds"),
    [
        ("0", 0),
        ("-0", 0),
        ("1ms", MS),
        ("1.5s", 1_500 * MS),
        (".5s", 500 * MS),
        ("5.s", 5 * S),
        ("1h30m", 5_400 * S),
        ("1h1h", 7_200 * S),
        ("-1.5h", -5_400 * S),
        ("+5s", 5 * S),
        ("100us", 100_000),
        ("100\u00b5s", 100_000),  # micro sign, as Go accepts
        ("100\u03bcs", 100_000),  # Greek mu
        ("1ns", 1),
        ("1.0000000001s", S),  # Go drops fractions of a nanosecond
        ("9223372036854775807ns", (1 << 63) - 1),
        ("-9223372036854775808ns", -(1 << 63)),
    ],
)
def test_go_duration(text: str, nanoseconds: int) -> None:
    assert parse_go_duration(text) == nanoseconds


@pytest.mark.parametrize(
    "text", ["", "1", "1d", "apple", ".", ".s", "s", "-", "1h-1m", "1.5", "9223372036854775808ns", "2562048h", " 1s", "1 s"]
)
def test_go_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_go_duration(text)


# -- Go URLs --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "scheme", "host", "hostname", "port", "escaped_path", "query"),
    [
        ("https://example.com:80/", "https", "example.com:80", "example.com", "80", "/", {}),
        ("HTTPS://Example.com/Path", "https", "Example.com", "Example.com", "", "/Path", {}),
        ("https://[::1]:80/", "https", "[::1]:80", "::1", "80", "/", {}),
        ("https://[::1]/", "https", "[::1]", "::1", "", "/", {}),
        ("https://user:pw@example.com/a", "https", "example.com", "example.com", "", "/a", {}),
        ("https://example.com/path with spaces/", "https", "example.com", "example.com", "", "/path%20with%20spaces/", {}),
        ("https://example.com/a%2Fb", "https", "example.com", "example.com", "", "/a%2Fb", {}),
        ("https://example.com/p?k1=a&k2=b&k2=c", "https", "example.com", "example.com", "", "/p", {"k1": ["a"], "k2": ["b", "c"]}),
        ("https://example.com/?a=%20b+c&bad=%zz&x;y=1&=v", "https", "example.com", "example.com", "", "/", {"a": [" b c"], "": ["v"]}),
        ("https://example.com/p#frag", "https", "example.com", "example.com", "", "/p", {}),
        ("/absolute-path?x=1", "", "", "", "", "/absolute-path", {"x": ["1"]}),
        ("mailto:someone@example.com", "mailto", "", "", "", "", {}),
        ("oci://ghcr.io/org/image:v1", "oci", "ghcr.io", "ghcr.io", "", "/org/image:v1", {}),
        ("file:///opt/filters/openid.wasm", "file", "", "", "", "/opt/filters/openid.wasm", {}),
    ],
)
def test_url_accessors(text, scheme, host, hostname, port, escaped_path, query) -> None:
    url = request_uri(text)
    assert (url.scheme, url.host, url.hostname(), url.port(), url.escaped_path(), url.query()) == (
        scheme, host, hostname, port, escaped_path, query
    )


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("https://example.com:80/path?query=val#fragment", True),
        ("/absolute-path", True),
        ("*", True),
        ("http://test", True),
        ("fake://example.com", True),  # a URL; the Istio rule then checks the scheme
        ("https://a:b:c/", False),  # invalid port ":c" after host
        ("../relative-path", False),
        ("example.com", False),
        ("", False),
        ("http://#%blah$#@", False),  # "#%blah$#" is no userinfo
        ("#%blah$#@", False),
        ("https://exa mple.com/", False),  # a space in a host
        ("https://example.com/%zz", False),  # a broken escape
        ("https://%41.example.com/", False),  # a host escapes only non-ASCII bytes
        ("https://[::1/", False),
        ("hTPp\\\blah", False),  # a control character (backspace)
        ("1http://x", False),  # a scheme cannot start with a digit
        ("://x", False),  # missing protocol scheme
    ],
)
def test_is_url(text: str, valid: bool) -> None:
    assert is_url(text) is valid


def test_url_errors_are_worded_like_go() -> None:
    with pytest.raises(ValueError, match=r'^URL parse error during conversion from string: parse "\.\./x": invalid URI for request$'):
        request_uri("../x")
    with pytest.raises(ValueError, match=r'parse "a\\bb": net/url: invalid control character in URL'):
        parse_url("a\bb")
    # Parse (not ParseRequestURI) takes relative references; a colon in the first segment is not one.
    assert parse_url("a/b").path == "a/b"
    with pytest.raises(ValueError, match="first path segment in URL cannot contain colon"):
        parse_url("1a:b/c")


# -- IP addresses and CIDRs -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical", "family"),
    [
        ("127.0.0.1", "127.0.0.1", 4),
        ("::1", "::1", 6),
        ("2001:0DB8:0:0::1", "2001:db8::1", 6),
        ("1:0:1:1:1:1:1:1", "1:0:1:1:1:1:1:1", 6),  # RFC 5952: "::" never stands for one group
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1", 6),  # the first of two equal zero runs
    ],
)
def test_ip(text: str, canonical: str, family: int) -> None:
    address = parse_ip(text)
    assert (celmod.ip_string(address), address.version) == (canonical, family)


@pytest.mark.parametrize("text", ["", "1.2.3", "01.2.3.4", "1.2.3.256", "::ffff:1.2.3.4", "::ffff:102:304", "fe80::1%eth0", "1::2::3", "a"])
def test_ip_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_ip(text)


@pytest.mark.parametrize(
    ("text", "address", "bits"),
    [("10.0.0.0/8", "10.0.0.0", 8), ("192.168.0.1/24", "192.168.0.1", 24), ("2001:db8::/32", "2001:db8::", 32), ("0.0.0.0/0", "0.0.0.0", 0)],
)
def test_cidr(text: str, address: str, bits: int) -> None:
    parsed, length = parse_cidr(text)
    assert (str(parsed), length) == (address, bits)


@pytest.mark.parametrize(
    "text", ["10.0.0.0", "10.0.0.0/33", "10.0.0.0/08", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/255.0.0.0", "::ffff:1.2.3.4/128", "fe80::%eth0/64", "/8"]
)
def test_cidr_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_cidr(text)


# -- quantities -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1", Fraction(1)),
        ("500m", Fraction(1, 2)),
        ("1Ki", Fraction(1024)),
        ("1.5Gi", Fraction(3 * 2**29)),
        ("50M", Fraction(50_000_000)),
        ("1e3", Fraction(1000)),
        ("1.3E-2", Fraction(13, 1000)),
        ("-1", Fraction(-1)),
        ("+.5", Fraction(1, 2)),
        ("1n", Fraction(1, 10**9)),
        ("0.0000000001", Fraction(1, 10**9)),  # finer than a nano-unit: rounded away from zero
    ],
)
def test_quantity(text: str, value: Fraction) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["", ".", "1 Gi", "1Gb", "Gi", "1.2.3", "1e", "--1"])
def test_quantity_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_quantity(text)


# -- the CEL environment ----------------------------------------------------------------------------

TRUE_EXPRESSIONS = [
    # URLs
    "url('https://example.com:80/').getHost() == 'example.com:80'",
    "url('https://example.com/path').getScheme() == 'https'",
    "url('https://[::1]:80/').getHostname() == '::1'",
    "url('https://[::1]:80/').getPort() == '80'",
    "url('https://example.com/path with spaces/').getEscapedPath() == '/path%20with%20spaces/'",
    "url('https://example.com/path?k1=a&k2=b&k2=c').getQuery() == {'k1': ['a'], 'k2': ['b', 'c']}",
    "url('/absolute-path').getScheme() == ''",
    "isURL('https://example.com:80/path?query=val#fragment')",
    "!isURL('../relative-path')",
    # IP addresses
    "ip('127.0.0.1').family() == 4",
    "ip('::1').family() == 6",
    "ip('127.0.0.1').isLoopback()",
    "ip('224.0.0.1').isLinkLocalMulticast()",
    "!ip('224.0.1.1').isLinkLocalMulticast()",
    "ip('ff02::1').isLinkLocalMulticast()",
    "ip('169.254.169.254').isLinkLocalUnicast()",
    "ip('fe80::1').isLinkLocalUnicast()",
    "ip('192.168.0.1').isGlobalUnicast()",
    "!ip('255.255.255.255').isGlobalUnicast()",
    "ip('0.0.0.0').isUnspecified() && ip('::').isUnspecified()",
    "ip('2001:db8::1') == ip('2001:0db8:0:0::1')",
    "string(ip('2001:0DB8::1')) == '2001:db8::1'",
    "ip.isCanonical('2001:db8::abcd') && !ip.isCanonical('2001:DB8::ABCD')",
    "isIP('1.2.3.4') && !isIP('01.2.3.4') && !isIP('::ffff:1.2.3.4') && !isIP('fe80::1%eth0')",
    # CIDRs
    "isCIDR('10.0.0.0/8') && !isCIDR('10.0.0.0') && !isCIDR('10.0.0.0/33')",
    "cidr('192.168.0.0/24').containsIP(ip('192.168.0.1'))",
    "!cidr('192.168.0.0/24').containsIP('192.168.1.1')",
    "!cidr('192.168.0.0/24').containsIP('::1')",
    "cidr('192.168.0.0/24').containsCIDR('192.168.0.0/25')",
    "!cidr('192.168.0.0/24').containsCIDR('192.168.0.0/23')",
    "cidr('192.168.0.1/24').ip() == ip('192.168.0.1')",
    "cidr('192.168.0.1/24').masked() == cidr('192.168.0.0/24')",
    "cidr('192.168.0.0/24').prefixLength() == 24",
    "cidr('::1/128').ip().family() == 6",
    # quantities
    "quantity('50M').asInteger() == 50000000",
    "quantity('1.5').asApproximateFloat() == 1.5",
    "quantity('50Mi').isGreaterThan(quantity('50M'))",
    "quantity('1').compareTo(quantity('1000m')) == 0",
    "quantity('1') == quantity('1000m')",
    "quantity('200M').sub(1000000).asInteger() == 199000000",
    "quantity('1Ki').add(quantity('24')).asInteger() == 1048",
    "quantity('-1').sign() == -1 && quantity('0').sign() == 0",
    "!quantity('500m').isInteger() && quantity('5').isInteger()",
    "quantity('1n').isLessThan(quantity('1u'))",
    "isQuantity('1.3e5') && !isQuantity('1 Gi') && !isQuantity('1Gb')",
    # durations, as Go parses them
    "duration('1h30m') == duration('90m')",
    "duration('100µs') == duration('100us')",
    "duration('100μs') == duration('0.1ms')",
    "duration('-1.5h') < duration('0s')",
    "duration('0') == duration('0s')",
    "duration('999999ns') < duration('1ms')",
    "duration('1000000ns') >= duration('1ms')",
    "duration(duration('1s')) == duration('1s')",
    # strings extension, regex (RE2), bindings, optionals
    "'a,b'.split(',') == ['a', 'b']",
    "'ABC'.lowerAscii() == 'abc' && 'abc'.upperAscii() == 'ABC'",
    "'abc'.replace('b', 'x') == 'axc'",
    "'abc'.indexOf('c') == 2 && 'abcabc'.lastIndexOf('b') == 4",
    "'  x '.trim() == 'x'",
    "'abc'.substring(1) == 'bc' && 'abc'.substring(1, 2) == 'b'",
    "['a', 'b'].join('-') == 'a-b'",
    "'abc'.charAt(1) == 'b'",
    "'abc'.matches('^a.c$') && !'abc'.matches('^b')",
    "'http'.matches('^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$')",
    "'abc123'.find('[0-9]+') == '123' && 'abc'.find('[0-9]+') == ''",
    "'a1b22c333'.findAll('[0-9]+') == ['1', '22', '333']",
    "'a1b22c333'.findAll('[0-9]+', 2) == ['1', '22']",
    "cel.bind(x, 2, x * x) == 4",
    "optional.of(1).orValue(2) == 1",
    "'duration(' == 'duration' + '('",  # renaming duration() leaves string literals alone
]


@pytest.mark.parametrize("expression", TRUE_EXPRESSIONS)
def test_kubernetes_functions(expression: str) -> None:
    outcome = CEL.evaluate(CEL.compile(expression), None)
    assert (outcome.value, outcome.error, outcome.environment_error) == (True, None, None)


@pytest.mark.parametrize(
    ("expression", "error"),
    [
        ("url('../x')", 'URL parse error during conversion from string: parse "../x": invalid URI for request'),
        ("url('https://a:b:c/')", 'URL parse error during conversion from string: parse "https://a:b:c/": invalid port ":c" after host'),
        ("ip('::ffff:1.2.3.4')", 'IPv4-mapped IPv6 address "::ffff:1.2.3.4" is not allowed'),
        ("ip('fe80::1%eth0')", 'IP address "fe80::1%eth0" with zone value is not allowed'),
        ("duration('1d')", "type conversion error from 'string' to 'google.protobuf.Duration'"),
        ("duration('2562048h')", "type conversion error from 'string' to 'google.protobuf.Duration'"),
        ("int('acd')", "type conversion error from 'string' to 'int'"),
        ("{'a': 1}.b", "no such key: b"),
        ("quantity('500m').asInteger()", "cannot convert value to integer"),
        ("'x'.find('(')", "error parsing regexp: missing ): ("),
    ],
)
def test_runtime_errors(expression: str, error: str) -> None:
    assert CEL.evaluate(CEL.compile(expression), None).error == error


def test_a_bug_in_a_function_is_not_a_finding(monkeypatch) -> None:
    def broken(text: str) -> None:
        raise ZeroDivisionError("oops")

    monkeypatch.setattr(celmod, "request_uri", broken)
    outcome = CEL.evaluate(CEL.compile("url('http://x').getScheme() == 'http'"), None)
    assert (outcome.value, outcome.error) == (None, None)
    assert outcome.environment_error == "istiolint internal error: ZeroDivisionError: oops"


def test_bound_self() -> None:
    program = CEL.compile("self.all(key, 0 < int(key) && int(key) <= 65535)")
    assert CEL.evaluate(program, {"80": {}, "443": {}}).value is True
    assert CEL.evaluate(program, {"0": {}}).value is False


def test_unknown_functions_and_old_self_are_not_compiled() -> None:
    with pytest.raises(celmod.Unsupported, match="undeclared reference to 'isSorted'"):
        CEL.compile("self.isSorted()")
    with pytest.raises(celmod.Unsupported):
        CEL.compile("self == oldSelf")


def test_identifiers_skip_strings_and_comments() -> None:
    source = "self.x == 'oldSelf' && r\"duration(\" != b'''a''' // oldSelf\n&& duration(self.y) > duration('1s')"
    assert [name for name, _, _ in identifiers(source)] == ["self", "x", "duration", "self", "y", "duration"]
    assert not transition_rule(source)
    assert transition_rule("self.size() >= oldSelf.size()")
    assert celmod._rename_calls("duration(self) >= x.duration('1s') && duration ('2s') > 'duration('", {"duration": "d"}) == (
        "d(self) >= x.duration('1s') && d ('2s') > 'duration('"
    )


# -- values as the API server hands them to CEL ----------------------------------------------------


def test_escaped_property_names() -> None:
    assert escape_property("jwks_uri") == "jwks_uri"
    assert escape_property("namespace") == "__namespace__"
    assert escape_property("x-y.z/w__v") == "x__dash__y__dot__z__slash__w__underscores__v"
    assert escape_property("a b") is None


def test_to_cel_prunes_and_types_like_the_api_server() -> None:
    schema = {
        "type": "object",
        "required": ["port"],
        "properties": {
            "port": {"type": "integer"},
            "weight": {"type": "number"},
            "namespace": {"type": "string"},
            "mode": {"type": ["string", "null"], "enum": ["A", None]},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "raw": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            "body": {"type": "string", "format": "byte"},
        },
        "additionalProperties": False,
    }
    value = {"port": 80, "weight": 1, "namespace": "ns", "mode": None, "labels": {"a": "b", 1: "c"},
             "raw": {"x": [1]}, "body": "aGk=", "typo": 1, "gone": None}
    assert to_cel(value, schema) == {
        "port": 80, "weight": 1.0, "__namespace__": "ns", "mode": None, "labels": {"a": "b", "1": "c"},
        "raw": {"x": [1]}, "body": b"hi",
    }
    assert isinstance(to_cel(value, schema)["weight"], float)
    for broken in ({"weight": 1}, {"port": "80"}, {"port": True}, {"port": 80, "mode": "B"}, {"port": 1 << 64},
                   {"port": 80, "labels": {"a": 1}}, {"port": 80, "body": "no base64!"}):
        with pytest.raises(cel_validator._Blocked):
            to_cel(broken, schema)
    assert to_cel({"port": 80, "weight": None}, schema) == {"port": 80}  # a null of a non-nullable field is pruned


def test_field_paths() -> None:
    assert parse_field_path(".spec.ports") == ("spec", "ports")
    assert parse_field_path(".labels['app.kubernetes.io/name']") == ("labels", "app.kubernetes.io/name")
    assert parse_field_path(".items[2].name") == ("items", 2, "name")
    assert parse_field_path("") == ()
    assert parse_field_path("spec") is None


# -- the validator on hand-made schemas ------------------------------------------------------------


def _schema(**spec: Any) -> dict:
    return {"type": "object", "properties": {"spec": {"type": "object", **spec}}}


def test_rule_message_field_path_message_expression_and_default_message() -> None:
    schema = _schema(
        properties={"min": {"type": "integer"}, "max": {"type": "integer"}},
        **{"x-kubernetes-validations": [
            {"rule": "self.min <= self.max", "message": "min must not exceed max", "fieldPath": ".min"},
            {"rule": "self.max < 100", "messageExpression": "'max is ' + string(self.max) + ', over 99'"},
            {"rule": "self.min < 300"},
            {"rule": "self.max != 7", "message": "not seven", "fieldPath": ".absent"},
        ]},
    )
    validator = CelValidator(CEL)
    problems = validator.validate(schema, {"spec": {"min": 301, "max": 200}})
    assert [(p.path, p.message) for p in problems] == [
        (("spec", "min"), "min must not exceed max"),
        (("spec",), "max is 200, over 99"),
        (("spec",), "failed rule: self.min < 300"),
    ]
    # a fieldPath that is not in the document falls back to the rule's node
    assert [(p.path, p.message) for p in validator.validate(schema, {"spec": {"min": 1, "max": 7}})] == [
        (("spec",), "not seven")
    ]


def test_rules_at_items_and_map_values_and_skipped_rules() -> None:
    schema = _schema(
        properties={
            "ports": {"type": "array", "items": {"type": "integer", "x-kubernetes-validations": [{"rule": "self > 0", "message": "positive"}]}},
            "labels": {"type": "object", "additionalProperties": {"type": "string", "x-kubernetes-validations": [{"rule": "self != ''", "message": "set"}]}},
        },
        **{"x-kubernetes-validations": [
            {"rule": "self == oldSelf", "message": "immutable"},
            {"rule": "self.ports.isSorted()", "message": "sorted"},
            {"rule": "has(self.ports)", "message": "ports", "optionalOldSelf": True},
        ]},
    )
    validator = CelValidator(CEL)
    problems = validator.validate(schema, {"spec": {"ports": [1, 0, None, 2], "labels": {"a": "", "b": "x"}}})
    assert [(p.path, p.message) for p in problems] == [(("spec", "ports", 1), "positive"), (("spec", "labels", "a"), "set")]
    assert validator.skipped == {
        "self == oldSelf": "transition rule (reads oldSelf): not evaluated on create",
        "self.ports.isSorted()": "not supported here: undeclared reference to 'isSorted' (in container '')",
        "has(self.ports)": "transition rule (optionalOldSelf): not evaluated on create",
    }


def test_a_schema_error_stops_the_rules_of_its_node_and_ancestors() -> None:
    schema = _schema(
        properties={"ports": {"type": "array", "items": {"type": "object", "required": ["number"], "properties": {"number": {"type": "integer"}}}}},
        **{"x-kubernetes-validations": [{"rule": "self.ports.all(p, p.number > 0)", "message": "positive"}]},
    )
    validator = CelValidator(CEL)
    assert validator.validate(schema, {"spec": {"ports": [{"number": 0}]}})[0].message == "positive"
    assert validator.validate(schema, {"spec": {"ports": [{"name": "x"}]}}) == []  # missing number: IL102's
    assert validator.validate(schema, {"spec": {"ports": [{"number": "0"}]}}) == []  # wrong type: IL102's


def test_a_scalar_decided_once_is_reported_at_each_place_it_appears() -> None:
    # Scalars are decided once per distinct (type, value) and schema node: the same value elsewhere,
    # in another document, gets the same problems at its own path; 1 and True stay distinct values.
    schema = _schema(
        properties={
            "timeouts": {"type": "array", "items": {"type": "string", "x-kubernetes-validations": [
                {"rule": "duration(self) >= duration('1ms')", "message": "at least 1ms", "fieldPath": ".x"}]}},
            "flags": {"type": "array", "items": {"x-kubernetes-validations": [
                {"rule": "type(self) == int", "messageExpression": "'not an int: ' + string(self)"}]}},
        },
    )
    validator = CelValidator(CEL)
    document = {"spec": {"timeouts": ["0s", "1s", "0s", "1d"], "flags": [1, True, 1, True]}}
    expected = [
        (("spec", "timeouts", 0), "at least 1ms"),
        (("spec", "timeouts", 2), "at least 1ms"),
        (("spec", "timeouts", 3), "type conversion error from 'string' to 'google.protobuf.Duration' "
                                  "evaluating rule: at least 1ms"),
        (("spec", "flags", 1), "not an int: true"),
        (("spec", "flags", 3), "not an int: true"),
    ]
    for _ in range(2):
        assert [(p.path, p.message) for p in validator.validate(schema, document)] == expected


def test_without_the_runtime_nothing_is_reported(monkeypatch) -> None:
    def unavailable() -> None:
        raise celmod.CelUnavailable("the CEL runtime is not installed")

    monkeypatch.setattr(celmod, "KubernetesCel", unavailable)
    validator = CelValidator()
    schema = _schema(**{"x-kubernetes-validations": [{"rule": "false"}]})
    assert validator.validate(schema, {"spec": {}}) == []
    assert validator.unavailable == "the CEL runtime is not installed"


# -- every rule of Istio's CRDs --------------------------------------------------------------------


def test_every_istio_rule_compiles() -> None:
    validator = CelValidator(CEL)
    relatives = sorted({rel for kinds in STORE.index["schemas"].values() for rel in kinds.values()})
    rules = sum(validator.compile_all(STORE.schema(rel)) for rel in relatives)
    assert rules == 398
    assert len(validator._programs) == 36  # distinct expressions, each compiled once
    assert validator.skipped == {}


# -- Istio's CRD validation cases, through the whole pipeline ---------------------------------------

_SEPARATOR = re.compile(r"(?m)^---[ \t]*(?:#.*)?$")
_ERR_LINE = re.compile(r"(?m)^_err:.*\n?")


def _documents(pattern: str, cel_only: bool = False) -> list[Any]:
    """(text without its ``_err`` line, expected error, id) of every document of the matching files;
    with ``cel_only``, of those without a structural problem (only a CEL rule can reject them)."""
    if not PEER_VALIDATION.is_dir():
        return []
    cases = []
    for path in sorted(PEER_VALIDATION.glob(pattern)):
        for index, chunk in enumerate(_SEPARATOR.split(path.read_text(encoding="utf-8"))):
            if not re.search(r"(?m)^apiVersion:", chunk):
                continue  # empty, or only comments
            if cel_only and _structural_problems(_ERR_LINE.sub("", chunk)) != []:
                continue
            match = re.search(r"(?m)^_err:(.*)$", chunk)
            expected = ""
            if match:
                from ruamel.yaml import YAML

                expected = str(YAML(typ="safe").load("v:" + match.group(1))["v"])
            cases.append(pytest.param(_ERR_LINE.sub("", chunk), expected, id=f"{path.name}#{index}"))
    return cases


def _structural_problems(text: str) -> list | None:
    """Schema problems of the document (None when it is not an Istio kind or ruamel cannot read it)."""
    from ruamel.yaml import YAML

    try:
        document = YAML(typ="safe").load(text)
    except Exception:  # noqa: BLE001 - kubectl reads some documents ruamel (YAML 1.2) cannot
        return None
    if not isinstance(document, dict) or not STORE.lookup(document.get("apiVersion"), document.get("kind")).ok:
        return None
    return STORE.validate(document["apiVersion"], document["kind"], document)


def _matches_api_server(expected: str, finding) -> bool:
    """Does our finding say what the API server said? Its text is ``<path>: Invalid value: "<type>":
    <message>`` or just the message (often abbreviated in the cases)."""
    match = re.match(r'^([\w.\[\]]+): Invalid value(?:: "\w+")?(?:: )?(.*)$', expected)
    if match:
        path, expected = match.groups()
        if path != finding.path:
            return False
    return expected in finding.message


needs_peer = pytest.mark.skipif(not PEER_VALIDATION.is_dir(), reason="../shared/peer/istio-validation is not available")


@needs_peer
@pytest.mark.parametrize(("text", "expected"), _documents("*-invalid.yaml", cel_only=True))
def test_invalid_cases_only_cel_can_tell_are_caught(text: str, expected: str, tmp_path: Path) -> None:
    report, _ = lint_text(text, tmp_path, select=["IL103"])
    found = [f for f in report.findings if f.code == "IL103"]
    assert found, f"the API server rejects this with {expected!r}; IL103 found nothing"
    assert any(_matches_api_server(expected, f) for f in found), (expected, [(f.path, f.message) for f in found])


@needs_peer
@pytest.mark.parametrize(("text", "expected"), _documents("*-valid.yaml"))
def test_valid_cases_pass_every_rule(text: str, expected: str, tmp_path: Path) -> None:
    report, _ = lint_text(text, tmp_path, select=["IL103"])
    assert [(f.path, f.message) for f in report.findings if f.code == "IL103"] == []


@needs_peer
def test_the_number_of_cel_only_cases() -> None:
    # The cases tests/test_schemas.py leaves to a CEL rule; all of them are checked above.
    assert len(_documents("*-invalid.yaml", cel_only=True)) == 39


# -- the real corpus, each file on its own --------------------------------------------------------

# True findings: the API server rejects these objects as they are.
KNOWN_CORPUS_FINDINGS = {
    # A sed template: "JWKS_URI" is a placeholder, and no URL, so the CRD's url() rule rejects it.
    "aws-samples-istio-on-eks/modules/04-security/request-authentication/ingress-requestauthentication-template.yaml":
        [("spec.jwtRules[0].jwksUri", 12, 14)],
}


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not available")
def test_corpus_has_no_false_findings() -> None:
    # One run over the whole corpus: IL103 reads one resource at a time, so each file gets the same
    # findings as when it is linted alone.
    report, _ = lint_paths([CORPUS], select=["IL103"])
    got: dict[str, list] = {}
    for f in report.findings:
        if f.code == "IL103":
            got.setdefault(Path(f.file).relative_to(CORPUS).as_posix(), []).append((f.path, f.line, f.column))
    assert got == KNOWN_CORPUS_FINDINGS, json.dumps(got, indent=1)
