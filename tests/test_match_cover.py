"""Tables for istiolint.analysis.match_cover: exact "does match entry E cover match entry M"."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from istiolint.analysis.match_cover import (
    http_match_covers,
    matches_everything,
    string_match_covers,
    tcp_match_covers,
    tls_match_duplicate,
)


def uri(ignore_case: bool | None = None, **sm) -> dict:
    entry: dict = {"uri": sm}
    if ignore_case is not None:
        entry["ignoreUriCase"] = ignore_case
    return entry


KELVIN = "\u212a"

# (id, E, M, expected) -- both entries in VirtualServices without gateways (mesh).
HTTP_CASES = [
    # --- uri: prefix "/" and other catch-alls cover every request
    ("prefix-slash-covers-exact", uri(prefix="/"), uri(exact="/x"), True),
    ("prefix-slash-covers-regex", uri(prefix="/"), uri(regex="/v[0-9]+"), True),
    ("prefix-slash-covers-no-uri", uri(prefix="/"), {}, True),
    ("prefix-slash-covers-headers", uri(prefix="/"), {"headers": {"x": {"exact": "1"}}}, True),
    ("regex-slash-dotstar-covers-all", uri(regex="/.*"), {}, True),
    ("regex-slash-dotstar-covers-prefix", uri(regex="/.*"), uri(prefix="/x"), True),
    ("regex-dotstar-covers-all", uri(regex=".*"), uri(prefix="/a"), True),
    ("empty-uri-matcher-is-everything", {"uri": {}}, uri(exact="/x"), True),
    ("empty-prefix-is-everything", uri(prefix=""), uri(regex="/a.*"), True),
    ("no-uri-does-not-fit-prefix", uri(prefix="/a"), {}, False),
    # --- exact / prefix
    ("exact-equal", uri(exact="/a"), uri(exact="/a"), True),
    ("exact-differs", uri(exact="/a"), uri(exact="/b"), False),
    ("prefix-covers-exact", uri(prefix="/a"), uri(exact="/a"), True),
    ("exact-does-not-cover-prefix", uri(exact="/a"), uri(prefix="/a"), False),
    ("prefix-covers-longer-prefix", uri(prefix="/api"), uri(prefix="/api/v1"), True),
    # a string prefix, not a path segment: /api covers /apiv2
    ("prefix-is-not-segment-based", uri(prefix="/api"), uri(prefix="/apiv2"), True),
    ("prefix-is-not-segment-based-exact", uri(prefix="/api"), uri(exact="/apiv2"), True),
    ("longer-prefix-does-not-cover", uri(prefix="/api/"), uri(prefix="/api"), False),
    ("trailing-slash-prefix-not-exact", uri(prefix="/api/"), uri(exact="/api"), False),
    # --- regex (RE2, full match)
    ("regex-covers-exact", uri(regex="/api/.*"), uri(exact="/api/v1"), True),
    ("regex-covers-prefix", uri(regex="/api/.*"), uri(prefix="/api/"), True),
    ("regex-alternation-vs-prefix", uri(regex="/a|/b"), uri(prefix="/a"), False),
    ("regex-alternation-covers-exact", uri(regex="/a|/b"), uri(exact="/b"), True),
    ("regex-inclusion", uri(regex="/v[0-9]+"), uri(regex="/v1[0-9]*"), True),
    ("regex-inclusion-reverse", uri(regex="/v1[0-9]*"), uri(regex="/v[0-9]+"), False),
    ("regex-is-full-match", uri(regex="/api"), uri(exact="/api/v1"), False),
    ("regex-anchors-at-ends", uri(regex="^/api/.*$"), uri(exact="/api/x"), True),
    ("regex-case-insensitive-flag", uri(regex="(?i)/api/.*"), uri(prefix="/API/"), True),
    ("regex-does-not-cover-prefix-case", uri(regex="/api/.*"), uri(prefix="/API/"), False),
    # --- query string: prefix reads it, exact and regex do not
    ("exact-covers-regex-same-path", uri(exact="/a"), uri(regex="/a"), True),
    ("regex-covers-exact-same-path", uri(regex="/a"), uri(exact="/a"), True),
    ("prefix-with-query-not-exact", uri(prefix="/a?x"), uri(exact="/a"), False),
    ("regex-not-prefix-with-query", uri(regex="/a"), uri(prefix="/a"), False),
    ("regex-dotstar-covers-prefix-and-query", uri(regex="/a.*"), uri(prefix="/a"), True),
    ("prefix-covers-prefix-with-query", uri(prefix="/a"), uri(prefix="/a?x=1"), True),
    # an exact path with "?" never matches (the query is cut off first): dead on its own
    ("exact-with-question-mark-is-dead", uri(prefix="/"), uri(exact="/a?x=1"), False),
    # --- ignoreUriCase
    ("ci-prefix-covers-cs-prefix", uri(prefix="/API", ignore_case=True), uri(prefix="/api/v1"), True),
    ("cs-prefix-not-ci-prefix", uri(prefix="/api"), uri(prefix="/api", ignore_case=True), False),
    ("ci-both", uri(prefix="/a", ignore_case=True), uri(prefix="/A/b", ignore_case=True), True),
    ("ci-exact-covers-other-case", uri(exact="/Login", ignore_case=True), uri(exact="/LOGIN"), True),
    ("cs-slash-covers-ci", uri(prefix="/"), uri(prefix="/Foo", ignore_case=True), True),
    ("cs-caseless-prefix-covers-ci", uri(prefix="/1"), uri(prefix="/1a", ignore_case=True), True),
    ("ci-does-not-affect-regex", uri(regex="/api.*", ignore_case=True), uri(prefix="/API"), False),
    ("ci-is-ascii-only", uri(exact="/\u00e9", ignore_case=True), uri(exact="/\u00c9"), False),
    ("ci-exact-not-kelvin", uri(exact="/k", ignore_case=True), uri(exact="/" + KELVIN), False),
    # --- headers: presence, values, names
    ("header-present-covers-exact", {"headers": {"x": {}}}, {"headers": {"x": {"exact": "v"}}}, True),
    ("header-exact-not-present", {"headers": {"x": {"exact": "v"}}}, {"headers": {"x": {}}}, False),
    ("header-required-missing-in-m", {"headers": {"x": {"exact": "v"}}}, {}, False),
    ("header-present-missing-in-m", {"headers": {"x": {}}}, {}, False),
    ("header-name-case-insensitive", {"headers": {"X-Env": {"exact": "a"}}}, {"headers": {"x-env": {"exact": "a"}}}, True),
    ("header-star-regex-is-present", {"headers": {"x": {"regex": "*"}}}, {"headers": {"x": {"exact": "a"}}}, True),
    ("header-dotstar-covers-present", {"headers": {"x": {"regex": ".*"}}}, {"headers": {"x": {}}}, True),
    ("header-dotstar-not-absent", {"headers": {"x": {"regex": ".*"}}}, {}, False),
    ("header-prefix-covers-exact", {"headers": {"x": {"prefix": "ab"}}}, {"headers": {"x": {"exact": "abc"}}}, True),
    ("header-prefix-covers-regex", {"headers": {"x": {"prefix": "ab"}}}, {"headers": {"x": {"regex": "ab+c?"}}}, True),
    ("header-other-key", {"headers": {"x": {}}}, {"headers": {"y": {}}}, False),
    ("header-extra-in-m", {"headers": {"x": {}}}, {"headers": {"x": {}, "y": {"exact": "1"}}}, True),
    ("header-values-are-not-case-folded", {"headers": {"x": {"exact": "A"}}}, {"headers": {"x": {"exact": "a"}}}, False),
    # --- withoutHeaders
    ("without-present-same", {"withoutHeaders": {"x": {}}}, {"withoutHeaders": {"x": {}}}, True),
    ("without-present-not-implied", {"withoutHeaders": {"x": {}}}, {}, False),
    ("without-present-vs-header-present", {"withoutHeaders": {"x": {}}}, {"headers": {"x": {}}}, False),
    ("without-value-implied-by-absent", {"withoutHeaders": {"x": {"exact": "v"}}}, {"withoutHeaders": {"x": {}}}, True),
    # a missing header counts as "", which withoutHeaders {exact: ""} excludes
    ("without-empty-value-not-implied-by-absent", {"withoutHeaders": {"x": {"exact": ""}}}, {"withoutHeaders": {"x": {}}}, False),
    ("without-value-implied-by-wider-without", {"withoutHeaders": {"x": {"exact": "v"}}}, {"withoutHeaders": {"x": {"prefix": "v"}}}, True),
    ("without-value-not-implied-by-narrower", {"withoutHeaders": {"x": {"prefix": "v"}}}, {"withoutHeaders": {"x": {"exact": "v"}}}, False),
    ("without-value-implied-by-disjoint-header", {"withoutHeaders": {"x": {"exact": "v"}}}, {"headers": {"x": {"exact": "w"}}}, True),
    ("without-value-not-implied-by-overlapping", {"withoutHeaders": {"x": {"exact": "v"}}}, {"headers": {"x": {"prefix": "v"}}}, False),
    ("without-value-not-implied-by-nothing", {"withoutHeaders": {"x": {"exact": "v"}}}, {}, False),
    ("header-covers-header-and-without", {"headers": {"x": {"prefix": "a"}}}, {"headers": {"x": {"prefix": "a"}}, "withoutHeaders": {"x": {"exact": "ab"}}}, True),
    ("present-and-absent-is-dead", {}, {"headers": {"x": {}}, "withoutHeaders": {"x": {}}}, False),
    # --- JWT claims (gateway-only; a claim may be a list, so only same-shaped conditions compare)
    ("claim-equal", {"headers": {"@request.auth.claims.group": {"exact": "admin"}}},
     {"headers": {"@request.auth.claims.group": {"exact": "admin"}}}, True),
    ("claim-prefix-covers-exact", {"headers": {"@request.auth.claims.group": {"prefix": "ad"}}},
     {"headers": {"@request.auth.claims.group": {"exact": "admin"}}}, True),
    ("claim-names-case-sensitive", {"headers": {"@request.auth.claims.Group": {"exact": "a"}}},
     {"headers": {"@request.auth.claims.group": {"exact": "a"}}}, False),
    ("claim-required", {"headers": {"@request.auth.claims.group": {"exact": "a"}}}, {}, False),
    ("claim-without-wider", {"withoutHeaders": {"@request.auth.claims.group": {"exact": "a"}}},
     {"withoutHeaders": {"@request.auth.claims.group": {"prefix": "a"}}}, True),
    # with list claims, "some element is b" does not exclude "some element is a"
    ("claim-disjoint-is-not-without", {"withoutHeaders": {"@request.auth.claims.group": {"exact": "a"}}},
     {"headers": {"@request.auth.claims.group": {"exact": "b"}}}, False),
    ("claim-presence-unmodelled", {"headers": {"@request.auth.claims.group": {}}},
     {"headers": {"@request.auth.claims.group": {"exact": "a"}}}, None),
    # --- pseudo-headers (always present)
    ("method-equal", {"method": {"exact": "GET"}}, {"method": {"exact": "GET"}}, True),
    ("method-differs", {"method": {"exact": "GET"}}, {"method": {"exact": "POST"}}, False),
    ("method-required", {"method": {"exact": "GET"}}, {}, False),
    ("method-present-is-always-true", {"method": {}}, {}, True),
    ("method-regex", {"method": {"regex": "GET|HEAD"}}, {"method": {"exact": "HEAD"}}, True),
    ("authority-prefix", {"authority": {"prefix": "foo"}}, {"authority": {"exact": "foo.example.com"}}, True),
    ("scheme", {"scheme": {"exact": "https"}}, {"scheme": {"exact": "http"}}, False),
    # --- query parameters (names case-sensitive)
    ("query-equal", {"queryParams": {"a": {"exact": "1"}}}, {"queryParams": {"a": {"exact": "1"}}}, True),
    ("query-name-case-sensitive", {"queryParams": {"A": {"exact": "1"}}}, {"queryParams": {"a": {"exact": "1"}}}, False),
    ("query-present-covers-regex", {"queryParams": {"a": {}}}, {"queryParams": {"a": {"regex": "[0-9]+"}}}, True),
    ("query-required", {"queryParams": {"a": {"exact": "1"}}}, {}, False),
    # --- port
    ("port-absent-covers", {}, {"port": 80}, True),
    ("port-equal", {"port": 80}, {"port": 80}, True),
    ("port-differs", {"port": 80}, {"port": 81}, False),
    ("port-required", {"port": 80}, {}, False),
    ("port-zero-is-unset", {"port": 0}, {"port": 8080}, True),
    # --- sourceLabels / sourceNamespace
    ("labels-subset", {"sourceLabels": {"app": "a"}}, {"sourceLabels": {"app": "a", "v": "1"}}, True),
    ("labels-superset", {"sourceLabels": {"app": "a", "v": "1"}}, {"sourceLabels": {"app": "a"}}, False),
    ("labels-value-differs", {"sourceLabels": {"app": "a"}}, {"sourceLabels": {"app": "b"}}, False),
    ("namespace-equal", {"sourceNamespace": "ns1"}, {"sourceNamespace": "ns1"}, True),
    ("namespace-required", {"sourceNamespace": "ns1"}, {}, False),
    ("namespace-absent-covers", {}, {"sourceNamespace": "ns1"}, True),
    # gateways set: Istio ignores sourceLabels and sourceNamespace of that entry
    ("e-gateways-ignore-e-labels", {"gateways": ["mesh"], "sourceLabels": {"app": "x"}}, {}, True),
    ("m-gateways-ignore-m-labels", {"sourceLabels": {"app": "x"}}, {"gateways": ["mesh"], "sourceLabels": {"app": "x"}}, False),
    ("m-gateways-ignore-m-namespace", {"sourceNamespace": "a"}, {"gateways": ["mesh"], "sourceNamespace": "a"}, False),
    # --- whole entries
    ("empty-entry-covers-everything", {}, {
        "uri": {"regex": "/a/[0-9]+"}, "method": {"exact": "GET"}, "headers": {"x": {"prefix": "y"}},
        "withoutHeaders": {"z": {}}, "queryParams": {"q": {"exact": "1"}}, "port": 80,
        "sourceLabels": {"app": "a"}, "sourceNamespace": "ns", "ignoreUriCase": True,
    }, True),
    ("name-is-not-a-condition", {"name": "first"}, {"name": "second", "uri": {"exact": "/x"}}, True),
    ("stat-prefix-is-not-a-condition", {"statPrefix": "s", "uri": {"prefix": "/"}}, {"uri": {"exact": "/x"}}, True),
    ("null-field-is-absent", {"uri": None, "headers": None}, {"uri": {"exact": "/x"}}, True),
    ("all-conditions-together", {
        "uri": {"prefix": "/api"}, "method": {"regex": "GET|POST"}, "headers": {"x-env": {}},
        "port": 80,
    }, {
        "uri": {"exact": "/api/v1"}, "method": {"exact": "GET"},
        "headers": {"X-Env": {"exact": "prod"}, "other": {}}, "port": 80,
    }, True),
    ("one-condition-fails", {
        "uri": {"prefix": "/api"}, "method": {"regex": "GET|POST"}, "headers": {"x-env": {}},
    }, {
        "uri": {"exact": "/api/v1"}, "method": {"exact": "PUT"}, "headers": {"x-env": {"exact": "prod"}},
    }, False),
    # --- undecidable or malformed: None
    ("unknown-key-in-e", {"foo": 1}, {}, None),
    ("unknown-key-in-m", {}, {"foo": 1}, None),
    ("invalid-re2", uri(regex="/a("), uri(exact="/a"), None),
    ("re2-repetition-limit", uri(regex="/a{1001}"), uri(exact="/a"), None),
    ("lookahead", uri(regex="(?=/a)/.*"), uri(exact="/a"), None),
    ("backreference", uri(regex="(/a)\\1"), uri(exact="/a/a"), None),
    ("word-boundary", uri(regex="/a\\b.*"), uri(exact="/a"), None),
    ("unicode-class", uri(regex="/\\pL+"), uri(exact="/a"), None),
    ("case-insensitive-non-ascii", uri(regex="(?i)/\u00e9"), uri(exact="/\u00e9"), None),
    ("anchor-inside", uri(regex="/a^b"), uri(exact="/a"), None),
    ("star-regex-on-uri-is-invalid", uri(regex="*"), uri(exact="/a"), None),
    ("empty-regex", uri(regex=""), uri(exact="/a"), None),
    ("empty-header-prefix", {"headers": {"x": {"prefix": ""}}}, {"headers": {"x": {}}}, None),
    ("invalid-regex-in-m", uri(prefix="/"), uri(regex="/a("), None),
    # a proven False elsewhere wins over an undecidable regex
    ("false-beats-none", {"port": 80, "uri": {"regex": "(?=x)"}}, {"port": 81}, False),
    # --- wrong types: None, never an exception
    ("e-not-a-dict", "uri", {}, None),
    ("m-not-a-dict", {}, ["uri"], None),
    ("uri-not-a-dict", {"uri": "/a"}, {}, None),
    ("two-match-kinds", uri(exact="/a", prefix="/a"), uri(exact="/a"), None),
    ("exact-not-a-string", uri(exact=5), uri(exact="/5"), None),
    ("port-is-a-string", {"port": "80"}, {"port": 80}, None),
    ("port-is-a-bool", {}, {"port": True}, None),
    ("ignore-case-not-bool", uri(prefix="/a", ignore_case="yes"), uri(prefix="/a"), None),
    ("headers-is-a-list", {"headers": ["x"]}, {}, None),
    ("header-matcher-null", {"headers": {"x": None}}, {}, None),
    ("labels-not-strings", {"sourceLabels": {"app": 1}}, {}, None),
    ("gateways-is-a-string", {"gateways": "mesh"}, {}, None),
    ("unknown-stringmatch-key", uri(suffix="/a"), uri(exact="/a"), None),
]


@pytest.mark.parametrize(("e", "m", "expected"), [c[1:] for c in HTTP_CASES], ids=[c[0] for c in HTTP_CASES])
def test_http_match_covers(e, m, expected):
    assert http_match_covers(e, m, [], []) is expected


# (id, E, M, E's VirtualService gateways, M's VirtualService gateways, expected)
GATEWAY_CASES = [
    ("default-mesh-both", {}, {}, [], [], True),
    ("explicit-mesh-equals-default", {}, {}, ["mesh"], [], True),
    ("m-on-more-gateways", {}, {}, ["gw1"], ["gw1", "gw2"], False),
    ("e-on-more-gateways", {}, {}, ["gw1", "gw2"], ["gw1"], True),
    ("mesh-vs-gateway", {}, {}, [], ["gw1"], False),
    ("e-match-level-narrows", {"gateways": ["gw1"]}, {}, ["gw1", "gw2"], ["gw1", "gw2"], False),
    ("both-match-level", {"gateways": ["gw1"]}, {"gateways": ["gw1"]}, ["gw1", "gw2"], ["gw1", "gw2"], True),
    ("m-match-level-inside-e", {}, {"gateways": ["gw2"]}, ["gw1", "gw2"], ["gw1", "gw2"], True),
    # match-level gateways outside the VirtualService's are never used: only gw1 counts for M
    ("m-match-level-narrowed-by-vs", {}, {"gateways": ["gw1", "gw3"]}, ["gw1"], ["gw1"], True),
    # M bound nowhere (its match gateway is not one of its VirtualService's): dead on its own
    ("m-bound-nowhere", {}, {"gateways": ["gw9"]}, [], [], False),
    ("e-bound-nowhere", {"gateways": ["gw9"]}, {}, [], [], False),
    ("vs-gateways-wrong-type", {}, {}, "gw1", [], None),
    ("vs-gateways-bad-items", {}, {}, [], [1], None),
]


@pytest.mark.parametrize(
    ("e", "m", "e_gw", "m_gw", "expected"), [c[1:] for c in GATEWAY_CASES], ids=[c[0] for c in GATEWAY_CASES]
)
def test_http_gateways(e, m, e_gw, m_gw, expected):
    assert http_match_covers(e, m, e_gw, m_gw) is expected


# String matches on their own: (id, E, M, keyword arguments, expected)
STRING_CASES = [
    ("present-covers-value", {}, {"exact": "x"}, {}, True),
    ("value-not-present", {"exact": "x"}, {}, {}, False),
    ("present-covers-present", {}, {}, {}, True),
    ("star-is-present", {"regex": "*"}, {"prefix": "x"}, {}, True),
    ("exact-in-prefix", {"prefix": "ab"}, {"exact": "abc"}, {}, True),
    ("prefix-not-in-exact", {"exact": "ab"}, {"prefix": "ab"}, {}, False),
    ("ignore-case-e", {"exact": "ABC"}, {"exact": "abc"}, {"e_ignore_case": True}, True),
    ("ignore-case-m-only", {"exact": "abc"}, {"exact": "abc"}, {"m_ignore_case": True}, False),
    ("uri-slash", {"prefix": "/"}, {}, {"must_start_with_slash": True}, True),
    ("uri-regex-slash-dotstar", {"regex": "/.*"}, {"prefix": "/a"}, {"must_start_with_slash": True}, True),
    ("non-uri-slash-is-not-everything", {"prefix": "/"}, {}, {}, False),
    ("flag-not-bool", {}, {}, {"e_ignore_case": "no"}, None),
    ("not-a-dict", "x", {}, {}, None),
    # RE2 dialect, not Python's
    ("re2-brace-comma-is-literal", {"regex": "a{,3}"}, {"exact": "a{,3}"}, {}, True),
    ("re2-brace-comma-not-repeat", {"regex": "a{,3}"}, {"exact": "aa"}, {}, False),
    ("re2-quote", {"regex": "\\Qa.b\\E"}, {"exact": "a.b"}, {}, True),
    ("re2-quote-dot-is-literal", {"regex": "\\Qa.b\\E"}, {"exact": "axb"}, {}, False),
    ("re2-quote-repeat-last-char", {"regex": "\\Qab\\E+"}, {"exact": "abbb"}, {}, True),
    ("re2-perl-space-has-no-vt", {"regex": "\\s"}, {"exact": "\v"}, {}, False),
    ("re2-posix-space-has-vt", {"regex": "[[:space:]]"}, {"exact": "\v"}, {}, True),
    ("re2-digit-is-ascii", {"regex": "\\d+"}, {"exact": "\u0661"}, {}, False),
    ("re2-dollar-is-end-of-text", {"regex": "a$"}, {"exact": "a\n"}, {}, False),
    ("re2-dot-excludes-newline", {"regex": ".*"}, {"exact": "a\nb"}, {}, False),
    ("re2-dot-s-flag", {"regex": "(?s).*"}, {"exact": "a\nb"}, {}, True),
    ("re2-negated-class-has-newline", {"regex": "[^a]"}, {"exact": "\n"}, {}, True),
    ("re2-fold-kelvin", {"regex": "(?i)k"}, {"exact": KELVIN}, {}, True),
    ("re2-fold-long-s", {"regex": "(?i)[r-t]"}, {"exact": "\u017f"}, {}, True),
    ("re2-negated-word-folded", {"regex": "(?i)\\W"}, {"exact": KELVIN}, {}, False),
    ("re2-flag-scope-ends-at-group", {"regex": "(a(?i)b)c"}, {"exact": "aBC"}, {}, False),
    ("re2-flag-crosses-alternation", {"regex": "a(?i)b|c"}, {"exact": "C"}, {}, True),
    ("re2-named-groups", {"regex": "(?P<v>[0-9]+)-(?<w>x)"}, {"exact": "12-x"}, {}, True),
    ("re2-octal-and-hex", {"regex": "\\101\\x42\\x{43}"}, {"exact": "ABC"}, {}, True),
    ("re2-posix-class", {"regex": "[[:alpha:]]+"}, {"regex": "[a-z]+"}, {}, True),
    ("re2-lazy-same-language", {"regex": "a+?"}, {"regex": "a{1,}"}, {}, True),
    ("re2-empty-alternative", {"regex": "(|a)b"}, {"exact": "b"}, {}, True),
    ("re2-multiline-ends", {"regex": "(?m)^a$"}, {"exact": "a"}, {}, True),
    ("re2-absolute-anchors", {"regex": "\\Aa\\z"}, {"exact": "a"}, {}, True),
    ("re2-bounded-repeat", {"regex": "[a-z0-9-]{1,63}"}, {"regex": "[a-z]{1,63}"}, {}, True),
    ("re2-bounded-repeat-too-long", {"regex": "[a-z0-9-]{1,63}"}, {"regex": "[a-z]{1,64}"}, {}, False),
    ("python-only-syntax", {"regex": "(?P=x)"}, {"exact": "a"}, {}, None),
    ("possessive-is-invalid", {"regex": "a*+"}, {"exact": "a"}, {}, None),
    ("byte-class", {"regex": "\\C"}, {"exact": "a"}, {}, None),
]


@pytest.mark.parametrize(
    ("e", "m", "kwargs", "expected"), [c[1:] for c in STRING_CASES], ids=[c[0] for c in STRING_CASES]
)
def test_string_match_covers(e, m, kwargs, expected):
    assert string_match_covers(e, m, **kwargs) is expected


# (id, E, M, E's VS gateways, M's VS gateways, expected)
TCP_CASES = [
    ("empty-covers", {}, {"destinationSubnets": ["10.0.0.0/8"], "port": 9000}, [], [], True),
    ("subnet-inside", {"destinationSubnets": ["10.0.0.0/8"]}, {"destinationSubnets": ["10.1.0.0/16"]}, [], [], True),
    ("subnet-outside", {"destinationSubnets": ["10.0.0.0/8"]}, {"destinationSubnets": ["11.0.0.0/16"]}, [], [], False),
    ("subnet-partly-outside", {"destinationSubnets": ["10.0.0.0/8"]}, {"destinationSubnets": ["10.1.0.0/16", "12.0.0.0/8"]}, [], [], False),
    ("subnets-required", {"destinationSubnets": ["10.0.0.0/8"]}, {}, [], [], False),
    ("subnets-union", {"destinationSubnets": ["10.0.0.0/9", "10.128.0.0/9"]}, {"destinationSubnets": ["10.0.0.0/8"]}, [], [], True),
    ("bare-address", {"destinationSubnets": ["10.0.0.0/8"]}, {"destinationSubnets": ["10.2.3.4"]}, [], [], True),
    ("host-bits-masked", {"destinationSubnets": ["10.9.9.9/8"]}, {"destinationSubnets": ["10.1.0.0/16"]}, [], [], True),
    ("ipv6", {"destinationSubnets": ["2001:db8::/32"]}, {"destinationSubnets": ["2001:db8:1::/48"]}, [], [], True),
    ("ipv4-not-in-ipv6", {"destinationSubnets": ["::/0"]}, {"destinationSubnets": ["10.0.0.0/8"]}, [], [], False),
    ("everything", {"destinationSubnets": ["0.0.0.0/0", "::/0"]}, {}, [], [], True),
    ("bad-subnet", {"destinationSubnets": ["10.0.0.0/33"]}, {}, [], [], None),
    ("subnets-not-a-list", {"destinationSubnets": "10.0.0.0/8"}, {}, [], [], None),
    # gateways evaluate only port and gateways
    ("gateway-ignores-subnets", {"destinationSubnets": ["10.0.0.0/8"]}, {}, ["gw"], ["gw"], True),
    ("gateway-ignores-labels", {"sourceLabels": {"app": "a"}}, {}, ["gw"], ["gw"], True),
    ("mesh-checks-labels", {"sourceLabels": {"app": "a"}}, {}, [], [], False),
    # unlike HTTP, sidecars check sourceLabels even next to match-level gateways
    ("labels-kept-with-gateways", {"gateways": ["mesh"], "sourceLabels": {"app": "a"}}, {"gateways": ["mesh"]}, [], [], False),
    ("labels-subset", {"sourceLabels": {"app": "a"}}, {"sourceLabels": {"app": "a", "v": "2"}}, [], [], True),
    ("namespace", {"sourceNamespace": "a"}, {"sourceNamespace": "b"}, [], [], False),
    ("port-differs", {"port": 9000}, {"port": 9001}, [], [], False),
    ("port-required", {"port": 9000}, {}, [], [], False),
    ("gateways-wider", {}, {}, ["gw1"], ["gw1", "gw2"], False),
    ("source-subnet-required", {"sourceSubnet": "10.0.0.0/8"}, {}, [], [], False),
    ("source-subnet-inside", {"sourceSubnet": "10.0.0.0/8"}, {"sourceSubnet": "10.1.0.0/16"}, [], [], True),
    ("source-subnet-in-m-only", {}, {"sourceSubnet": "10.1.0.0/16"}, [], [], True),
    ("unknown-key", {"sniHosts": ["a"]}, {}, [], [], None),
    ("port-wrong-type", {"port": "9000"}, {}, [], [], None),
]


@pytest.mark.parametrize(
    ("e", "m", "e_gw", "m_gw", "expected"), [c[1:] for c in TCP_CASES], ids=[c[0] for c in TCP_CASES]
)
def test_tcp_match_covers(e, m, e_gw, m_gw, expected):
    assert tcp_match_covers(e, m, e_gw, m_gw) is expected


TLS_CASES = [
    ("same", {"sniHosts": ["a.com", "b.com"]}, {"sniHosts": ["a.com", "b.com"]}, [], [], True),
    ("same-set-other-order", {"sniHosts": ["a.com", "b.com"]}, {"sniHosts": ["b.com", "a.com"]}, [], [], True),
    ("different-sni", {"sniHosts": ["a.com"]}, {"sniHosts": ["a.com", "b.com"]}, [], [], False),
    # most specific SNI wins, so a wildcard does not make a later exact SNI dead
    ("wildcard-is-not-inclusion", {"sniHosts": ["*.com"]}, {"sniHosts": ["a.com"]}, [], [], False),
    ("same-subnets-normalized", {"sniHosts": ["a"], "destinationSubnets": ["10.0.0.1/8"]},
     {"sniHosts": ["a"], "destinationSubnets": ["10.0.0.0/8"]}, [], [], True),
    ("different-subnets", {"sniHosts": ["a"], "destinationSubnets": ["10.0.0.0/8"]}, {"sniHosts": ["a"]}, [], [], False),
    ("e-any-port", {"sniHosts": ["a"]}, {"sniHosts": ["a"], "port": 443}, [], [], True),
    ("e-port-m-any", {"sniHosts": ["a"], "port": 443}, {"sniHosts": ["a"]}, [], [], False),
    ("different-gateways", {"sniHosts": ["a"]}, {"sniHosts": ["a"]}, ["gw1"], ["gw2"], False),
    ("same-gateways", {"sniHosts": ["a"]}, {"sniHosts": ["a"]}, ["gw1"], ["gw1"], True),
    ("labels-subset", {"sniHosts": ["a"], "sourceLabels": {"app": "x"}},
     {"sniHosts": ["a"], "sourceLabels": {"app": "x", "v": "1"}}, [], [], True),
    ("labels-not-implied", {"sniHosts": ["a"], "sourceLabels": {"app": "x"}}, {"sniHosts": ["a"]}, [], [], False),
    ("sni-not-a-list", {"sniHosts": "a"}, {"sniHosts": ["a"]}, [], [], None),
    ("unknown-key", {"sniHosts": ["a"], "uri": {}}, {"sniHosts": ["a"]}, [], [], None),
]


@pytest.mark.parametrize(
    ("e", "m", "e_gw", "m_gw", "expected"), [c[1:] for c in TLS_CASES], ids=[c[0] for c in TLS_CASES]
)
def test_tls_match_duplicate(e, m, e_gw, m_gw, expected):
    assert tls_match_duplicate(e, m, e_gw, m_gw) is expected


CATCH_ALL_CASES = [
    ("empty", {}, "http", True),
    ("prefix-slash", {"uri": {"prefix": "/"}}, "http", True),
    ("regex-dotstar", {"uri": {"regex": ".*"}}, "http", True),
    ("empty-uri", {"uri": {}}, "http", True),
    ("ignore-case", {"uri": {"prefix": "/"}, "ignoreUriCase": True}, "http", True),
    # port/gateways/sources decide where the route exists, not whether it is a catch-all there
    ("port-and-gateways", {"uri": {"prefix": "/"}, "port": 80, "gateways": ["gw"]}, "http", True),
    ("name", {"name": "default"}, "http", True),
    # Istio recognises exactly prefix "/" and regex ".*"
    ("regex-slash-dotstar", {"uri": {"regex": "/.*"}}, "http", False),
    ("empty-prefix", {"uri": {"prefix": ""}}, "http", False),
    ("prefix-other", {"uri": {"prefix": "/a"}}, "http", False),
    ("headers", {"uri": {"prefix": "/"}, "headers": {"x": {}}}, "http", False),
    ("empty-headers-map", {"uri": {"prefix": "/"}, "headers": {}}, "http", True),
    ("without-headers", {"withoutHeaders": {"x": {}}}, "http", False),
    ("query", {"queryParams": {"q": {}}}, "http", False),
    ("method", {"method": {"exact": "GET"}}, "http", False),
    ("authority-present", {"authority": {}}, "http", False),
    ("wrong-type", "everything", "http", False),
    ("unknown-key", {"bogus": 1}, "http", False),
    ("unknown-kind", {}, "udp", False),
    ("tcp-empty", {}, "tcp", True),
    ("tcp-port-only", {"port": 9000}, "tcp", True),
    ("tcp-subnets", {"destinationSubnets": ["10.0.0.0/8"]}, "tcp", False),
    ("tls-star", {"sniHosts": ["*"]}, "tls", True),
    ("tls-host", {"sniHosts": ["a.com"]}, "tls", False),
]


@pytest.mark.parametrize(
    ("entry", "kind", "expected"), [c[1:] for c in CATCH_ALL_CASES], ids=[c[0] for c in CATCH_ALL_CASES]
)
def test_matches_everything(entry, kind, expected):
    assert matches_everything(entry, kind) is expected


def test_matches_everything_default_kind_is_http():
    assert matches_everything({"uri": {"prefix": "/"}}) is True


def test_entries_are_not_mutated():
    e = {"uri": {"prefix": "/api"}, "headers": {"X-A": {"exact": "1"}}, "gateways": ["mesh"]}
    m = {"uri": {"exact": "/api/x"}, "headers": {"x-a": {"exact": "1"}}, "gateways": ["mesh"]}
    before = (repr(e), repr(m))
    assert http_match_covers(e, m, ["mesh"], ["mesh"]) is True
    assert (repr(e), repr(m)) == before


def test_same_regex_pair_many_times():
    # Shadowing compares every pair of entries; compiled automata and answers are cached, so this
    # stays cheap.  Behaviour only: no timing assertion.
    e = {"uri": {"regex": "/v[0-9]+/users/[a-z0-9-]{1,63}(/.*)?"}}
    m = {"uri": {"regex": "/v1[0-9]*/users/[a-z]{1,10}"}}
    results = {http_match_covers(e, m, [], []) for _ in range(10_000)}
    assert results == {True}


# --- property: the automata agree with RE2 itself ---------------------------------------------

try:
    import re2
except ImportError:  # pragma: no cover - google-re2 is a dependency
    re2 = None

_ATOMS = [
    "a", "b", "k", "s", "K", "/", "-", ".", "\\d", "\\w", "\\s", "\\W", "[a-c]", "[^a]", "[[:upper:]]",
    "[k-s]", "\\x41", "\\.", "[a-]", "\\Qa.\\E", "\\n", "x{,2}", "{", "]", KELVIN,
]
_ALPHABET = ["a", "b", "A", "k", "K", "s", "S", "/", "1", "_", " ", "\n", "-", ".", "x", ",", "{", "}",
             "]", KELVIN, "\u017f", "\u00e9"]


def _regexes():
    atom = st.sampled_from(_ATOMS)
    return st.recursive(
        atom,
        lambda inner: st.one_of(
            st.tuples(inner, inner).map("".join),
            st.tuples(inner, inner).map(lambda t: f"({t[0]}|{t[1]})"),
            st.tuples(inner, st.sampled_from(["*", "+", "?", "{2}", "{1,3}", "*?"])).map(
                lambda t: f"(?:{t[0]}){t[1]}"
            ),
            inner.map(lambda r: f"(?i:{r})"),
            inner.map(lambda r: f"(?s){r}"),
        ),
        max_leaves=6,
    )


@pytest.mark.skipif(re2 is None, reason="google-re2 not installed")
@settings(max_examples=150, deadline=None)
@given(pattern=_regexes(), samples=st.lists(st.lists(st.sampled_from(_ALPHABET), max_size=5).map("".join), min_size=1, max_size=8))
def test_regex_language_agrees_with_re2(pattern, samples):
    options = re2.Options()
    options.log_errors = False
    try:
        compiled = re2.compile(pattern, options)
    except Exception:
        return
    for text in samples:
        got = string_match_covers({"regex": pattern}, {"exact": text})
        if got is None:  # outside the exactly-supported subset: fine, but never a wrong answer
            continue
        assert got is bool(compiled.fullmatch(text)), (pattern, text)
