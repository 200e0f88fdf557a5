"""IL114 policy-target-invalid: workload selectors and targetRefs that Istio rejects or that select more
than they seem to.

Two selector shapes exist: ``selector.matchLabels`` (security and telemetry policies, WasmPlugin,
ProxyConfig; ``workloadSelector.matchLabels`` in DestinationRule) and ``workloadSelector.labels``
(Sidecar, ServiceEntry, EnvoyFilter). The CRDs' CEL rules reject wildcards in values (and, for
matchLabels, in keys and empty keys); Istio's webhook also rejects an empty key or a wildcard in a
``labels`` key. A selector without labels is accepted with a warning: it selects every workload of the
namespace. A targetRef must point at a kind the policy can attach to.
"""

from __future__ import annotations

import re
from typing import Iterator

from .common import Report, as_list, as_str

CODE = "IL114"
# Kind -> (selector field, labels field, CEL already checks keys, has targetRefs)
SELECTORS = {
    "AuthorizationPolicy": ("selector", "matchLabels", True, True),
    "RequestAuthentication": ("selector", "matchLabels", True, True),
    "PeerAuthentication": ("selector", "matchLabels", True, False),
    "Telemetry": ("selector", "matchLabels", True, True),
    "WasmPlugin": ("selector", "matchLabels", True, True),
    "ProxyConfig": ("selector", "matchLabels", True, False),
    "DestinationRule": ("workloadSelector", "matchLabels", True, False),
    "Sidecar": ("workloadSelector", "labels", False, False),
    "ServiceEntry": ("workloadSelector", "labels", False, False),
    "EnvoyFilter": ("workloadSelector", "labels", False, False),
}
KINDS = tuple(SELECTORS)
# (group, kind) a policy's targetRef may name; "" is the core group.
TARGET_KINDS = {("", "Service"), ("networking.istio.io", "ServiceEntry"), ("gateway.networking.k8s.io", "Gateway"),
                ("gateway.networking.k8s.io", "GatewayClass")}
_KIND = re.compile(r"[a-zA-Z](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?")
_GROUP = re.compile(r"|[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*")
TARGETS = "Service, ServiceEntry (networking.istio.io), Gateway or GatewayClass (gateway.networking.k8s.io)"


def check(resource, ctx) -> Iterator:
    if not resource.is_istio or resource.kind not in SELECTORS:
        return
    spec = resource.get(("spec",))
    if not isinstance(spec, dict):
        return
    report = Report(ctx, resource)
    field, labels_field, cel_keys, has_targets = SELECTORS[resource.kind]
    selector = spec.get(field)
    if isinstance(selector, dict):
        yield from _selector(report, resource.kind, selector, ("spec", field), labels_field, cel_keys)
    if has_targets:
        ref = spec.get("targetRef")
        if isinstance(ref, dict):
            yield from _target(report, ref, ("spec", "targetRef"))
        for k, ref in enumerate(as_list(spec.get("targetRefs"))):
            if isinstance(ref, dict):
                yield from _target(report, ref, ("spec", "targetRefs", k))


def _selector(report: Report, kind: str, selector: dict, path: tuple, labels_field: str, cel_keys: bool) -> Iterator:
    labels = selector.get(labels_field)
    if not isinstance(labels, dict) or not labels:
        if labels is None or isinstance(labels, dict):
            yield report.warning(path, f"this {kind} has a {path[-1]} without labels, so it applies to every "
                                       f"workload of the namespace; add {labels_field}, or remove {path[-1]} if "
                                       "that is what you mean", key=True)
        return
    if cel_keys:
        return  # empty keys and wildcards: the CRD's CEL rules
    for key in labels:
        if key == "":
            yield report.error(path + (labels_field, key), "a selector label key cannot be empty; Istio rejects it",
                               key=True)
        elif isinstance(key, str) and "*" in key:
            yield report.error(path + (labels_field, key), f"wildcards are not supported in selectors ('{key}'); "
                                                           "Istio rejects it. Name the label exactly", key=True)


def _target(report: Report, ref: dict, path: tuple) -> Iterator:
    kind = as_str(ref.get("kind"))
    group = as_str(ref.get("group")) or ""
    if not kind or not _KIND.fullmatch(kind) or not _GROUP.fullmatch(group):
        return  # missing or malformed: the CRD's schema says so (schema-violation)
    group = "" if group == "core" else group
    if (group, kind) in TARGET_KINDS:
        return
    homes = [g for g, k in sorted(TARGET_KINDS) if k == kind]
    if homes:
        wanted = homes[0] or "the core group (\"\")"
        got = f"group '{group}'" if "group" in ref else "no group, which means the core group"
        yield report.error(path + ("group",) if "group" in ref else path + ("kind",),
                           f"a {kind} target needs group {wanted}, but the targetRef has {got}; Istio rejects it")
        return
    shown = f"{group}/{kind}" if group else kind
    yield report.error(path + ("kind",), f"a policy cannot attach to {shown}; Istio rejects it. targetRef must name a "
                                         f"{TARGETS}")
