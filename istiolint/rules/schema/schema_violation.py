"""IL102 schema-violation: an Istio resource does not match the strict schema of its CRD."""

from ...loader import YAML11_ONLY_BOOLS
from ...schema import SchemaStore

CODE = "IL102"
KINDS = ("*",)


def check(resource, ctx):
    if not resource.is_istio:
        return
    store = ctx.service("schemas", SchemaStore)
    if not store.lookup(resource.api_version, resource.kind).ok:
        return  # unknown-resource says why
    metadata = resource.data.get("metadata")
    if not isinstance(metadata, dict) or not (resource.name or metadata.get("generateName")):
        yield ctx.finding(resource, ("metadata",) if "metadata" in resource.data else (),
                          "metadata.name is required; the API server rejects an object without a name")
    yaml11 = resource.document.yaml11_bools
    for problem in store.validate(resource.api_version, resource.kind, resource.data):
        message = problem.message
        word = yaml11.get(resource.base + tuple(problem.path))
        if word in YAML11_ONLY_BOOLS:
            # The classic: ``exact: yes`` is a boolean to Kubernetes (YAML 1.1), not the word "yes".
            message = message.replace("; quote it to make it a string", "") + f'; Kubernetes reads the unquoted {word} as a boolean (YAML 1.1): quote it ("{word}")'
        yield ctx.finding(resource, problem.path, message, key=problem.anchor == "key")
