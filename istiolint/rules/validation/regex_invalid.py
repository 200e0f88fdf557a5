"""IL115 regex-invalid: a regular expression Envoy (RE2) cannot compile, or that Istio rejects.

Envoy matches with Google RE2, whose syntax is not Python's or PCRE's: no lookaround, no
backreferences, repetition counts up to 1000. Every regex field is compiled here with RE2 itself, so
the message is RE2's own. Istio also rejects an empty regex and one longer than 1024 characters.
"""

from __future__ import annotations

from typing import Iterator

from .common import Report, as_dict, as_list, as_str, is_istio

CODE = "IL115"
KINDS = ("VirtualService", "EnvoyFilter")

MAX_LENGTH = 1024  # Istio's limit (Envoy's program-size limit is raised to match)
MAX_PROXY_VERSION = 65536  # beyond this RE2's default memory budget, not the syntax, would fail
STRING_MATCHES = ("uri", "scheme", "method", "authority")
MAP_MATCHES = ("headers", "queryParams", "withoutHeaders")


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


class Regexes:
    """What RE2 says of each distinct pattern, kept for the run (one per run, through the engine's
    services): routes repeat the same few regexes, and compiling is this rule's cost."""

    def __init__(self) -> None:
        self._problems: dict[str, str | None] = {}
        self._errors: dict[str, str | None] = {}

    def problem(self, pattern: str) -> str | None:
        """`regex_problem` of ``pattern``."""
        found = self._problems.get(pattern, _UNKNOWN)
        if found is _UNKNOWN:
            found = self._problems[pattern] = regex_problem(pattern)
        return found  # type: ignore[return-value]

    def error(self, pattern: str) -> str | None:
        """`re2_error` of ``pattern``."""
        found = self._errors.get(pattern, _UNKNOWN)
        if found is _UNKNOWN:
            found = self._errors[pattern] = re2_error(pattern)
        return found  # type: ignore[return-value]


_UNKNOWN = object()


def check(resource, ctx) -> Iterator:
    if is_istio(resource, "VirtualService"):
        http = resource.spec.get("http")
        if isinstance(http, list) and http:
            yield from _virtual_service(Report(ctx, resource), http, ctx.service("validation.regexes", Regexes))
    elif is_istio(resource, "EnvoyFilter"):
        report = Report(ctx, resource)
        regexes = ctx.service("validation.regexes", Regexes)
        for i, patch in enumerate(as_list(resource.get(("spec", "configPatches")))):
            version = as_str(as_dict(as_dict(as_dict(patch).get("match")).get("proxy")).get("proxyVersion"))
            if version and len(version) <= MAX_PROXY_VERSION:  # empty means "any version"
                error = regexes.error(version)
                if error:
                    yield report.error(("spec", "configPatches", i, "match", "proxy", "proxyVersion"),
                                       f"proxyVersion is not a valid RE2 regex: {error}; Istio rejects the EnvoyFilter")


def _virtual_service(report: Report, http: list, regexes: Regexes) -> Iterator:
    # Only StringMatch values that hold a regex reach RE2; most matches are prefixes and exact values.
    for i, route in enumerate(http):
        if not isinstance(route, dict):
            continue
        base = ("spec", "http", i)
        matches = route.get("match")
        for j, match in enumerate(matches if isinstance(matches, list) else ()):
            if not isinstance(match, dict) or not _holds_regex(match):
                continue
            for field in STRING_MATCHES:
                value = match.get(field)
                if isinstance(value, dict):
                    pattern = value.get("regex")
                    if isinstance(pattern, str):
                        problem = regexes.problem(pattern)
                        if problem:
                            yield report.error(base + ("match", j, field, "regex"), problem)
            for field in MAP_MATCHES:
                values = match.get(field)
                if not isinstance(values, dict):
                    continue
                for name, value in values.items():
                    pattern = value.get("regex") if isinstance(value, dict) else None
                    if not isinstance(pattern, str):
                        continue
                    if field == "withoutHeaders" and pattern == "*":
                        continue  # "*" is Istio's "header present", not a regex
                    problem = regexes.problem(pattern)
                    if problem:
                        yield report.error(base + ("match", j, field, name, "regex"), problem)
        cors = route.get("corsPolicy")
        origins = cors.get("allowOrigins") if isinstance(cors, dict) else None
        for k, origin in enumerate(origins if isinstance(origins, list) else ()):
            pattern = origin.get("regex") if isinstance(origin, dict) else None
            # An empty origin is virtualservice-invalid's (Istio says "not a valid match type").
            if isinstance(pattern, str) and pattern:
                problem = regexes.problem(pattern)
                if problem:
                    yield report.error(base + ("corsPolicy", "allowOrigins", k, "regex"), problem)
        rewrite = route.get("rewrite")
        regex_rewrite = rewrite.get("uriRegexRewrite") if isinstance(rewrite, dict) else None
        pattern = regex_rewrite.get("match") if isinstance(regex_rewrite, dict) else None
        if isinstance(pattern, str) and pattern:  # a missing match is virtualservice-invalid's
            problem = regexes.problem(pattern)
            if problem:
                yield report.error(base + ("rewrite", "uriRegexRewrite", "match"), problem)


def _holds_regex(match: dict) -> bool:
    """Does a match hold a ``regex`` key, in a StringMatch or in a map of them (a quick look first:
    most matches are prefixes and exact values)?"""
    for value in match.values():
        if isinstance(value, dict):
            if "regex" in value:
                return True
            for item in value.values():
                if isinstance(item, dict) and "regex" in item:
                    return True
    return False
