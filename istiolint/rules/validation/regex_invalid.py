"""IL115 regex-invalid: a regular expression Envoy (RE2) cannot compile, or that Istio rejects.

Envoy matches with Google RE2, whose syntax is not Python's or PCRE's: no lookaround, no
backreferences, repetition counts up to 1000. Every regex field is compiled here with RE2 itself, so
the message is RE2's own. Istio also rejects an empty regex and one longer than 1024 characters.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterator

from .common import Report, as_dict, as_list, as_str, is_istio

CODE = "IL115"
KINDS = ("VirtualService", "EnvoyFilter")

MAX_LENGTH = 1024  # Istio's limit (Envoy's program-size limit is raised to match)
MAX_PROXY_VERSION = 65536  # beyond this RE2's default memory budget, not the syntax, would fail
STRING_MATCHES = ("uri", "scheme", "method", "authority")
MAP_MATCHES = ("headers", "queryParams", "withoutHeaders")


@lru_cache(maxsize=4096)
def re2_error(pattern: str) -> str | None:
    """RE2's compile error for ``pattern``, or None when it compiles."""
    import re2  # google-re2: the engine Envoy uses

    options = re2.Options()
    options.log_errors = False  # a linter must not write to stderr for a user's regex
    try:
        re2.compile(pattern, options)
    except re2.error as err:
        detail = err.args[0] if err.args else err
        return detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
    except (TypeError, ValueError) as err:  # e.g. a NUL character the binding refuses
        return str(err)
    return None


def regex_problem(pattern: str) -> str | None:
    if pattern == "":
        return "an empty regex is rejected by Istio; remove the match or use prefix: / to match everything"
    if len(pattern) > MAX_LENGTH:
        return f"the regex is {len(pattern)} characters long; Istio rejects regexes longer than {MAX_LENGTH}"
    error = re2_error(pattern)
    if error:
        return f"invalid RE2 regex: {error}. Envoy uses RE2 (https://github.com/google/re2/wiki/Syntax): no lookaround, no backreferences"
    return None


def check(resource, ctx) -> Iterator:
    report = Report(ctx, resource)
    if is_istio(resource, "VirtualService"):
        yield from _virtual_service(report, resource)
    elif is_istio(resource, "EnvoyFilter"):
        for i, patch in enumerate(as_list(resource.get(("spec", "configPatches")))):
            version = as_str(as_dict(as_dict(as_dict(patch).get("match")).get("proxy")).get("proxyVersion"))
            if version and len(version) <= MAX_PROXY_VERSION:  # empty means "any version"
                error = re2_error(version)
                if error:
                    yield report.error(("spec", "configPatches", i, "match", "proxy", "proxyVersion"),
                                       f"proxyVersion is not a valid RE2 regex: {error}; Istio rejects the EnvoyFilter")


def _string_match(report: Report, match: Any, path: tuple, skip_star: bool = False, skip_empty: bool = False) -> Iterator:
    pattern = as_dict(match).get("regex")
    if not isinstance(pattern, str):
        return
    if skip_star and pattern == "*":
        return  # withoutHeaders: "*" is Istio's "header present", not a regex
    if skip_empty and pattern == "":
        return
    problem = regex_problem(pattern)
    if problem:
        yield report.error(path + ("regex",), problem)


def _virtual_service(report: Report, resource: Any) -> Iterator:
    for i, route in enumerate(as_list(resource.get(("spec", "http")))):
        route = as_dict(route)
        base = ("spec", "http", i)
        for j, match in enumerate(as_list(route.get("match"))):
            match = as_dict(match)
            for field in STRING_MATCHES:
                yield from _string_match(report, match.get(field), base + ("match", j, field))
            for field in MAP_MATCHES:
                for name, value in as_dict(match.get(field)).items():
                    yield from _string_match(report, value, base + ("match", j, field, name),
                                             skip_star=field == "withoutHeaders")
        for k, origin in enumerate(as_list(as_dict(route.get("corsPolicy")).get("allowOrigins"))):
            # An empty origin is virtualservice-invalid's (Istio says "not a valid match type").
            yield from _string_match(report, origin, base + ("corsPolicy", "allowOrigins", k), skip_empty=True)
        rewrite = as_dict(as_dict(route.get("rewrite")).get("uriRegexRewrite"))
        pattern = rewrite.get("match")
        if isinstance(pattern, str) and pattern:  # a missing match is virtualservice-invalid's
            problem = regex_problem(pattern)
            if problem:
                yield report.error(base + ("rewrite", "uriRegexRewrite", "match"), problem)
