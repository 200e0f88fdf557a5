"""IL003 not-a-resource: a document in a manifest stream is not a Kubernetes object.

Many YAML files in a repository are not manifests (Helm values, CI config), so a file is only held to
this when it has at least one real object: then a stray scalar, a list, or a mapping without
``apiVersion``/``kind`` next to it is almost certainly a mistake (a bad merge, a lost indent).
"""

from ...model import resources_of

CODE = "IL003"
KINDS = ()


def _is_object(data) -> bool:
    return isinstance(data, dict) and isinstance(data.get("apiVersion"), str) and isinstance(data.get("kind"), str)


def check_file(source, ctx):
    entries = list(resources_of(source, ctx.settings.default_namespace))
    if not any(r is not None and _is_object(r.data) for r, _doc, _base in entries):
        return
    for resource, document, base in entries:
        where = f"item {base[1]} of the List" if base else f"document {document.index + 1}"
        if resource is None:
            node = document.data
            for step in base:
                node = node[step]
            shape = "a list" if isinstance(node, list) else f"the scalar {str(node)[:40]!r}"
            line, column = document.position(base)
            yield ctx.at(source, line, column,
                         f"{where} is {shape}, not a Kubernetes object; remove it or fix its indentation")
            continue
        data = resource.data
        missing = [f for f in ("apiVersion", "kind") if data.get(f) is None]
        if missing:
            yield ctx.finding(resource, (), f"{where} has no {' and no '.join(missing)}; every Kubernetes "
                                            "object needs apiVersion and kind")
        for field in ("apiVersion", "kind"):
            value = data.get(field)
            if value is not None and not isinstance(value, str):
                yield ctx.finding(resource, (field,), f"{field} must be a string, got {type(value).__name__} "
                                                      f"{value!r}")
        metadata = data.get("metadata")
        if _is_object(data) and metadata is not None and not isinstance(metadata, dict):
            yield ctx.finding(resource, ("metadata",), "metadata must be a mapping (name, namespace, labels, …)")
