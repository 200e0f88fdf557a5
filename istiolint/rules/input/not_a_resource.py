"""IL003 not-a-resource: a document in a manifest stream is not a Kubernetes object.

Many YAML files in a repository are not manifests (Helm values, CI config), so a file is only held to
this when it looks like one: some document names both ``apiVersion`` and ``kind``. Then a stray
scalar, a list, a mapping without ``apiVersion``/``kind``, fields of the wrong type, or a
``kind: List`` whose ``items`` are not objects is almost certainly a mistake (a bad merge, a lost
indent), and ``kubectl apply`` fails on it.
"""

import json

from ...model import resources_of

CODE = "IL003"
KINDS = ()

# A List of a million scalars is one mistake, not a million findings.
MAX_PER_FILE = 100


def _is_object(data) -> bool:
    return isinstance(data, dict) and isinstance(data.get("apiVersion"), str) and isinstance(data.get("kind"), str)


def _names_a_type(data) -> bool:
    """Does the document mean to be an object (whatever the types of its apiVersion and kind)?"""
    return isinstance(data, dict) and "apiVersion" in data and "kind" in data


def _shape(node) -> str:
    if node is None:
        return "empty (null)"
    if isinstance(node, list):
        return "a list"
    if isinstance(node, dict):
        return "a mapping"
    if isinstance(node, bool):
        return f"the boolean {'true' if node else 'false'}"
    if isinstance(node, int):
        return f"the integer {node}"
    if isinstance(node, float):
        return f"the number {node}"
    text = json.dumps(str(node), ensure_ascii=False)
    if len(text) > 42:
        text = text[:40] + "…" + '"'
    return f"the string {text}"


def _findings(source, ctx):
    documents = [d for d in source.documents if not d.dropped]
    if not any(_names_a_type(d.data) for d in documents):
        return
    for resource, document, base in resources_of(source, ctx.settings.default_namespace):
        where = f"item {base[1]} of the List" if base else f"document {document.index + 1}"
        if resource is None:
            node = document.data
            for step in base:
                node = node[step]
            line, column = document.position(base)
            yield ctx.at(source, line, column,
                         f"{where} is {_shape(node)}, not a Kubernetes object; remove it or fix its indentation")
            continue
        data = resource.data
        missing = [f for f in ("apiVersion", "kind") if data.get(f) is None]
        if missing:
            yield ctx.finding(resource, (), f"{where} has no {' and no '.join(missing)}; every Kubernetes "
                                            "object needs apiVersion and kind")
        for field in ("apiVersion", "kind"):
            value = data.get(field)
            if value is not None and not isinstance(value, str):
                yield ctx.finding(resource, (field,), f"{field} must be a string, got {_shape(value)}")
        if not _is_object(data):
            continue
        if not resource.is_istio:  # Istio kinds: schema-violation checks these against the CRD
            for field, what in (("metadata", "(name, namespace, labels, …)"), ("spec", "")):
                value = data.get(field)
                if value is not None and not isinstance(value, dict):
                    yield ctx.finding(resource, (field,), f"{field} must be a mapping{' ' + what if what else ''}, "
                                                          f"got {_shape(value)}; kubectl cannot decode the object")
        if data.get("kind") == "List" and not base and "items" in data and not isinstance(data["items"], list):
            # model.resources_of only unpacks a List whose items are a list; anything else is lost.
            yield ctx.finding(resource, ("items",), f"items of a List must be a list of objects, got "
                                                    f"{_shape(data['items'])}; nothing in it is applied")


def check_file(source, ctx):
    for count, finding in enumerate(_findings(source, ctx)):
        if count == MAX_PER_FILE:
            yield ctx.at(source, finding.line, finding.column,
                         f"more than {MAX_PER_FILE} documents or items of this file are not Kubernetes objects; "
                         "the rest are not reported")
            return
        yield finding
