"""Resources and the index rules query (by kind, namespace and name; derived indexes are memoised)."""

from __future__ import annotations

from functools import cached_property
from typing import Any, Callable, Iterable, Iterator

from .finding import ResourceRef
from .loader import Document, SourceFile
from .record import field, record

ISTIO_GROUPS = frozenset((
    "networking.istio.io", "security.istio.io", "telemetry.istio.io", "extensions.istio.io",
))

# Kinds that are not namespaced: they never get a default namespace.
CLUSTER_SCOPED_KINDS = frozenset((
    "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding",
    "CustomResourceDefinition", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
    "StorageClass", "PriorityClass", "IngressClass", "APIService", "GatewayClass",
))


@record(eq=False)
class Resource:
    """One Kubernetes object: a document, or one item of a ``kind: List``.

    Its derived attributes (kind, namespace, name, ...) are computed once: rules read them for every
    resource, again and again (the data is never modified during a run)."""

    source: SourceFile
    document: Document
    base: tuple  # path of the object inside its document: () or ("items", i)
    data: dict
    default_namespace: str
    analyze: bool = True  # False for resources loaded with --context: used for references only

    @property
    def file(self) -> str:
        return self.source.path

    @cached_property
    def api_version(self) -> str | None:
        value = self.data.get("apiVersion")
        return value if isinstance(value, str) else None

    @cached_property
    def kind(self) -> str | None:
        value = self.data.get("kind")
        return value if isinstance(value, str) else None

    @cached_property
    def group(self) -> str:
        api_version = self.api_version or ""
        return api_version.rpartition("/")[0]

    @cached_property
    def version(self) -> str:
        return (self.api_version or "").rpartition("/")[2]

    @cached_property
    def is_istio(self) -> bool:
        return self.group in ISTIO_GROUPS

    @cached_property
    def metadata(self) -> dict:
        value = self.data.get("metadata")
        return value if isinstance(value, dict) else {}

    @cached_property
    def spec(self) -> dict:
        value = self.data.get("spec")
        return value if isinstance(value, dict) else {}

    @cached_property
    def name(self) -> str | None:
        value = self.metadata.get("name")
        return value if isinstance(value, str) else None

    @cached_property
    def namespace(self) -> str | None:
        """The namespace the object lands in (``--namespace`` when it names none); None if cluster-scoped."""
        if self.kind in CLUSTER_SCOPED_KINDS:
            return None
        value = self.metadata.get("namespace")
        return value if isinstance(value, str) and value else self.default_namespace

    @cached_property
    def labels(self) -> dict:
        value = self.metadata.get("labels")
        return value if isinstance(value, dict) else {}

    @cached_property
    def annotations(self) -> dict:
        value = self.metadata.get("annotations")
        return value if isinstance(value, dict) else {}

    @cached_property
    def ref(self) -> ResourceRef:
        return ResourceRef(self.api_version, self.kind, self.namespace, self.name)

    def position(self, path: Iterable[Any] = (), key: bool = False) -> tuple[int, int]:
        """1-based line and column of ``path`` (relative to this resource), or of its nearest ancestor."""
        return self.document.position(self.base + tuple(path), key=key)

    def get(self, path: Iterable[Any], default: Any = None) -> Any:
        """The value at ``path``, or ``default`` when any step is missing or of the wrong type."""
        node: Any = self.data
        for step in path:
            if isinstance(step, int):
                if not isinstance(node, list) or not -len(node) <= step < len(node):
                    return default
            elif not isinstance(node, dict) or step not in node:
                return default
            node = node[step]
        return node

    def __repr__(self) -> str:
        return f"<Resource {self.ref} {self.file}>"


@record(eq=False)
class Index:
    """All resources of a run. Derived indexes are built once, on first use, through ``memo``."""

    resources: list[Resource]
    cluster_domain: str = "cluster.local"
    _by_kind: dict[str, list[Resource]] = field(default_factory=dict, init=False)
    _by_name: dict[tuple, list[Resource]] = field(default_factory=dict, init=False)
    _memo: dict[str, Any] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        for resource in self.resources:
            kind = resource.kind
            if kind is None:
                continue
            self._by_kind.setdefault(kind, []).append(resource)
            self._by_name.setdefault((kind, resource.namespace, resource.name), []).append(resource)

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(self._by_kind)

    def of_kind(self, *kinds: str) -> list[Resource]:
        if len(kinds) == 1:
            return self._by_kind.get(kinds[0], [])
        return [r for kind in kinds for r in self._by_kind.get(kind, [])]

    def get(self, kind: str, namespace: str | None, name: str) -> Resource | None:
        found = self._by_name.get((kind, namespace, name))
        return found[0] if found else None

    def in_namespace(self, kind: str, namespace: str) -> Iterator[Resource]:
        return (r for r in self.of_kind(kind) if r.namespace == namespace)

    def namespaces(self) -> set[str]:
        """Namespaces the input says exist: Namespace objects and namespaces resources land in."""
        found = {r.name for r in self.of_kind("Namespace") if r.name}
        found.update(r.namespace for r in self.resources if r.namespace)
        return found

    def memo(self, key: str, build: Callable[["Index"], Any]) -> Any:
        """A derived index (e.g. VirtualServices by gateway), built once per run and shared by rules."""
        try:
            return self._memo[key]
        except KeyError:
            value = self._memo[key] = build(self)
            return value


def resources_of(source: SourceFile, default_namespace: str, analyze: bool = True) -> Iterator[tuple[Resource | None, Document, tuple]]:
    """The Kubernetes objects in a file. Yields ``(resource, document, base)``; resource is None for
    documents (or List items) that are not objects, so callers can report them."""
    for document in source.documents:
        data = document.data
        if data is None or document.dropped:
            continue
        if isinstance(data, dict) and data.get("kind") == "List" and isinstance(data.get("items"), list) \
                and str(data.get("apiVersion", "v1")) == "v1":
            for i, item in enumerate(data["items"]):
                base = ("items", i)
                if isinstance(item, dict):
                    yield Resource(source, document, base, item, default_namespace, analyze), document, base
                else:
                    yield None, document, base
            continue
        if isinstance(data, dict):
            yield Resource(source, document, (), data, default_namespace, analyze), document, ()
        else:
            yield None, document, ()
