"""IL104 virtualservice-invalid: what Istio's admission webhook rejects in a VirtualService.

Beyond the CRD schema (schema-violation) and its CEL duration rules (cel-validation): hosts and
delegates, gateway names, route/redirect/directResponse exclusivity, destinations and weights, header
names and values, CORS, fault injection, retries, rewrites, mirrors, TLS and TCP routes, exportTo.
Regexes are regex-invalid's. A few findings are warnings: Istio accepts them but they do not do what
they say (weights that do not add up, a destination without a weight, an abort without an error type).
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from ...hosts import MESH_GATEWAY, host_covers, hosts_intersect, is_ip
from .common import (
    Report,
    as_dict,
    as_int,
    as_list,
    as_number,
    as_str,
    check_duration,
    check_export_to,
    check_labels,
    fqdn_problem,
    header_value_problem,
    ip_subnet_problem,
    is_dns_label,
    is_header_token,
    is_istio,
    nonempty_str,
    port_problem,
    present,
    wildcard_domain_problem,
)

CODE = "IL104"
KINDS = ("VirtualService",)

JWT_CLAIM_PREFIX = "@request.auth.claims"
PSEUDO_HEADERS = frozenset((":method", ":scheme", ":authority", ":path", ":status"))
CORS_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE", "*"))
GRPC_STATUSES = frozenset((
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
    "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
    "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
))
# Envoy's x-envoy-retry-on and x-envoy-retry-grpc-on policies.
RETRY_POLICIES = frozenset((
    "5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "retriable-4xx", "refused-stream",
    "retriable-status-codes", "retriable-headers", "envoy-ratelimited", "http3-post-connect-failure",
    "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
))
# HTTP status codes with a standard reason phrase (a retryOn entry may be one of these).
HTTP_STATUS_CODES = frozenset((
    100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307,
    308, *range(400, 419), 421, 422, 423, 424, 425, 426, 428, 429, 431, 451, *range(500, 509), 510, 511,
))
KIB = 1024
MAX_PAIRWISE_HOSTS = 512
MIB = 1024 * KIB
# A route with destinations and none of these has no conflict to report (see _route_conflicts).
_EXCLUSIVE_FIELDS = frozenset(("delegate", "redirect", "directResponse", "mirror"))
# The fields of an HTTP match that _match_requests looks at.
_CHECKED_MATCH_FIELDS = frozenset((
    "headers", "withoutHeaders", "scheme", "method", "authority", "queryParams", "port", "sourceLabels", "gateways",
    "sourceNamespace",
))
_DIGIT = re.compile(r"[0-9]")
_LETTER = re.compile(r"[a-zA-Z]")


def check(resource, ctx) -> Iterator:
    if not is_istio(resource, "VirtualService"):
        return
    spec = resource.get(("spec",))
    if not isinstance(spec, dict):
        return  # missing or mistyped: schema-violation
    yield from VirtualServiceCheck(Report(ctx, resource), resource, spec).run()


def is_jwt_claim(name: str) -> bool:
    """Istio's claim-routing pseudo header: @request.auth.claims.<name> or @request.auth.claims[<name>]."""
    if not name.lower().startswith(JWT_CLAIM_PREFIX):
        return False
    rest = name[len(JWT_CLAIM_PREFIX):]
    return (rest.startswith(".") and len(rest) > 1) or (rest.startswith("[") and rest.endswith("]") and len(rest) > 2)


def gateway_bound_domain_problem(sni: bool, domain: str, verdicts: Any = None) -> str | None:
    """Host check for a VirtualService bound to gateways: SNI hosts may be the outbound_.<port>_._.<host>
    names that AUTO_PASSTHROUGH gateways route by."""
    if sni and domain.startswith("outbound_") and len(domain) <= 255:
        parts = domain.split("_")
        if len(parts) < 4:
            return f"'{domain}' does not follow the outbound_.<PORT>_._.<HOSTNAME> form"
        port, hostname = parts[1].strip("."), parts[3].strip(".")
        if not _DIGIT.search(port):
            return f"'{port}' in '{domain}' is not a port (outbound_.<PORT>_._.<HOSTNAME>)"
        if not _LETTER.search(hostname):
            return f"'{hostname}' in '{domain}' is not a host name (outbound_.<PORT>_._.<HOSTNAME>)"
        return None
    return wildcard_domain_problem(domain) if verdicts is None else verdicts.wildcard_domain(domain)


