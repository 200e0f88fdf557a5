"""Istio annotations on Kubernetes objects, read the way ``istioctl analyze`` reads them (a helper
module: no CODE). Shared by annotation-misplaced (IL540), annotation-unknown (IL541),
annotation-invalid (IL542) and annotation-deprecated (IL543).

Checked objects: Namespaces, Services and Pods, the metadata of workload controllers (Deployment,
StatefulSet, ...: an annotation meant for pods does nothing there) and, as pods, the pod templates of
those controllers. The list of annotations is istiolint/data/annotations.py (generated from istio/api
by scripts/gen_annotations.py).

An annotation is Istio's when the part of its key before ``/`` ends with ``istio.io`` (or it is
``kubernetes.io/ingress.class``, which Istio documents). Three are never checked because Istio's own
components write them: ``sidecar.istio.io/status``, ``gateway.istio.io/controller-version`` and
``istio.io/rev``.
"""

from __future__ import annotations

import functools
from typing import Any, Iterator

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from ...data.annotations import ANNOTATIONS
from ...record import record
from ...workloads import POD_TEMPLATE_PATHS
from .common import as_dict

KINDS = ("Namespace", "Service", "Pod", *POD_TEMPLATE_PATHS)
ALWAYS_IGNORED = frozenset(("sidecar.istio.io/status", "gateway.istio.io/controller-version", "istio.io/rev"))
INGRESS_CLASS = "kubernetes.io/ingress.class"
SIDECAR_INJECT = "sidecar.istio.io/inject"


@record(frozen=True)
class Placed:
    """The annotations of one object: the resource, where they are, and which kind they are judged as."""

    resource: Any
    path: tuple  # path of the annotations map
    kind: str
    annotations: dict
    labels: dict


def placements(resource) -> Iterator[Placed]:
    """The annotation maps of a resource: its own metadata, and its pod template's (as a Pod)."""
    yield Placed(resource, ("metadata", "annotations"), resource.kind, resource.annotations, resource.labels)
    template = POD_TEMPLATE_PATHS.get(resource.kind or "")
    if template:
        metadata = as_dict(as_dict(resource.get(template)).get("metadata"))
        yield Placed(resource, template + ("metadata", "annotations"), "Pod",
                     as_dict(metadata.get("annotations")), as_dict(metadata.get("labels")))


def is_istio_annotation(key: Any) -> bool:
    return isinstance(key, str) and (key == INGRESS_CLASS or key.partition("/")[0].endswith("istio.io"))


def istio_annotations(placed: Placed) -> Iterator[tuple[str, Any]]:
    for key, value in placed.annotations.items():
        if is_istio_annotation(key) and key not in ALWAYS_IGNORED:
            yield key, value


def definition(key: str):
    """(feature status, hidden, deprecated, resource types, value check) or None when unknown."""
    return ANNOTATIONS.get(key)


def misplaced(key: str, kind: str) -> tuple[str, ...] | None:
    """The kinds the annotation belongs on when ``kind`` is not one of them, else None."""
    found = definition(key)
    if found is None or "Any" in found[3] or kind in found[3]:
        return None
    return found[3]


# --------------------------------------------------------------------------- value checks
# The checks Istio's injector applies (pkg/kube/inject/validate.go), in our own code.

def _uint(text: str, bits: int) -> bool:
    return text.isascii() and text.isdigit() and int(text) < 2 ** bits


def _port(text: str) -> bool:
    return _uint(text.strip(), 16)


def _ports(text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    bad = [p for p in text.split(",") if not _port(p)]
    return f"not a port number: {bad[0]!r}" if bad else None


def _cidrs(text: str) -> str | None:
    if not text:
        return None
    import ipaddress  # only for the annotations that hold CIDRs

    for cidr in text.split(","):
        # Go's netip.ParsePrefix: address/bits in decimal, no spaces, no zone; host bits may be set.
        address, slash, bits = cidr.partition("/")
        try:
            if not slash or not bits.isascii() or not bits.isdigit() or (bits != "0" and bits.startswith("0")) \
                    or "%" in address:
                raise ValueError
            ipaddress.ip_network(f"{address}/{int(bits)}", strict=False)
        except ValueError:
            return f"not a CIDR range: {cidr!r}"
    return None


@functools.lru_cache(maxsize=256)  # workloads repeat the same proxy configuration; parsing it is slow
def _proxy_config(text: str) -> str | None:
    try:
        parsed = YAML(typ="safe", pure=True).load(text)
    except (YAMLError, ValueError, TypeError):
        return "not valid YAML"
    if parsed is not None and not isinstance(parsed, dict):
        return "not a ProxyConfig mapping"
    return None


GO_BOOLS = frozenset(("1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"))


def invalid(check: str | None, value: Any) -> str | None:
    """Why ``value`` is not acceptable for a value check of that kind, or None when it is."""
    if check is None:
        return None
    if not isinstance(value, str):
        return "annotation values are strings: quote it"
    if check == "interception_mode":
        return None if value in ("REDIRECT", "TPROXY", "NONE") else "must be REDIRECT, TPROXY or NONE"
    if check == "port":
        return None if _port(value) else "must be a port number (0-65535)"
    if check == "uint32":
        return None if _uint(value, 32) else "must be a non-negative whole number"
    if check == "ports":
        return _ports(value)
    if check == "ports_or_star":
        return None if value == "*" else _ports(value)
    if check == "cidrs":
        return _cidrs(value)
    if check == "cidrs_or_star":
        return None if value == "*" else _cidrs(value)
    if check == "bool":
        return None if value in GO_BOOLS else "must be true or false"
    if check == "proxy_config":
        return _proxy_config(value)
    return None
