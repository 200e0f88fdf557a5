"""namespace-injection-labels-conflict (IL551): a namespace with more than one injection label.

``istio-injection: enabled`` together with ``istio.io/rev`` or ``istio.io/dataplane-mode``, or
``istio.io/rev`` together with ``istio.io/dataplane-mode``: the injector honours the legacy label over
the revision one (the revision's control plane is then not the one injecting), and a namespace cannot be
both sidecar-injected and ambient. ``istio-injection`` with another value (``disabled``) is a clear opt
out and is not reported.
"""

from __future__ import annotations

from typing import Iterator

from .namespace_injection import mode_labels, skipped

CODE = "IL551"
KINDS = ("Namespace",)


def check(resource, ctx) -> Iterator:
    if skipped(resource):
        return
    labels = mode_labels(resource.labels)
    if len(labels) > 1:
        yield ctx.finding(
            resource, ("metadata", "labels"),
            f"this namespace has several labels choosing how it joins the mesh ({', '.join(labels)}): which "
            f"one wins is not what you may expect. Keep exactly one", key=True)
