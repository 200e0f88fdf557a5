"""IL103 cel-validation: a CEL validation rule of the resource's CRD fails, so the API server rejects it."""

from ...cel_validator import CelValidator
from ...schema import SchemaStore

CODE = "IL103"
KINDS = ("*",)


def check(resource, ctx):
    if not resource.is_istio:
        return
    found = ctx.service("schemas", SchemaStore).lookup(resource.api_version, resource.kind)
    if not found.ok:
        return  # unknown-resource says why
    # One validator per run: every rule expression is compiled once, on first use.
    validator = ctx.service("cel", CelValidator)
    for problem in validator.validate(found.schema, resource.data):
        yield ctx.finding(resource, problem.path, problem.message)