def gateway_name_problems(name: str) -> list[tuple[str, bool]]:
    """(problem, is warning) for one entry of a gateways list."""
    if "/" not in name:
        out: list[tuple[str, bool]] = []
        if "." in name:
            parts = name.split(".")
            out.append((f"'{name}' uses the legacy <name>.<namespace> form; write '{parts[1]}/{parts[0]}'", True))
        problem = fqdn_problem(name)
        if problem:
            out.append((f"gateway '{name}' is not a valid name: {problem}", False))
        return out
    namespace, _, gateway = name.partition("/")
    out = []
    if not namespace or not gateway:
        out.append((f"gateway '{name}': both the namespace and the name of <namespace>/<name> must be set", False))
    if namespace and not is_dns_label(namespace):
        what = "'.' is not accepted here: drop './' to mean the VirtualService's namespace" if namespace == "." \
            else f"'{namespace}' is not a namespace name"
        out.append((f"gateway '{name}': {what}", False))
    if gateway and not is_dns_label(gateway):
        out.append((f"gateway '{name}': '{gateway}' is not a Gateway name (a DNS label)", False))
    return out


class VirtualServiceCheck:
    def __init__(self, report: Report, resource: Any, spec: dict) -> None:
        self.report = report
        self.resource = resource
        self.spec = spec
        self.hosts = as_list(spec.get("hosts"))
        self.gateways = [g for g in as_list(spec.get("gateways")) if isinstance(g, str)]
        self.delegate = not self.hosts
        # Bound to gateways only (no "mesh"): host rules differ, and claim routing is possible.
        self.applies_to_gateway = bool(self.gateways) and MESH_GATEWAY not in self.gateways
        self.sni = any(as_list(as_dict(m).get("sniHosts"))
                       for t in as_list(spec.get("tls")) for m in as_list(as_dict(t).get("match")))

    def run(self) -> Iterator:
        yield from self._delegate()
        yield from self._gateways(as_list(self.spec.get("gateways")), ("spec", "gateways"))
        yield from self._hosts()
        if not any(as_list(self.spec.get(kind)) for kind in ("http", "tcp", "tls")):
            yield self.report.error(("spec",), "a VirtualService needs at least one of http, tcp or tls routes; "
                                               "Istio rejects it", key=True)
        for i, route in enumerate(as_list(self.spec.get("http"))):
            if isinstance(route, dict):
                yield from self._http_route(route, ("spec", "http", i))
        for i, route in enumerate(as_list(self.spec.get("tls"))):
            if isinstance(route, dict):
                yield from self._tls_route(route, ("spec", "tls", i))
        for i, route in enumerate(as_list(self.spec.get("tcp"))):
            if isinstance(route, dict):
                yield from self._tcp_route(route, ("spec", "tcp", i))
        yield from check_export_to(self.report, self.spec, self.resource.namespace)

    # ------------------------------------------------------------------------------ spec level

    def _delegate(self) -> Iterator:
        if not self.delegate:
            return
        # A VirtualService without hosts is a delegate: only HTTP routes, bound through its root.
        for field, why in (("gateways", "it is bound through the root VirtualService that delegates to it"),
                           ("tls", "TLS routes cannot be delegated"), ("tcp", "TCP routes cannot be delegated")):
            if as_list(self.spec.get(field)):
                yield self.report.error(("spec", field), f"a VirtualService without hosts is a delegate and must "
                                                         f"not set {field}: {why}. Add hosts, or remove {field}",
                                        key=True)

    def _gateways(self, gateways: list, path: tuple) -> Iterator:
        for i, name in enumerate(gateways):
            if isinstance(name, str):
                for problem, warning in gateway_name_problems(name):
                    if warning:
                        yield self.report.warning(path + (i,), problem)
                    else:
                        yield self.report.error(path + (i,), problem + "; Istio rejects it")

    def _hosts(self) -> Iterator:
        all_valid = True
        for i, host in enumerate(self.hosts):
            if not isinstance(host, str):
                all_valid = False
                continue
            if self.applies_to_gateway:
                problem = gateway_bound_domain_problem(self.sni, host, self.report.verdicts)
            else:
                problem = self.report.verdicts.wildcard_domain(host)
            if problem:
                if not is_ip(host):
                    all_valid = False
                    yield self.report.error(("spec", "hosts", i), f"invalid host '{host}': {problem}; Istio rejects it")
            elif host == "*" and not self.applies_to_gateway:
                all_valid = False
                yield self.report.error(("spec", "hosts", i),
                                        "host '*' is not allowed for a VirtualService that applies to sidecars "
                                        "(no gateways, or 'mesh' among them); Istio rejects it. Name the services, "
                                        "or bind the VirtualService to a gateway")
        if not all_valid:
            return
        # Pairwise (as Istio does) for ordinary lists; huge ones only for exact repeats, in linear time.
        pairs = range(1, len(self.hosts)) if len(self.hosts) <= MAX_PAIRWISE_HOSTS else ()
        if not pairs:
            first: dict[str, int] = {}
            for j, host in enumerate(self.hosts):
                i = first.setdefault(host.lower(), j)
                if i != j:
                    yield self.report.error(("spec", "hosts", j), f"host '{host}' repeats host '{self.hosts[i]}'; "
                                                                  "Istio rejects duplicate hosts",
                                            related=[self.report.related(("spec", "hosts", i), "first use")])
        for j in pairs:
            for i in range(j):
                if hosts_intersect(self.hosts[i], self.hosts[j]):
                    yield self.report.error(
                        ("spec", "hosts", j),
                        f"host '{self.hosts[j]}' overlaps host '{self.hosts[i]}' of the same VirtualService; "
                        "Istio rejects duplicate and overlapping hosts. Keep only the broader one",
                        related=[self.report.related(("spec", "hosts", i), "overlapping host")])
                    break

    # ------------------------------------------------------------------------------ HTTP

    def _http_route(self, route: dict, path: tuple) -> Iterator:
        # Each part is checked only when its fields are there (an absent part has nothing to report):
        # routes are the bulk of most inputs, and most set a few of these fields.
        destinations = route.get("route")
        if not (isinstance(destinations, list) and destinations) or not _EXCLUSIVE_FIELDS.isdisjoint(route):
            yield from self._route_conflicts(route, path)
        if isinstance(route.get("match"), list):
            yield from self._match_requests(route, path)
        headers = route.get("headers")
        if isinstance(headers, dict) and headers:
            yield from self._header_operations(headers, path + ("headers",))
            if isinstance(headers.get("request"), dict):
                yield from self._authority_rewrite(route, path)
        cors = route.get("corsPolicy")
        if isinstance(cors, dict) and cors:
            yield from self._cors(cors, path + ("corsPolicy",))
        if "fault" in route and route.get("fault") is not None:
            yield from self._fault(route.get("fault"), path + ("fault",))
        if "mirror" in route or "mirrorPercent" in route or "mirrorPercentage" in route or "mirrors" in route:
            yield from self._mirrors(route, path)
        if isinstance(route.get("redirect"), dict):
            yield from self._redirect(route["redirect"], path + ("redirect",))
        if isinstance(route.get("directResponse"), dict):
            yield from self._direct_response(route["directResponse"], path + ("directResponse",))
        if isinstance(route.get("retries"), dict):
            yield from self._retries(route["retries"], path + ("retries",))
        if isinstance(route.get("rewrite"), dict):
            yield from self._rewrite(route["rewrite"], path + ("rewrite",))
        yield from self._http_destinations(route, path)
        yield from check_duration(self.report, path + ("timeout",), route.get("timeout"))

    def _route_conflicts(self, route: dict, path: tuple) -> Iterator:
        report = self.report
        destinations = as_list(route.get("route"))
        if present(route, "delegate") and not self.delegate:
            # A root route hands the request to the delegate: it cannot answer or route it itself.
            for field, is_set in (("redirect", present(route, "redirect")), ("route", bool(destinations))):
                if is_set:
                    yield report.error(path + (field,), f"a route with delegate must not set {field}: the delegate "
                                                        f"VirtualService decides. Remove {field}", key=True)
            return
        if self.delegate and present(route, "delegate"):
            yield report.error(path + ("delegate",), "a delegate VirtualService cannot delegate again; Istio rejects "
                                                     "nested delegation", key=True)
        if present(route, "redirect"):
            for field, nonempty in (("route", bool(destinations)), ("fault", present(route, "fault")),
                                    ("rewrite", present(route, "rewrite")),
                                    ("directResponse", present(route, "directResponse"))):
                if nonempty:
                    yield report.error(path + (field,), f"a route with redirect cannot also set {field}: the redirect "
                                                        f"answers the request. Remove one of them", key=True)
        elif present(route, "directResponse"):
            for field, nonempty in (("route", bool(destinations)), ("fault", present(route, "fault")),
                                    ("rewrite", present(route, "rewrite"))):
                if nonempty:
                    yield report.error(path + (field,), f"a route with directResponse cannot also set {field}: the "
                                                        f"direct response answers the request. Remove one of them",
                                       key=True)
        elif not destinations:
            yield report.error(path, "an HTTP route needs route destinations, a redirect or a directResponse; "
                                     "Istio rejects it")
        if present(route, "mirror") and as_list(route.get("mirrors")):
            yield report.error(path + ("mirror",), "mirror and mirrors cannot both be set; move the mirror into "
                                                   "mirrors", key=True)

    def _header_name(self, name: str, path: tuple) -> Iterator:
        if name == "":
            yield self.report.error(path, "a header name cannot be empty; Istio rejects it", key=True)
        elif is_jwt_claim(name):
            if not self.applies_to_gateway:
                yield self.report.error(path, f"JWT claim routing ('{name}') works only on gateways, and this "
                                              "VirtualService applies to sidecars; Istio rejects it. Bind it to a "
                                              "gateway (without 'mesh'), or match on a header", key=True)
        elif name not in PSEUDO_HEADERS and not is_header_token(name):
            yield self.report.error(path, f"'{name}' is not a valid HTTP header name; Istio rejects it", key=True)

    def _string_match(self, value: Any, path: tuple, what: str) -> Iterator:
        if isinstance(value, dict) and value.get("prefix") == "":
            yield self.report.error(path + ("prefix",), f"an empty prefix is not allowed in a {what} match; Istio "
                                                        "rejects it. Remove the condition to match any value")

    def _match_requests(self, route: dict, path: tuple) -> Iterator:
        for j, match in enumerate(as_list(route.get("match"))):
            if not isinstance(match, dict) or _CHECKED_MATCH_FIELDS.isdisjoint(match):
                continue  # most matches are on the URI alone, which regex-invalid checks
            base = path + ("match", j)
            for field in ("headers", "withoutHeaders"):
                for name, value in as_dict(match.get(field)).items():
                    if isinstance(name, str):
                        if name == "" or name not in PSEUDO_HEADERS and not is_header_token(name) \
                                or name[:1] == "@":
                            yield from self._header_name(name, base + (field, name))
                        if isinstance(value, dict) and value.get("prefix") == "":
                            yield from self._string_match(value, base + (field, name), "header")
            for field in ("scheme", "method", "authority"):
                value = match.get(field)
                if isinstance(value, dict) and value.get("prefix") == "":
                    yield from self._string_match(value, base + (field,), field)
            for name, value in as_dict(match.get("queryParams")).items():
                if isinstance(value, dict) and value.get("prefix") == "":
                    yield from self._string_match(value, base + ("queryParams", name), "query parameter")
            port = as_int(match.get("port"))
            if port:
                problem = port_problem(port)
                if problem:
                    yield self.report.error(base + ("port",), f"match {problem}; Istio rejects it")
            if isinstance(match.get("sourceLabels"), dict):
                yield from check_labels(self.report, match.get("sourceLabels"), base + ("sourceLabels",))
            if isinstance(match.get("gateways"), list):
                yield from self._gateways(match["gateways"], base + ("gateways",))
            source_namespace = as_str(match.get("sourceNamespace"))
            if source_namespace and not is_dns_label(source_namespace):
                yield self.report.error(base + ("sourceNamespace",), f"sourceNamespace '{source_namespace}' is not a "
                                                                     "namespace name; Istio rejects it")

    def _header_operations(self, headers: dict, path: tuple) -> Iterator:
        report = self.report
        for side in ("request", "response"):
            ops = as_dict(headers.get(side))
            for op in ("add", "set"):
                for name, value in as_dict(ops.get(op)).items():
                    if not isinstance(name, str):
                        continue
                    where = path + (side, op, name)
                    problem = _request_header_problem(name) if side == "request" else _header_op_problem(name)
                    if problem:
                        yield report.error(where, problem, key=True)
                    if isinstance(value, str):
                        problem = header_value_problem(value)
                        if problem:
                            yield report.error(where, f"header value '{value}' is invalid: {problem}; Envoy rejects it")
            for k, name in enumerate(as_list(ops.get("remove"))):
                if isinstance(name, str):
                    problem = _header_op_problem(name)
                    if problem:
                        yield report.error(path + (side, "remove", k), problem)

    def _authority_rewrite(self, route: dict, path: tuple) -> Iterator:
        # The authority may be rewritten in one place only: rewrite.authority or one request header.
        rewrite = as_dict(route.get("rewrite"))
        current = rewrite.get("authority") if nonempty_str(rewrite, "authority") else ""
        request = as_dict(as_dict(route.get("headers")).get("request"))
        for op in ("set", "add"):
            for name, value in as_dict(request.get(op)).items():
                if not isinstance(name, str) or name.lower() not in (":authority", "host"):
                    continue
                if current:
                    yield self.report.error(path + ("headers", "request", op, name),
                                            f"the authority is already set to '{current}'; setting it again to "
                                            f"'{value}' is rejected by Istio. Keep one", key=True)
                    return
                current = value if isinstance(value, str) else ""

    def _cors(self, cors: dict, path: tuple) -> Iterator:
        report = self.report
        for k, origin in enumerate(as_list(cors.get("allowOrigins"))):
            origin = as_dict(origin)
            value = next((origin[t] for t in ("exact", "prefix", "regex") if isinstance(origin.get(t), str)), "")
            if value == "":
                yield report.error(path + ("allowOrigins", k), "an allowOrigins entry needs a non-empty exact, "
                                                               "prefix or regex; Istio rejects it")
        for k, method in enumerate(as_list(cors.get("allowMethods"))):
            if isinstance(method, str) and method not in CORS_METHODS:
                hint = f"; write '{method.upper()}'" if method.upper() in CORS_METHODS else ""
                yield report.error(path + ("allowMethods", k), f"'{method}' is not an HTTP method Istio accepts in "
                                                               f"allowMethods (upper case: GET, POST, ... or '*'){hint}")
        for field in ("allowHeaders", "exposeHeaders"):
            for k, name in enumerate(as_list(cors.get(field))):
                if isinstance(name, str) and name != "*" and not (name and is_header_token(name)):
                    what = "an empty header name" if not name else f"'{name}' is not a valid header name"
                    yield report.error(path + (field, k), f"{what} in {field}; Istio rejects it")
        yield from check_duration(report, path + ("maxAge",), cors.get("maxAge"), seconds=True)

    def _percentage(self, value: Any, path: tuple) -> Iterator:
        number = as_number(as_dict(value).get("value"))
        if number is not None and (number < 0 or number > 100 or 0 < number < 0.0001):
            yield self.report.error(path + ("value",), f"percentage {number} must be 0 or between 0.0001 and 100; "
                                                       "Istio rejects it")

    def _fault(self, fault: Any, path: tuple) -> Iterator:
        report = self.report
        fault = as_dict(fault)
        abort, delay = fault.get("abort"), fault.get("delay")
        if abort is None and delay is None:
            yield report.error(path, "fault needs an abort or a delay; Istio rejects an empty fault")
        if isinstance(abort, dict):
            yield from self._percentage(abort.get("percentage"), path + ("abort", "percentage"))
            if "grpcStatus" in abort and isinstance(abort["grpcStatus"], str):
                if abort["grpcStatus"] not in GRPC_STATUSES:
                    yield report.error(path + ("abort", "grpcStatus"),
                                       f"'{abort['grpcStatus']}' is not a gRPC status name Istio accepts (e.g. "
                                       "UNAVAILABLE, NOT_FOUND, PERMISSION_DENIED)")
            elif "http2Error" in abort and abort["http2Error"] is not None:
                yield report.error(path + ("abort", "http2Error"), "http2Error aborts are not supported; Istio rejects "
                                                                   "them. Use httpStatus or grpcStatus", key=True)
            elif as_int(abort.get("httpStatus")) is not None:
                status = abort["httpStatus"]
                if not 200 <= status <= 600:
                    yield report.error(path + ("abort", "httpStatus"),
                                       f"HTTP status {status} is outside 200-599; Istio rejects it")
            elif "httpStatus" not in abort:
                yield report.warning(path + ("abort",), "abort has no httpStatus or grpcStatus, so nothing is "
                                                        "aborted; set one")
        if isinstance(delay, dict):
            yield from self._percentage(delay.get("percentage"), path + ("delay", "percentage"))
            yield from check_duration(report, path + ("delay", "fixedDelay"), delay.get("fixedDelay"))
            if delay.get("exponentialDelay") is not None:
                yield report.error(path + ("delay", "exponentialDelay"), "exponentialDelay is not supported; Istio "
                                                                         "rejects it. Use fixedDelay", key=True)

    def _mirrors(self, route: dict, path: tuple) -> Iterator:
        report = self.report
        if isinstance(route.get("mirror"), dict):
            yield from self._destination(route["mirror"], path + ("mirror",))
        percent = as_int(route.get("mirrorPercent"))
        if percent is not None and percent > 100:
            yield report.error(path + ("mirrorPercent",), f"mirrorPercent {percent} is above 100; Istio rejects it")
        value = as_number(as_dict(route.get("mirrorPercentage")).get("value"))
        if value is not None and not 0 <= value <= 100:
            yield report.error(path + ("mirrorPercentage", "value"), f"mirrorPercentage {value} must be between 0 "
                                                                     "and 100; Istio rejects it")
        for k, mirror in enumerate(as_list(route.get("mirrors"))):
            mirror = as_dict(mirror)
            if isinstance(mirror.get("destination"), dict):
                yield from self._destination(mirror["destination"], path + ("mirrors", k, "destination"))
            value = as_number(as_dict(mirror.get("percentage")).get("value"))
            if value is not None and not 0 <= value <= 100:
                yield report.error(path + ("mirrors", k, "percentage", "value"),
                                   f"mirror percentage {value} must be between 0 and 100; Istio rejects it")

    def _redirect(self, redirect: dict, path: tuple) -> Iterator:
        report = self.report
        if not any(nonempty_str(redirect, f) for f in ("uri", "authority", "scheme")) \
                and redirect.get("port") is None and redirect.get("derivePort") is None:
            yield report.error(path, "a redirect must set uri, authority, scheme or port; Istio rejects an empty one")
        code = as_int(redirect.get("redirectCode"))
        if code and not 300 <= code <= 399:
            yield report.error(path + ("redirectCode",), f"{code} is not a redirect code (3xx); Istio rejects it")
        scheme = as_str(redirect.get("scheme"))
        if scheme and scheme not in ("http", "https"):
            yield report.error(path + ("scheme",), f"redirect scheme '{scheme}' must be http or https (lower case); "
                                                   "Istio rejects it")
        port = as_int(redirect.get("port"))
        if port:
            problem = port_problem(port)
            if problem:
                yield report.error(path + ("port",), f"redirect {problem}; Istio rejects it")

    def _direct_response(self, response: dict, path: tuple) -> Iterator:
        report = self.report
        body = as_dict(response.get("body"))
        size = None
        if isinstance(body.get("string"), str):
            size = len(body["string"].encode("utf-8"))
        elif isinstance(body.get("bytes"), str):
            size = len(body["bytes"]) * 3 // 4  # base64
        if size is not None and size > MIB:
            yield report.error(path + ("body",), f"the direct response body is {size} bytes; Istio rejects bodies "
                                                 "over 1MB (they are pushed to every proxy)")
        elif size is not None and size > 100 * KIB:
            yield report.warning(path + ("body",), f"the direct response body is {size} bytes; bodies over 100KB "
                                                   "slow down configuration pushes to every proxy")
        status = as_int(response.get("status"))
        if status is not None and not 200 <= status <= 600:
            yield report.error(path + ("status",), f"HTTP status {status} is outside 200-599; Istio rejects it")

    def _retries(self, retries: dict, path: tuple) -> Iterator:
        report = self.report
        attempts = as_int(retries.get("attempts"))
        if attempts is not None and attempts < 0:
            yield report.error(path + ("attempts",), "retry attempts cannot be negative; Istio rejects it")
        if not attempts:
            configured = [f for f in ("perTryTimeout", "retryRemoteLocalities") if retries.get(f) is not None]
            if nonempty_str(retries, "retryOn"):
                configured.insert(0, "retryOn")
            if configured:
                where, key = (path + ("attempts",), False) if "attempts" in retries else (path, True)
                state = "attempts is 0" if "attempts" in retries else "attempts is not set (0)"
                yield report.error(where, f"retries sets {', '.join(configured)} but {state}, which disables "
                                          "retries; Istio rejects it. Set attempts to the number of retries, or "
                                          "remove the retries block", key=key)
        yield from check_duration(report, path + ("perTryTimeout",), retries.get("perTryTimeout"))
        yield from check_duration(report, path + ("backoff",), retries.get("backoff"))
        retry_on = as_str(retries.get("retryOn"))
        if retry_on:
            bad = [p for p in retry_on.split(",") if not _valid_retry_policy(p)]
            if bad:
                yield report.error(path + ("retryOn",), f"retryOn has unknown condition(s) {', '.join(repr(b) for b in bad)}; "
                                                        "Istio rejects it. Use Envoy's retry-on names (5xx, "
                                                        "gateway-error, reset, connect-failure, retriable-4xx, ...) "
                                                        "or HTTP status codes, separated by commas without spaces")

    def _rewrite(self, rewrite: dict, path: tuple) -> Iterator:
        report = self.report
        regex_rewrite = rewrite.get("uriRegexRewrite")
        if nonempty_str(rewrite, "uri") and regex_rewrite is not None:
            yield report.error(path + ("uriRegexRewrite",), "rewrite can set uri or uriRegexRewrite, not both; "
                                                            "Istio rejects it", key=True)
        if not nonempty_str(rewrite, "uri") and regex_rewrite is None and not nonempty_str(rewrite, "authority"):
            yield report.error(path, "rewrite must set uri, uriRegexRewrite or authority; Istio rejects an empty "
                                     "rewrite")
        if isinstance(regex_rewrite, dict):
            missing = [f for f in ("match", "rewrite") if not nonempty_str(regex_rewrite, f)]
            if missing:
                yield report.error(path + ("uriRegexRewrite",), f"uriRegexRewrite needs both match and rewrite; "
                                                                f"{' and '.join(missing)} is missing")

    # ------------------------------------------------------------------------------ destinations

    def _destination(self, destination: dict, path: tuple) -> Iterator:
        report = self.report
        host = destination.get("host")
        if isinstance(host, str):
            if host == "*":
                yield report.error(path + ("host",), "destination host '*' is not a service; Istio rejects it")
            else:
                problem = report.verdicts.wildcard_domain(host)
                if problem:
                    yield report.error(path + ("host",), f"invalid destination host '{host}': {problem}")
        subset = as_str(destination.get("subset"))
        if subset and not is_dns_label(subset):
            yield report.error(path + ("subset",), f"subset name '{subset}' is not a DNS label (letters, digits, "
                                                   "'-'); Istio rejects it")
        port = destination.get("port")
        if isinstance(port, dict):
            number = port.get("number")
            if number is None:
                yield report.error(path + ("port",), "the destination port selector needs a number; Istio rejects "
                                                     "an empty one")
            else:
                problem = port_problem(number)
                if problem:
                    yield report.error(path + ("port", "number"), f"destination {problem}; Istio rejects it")

    def _weights(self, destinations: list, path: tuple) -> Iterator:
        report = self.report
        weights = []
        for k, destination in enumerate(destinations):
            weight = as_int(as_dict(destination).get("weight"))
            if weight is not None and weight < 0:
                yield report.error(path + (k, "weight"), f"weight {weight} is negative; Istio rejects it")
            weights.append(weight)
        if len(destinations) < 2:
            return  # one destination takes all traffic, whatever its weight
        total = sum(w for w in weights if w and w > 0)
        if total == 0:
            yield report.error(path, f"{len(destinations)} destinations and no weight (the weights add up to 0); "
                                     "Istio rejects it. Give each destination a weight, e.g. 50 and 50",
                               key=True)
            return
        # An explicit weight 0 is a deliberate "no traffic now" (traffic shifting); a missing one is not.
        unweighted = [k for k, w in enumerate(weights) if w is None]
        for k in unweighted:
            yield report.warning(path + (k,), "this destination has no weight while others have one: it receives no "
                                              "traffic. Give it a weight (0 if that is what you mean), or remove it")
        if total != 100 and not unweighted:
            shares = ", ".join(f"{100 * (w or 0) / total:.4g}%" for w in weights)
            yield report.warning(path, f"the weights add up to {total}, not 100: Istio treats them as relative shares "
                                       f"({shares}). Make them add up to 100 to say what you mean", key=True)

    def _http_destinations(self, route: dict, path: tuple) -> Iterator:
        destinations = as_list(route.get("route"))
        for k, destination in enumerate(destinations):
            destination = as_dict(destination)
            headers = destination.get("headers")
            if isinstance(headers, dict) and headers:
                yield from self._header_operations(headers, path + ("route", k, "headers"))
            if isinstance(destination.get("destination"), dict):
                yield from self._destination(destination["destination"], path + ("route", k, "destination"))
        if len(destinations) > 1 or destinations and _negative_weight(destinations[0]):
            yield from self._weights(destinations, path + ("route",))

    def _l4_destinations(self, route: dict, path: tuple, kind: str) -> Iterator:
        destinations = as_list(route.get("route"))
        if not destinations:
            yield self.report.error(path, f"a {kind} route needs route destinations; Istio rejects it")
        for k, destination in enumerate(destinations):
            destination = as_dict(destination)
            if isinstance(destination.get("destination"), dict):
                yield from self._destination(destination["destination"], path + ("route", k, "destination"))
        yield from self._weights(destinations, path + ("route",))

    # ------------------------------------------------------------------------------ TLS and TCP

    def _l4_match(self, match: dict, path: tuple) -> Iterator:
        report = self.report
        for k, subnet in enumerate(as_list(match.get("destinationSubnets"))):
            if isinstance(subnet, str):
                problem = ip_subnet_problem(subnet)
                if problem:
                    yield report.error(path + ("destinationSubnets", k), f"{problem}; Istio rejects it")
        port = as_int(match.get("port"))
        if port:
            problem = port_problem(port)
            if problem:
                yield report.error(path + ("port",), f"match {problem}; Istio rejects it")
        yield from check_labels(report, match.get("sourceLabels"), path + ("sourceLabels",))
        yield from self._gateways(as_list(match.get("gateways")), path + ("gateways",))

    def _tls_route(self, route: dict, path: tuple) -> Iterator:
        report = self.report
        matches = route.get("match")
        if isinstance(matches, list) and not matches:
            yield report.error(path + ("match",), "a TLS route needs at least one match (with sniHosts); Istio "
                                                  "rejects it", key=True)
        for j, match in enumerate(as_list(matches)):
            if not isinstance(match, dict):
                continue
            base = path + ("match", j)
            sni_hosts = match.get("sniHosts")
            if isinstance(sni_hosts, list) and not sni_hosts:
                yield report.error(base + ("sniHosts",), "a TLS match needs at least one SNI host; Istio rejects it",
                                   key=True)
            for k, sni in enumerate(as_list(sni_hosts)):
                if isinstance(sni, str):
                    yield from self._sni_host(sni, base + ("sniHosts", k))
            yield from self._l4_match(match, base)
        yield from self._l4_destinations(route, path, "TLS")

    def _sni_host(self, sni: str, path: tuple) -> Iterator:
        report = self.report
        problem = gateway_bound_domain_problem(True, sni) if MESH_GATEWAY not in self.gateways \
            else wildcard_domain_problem(sni)
        if problem:
            if is_ip(sni):
                yield report.warning(path, f"SNI host '{sni}' is an IP address: the TLS specification does not allow "
                                           "IP addresses in SNI and most clients never send one")
            else:
                yield report.error(path, f"invalid SNI host '{sni}': {problem}; Istio rejects it")
            return
        if not any(isinstance(h, str) and host_covers(h, sni) for h in self.hosts):
            hosts = ", ".join(str(h) for h in self.hosts)
            yield report.error(path, f"SNI host '{sni}' is not covered by any host of the VirtualService ({hosts}); "
                                     "Istio rejects it. Add it to hosts, or narrow it to one of them")

    def _tcp_route(self, route: dict, path: tuple) -> Iterator:
        for j, match in enumerate(as_list(route.get("match"))):
            if isinstance(match, dict):
                yield from self._l4_match(match, path + ("match", j))
        yield from self._l4_destinations(route, path, "TCP")


