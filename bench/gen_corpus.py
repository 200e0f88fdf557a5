#!/usr/bin/env python3
"""Generate a realistic, reproducible corpus of Istio + Kubernetes manifests for benchmarking.

Stdlib only, deterministic for a given ``--seed`` (same arguments => same bytes).

    python bench/gen_corpus.py --resources 10k --out /tmp/corpus-10k
    python bench/gen_corpus.py --resources 1000 --out /tmp/c --one-doc-per-file

The corpus models ~20 namespaces of microservices. Each app has a Service with named ports, one
Deployment per version, a DestinationRule whose subsets are exactly those versions, and a mesh
VirtualService routing to those subsets; some apps are exposed through a Gateway (an HTTPS server
with SIMPLE/MUTUAL TLS plus an HTTP server redirecting to it) by an edge VirtualService; some have an
AuthorizationPolicy or call an external API declared by a ServiceEntry; every namespace has a
PeerAuthentication. References are consistent: routes name existing Services, existing subsets and
the Service's port; edge VirtualServices name existing Gateways whose server hosts include theirs.

Route rules are built so that no rule is shadowed: each rule of a VirtualService matches only paths
under its own path word (no word is a prefix of another), header-only rules use distinct header
names, and the rule without ``match`` comes last.

A share of resources (``--mistake-rate``) carries exactly one planted mistake, listed in the
manifest -- ``<out>.manifest.json`` beside the output directory, not in it, so that linting the
directory lints only the corpus -- with its file, 0-based document index, 1-based line and column, JSON path,
mistake type and the istiolint rule meant to catch it. Every other Istio resource is valid against
the ``networking.istio.io/v1`` / ``security.istio.io/v1`` CRD schemas with unknown fields rejected.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
from dataclasses import dataclass, field
from typing import Any

PRESETS = {"1k": 1_000, "10k": 10_000, "50k": 50_000}

NETWORKING = "networking.istio.io/v1"
SECURITY = "security.istio.io/v1"

# --------------------------------------------------------------------------------------------------
# A tiny block-style YAML emitter (stdlib has none). It writes what people write: two-space indent,
# plain scalars where they are unambiguous, double quotes where YAML 1.1 (what kubectl uses) would
# read a string as a bool/number/null, comments above keys and at line ends.
# --------------------------------------------------------------------------------------------------


class Raw(str):
    """Emitted verbatim: used to plant `exact: yes` (a string to YAML 1.2, a bool to Kubernetes)."""


@dataclass(frozen=True)
class Comment:
    """A mapping key that emits `# text` lines instead of an entry (its value is ignored)."""

    text: str  # (two comments in one mapping need different texts: they are dict keys)


@dataclass(frozen=True)
class Trailing:
    """A scalar value followed by an end-of-line comment."""

    value: Any
    comment: str


_PLAIN = re.compile(r"[A-Za-z0-9/_.$^(][A-Za-z0-9 ._/:,=+()@$^|\[\]-]*")
_YAML11_SPECIAL = re.compile(
    r"(?i:y|n|yes|no|on|off|true|false|null|~)"
    r"|[-+]?(?:[0-9][0-9_]*|0x[0-9a-fA-F_]+|0o?[0-7_]+|0b[01_]+)"
    r"|[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|[0-9]{4}-[0-9]{2}-[0-9]{2}.*"
)


def scalar(value: Any) -> str:
    if isinstance(value, Raw):
        return str(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    s = str(value)
    if (
        _PLAIN.fullmatch(s)
        and not _YAML11_SPECIAL.fullmatch(s)
        and ": " not in s
        and not s.endswith((" ", ":"))
    ):
        return s
    if "\\" in s and "'" not in s and "\n" not in s:
        return "'" + s + "'"  # regexes: humans single-quote them to keep backslashes readable
    return json.dumps(s, ensure_ascii=False)


class Emitter:
    """Emits one document; records (line, col) of the nodes whose paths are in `targets`."""

    def __init__(self, compact_seq: bool, targets: set[tuple] | None = None) -> None:
        self.lines: list[str] = []
        self.compact = compact_seq
        self.targets = targets or set()
        self.found: dict[tuple, tuple[int, int]] = {}

    def _mark(self, path: tuple, kind: str, col0: int) -> None:
        key = (path, kind)
        if key in self.targets:
            self.found[key] = (len(self.lines) + 1, col0 + 1)

    def mapping(self, m: dict, indent: int, path: tuple, dash: str = "") -> None:
        """`dash` is the "- " prefix of a sequence item whose first entry goes on the dash line."""
        pad = " " * indent
        first = True
        for k, v in m.items():
            if isinstance(k, Comment):
                for ln in k.text.splitlines():
                    # A comment before the first entry of a sequence item goes above the dash.
                    at = pad[: len(pad) - len(dash)] if (first and dash) else pad
                    self.lines.append(f"{at}# {ln}" if ln else f"{at}#")
                continue
            prefix = (pad[: len(pad) - len(dash)] + dash) if (first and dash) else pad
            first = False
            kp = path + (k,)
            key = scalar(k)
            if self.targets:
                self._mark(kp, "key", len(prefix))
                self._mark(kp, "node", len(prefix))
            self._entry(prefix + key + ":", v, indent, kp)

    def _entry(self, head: str, v: Any, indent: int, path: tuple) -> None:
        if isinstance(v, dict) and v:
            self.lines.append(head)
            self.mapping(v, indent + 2, path)
        elif isinstance(v, list) and v:
            self.lines.append(head)
            self.sequence(v, indent if self.compact else indent + 2, path)
        else:
            if self.targets:
                self._mark(path, "value", len(head) + 1)
            self.lines.append(head + " " + self._leaf(v))

    def _leaf(self, v: Any) -> str:
        if isinstance(v, dict):
            return "{}"
        if isinstance(v, list):
            return "[]"
        if isinstance(v, Trailing):
            return scalar(v.value) + "  # " + v.comment
        return scalar(v)

    def sequence(self, seq: list, indent: int, path: tuple) -> None:
        pad = " " * indent
        for i, item in enumerate(seq):
            ip = path + (i,)
            if isinstance(item, dict) and item:
                if self.targets and ((ip, "node") in self.targets or (ip, "value") in self.targets):
                    # The item starts at its first real key, after any comment lines above the dash.
                    lead = sum(len(k.text.splitlines()) for k in item if isinstance(k, Comment))
                    self.found[(ip, "node")] = self.found[(ip, "value")] = (len(self.lines) + lead + 1, indent + 3)
                self.mapping(item, indent + 2, ip, dash="- ")
            elif isinstance(item, list):
                raise ValueError("nested sequences are not generated")
            else:
                if self.targets:
                    self._mark(ip, "value", indent + 2)
                    self._mark(ip, "node", indent + 2)
                self.lines.append(pad + "- " + self._leaf(item))


def emit_document(doc: dict, compact_seq: bool, targets: set[tuple] | None = None):
    e = Emitter(compact_seq, targets)
    e.mapping(doc, 0, ())
    return e.lines, e.found


# --------------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------------

NAMESPACES = [
    "payments", "checkout", "catalog", "search", "accounts", "identity", "orders", "shipping",
    "inventory", "notifications", "reviews", "recommendations", "pricing", "cart", "media",
    "analytics", "billing", "support", "loyalty", "frontend",
]
APP_SUFFIXES = [
    "api", "worker", "web", "grpc", "service", "processor", "sync", "cache", "scheduler", "indexer",
    "importer", "exporter", "reporter", "validator", "router", "events", "store", "ledger",
    "adapter", "notifier", "aggregator", "resolver", "tracker", "publisher", "consumer", "manager",
    "backend", "gateway-bff", "reconciler", "auditor",
]
_WORDS = [
    "orders", "items", "users", "accounts", "invoices", "payments", "refunds", "carts", "products",
    "reviews", "ratings", "search", "suggest", "profile", "settings", "sessions", "tokens",
    "health", "status", "metrics", "reports", "exports", "imports", "uploads", "downloads",
    "images", "videos", "thumbnails", "catalogue", "categories", "brands", "offers", "coupons",
    "vouchers", "wishlist", "addresses", "shipments", "tracking", "returns", "stock", "warehouses",
    "suppliers", "partners", "webhooks", "callbacks", "events", "audit", "ledger", "balances",
    "transfers", "quotes", "prices", "discounts", "subscriptions", "plans", "billing", "tickets",
    "messages", "inbox", "contacts", "preferences", "consents", "feedback", "recommend", "trending",
    "graphql", "admin", "internal", "legacy", "beta", "preview", "static", "assets", "login",
    "logout", "oauth", "register", "verify", "checkout", "basket", "gift-cards", "loyalty",
]
# No word may be a string prefix of another: route rules then match disjoint path sets.
PATH_WORDS = [w for w in _WORDS if not any(o != w and o.startswith(w) for o in _WORDS)]

PATH_BASES = ["", "/api", "/api/v1", "/api/v2", "/v1", "/internal"]
DOMAINS = ["example.com", "example.org", "acme.io", "shop.example.net"]
TEAMS = ["core", "growth", "platform", "commerce", "data", "sre", "identity", "mobile", "web"]
EXTERNAL_APIS = [
    ("api.stripe.com", 443, "TLS"), ("api.github.com", 443, "TLS"), ("hooks.slack.com", 443, "TLS"),
    ("api.sendgrid.com", 443, "TLS"), ("sqs.eu-west-1.amazonaws.com", 443, "TLS"),
    ("storage.googleapis.com", 443, "TLS"), ("api.twilio.com", 443, "TLS"),
    ("login.microsoftonline.com", 443, "TLS"), ("api.segment.io", 443, "TLS"),
    ("maps.googleapis.com", 443, "TLS"), ("api.openexchangerates.org", 443, "TLS"),
    ("ldap.corp.example.com", 636, "TCP"), ("smtp.mailgun.org", 587, "TCP"),
    ("legacy-erp.corp.example.com", 80, "HTTP"),
]
RETRY_ON = [
    "5xx,reset,connect-failure", "gateway-error,connect-failure,refused-stream",
    "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes", "5xx",
    "reset,connect-failure,retriable-4xx",
]
TIMEOUTS = ["1s", "2s", "3s", "5s", "10s", "15s", "30s", "60s", "500ms", "1.5s"]
SHORT_TIMEOUTS = ["250ms", "500ms", "1s", "2s", "3s"]
CANARY_HEADERS = [
    ("x-canary", ["always", "yes", "on", "true"]),
    ("x-beta-tester", ["yes", "1", "enabled"]),
    ("end-user", ["jason", "qa-bot", "load-test"]),
    ("x-dark-launch", ["on", "yes"]),
]
MISTAKE_RULES = {
    "unknown-field": "schema-violation",
    "wrong-type": "schema-violation",
    "shadowed-route": "route-shadowed",
    "missing-gateway": "vs-gateway-not-found",
    "orphan-gateway-host": "gateway-host-orphan",
    "https-without-tls": "gateway-port-protocol",
}
MISTAKE_TYPES = list(MISTAKE_RULES)


# --------------------------------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------------------------------


@dataclass
class Doc:
    kind: str
    name: str
    namespace: str
    body: dict
    info: dict = field(default_factory=dict)  # facts the mistake planters need
    mistake: dict | None = None


@dataclass
class App:
    name: str
    namespace: str
    versions: list[str]
    ports: list[tuple[str, int]]  # (name, number); the first is the http port routes use
    edge: bool
    public_host: str = ""
    gateway: str = ""
    team: str = ""
    has_ap: bool = False  # gets an AuthorizationPolicy
    has_se: bool = False  # calls an external API declared by a ServiceEntry


def _labels(rng: random.Random, app: str, team: str, version: str | None = None) -> dict:
    labels = {"app": app}
    if version:
        labels["version"] = version
    labels["app.kubernetes.io/name"] = app
    labels["app.kubernetes.io/part-of"] = app.rsplit("-", 1)[0]
    if version:
        labels["app.kubernetes.io/version"] = f"{rng.randint(1, 4)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}"
    labels["app.kubernetes.io/component"] = rng.choice(["api", "worker", "frontend", "backend", "cache"])
    labels["app.kubernetes.io/managed-by"] = rng.choice(["Helm", "kustomize", "argocd"])
    if labels["app.kubernetes.io/managed-by"] == "Helm":
        labels["helm.sh/chart"] = f"{labels['app.kubernetes.io/part-of']}-{rng.randint(0, 3)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"
    labels["team"] = team
    if rng.random() < 0.5:
        labels["cost-center"] = f"cc-{rng.randint(1000, 9999)}"
    return labels


def _meta(rng: random.Random, name: str, ns: str, labels: dict | None, annotate: bool) -> dict:
    meta: dict = {"name": name, "namespace": ns}
    if labels:
        meta["labels"] = labels
    if annotate:
        ann = {
            "meta.helm.sh/release-name": name.split("-")[0],
            "meta.helm.sh/release-namespace": ns,
        }
        if rng.random() < 0.5:
            ann["argocd.argoproj.io/sync-wave"] = str(rng.randint(-2, 5))
        if rng.random() < 0.4:
            ann["owner"] = f"{rng.choice(TEAMS)}-team@{rng.choice(DOMAINS)}"
        meta["annotations"] = ann
    return meta


def service(rng: random.Random, a: App) -> Doc:
    ports = []
    for pname, num in a.ports:
        p: dict = {"name": pname, "port": num, "targetPort": num}
        if rng.random() < 0.3:
            p["protocol"] = "TCP"
        if pname.startswith("grpc") and rng.random() < 0.5:
            p["appProtocol"] = "grpc"
        ports.append(p)
    meta = _meta(rng, a.name, a.namespace, _labels(rng, a.name, a.team), rng.random() < 0.8)
    if rng.random() < 0.5:
        ann = meta.setdefault("annotations", {})
        ann["prometheus.io/scrape"] = "true"
        ann["prometheus.io/port"] = str(a.ports[-1][1])
        ann["prometheus.io/path"] = "/metrics"
    if rng.random() < 0.3:
        meta.setdefault("annotations", {})["service.kubernetes.io/topology-mode"] = "Auto"
    body = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta,
        "spec": {"type": "ClusterIP", "selector": {"app": a.name}, "ports": ports},
    }
    return Doc("Service", a.name, a.namespace, body)


def service_account(rng: random.Random, a: App) -> Doc:
    body = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": _meta(rng, a.name, a.namespace, {"app": a.name, "account": a.name, "team": a.team}, rng.random() < 0.3),
    }
    if rng.random() < 0.5:
        ann = body["metadata"].setdefault("annotations", {})
        if rng.random() < 0.5:
            ann["eks.amazonaws.com/role-arn"] = f"arn:aws:iam::{rng.randint(10**11, 10**12 - 1)}:role/{a.namespace}-{a.name}"
        else:
            ann["iam.gke.io/gcp-service-account"] = f"{a.name[:30]}@prod-{a.namespace}.iam.gserviceaccount.com"
    return Doc("ServiceAccount", a.name, a.namespace, body)


def deployment(rng: random.Random, a: App, version: str) -> Doc:
    name = f"{a.name}-{version}"
    labels = _labels(rng, a.name, a.team, version)
    env = [{"name": "SERVICE_NAME", "value": a.name}, {"name": "LOG_LEVEL", "value": rng.choice(["info", "debug", "warn"])}]
    for key in rng.sample(["DB_POOL_SIZE", "CACHE_TTL", "FEATURE_FLAGS", "REGION", "OTEL_EXPORTER_OTLP_ENDPOINT", "MAX_BODY_BYTES", "UPSTREAM_TIMEOUT"], rng.randint(1, 5)):
        env.append({"name": key, "value": {
            "DB_POOL_SIZE": str(rng.choice([5, 10, 20, 40])),
            "CACHE_TTL": rng.choice(["30s", "5m", "1h"]),
            "FEATURE_FLAGS": ",".join(rng.sample(["new-checkout", "fast-search", "dark-mode", "v2-api"], 2)),
            "REGION": rng.choice(["eu-west-1", "us-east-1", "ap-southeast-2"]),
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel-collector.observability:4317",
            "MAX_BODY_BYTES": str(rng.choice([1048576, 4194304])),
            "UPSTREAM_TIMEOUT": rng.choice(["2s", "5s"]),
        }[key]})
    if rng.random() < 0.6:
        env.append({"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}})
        env.append({"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}})
    if rng.random() < 0.7:
        env.append({"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": f"{a.name}-db", "key": "url"}}})
    if rng.random() < 0.5:
        env.append({"name": "UPSTREAM_BASE_URL", "valueFrom": {"configMapKeyRef": {"name": f"{a.name}-config", "key": "upstream-base-url"}}})
    http_port = a.ports[0][1]
    container = {
        "name": a.name,
        "image": f"registry.{DOMAINS[0]}/{a.namespace}/{a.name}:{labels['app.kubernetes.io/version']}",
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": pn, "containerPort": num, "protocol": "TCP"} for pn, num in a.ports],
        "env": env,
        "resources": {
            "requests": {"cpu": rng.choice(["50m", "100m", "250m", "500m"]), "memory": rng.choice(["64Mi", "128Mi", "256Mi", "512Mi"])},
            "limits": {"cpu": rng.choice(["500m", "1", "2"]), "memory": rng.choice(["256Mi", "512Mi", "1Gi"])},
        },
        "readinessProbe": {"httpGet": {"path": "/healthz/ready", "port": http_port}, "initialDelaySeconds": rng.choice([2, 5, 10]), "periodSeconds": 10},
        "livenessProbe": {"httpGet": {"path": "/healthz/live", "port": http_port}, "initialDelaySeconds": rng.choice([10, 15, 30]), "periodSeconds": 20, "failureThreshold": 3},
        "securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}, {"name": "config", "mountPath": "/etc/app", "readOnly": True}],
    }
    if rng.random() < 0.4:
        container["startupProbe"] = {"httpGet": {"path": "/healthz/ready", "port": http_port}, "failureThreshold": 30, "periodSeconds": 5}
    if rng.random() < 0.5:
        container["lifecycle"] = {"preStop": {"exec": {"command": ["/bin/sh", "-c", f"sleep {rng.choice([5, 10, 15])}"]}}}
    pod_ann = {
        "sidecar.istio.io/inject": "true",
        "kubectl.kubernetes.io/default-container": a.name,
        "checksum/config": "%064x" % rng.getrandbits(256),
    }
    if rng.random() < 0.5:
        pod_ann["prometheus.io/scrape"] = "true"
        pod_ann["prometheus.io/port"] = str(http_port)
    if rng.random() < 0.3:
        pod_ann["sidecar.istio.io/proxyCPU"] = rng.choice(["50m", "100m"])
        pod_ann["sidecar.istio.io/proxyMemory"] = rng.choice(["64Mi", "128Mi"])
    if rng.random() < 0.2:
        pod_ann["proxy.istio.io/config"] = '{"holdApplicationUntilProxyStarts": true}'
    pod_labels = {"app": a.name, "version": version, "app.kubernetes.io/name": a.name, "team": a.team}
    spec: dict = {
        "replicas": rng.choice([1, 2, 2, 3, 3, 4, 6]),
        "revisionHistoryLimit": rng.choice([3, 5, 10]),
        "selector": {"matchLabels": {"app": a.name, "version": version}},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
        "template": {
            "metadata": {"labels": pod_labels, "annotations": pod_ann},
            "spec": {
                "serviceAccountName": a.name,
                "terminationGracePeriodSeconds": rng.choice([30, 45, 60]),
                "securityContext": {"runAsUser": 10001, "runAsGroup": 10001, "fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [container],
                "volumes": [{"name": "tmp", "emptyDir": {}}, {"name": "config", "configMap": {"name": f"{a.name}-config"}}],
            },
        },
    }
    if rng.random() < 0.6:
        spec["template"]["spec"]["affinity"] = {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
            "weight": 100,
            "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {"app": a.name, "version": version}}},
        }]}}
    if rng.random() < 0.3:
        spec["template"]["spec"]["topologySpreadConstraints"] = [{
            "maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": {"app": a.name}},
        }]
    body = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(rng, name, a.namespace, labels, rng.random() < 0.5),
        "spec": spec,
    }
    return Doc("Deployment", name, a.namespace, body)


def traffic_policy(rng: random.Random) -> dict:
    tp: dict = {}
    if rng.random() < 0.8:
        tp["loadBalancer"] = {"simple": rng.choice(["ROUND_ROBIN", "LEAST_REQUEST", "RANDOM", "LEAST_REQUEST"])}
    if rng.random() < 0.85:
        tp["connectionPool"] = {
            "tcp": {"maxConnections": rng.choice([50, 100, 200, 1000]), "connectTimeout": rng.choice(["100ms", "1s", "3s"])},
            "http": {
                "http1MaxPendingRequests": rng.choice([64, 128, 1024]),
                "http2MaxRequests": rng.choice([100, 500, 1000]),
                "maxRequestsPerConnection": rng.choice([0, 10, 100]),
            },
        }
    if rng.random() < 0.85:
        tp["outlierDetection"] = {
            "consecutive5xxErrors": rng.choice([3, 5, 7]),
            "interval": rng.choice(["5s", "10s", "30s"]),
            "baseEjectionTime": rng.choice(["30s", "1m", "2m"]),
            "maxEjectionPercent": rng.choice([10, 25, 50]),
        }
    if rng.random() < 0.3:
        tp["tls"] = {"mode": "ISTIO_MUTUAL"}
    if not tp:
        tp["loadBalancer"] = {"simple": "ROUND_ROBIN"}
    return tp


def destination_rule(rng: random.Random, a: App) -> Doc:
    host = a.name if rng.random() < 0.6 else f"{a.name}.{a.namespace}.svc.cluster.local"
    subsets = []
    for v in a.versions:
        s: dict = {"name": v, "labels": {"version": v}}
        if rng.random() < 0.15:
            s["trafficPolicy"] = {"loadBalancer": {"simple": rng.choice(["ROUND_ROBIN", "RANDOM"])}}
        subsets.append(s)
    spec: dict = {"host": host, "trafficPolicy": traffic_policy(rng), "subsets": subsets}
    if len(a.ports) > 1 and rng.random() < 0.6:
        spec["trafficPolicy"]["portLevelSettings"] = [{
            "port": {"number": a.ports[1][1]},
            "loadBalancer": {"simple": "LEAST_REQUEST"},
            "connectionPool": {"http": {"http2MaxRequests": rng.choice([1000, 5000])}},
        }]
    if rng.random() < 0.2:
        spec = {Comment("Subsets follow the `version` label of the Deployments."): None, **spec}
    body = {
        "apiVersion": NETWORKING,
        "kind": "DestinationRule",
        "metadata": _meta(rng, a.name, a.namespace, _labels(rng, a.name, a.team), rng.random() < 0.6),
        "spec": spec,
    }
    return Doc("DestinationRule", a.name, a.namespace, body, {"fields": _dr_paths(spec)})


def _dr_paths(spec: dict) -> list[tuple]:
    tp = spec["trafficPolicy"]
    out = [("spec", "trafficPolicy", k) for k in tp if k in TYPOS]
    if "connectionPool" in tp:
        out.append(("spec", "trafficPolicy", "connectionPool", "http", "http1MaxPendingRequests"))
    if "outlierDetection" in tp:
        out.append(("spec", "trafficPolicy", "outlierDetection", "maxEjectionPercent"))
    return out


def _dest(rng: random.Random, a: App, subset: str | None, fqdn: bool, with_port: bool) -> dict:
    d: dict = {"host": f"{a.name}.{a.namespace}.svc.cluster.local" if fqdn else a.name}
    if subset:
        d["subset"] = subset
    if with_port:
        d["port"] = {"number": a.ports[0][1]}
    return d


def _split(rng: random.Random, a: App, fqdn: bool, with_port: bool) -> list[dict]:
    """A route: one destination, or a weighted canary split across two versions (sums to 100)."""
    if len(a.versions) > 1 and rng.random() < 0.35:
        old, new = rng.sample(a.versions, 2)
        w = rng.choice([95, 90, 80, 75, 50])
        return [
            {"destination": _dest(rng, a, old, fqdn, with_port), "weight": w},
            {"destination": _dest(rng, a, new, fqdn, with_port), "weight": 100 - w},
        ]
    subset = rng.choice(a.versions) if rng.random() < 0.85 else None
    return [{"destination": _dest(rng, a, subset, fqdn, with_port)}]


def _uri_matches(rng: random.Random, base: str, word: str) -> list[dict]:
    """1-2 alternative match entries, all confined to paths starting with base/word.

    The entries of one rule are disjoint too (`exact: /a` beside `prefix: /a/`), so that no entry
    is redundant within its rule either.
    """
    root = f"{base}/{word}"
    main = rng.choice([
        {"uri": {"prefix": root}},
        {"uri": {"prefix": root + "/"}},
        {"uri": {"regex": f"{re.escape(root)}/[0-9]+(/.*)?"}},
        {"uri": {"regex": f"{re.escape(root)}/[a-f0-9-]{{36}}"}},
        {"uri": {"exact": f"{root}/{rng.choice(PATH_WORDS)}"}},
    ])
    entries = [main]
    if main["uri"].get("prefix") != root and rng.random() < 0.5:
        entries.append({"uri": {"exact": root}})
        if rng.random() < 0.5:
            entries.reverse()
    if rng.random() < 0.25:
        entries[0]["method"] = {"exact": rng.choice(["GET", "POST", "PUT", "DELETE"])}
    if rng.random() < 0.15:
        entries[-1]["headers"] = {"x-api-version": {"regex": "v[2-9]"}}
    return entries


def http_rules(rng: random.Random, a: App, fqdn: bool, with_port: bool, count: int, cors: bool = False) -> list[dict]:
    """`count` rules: optional header-only canary, URI rules on distinct words, a default last."""
    rules: list[dict] = []
    base = rng.choice(PATH_BASES)
    words = rng.sample(PATH_WORDS, count)
    if len(a.versions) > 1 and rng.random() < 0.5:
        hname, values = rng.choice(CANARY_HEADERS)
        rules.append({
            Comment("Testers opt in to the newest version with a header."): None,
            "match": [{"headers": {hname: {"exact": rng.choice(values)}}}],
            "route": [{"destination": _dest(rng, a, a.versions[-1], fqdn, with_port)}],
        })
    while len(rules) < count - 1:
        word = words[len(rules)]
        rule: dict = {}
        if rng.random() < 0.6:
            rule["name"] = word
        rule["match"] = _uri_matches(rng, base, word)
        if rng.random() < 0.1:
            rule["rewrite"] = {"uri": f"/{word}"}
        rule["route"] = _split(rng, a, fqdn, with_port)
        if rng.random() < 0.6:
            rule["timeout"] = rng.choice(TIMEOUTS) if rng.random() < 0.8 else Trailing(rng.choice(TIMEOUTS), "p99 upstream latency + margin")
        if rng.random() < 0.7:
            rule["retries"] = {"attempts": rng.choice([1, 2, 3, 5]), "perTryTimeout": rng.choice(SHORT_TIMEOUTS), "retryOn": rng.choice(RETRY_ON)}
        if rng.random() < 0.45:
            rule["headers"] = {"request": {"set": {"x-routed-by": "istio", "x-route-name": word}}, "response": {"remove": ["x-envoy-upstream-service-time"]}}
        if cors and rng.random() < 0.4:
            rule["corsPolicy"] = {
                "allowOrigins": [{"exact": f"https://www.{d}"} for d in rng.sample(DOMAINS, 2)] + [{"regex": r"https://[a-z0-9-]+\.preview\.example\.com"}],
                "allowMethods": ["GET", "POST", "PUT", "DELETE", "OPTIONS"],
                "allowHeaders": ["authorization", "content-type", "x-request-id"],
                "exposeHeaders": ["x-request-id"],
                "maxAge": "24h",
                "allowCredentials": True,
            }
        if rng.random() < 0.05:
            rule["fault"] = {"delay": {"percentage": {"value": 0.5}, "fixedDelay": "2s"}}
        if rng.random() < 0.04 and len(a.versions) > 1:
            rule["mirror"] = _dest(rng, a, a.versions[-1], fqdn, with_port)
            rule["mirrorPercentage"] = {"value": 10.0}
        rules.append(rule)
    default: dict = {"route": _split(rng, a, fqdn, with_port)}
    if rng.random() < 0.5:
        default["timeout"] = rng.choice(TIMEOUTS)
    if rng.random() < 0.7:
        default["retries"] = {"attempts": rng.choice([2, 3]), "perTryTimeout": rng.choice(SHORT_TIMEOUTS), "retryOn": rng.choice(RETRY_ON)}
    if rng.random() < 0.3:
        default = {Comment("Everything else goes to the stable version."): None, **default}
    rules.append(default)
    return rules


def _vs_info(rules: list[dict]) -> dict:
    """Paths the mistake planters may touch (collected once, while the structure is known)."""
    typo_keys, headers_exact, timeouts, weights, attempts, dests = [], [], [], [], [], []
    for i, r in enumerate(rules):
        for k in ("timeout", "retries", "rewrite"):
            if k in r:
                typo_keys.append(("spec", "http", i, k))
        if "retries" in r:
            typo_keys.append(("spec", "http", i, "retries", "perTryTimeout"))
            attempts.append(("spec", "http", i, "retries", "attempts"))
        if "timeout" in r:
            timeouts.append(("spec", "http", i, "timeout"))
        for j, m in enumerate(r.get("match", [])):
            for h, cond in m.get("headers", {}).items():
                if "exact" in cond and cond["exact"] in ("yes", "on", "no", "off", "true", "y", "n"):
                    headers_exact.append(("spec", "http", i, "match", j, "headers", h, "exact"))
        for j, d in enumerate(r["route"]):
            dests.append(("spec", "http", i, "route", j, "destination"))
            if "weight" in d:
                weights.append(("spec", "http", i, "route", j, "weight"))
    return {"typo_keys": typo_keys, "headers_exact": headers_exact, "timeouts": timeouts,
            "weights": weights, "attempts": attempts, "dests": dests, "rules": len(rules)}


def virtual_service(rng: random.Random, a: App) -> Doc:
    fqdn = rng.random() < 0.3
    rules = http_rules(rng, a, fqdn, with_port=len(a.ports) > 1 or rng.random() < 0.3, count=rng.randint(3, 8))
    spec: dict = {"hosts": [a.name if not fqdn else f"{a.name}.{a.namespace}.svc.cluster.local"]}
    if rng.random() < 0.2:
        spec["gateways"] = ["mesh"]
    spec["http"] = rules
    if rng.random() < 0.25:
        spec["exportTo"] = ["."]
    body = {
        "apiVersion": NETWORKING,
        "kind": "VirtualService",
        "metadata": _meta(rng, a.name, a.namespace, {"app": a.name, "team": a.team}, rng.random() < 0.4),
        "spec": spec,
    }
    info = _vs_info(rules)
    info["mesh_only"] = True
    return Doc("VirtualService", a.name, a.namespace, body, info)


def edge_virtual_service(rng: random.Random, a: App) -> Doc:
    gw = a.gateway if rng.random() < 0.6 else f"{a.namespace}/{a.gateway}"
    rules = http_rules(rng, a, fqdn=True, with_port=True, count=rng.randint(3, 8), cors=True)
    body = {
        "apiVersion": NETWORKING,
        "kind": "VirtualService",
        "metadata": _meta(rng, f"{a.name}-public", a.namespace, {"app": a.name, "team": a.team, "exposure": "public"}, rng.random() < 0.5),
        "spec": {"hosts": [a.public_host], "gateways": [gw], "http": rules},
    }
    info = _vs_info(rules)
    info["mesh_only"] = False
    return Doc("VirtualService", f"{a.name}-public", a.namespace, body, info)


def gateway(rng: random.Random, ns: str, name: str, hosts: list[str], mutual: bool) -> Doc:
    tls: dict = {"mode": "MUTUAL" if mutual else "SIMPLE", "credentialName": f"{name}-cert"}
    if rng.random() < 0.6:
        tls["minProtocolVersion"] = "TLSV1_2"
    https: dict = {"port": {"number": 443, "name": "https", "protocol": "HTTPS"}, "hosts": list(hosts), "tls": tls}
    if rng.random() < 0.4:
        https = {"name": f"{name}-https", **https}
    redirect = {
        Comment("Plain HTTP only redirects to HTTPS; it needs no route."): None,
        "port": {"number": 80, "name": "http", "protocol": "HTTP"},
        "hosts": list(hosts),
        "tls": {"httpsRedirect": True},
    }
    body = {
        "apiVersion": NETWORKING,
        "kind": "Gateway",
        "metadata": _meta(rng, name, ns, {"team": "platform"}, rng.random() < 0.5),
        "spec": {"selector": {"istio": "ingressgateway"}, "servers": [https, redirect]},
    }
    return Doc("Gateway", name, ns, body, {"https": 0, "named": "name" in https})


def authorization_policy(rng: random.Random, a: App, callers: list[App]) -> Doc:
    principals = [f"cluster.local/ns/{c.namespace}/sa/{c.name}" for c in callers]
    if a.edge:
        principals.append("cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account")
    rules: list[dict] = [{
        "from": [{"source": {"principals": principals or [f"cluster.local/ns/{a.namespace}/sa/default"]}}],
        "to": [{"operation": {"methods": rng.sample(["GET", "POST", "PUT", "DELETE", "PATCH"], rng.randint(1, 3)),
                              "paths": [f"/{w}/*" for w in rng.sample(PATH_WORDS, rng.randint(1, 3))]}}],
    }]
    if rng.random() < 0.3:
        rules[0]["when"] = [{"key": "request.auth.claims[iss]", "values": [f"https://auth.{rng.choice(DOMAINS)}/"]}]
    if rng.random() < 0.4:
        rules.append({"from": [{"source": {"namespaces": ["monitoring"]}}],
                      "to": [{"operation": {"methods": ["GET"], "paths": ["/metrics", "/healthz/*"]}}]})
    body = {
        "apiVersion": SECURITY,
        "kind": "AuthorizationPolicy",
        "metadata": _meta(rng, f"{a.name}-allow", a.namespace, {"app": a.name}, False),
        "spec": {"selector": {"matchLabels": {"app": a.name}}, "action": "ALLOW", "rules": rules},
    }
    return Doc("AuthorizationPolicy", f"{a.name}-allow", a.namespace, body)


def peer_authentication(rng: random.Random, ns: str) -> Doc:
    mode = "STRICT" if rng.random() < 0.85 else "PERMISSIVE"
    body = {
        "apiVersion": SECURITY,
        "kind": "PeerAuthentication",
        "metadata": {"name": "default", "namespace": ns},
        "spec": {"mtls": {"mode": Trailing(mode, "migration in progress") if mode == "PERMISSIVE" else mode}},
    }
    return Doc("PeerAuthentication", "default", ns, body)


def service_entry(rng: random.Random, ns: str, idx: int) -> Doc:
    host, port, proto = EXTERNAL_APIS[idx % len(EXTERNAL_APIS)]
    name = host.split(".")[-2] + "-" + host.split(".")[0]
    if idx >= len(EXTERNAL_APIS):  # one host per ServiceEntry in a namespace: vary the first label
        k = idx // len(EXTERNAL_APIS) + 1
        first, rest = host.split(".", 1)
        host, name = f"{first}-{k}.{rest}", f"{name}-{k}"
    pname = {"TLS": "tls", "TCP": "tcp", "HTTP": "http"}[proto]
    spec: dict = {
        "hosts": [host],
        "ports": [{"number": port, "name": f"{pname}-{port}" if rng.random() < 0.5 else pname, "protocol": proto}],
        "location": "MESH_EXTERNAL",
        "resolution": "DNS",
    }
    if rng.random() < 0.7:  # most teams keep egress declarations to their own namespace
        spec["exportTo"] = ["."]
    body = {
        "apiVersion": NETWORKING,
        "kind": "ServiceEntry",
        "metadata": _meta(rng, name, ns, {"team": rng.choice(TEAMS)}, rng.random() < 0.3),
        "spec": spec,
    }
    return Doc("ServiceEntry", name, ns, body, {"has_export": "exportTo" in spec})


# --------------------------------------------------------------------------------------------------
# Corpus assembly
# --------------------------------------------------------------------------------------------------


@dataclass
class NamespacePlan:
    name: str
    apps: list[App] = field(default_factory=list)
    gateways: list[tuple[str, list[App]]] = field(default_factory=list)
    service_entries: int = 0


def plan(rng: random.Random, total: int) -> list[NamespacePlan]:
    """Decide apps per namespace so the resource count is exactly `total`."""
    n_ns = max(1, min(len(NAMESPACES), total // 40))
    nss = [NamespacePlan(NAMESPACES[i]) for i in range(n_ns)]
    remaining = total - n_ns if total >= n_ns else 0  # one PeerAuthentication per namespace
    used: set[str] = set()
    i = 0
    per_gateway = 8
    while remaining >= 5:  # Service, ServiceAccount, Deployment, DestinationRule, VirtualService
        ns = nss[i % n_ns]
        i += 1
        versions = rng.choices([1, 2, 3], weights=[30, 40, 30])[0]
        edge = not ns.apps or rng.random() < 0.25
        ap = rng.random() < 0.35
        se = rng.random() < 0.12
        new_gw = edge and (not ns.gateways or len(ns.gateways[-1][1]) >= per_gateway)

        def size() -> int:
            return 4 + versions + (1 + new_gw if edge else 0) + ap + se

        while size() > remaining:
            if se:
                se = False
            elif ap:
                ap = False
            elif versions > 1:
                versions -= 1
            else:
                edge = new_gw = False
        remaining -= size()
        stem = ns.name.rstrip("s") if ns.name.endswith("s") and len(ns.name) > 5 else ns.name
        base = f"{stem}-{rng.choice(APP_SUFFIXES)}"
        name, k = base, 2
        while name in used:
            name, k = f"{base}-{k}", k + 1
        used.add(name)
        ports = [("http", 8080)]
        r = rng.random()
        if r < 0.25:
            ports.append(("grpc", 9090))
        elif r < 0.4:
            ports.append(("http-metrics", 9102))
        app = App(name, ns.name, [f"v{j + 1}" for j in range(versions)], ports, edge, team=rng.choice(TEAMS))
        if edge:
            if new_gw:
                gname = "public-gateway" if not ns.gateways else f"public-gateway-{len(ns.gateways) + 1}"
                ns.gateways.append((gname, []))
            gname, members = ns.gateways[-1]
            members.append(app)
            app.gateway = gname
            app.public_host = f"{name}.{ns.name}.{rng.choice(DOMAINS)}"
        app.has_ap, app.has_se = ap, se
        ns.apps.append(app)
    while remaining > 0:  # too little budget left for an app: external dependencies
        nss[i % n_ns].service_entries += 1
        i += 1
        remaining -= 1
    return nss


def build(rng: random.Random, nss: list[NamespacePlan]) -> dict[str, list[Doc]]:
    out: dict[str, list[Doc]] = {}
    for ns in nss:
        docs = [peer_authentication(rng, ns.name)]
        for gname, members in ns.gateways:
            docs.append(gateway(rng, ns.name, gname, [m.public_host for m in members], mutual=rng.random() < 0.15))
        se_idx = 0
        for n, a in enumerate(ns.apps):
            docs.append(service(rng, a))
            docs.append(service_account(rng, a))
            docs.extend(deployment(rng, a, v) for v in a.versions)
            docs.append(destination_rule(rng, a))
            docs.append(virtual_service(rng, a))
            if a.edge:
                docs.append(edge_virtual_service(rng, a))
            if a.has_ap:
                callers = [c for c in rng.sample(ns.apps[: n + 1], min(3, n + 1)) if c is not a]
                docs.append(authorization_policy(rng, a, callers))
            if a.has_se:
                docs.append(service_entry(rng, ns.name, se_idx))
                se_idx += 1
        for _ in range(ns.service_entries):
            docs.append(service_entry(rng, ns.name, se_idx))
            se_idx += 1
        out[ns.name] = docs
    return out


# --------------------------------------------------------------------------------------------------
# Planted mistakes: each returns (path, "key"|"value"|"node", detail) or None when not applicable.
# --------------------------------------------------------------------------------------------------

TYPOS = {
    "timeout": "timout", "retries": "retry", "rewrite": "rewite", "perTryTimeout": "perTryTimout",
    "destination": "destinaton", "loadBalancer": "loadBalancing", "connectionPool": "connectionpool",
    "outlierDetection": "outlierDetections", "tls": "tsl", "http1MaxPendingRequests": "http1MaxPendingRequest",
    "maxEjectionPercent": "maxEjectionPercentage", "minProtocolVersion": "minProtocolVersions",
    "name": "nmae", "location": "locaton", "exportTo": "exportto",
}


def _get(body: dict, path: tuple) -> Any:
    node: Any = body
    for p in path:
        node = node[p]
    return node


def _rename_key(m: dict, old: str, new: str) -> None:
    items = [(new if k == old else k, v) for k, v in m.items()]
    m.clear()
    m.update(items)


def _plant_unknown_field(rng: random.Random, d: Doc, ctx: dict):
    if d.kind == "VirtualService":
        candidates = d.info["typo_keys"] or d.info["dests"]
    elif d.kind == "DestinationRule":
        candidates = d.info["fields"]
    elif d.kind == "Gateway":
        candidates = [("spec", "servers", 0, "tls", "minProtocolVersion")] if "minProtocolVersion" in d.body["spec"]["servers"][0]["tls"] else []
        if d.info["named"]:
            candidates.append(("spec", "servers", 0, "name"))
    elif d.kind == "ServiceEntry":
        candidates = [("spec", "location")] + ([("spec", "exportTo")] if d.info["has_export"] else [])
    else:
        return None
    if not candidates:
        return None
    path = rng.choice(candidates)
    old = path[-1]
    _rename_key(_get(d.body, path[:-1]), old, TYPOS[old])
    path = path[:-1] + (TYPOS[old],)
    return path, "key", f"`{TYPOS[old]}` is a typo of `{old}`"


def _plant_wrong_type(rng: random.Random, d: Doc, ctx: dict):
    if d.kind == "VirtualService":
        options = []
        for p in d.info["headers_exact"]:
            options.append((p, Raw(_get(d.body, p)), "unquoted YAML 1.1 boolean where a string is expected"))
        for p in d.info["timeouts"]:
            t = _get(d.body, p)
            t = t.value if isinstance(t, Trailing) else t
            if t.endswith("s") and not t.endswith("ms") and t[:-1].isdigit():
                options.append((p, int(t[:-1]), "timeout as a number; Istio durations are strings like \"5s\""))
        for p in d.info["weights"]:
            options.append((p, str(_get(d.body, p)), "weight quoted as a string; it must be an integer"))
        for p in d.info["attempts"]:
            options.append((p, str(_get(d.body, p)), "attempts quoted as a string; it must be an integer"))
    elif d.kind == "DestinationRule":
        tp = d.body["spec"]["trafficPolicy"]
        options = []
        if "connectionPool" in tp:
            p = ("spec", "trafficPolicy", "connectionPool", "tcp", "maxConnections")
            options.append((p, str(_get(d.body, p)), "maxConnections quoted as a string; it must be an integer"))
        if "outlierDetection" in tp:
            p = ("spec", "trafficPolicy", "outlierDetection", "consecutive5xxErrors")
            options.append((p, str(_get(d.body, p)), "consecutive5xxErrors quoted as a string; it must be an integer"))
    elif d.kind == "Gateway":
        p = ("spec", "servers", 0, "port", "number")
        options = [(p, "443", "port number quoted as a string; it must be an integer")]
    elif d.kind == "ServiceEntry":
        p = ("spec", "ports", 0, "number")
        options = [(p, str(_get(d.body, p)), "port number quoted as a string; it must be an integer")]
    else:
        return None
    if not options:
        return None
    yaml11 = [o for o in options if isinstance(o[1], Raw)]
    # The YAML 1.1 boolean is the classic one (kubectl rejects it, YAML 1.2 tools miss it): favour it.
    path, value, detail = rng.choice(yaml11) if yaml11 and rng.random() < 0.5 else rng.choice(options)
    _get(d.body, path[:-1])[path[-1]] = value
    return path, "value", detail


def _plant_shadowed_route(rng: random.Random, d: Doc, ctx: dict):
    rules = d.body["spec"]["http"]
    if d.kind != "VirtualService" or len(rules) < 3 or "match" in rules[-1]:
        return None
    # Move the catch-all default up one place: the specific rule after it can never match.
    rules[-2], rules[-1] = rules[-1], rules[-2]
    i = len(rules) - 1
    return ("spec", "http", i), "node", f"http[{i}] comes after http[{i - 1}], which has no match (matches everything)"


def _plant_missing_gateway(rng: random.Random, d: Doc, ctx: dict):
    if d.kind != "VirtualService" or not d.info.get("mesh_only"):
        return None
    gateways = ctx["gateways"].get(d.namespace) or ["public-gateway"]
    real = rng.choice(gateways)
    cut = rng.randrange(1, len(real) - 1)
    typo = real[:cut] + real[cut + 1:] if real[cut] != "-" else real[:cut] + real[cut + 1:] + "s"
    spec = d.body["spec"]
    if "gateways" in spec:  # an explicit `gateways: [mesh]`
        spec["gateways"].append(typo)
    else:
        items = list(spec.items())
        spec.clear()
        for k, v in items:
            spec[k] = v
            if k == "hosts":
                spec["gateways"] = ["mesh", typo]
    i = len(spec["gateways"]) - 1
    return ("spec", "gateways", i), "value", f"no Gateway `{typo}` (typo of `{real}`)"


def _plant_orphan_host(rng: random.Random, d: Doc, ctx: dict):
    if d.kind != "Gateway":
        return None
    hosts = d.body["spec"]["servers"][d.info["https"]]["hosts"]
    hosts.append(f"{rng.choice(['legacy', 'old', 'promo', 'staging', 'partners'])}-{rng.choice(PATH_WORDS)}.{rng.choice(DOMAINS)}")
    return ("spec", "servers", d.info["https"], "hosts", len(hosts) - 1), "value", "no VirtualService bound to this Gateway serves the host"


def _plant_https_without_tls(rng: random.Random, d: Doc, ctx: dict):
    if d.kind != "Gateway":
        return None
    server = d.body["spec"]["servers"][d.info["https"]]
    del server["tls"]
    return ("spec", "servers", d.info["https"], "port", "protocol"), "value", "HTTPS server without a tls block"


PLANTERS = {
    "unknown-field": (_plant_unknown_field, ("VirtualService", "DestinationRule", "Gateway", "ServiceEntry")),
    "wrong-type": (_plant_wrong_type, ("VirtualService", "DestinationRule", "Gateway", "ServiceEntry")),
    "shadowed-route": (_plant_shadowed_route, ("VirtualService",)),
    "missing-gateway": (_plant_missing_gateway, ("VirtualService",)),
    "orphan-gateway-host": (_plant_orphan_host, ("Gateway",)),
    "https-without-tls": (_plant_https_without_tls, ("Gateway",)),
}


def plant_mistakes(rng: random.Random, by_ns: dict[str, list[Doc]], count: int) -> int:
    docs = [d for ds in by_ns.values() for d in ds]
    ctx = {"gateways": {ns: [d.name for d in ds if d.kind == "Gateway"] for ns, ds in by_ns.items()}}
    pools, budget = {}, {}
    for t in MISTAKE_TYPES:
        kinds = PLANTERS[t][1]
        pool = [i for i, d in enumerate(docs) if d.kind in kinds]
        rng.shuffle(pool)
        pools[t] = pool
        # Gateways are few: cap every type at a quarter of its candidates so most stay correct.
        budget[t] = max(1, len(pool) // 4)
    planted = 0
    order = MISTAKE_TYPES[:]
    rng.shuffle(order)
    turn = 0
    exhausted: set[str] = set()
    while planted < count and len(exhausted) < len(order):
        t = order[turn % len(order)]
        turn += 1
        if t in exhausted:
            continue
        if budget[t] == 0:
            exhausted.add(t)
            continue
        fn = PLANTERS[t][0]
        while pools[t]:
            d = docs[pools[t].pop()]
            if d.mistake is not None:
                continue
            res = fn(rng, d, ctx)
            if res is None:
                continue
            path, at, detail = res
            d.mistake = {"type": t, "rule": MISTAKE_RULES[t], "path": path, "at": at, "detail": detail}
            planted += 1
            budget[t] -= 1
            break
        else:
            exhausted.add(t)
    return planted


# --------------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------------

FILE_HEADERS = [
    "Generated by the platform team's templates; edit the values, not this file.",
    "Routing and policy for the {ns} namespace.",
    "Istio config: {ns} (see the runbook before changing retries or timeouts).",
]
DOC_COMMENTS = [
    "Owned by the {team} team.",
    "Keep in sync with the Helm chart values.",
    "TODO: tighten once the migration is done.",
    "Canary rollout: adjust weights, not the match order.",
]


def _doc_comment(rng: random.Random, d: Doc) -> list[str]:
    if rng.random() < 0.12:
        team = d.body["metadata"].get("labels", {}).get("team", "platform")
        return ["# " + rng.choice(DOC_COMMENTS).format(team=team)]
    return []


def write_corpus(rng: random.Random, by_ns: dict[str, list[Doc]], out: str, docs_per_file: int, one_doc_per_file: bool) -> list[dict]:
    mistakes: list[dict] = []
    for ns, docs in by_ns.items():
        os.makedirs(os.path.join(out, ns), exist_ok=True)
        chunks = [[d] for d in docs] if one_doc_per_file else [docs[i:i + docs_per_file] for i in range(0, len(docs), docs_per_file)]
        for ci, chunk in enumerate(chunks):
            if one_doc_per_file:
                d = chunk[0]
                rel = f"{ns}/{ci:05d}-{d.kind.lower()}-{d.name}.yaml"
            else:
                rel = f"{ns}/{ns}-{ci + 1:03d}.yaml"
            compact = rng.random() < 0.75  # most people write `- item` level with the parent key
            lines: list[str] = []
            if not one_doc_per_file and rng.random() < 0.6:
                lines.append("# " + rng.choice(FILE_HEADERS).format(ns=ns))
            for di, d in enumerate(chunk):
                if di:
                    lines.append("---")
                lines.extend(_doc_comment(rng, d))
                targets = {(d.mistake["path"], d.mistake["at"])} if d.mistake else None
                doc_lines, found = emit_document(d.body, compact, targets)
                if d.mistake:
                    line, col = found[(d.mistake["path"], d.mistake["at"])]
                    mistakes.append({
                        "file": rel, "document": di, "line": len(lines) + line, "column": col,
                        "kind": d.kind, "namespace": d.namespace, "name": d.name,
                        "type": d.mistake["type"], "rule": d.mistake["rule"],
                        "path": list(d.mistake["path"]), "detail": d.mistake["detail"],
                    })
                lines.extend(doc_lines)
            with open(os.path.join(out, rel), "w", encoding="utf-8", newline="\n") as f:
                f.write("\n".join(lines) + "\n")
    return mistakes


def manifest_path(out: str) -> str:
    """Where the manifest of a corpus written to `out` goes: beside the directory (``DIR.manifest.json``).
    Inside it, ``istiolint lint DIR`` would lint it as one more (JSON) input."""
    return os.path.normpath(out) + ".manifest.json"


def generate(resources: int, out: str, seed: int = 42, mistake_rate: float = 0.02,
             docs_per_file: int = 50, one_doc_per_file: bool = False, manifest: str | None = None) -> dict:
    """Write the corpus into `out` and its manifest to `manifest` (default `manifest_path(out)`);
    return the manifest."""
    if resources < 1:
        raise ValueError("resources must be >= 1")
    if not 0 <= mistake_rate <= 1:
        raise ValueError("mistake rate must be within [0, 1]")
    rng = random.Random(seed)
    by_ns = build(rng, plan(rng, resources))
    wanted = round(resources * mistake_rate)
    planted = plant_mistakes(random.Random(seed + 1), by_ns, wanted)
    os.makedirs(out, exist_ok=True)
    mistakes = write_corpus(random.Random(seed + 2), by_ns, out, docs_per_file, one_doc_per_file)
    counts: dict[str, int] = {}
    for docs in by_ns.values():
        for d in docs:
            counts[d.kind] = counts.get(d.kind, 0) + 1
    files = sum(1 for _, _, fs in os.walk(out) for f in fs if f.endswith(".yaml"))
    record = {
        "generator": "bench/gen_corpus.py",
        "seed": seed,
        "resources": resources,
        "mistake_rate": mistake_rate,
        "mistakes_wanted": wanted,
        "mistakes_planted": planted,
        "one_doc_per_file": one_doc_per_file,
        "files": files,
        "namespaces": list(by_ns),
        "counts_by_kind": dict(sorted(counts.items())),
        "positions": "document is 0-based within the file; line and column are 1-based "
                     "(at the key for unknown-field, at the value or list item otherwise)",
        "mistakes": sorted(mistakes, key=lambda m: (m["file"], m["line"], m["column"])),
    }
    with open(manifest or manifest_path(out), "w", encoding="utf-8", newline="\n") as f:
        json.dump(record, f, indent=1)
        f.write("\n")
    return record


def _resources_arg(value: str) -> int:
    if value.lower() in PRESETS:
        return PRESETS[value.lower()]
    try:
        n = int(value.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or one of {', '.join(PRESETS)}") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--resources", type=_resources_arg, default=PRESETS["1k"], help="number of resources, or 1k/10k/50k (default 1k)")
    ap.add_argument("--out", required=True, help="output directory (created if missing)")
    ap.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    ap.add_argument("--mistake-rate", type=float, default=0.02, help="share of resources with one planted mistake (default 0.02)")
    ap.add_argument("--docs-per-file", type=int, default=50, help="documents per multi-document file (default 50)")
    ap.add_argument("--one-doc-per-file", action="store_true", help="write each document to its own file (for check-jsonschema)")
    ap.add_argument("--manifest", help="where to write the manifest (default: DIR.manifest.json beside --out)")
    args = ap.parse_args(argv)
    m = generate(args.resources, args.out, args.seed, args.mistake_rate, args.docs_per_file, args.one_doc_per_file,
                 args.manifest)
    kinds = ", ".join(f"{k} {v}" for k, v in m["counts_by_kind"].items())
    print(f"{m['resources']} resources in {m['files']} files under {args.out} ({kinds}); "
          f"{m['mistakes_planted']} planted mistakes listed in {args.manifest or manifest_path(args.out)}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
