"""IL002 duplicate-key: a mapping names the same key twice."""

from ...model import resources_of
from ...paths import format_path

CODE = "IL002"
KINDS = ()


def check_file(source, ctx):
    problems = [p for p in source.problems if p.kind == "duplicate-key"]
    if not problems:
        return
    # Name the object and field path the key belongs to (a List item is its own object): objects by
    # (document, base path), so a file with many objects and many duplicates stays linear.
    owners = {(doc.index, base): r for r, doc, base in resources_of(source, ctx.settings.default_namespace) if r}
    for problem in problems:
        resource, relative = None, problem.path
        for base in (problem.path[:2], ()):
            candidate = owners.get((problem.document, base))
            if candidate is not None and problem.path[: len(base)] == base:
                resource, relative = candidate, problem.path[len(base):]
                break
        yield ctx.at(source, problem.line, problem.column, problem.message,
                     resource.ref if resource else None, format_path(relative))