def _negative_weight(destination: Any) -> bool:
    weight = as_int(as_dict(destination).get("weight"))
    return weight is not None and weight < 0


def _valid_retry_policy(policy: str) -> bool:
    if policy in RETRY_POLICIES:
        return True
    # Go's strconv.Atoi: optional sign and digits.
    if re.fullmatch(r"[+-]?[0-9]+", policy):
        return int(policy) in HTTP_STATUS_CODES
    return False


def _request_header_problem(name: str) -> str | None:
    """Headers added or set on the request: the authority (':authority' or 'host') may be set, other
    pseudo headers may not."""
    if name == "":
        return "a header name cannot be empty; Istio rejects it"
    lowered = name.lower()
    if (name.startswith(":") or lowered == "host") and lowered not in (":authority", "host"):
        return f"header '{name}' cannot be modified (names starting with ':' are HTTP/2 pseudo headers); Istio rejects it"
    return None


def _header_op_problem(name: str) -> str | None:
    """Headers removed from the request, or changed on the response."""
    if name == "":
        return "a header name cannot be empty; Istio rejects it"
    if name.lower() == "host":
        return f"header '{name}' cannot be changed here; use rewrite.authority to change the Host. Istio rejects it"
    if name.startswith(":"):
        return f"header '{name}' cannot be modified (names starting with ':' are HTTP/2 pseudo headers); Istio rejects it"
    return None
