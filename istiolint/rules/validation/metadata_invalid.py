"""IL116 metadata-invalid: object metadata the Kubernetes API server (or Istio's webhook) rejects.

Names and generateName in the form each kind requires (DNS-1123 subdomain for most, DNS-1035 label for
Services, DNS-1123 label for Namespaces and Istio Gateways, path segments for RBAC objects, at most 52
characters for CronJobs), namespaces, label keys and values, annotation keys, non-string label and
annotation values, the 256KiB annotation limit, and the annotations Istio's webhook refuses
(`istio.io/dry-run` outside ALLOW/DENY AuthorizationPolicies, Istio's internal annotations).

Values a tool fills in later (``$(NAMESPACE)``, ``${NAME}``, ``{{ .Values.name }}``, ``NAME_PLACEHOLDER``)
are not judged, and files that are not API objects (kustomize and kpt configuration) are skipped.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from ...model import CLUSTER_SCOPED_KINDS, ISTIO_GROUPS
from .common import Report, is_placeholder

CODE = "IL116"
KINDS = ("*",)

# Groups of configuration files that never reach an API server.
NOT_SERVED_GROUPS = frozenset(("kustomize.config.k8s.io", "config.kubernetes.io", "kpt.dev", "fn.kpt.dev",
                               "install.istio.io", "skaffold", "kind.x-k8s.io", "kubeadm.k8s.io",
                               "kubelet.config.k8s.io", "kubeproxy.config.k8s.io", "apiserver.config.k8s.io",
                               "audit.k8s.io", "builtin"))
RBAC_KINDS = frozenset(("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"))
MAX_ANNOTATIONS_SIZE = 256 * 1024
DRY_RUN = "istio.io/dry-run"
INTERNAL_ANNOTATIONS = ("internal.istio.io/webhook-always-reject", "internal.istio.io/parents")
GO_BOOLS = frozenset(("1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"))

_LABEL = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_LABEL_RE = re.compile(_LABEL)
_DNS1035 = re.compile(r"[a-z](?:[-a-z0-9]*[a-z0-9])?")
_QUALIFIED_NAME = re.compile(r"(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")


def _chars_hint(value: str, pattern: re.Pattern, allowed: str) -> str:
    if value != value.lower() and pattern.fullmatch(value.lower()):
        return "it must be lower case"
    return f"use only {allowed}, starting and ending with a letter or digit"


def subdomain_problem(value: str, limit: int = 253) -> str | None:
    if len(value) > limit:
        return f"it is {len(value)} characters long, at most {limit} are allowed"
    if not _SUBDOMAIN.fullmatch(value):
        return _chars_hint(value, _SUBDOMAIN, "lower-case letters, digits, '-' and '.'")
    return None


def label_problem(value: str) -> str | None:
    if len(value) > 63:
        return f"it is {len(value)} characters long, at most 63 are allowed"
    if not _LABEL_RE.fullmatch(value):
        return _chars_hint(value, _LABEL_RE, "lower-case letters, digits and '-', no dots")
    return None


def dns1035_problem(value: str) -> str | None:
    if len(value) > 63:
        return f"it is {len(value)} characters long, at most 63 are allowed"
    if not _DNS1035.fullmatch(value):
        if value[:1].isdigit():
            return "it must start with a letter"
        return _chars_hint(value, _DNS1035, "lower-case letters, digits and '-', no dots")
    return None


def path_segment_problem(value: str) -> str | None:
    if value in (".", ".."):
        return f"'{value}' is not allowed"
    for bad in ("/", "%"):
        if bad in value:
            return f"it must not contain '{bad}'"
    return None


def name_problem(group: str, kind: str, name: str) -> tuple[str, str | None]:
    """(what the kind's names must be, why ``name`` is not that)."""
    if group == "" and kind == "Service":
        return "a DNS-1035 label", dns1035_problem(name)
    if group == "" and kind == "Namespace":
        return "a DNS-1123 label", label_problem(name)
    if group == "networking.istio.io" and kind == "Gateway":
        return "a DNS-1123 label (Istio rejects dots in Gateway names)", label_problem(name)
    if group == "rbac.authorization.k8s.io" and kind in RBAC_KINDS:
        return "a path segment", path_segment_problem(name)
    if group == "batch" and kind == "CronJob":
        return "a DNS-1123 subdomain of at most 52 characters", subdomain_problem(name, 52)
    return "a DNS-1123 subdomain", subdomain_problem(name)


def qualified_name_problem(key: str, lower_prefix: bool = False) -> str | None:
    """Why ``key`` is not a Kubernetes qualified name ([prefix/]name), or None."""
    prefix, slash, name = key.rpartition("/")
    if slash:
        if "/" in prefix:
            return "it may contain at most one '/'"
        if not prefix:
            return "the prefix before '/' is empty"
        problem = subdomain_problem(prefix.lower() if lower_prefix else prefix)
        if problem:
            return f"the prefix '{prefix}' is not a DNS subdomain: {problem}"
    if not name:
        return "the name part is empty"
    if len(name) > 63:
        return f"the name part is {len(name)} characters long, at most 63 are allowed"
    if not _QUALIFIED_NAME.fullmatch(name):
        return "the name part may contain letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
    return None


def label_value_problem(value: str) -> str | None:
    if len(value) > 63:
        return f"it is {len(value)} characters long, at most 63 are allowed"
    if value and not _QUALIFIED_NAME.fullmatch(value):
        return "use letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
    return None


def check(resource, ctx) -> Iterator:
    metadata = resource.data.get("metadata")
    if not isinstance(metadata, dict) or resource.kind is None or resource.group in NOT_SERVED_GROUPS:
        return
    report = Report(ctx, resource)
    group, kind = resource.group, resource.kind
    name = metadata.get("name")
    if isinstance(name, str) and name and not is_placeholder(name):
        form, problem = name_problem(group, kind, name)
        if problem:
            yield report.error(("metadata", "name"), f"'{name}' is not a valid {kind} name: {problem}. A {kind} name "
                                                     f"must be {form}; the API server rejects it")
    elif not name and isinstance(metadata.get("generateName"), str) and not is_placeholder(metadata["generateName"]):
        prefix = metadata["generateName"]
        form, problem = name_problem(group, kind, prefix[:-1] if prefix.endswith("-") else prefix)
        if problem:
            yield report.error(("metadata", "generateName"), f"generateName '{prefix}' cannot start a valid {kind} "
                                                             f"name: {problem}. A {kind} name must be {form}")
    if group == "apiextensions.k8s.io" and kind == "CustomResourceDefinition" and isinstance(name, str):
        spec = resource.spec
        names = spec.get("names") if isinstance(spec.get("names"), dict) else {}
        plural, crd_group = names.get("plural"), spec.get("group")
        if isinstance(plural, str) and isinstance(crd_group, str) and name != f"{plural}.{crd_group}":
            yield report.error(("metadata", "name"), f"a CustomResourceDefinition must be named <plural>.<group>: "
                                                     f"'{plural}.{crd_group}', not '{name}'; the API server rejects it")
    namespace = metadata.get("namespace")
    if isinstance(namespace, str) and namespace and kind not in CLUSTER_SCOPED_KINDS and not is_placeholder(namespace):
        problem = label_problem(namespace)
        if problem:
            yield report.error(("metadata", "namespace"), f"'{namespace}' is not a valid namespace name: {problem}; "
                                                          "the API server rejects it")
    yield from _labels(report, metadata.get("labels"))
    yield from _annotations(report, metadata.get("annotations"), resource)


def _not_string(value: Any) -> bool:
    return value is not None and not isinstance(value, str)


_UNKNOWN = object()


class MetadataVerdicts:
    """What the checks of label keys, label values and annotation keys said, kept for the run (one per
    run, through the engine's services): objects repeat the same few labels and annotations."""

    def __init__(self) -> None:
        self._label_keys: dict[str, str | None] = {}
        self._label_values: dict[str, str | None] = {}
        self._annotation_keys: dict[str, str | None] = {}

    def label_key(self, key: str) -> str | None:
        found = self._label_keys.get(key, _UNKNOWN)
        if found is _UNKNOWN:
            found = self._label_keys[key] = None if is_placeholder(key) else qualified_name_problem(key)
        return found  # type: ignore[return-value]

    def label_value(self, value: str) -> str | None:
        found = self._label_values.get(value, _UNKNOWN)
        if found is _UNKNOWN:
            found = self._label_values[value] = None if is_placeholder(value) else label_value_problem(value)
        return found  # type: ignore[return-value]

    def annotation_key(self, key: str) -> str | None:
        found = self._annotation_keys.get(key, _UNKNOWN)
        if found is _UNKNOWN:
            found = self._annotation_keys[key] = None if is_placeholder(key) \
                else qualified_name_problem(key, lower_prefix=True)
        return found  # type: ignore[return-value]


def _verdicts(report: Report) -> MetadataVerdicts:
    return report.ctx.service("validation.metadata-verdicts", MetadataVerdicts)


def _utf8_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def _labels(report: Report, labels: Any) -> Iterator:
    if not isinstance(labels, dict) or not labels:
        return
    verdicts = _verdicts(report)
    for key, value in labels.items():
        if isinstance(key, str):
            problem = verdicts.label_key(key)
            if problem:
                yield report.error(("metadata", "labels", key), f"invalid label key '{key}': {problem}; the API "
                                                                "server rejects it", key=True)
        if isinstance(value, str):
            problem = verdicts.label_value(value)
            if problem:
                yield report.error(("metadata", "labels", key), f"invalid label value '{value}': {problem}; the API "
                                                                "server rejects it")
        elif value is not None:
            yield report.error(("metadata", "labels", key), f"label values must be strings: quote {_shown(value)}; "
                                                            "the API server rejects the object otherwise")


def _annotations(report: Report, annotations: Any, resource: Any) -> Iterator:
    if not isinstance(annotations, dict):
        return
    verdicts = _verdicts(report)
    size = 0
    for key, value in annotations.items():
        if isinstance(key, str):
            size += _utf8_size(key)
            problem = verdicts.annotation_key(key)
            if problem:
                yield report.error(("metadata", "annotations", key), f"invalid annotation key '{key}': {problem}; "
                                                                     "the API server rejects it", key=True)
        if isinstance(value, str):
            size += _utf8_size(value)
        elif value is not None:
            yield report.error(("metadata", "annotations", key), f"annotation values must be strings: quote "
                                                                 f"{_shown(value)}; the API server rejects the "
                                                                 "object otherwise")
    if size > MAX_ANNOTATIONS_SIZE:
        yield report.error(("metadata", "annotations"), f"the annotations take {size} bytes; the API server accepts "
                                                        f"at most {MAX_ANNOTATIONS_SIZE} (256KiB)", key=True)
    if resource.group in ISTIO_GROUPS:
        yield from _istio_annotations(report, annotations, resource)


def _istio_annotations(report: Report, annotations: dict, resource: Any) -> Iterator:
    for key in INTERNAL_ANNOTATIONS:
        if key in annotations:
            yield report.error(("metadata", "annotations", key), f"'{key}' is set by Istio itself and may not be set "
                                                                 "by users; Istio rejects the resource", key=True)
    if DRY_RUN not in annotations:
        return
    path = ("metadata", "annotations", DRY_RUN)
    if resource.kind != "AuthorizationPolicy":
        yield report.error(path, f"{DRY_RUN} is supported only on AuthorizationPolicy; Istio rejects it on a "
                                 f"{resource.kind}. Remove it", key=True)
        return
    action = resource.spec.get("action", "ALLOW") or "ALLOW"
    if action not in ("ALLOW", "DENY"):
        yield report.error(path, f"{DRY_RUN} works only with action ALLOW or DENY, not {action}; Istio rejects it",
                           key=True)
    value = annotations[DRY_RUN]
    if isinstance(value, str) and value not in GO_BOOLS:
        yield report.error(path, f"{DRY_RUN} must be \"true\" or \"false\", not '{value}'; Istio rejects it")


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return f'"{str(value).lower()}"'
    return f'"{value}"' if not isinstance(value, (dict, list)) else "the value (it is a mapping or a list)"
