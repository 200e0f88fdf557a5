"""Suppressions, applied after the rules and before reporting.

Sources, from the narrowest to the widest:
- a comment ``# istiolint: disable=route-shadowed,IL102`` silences those rules on the line it ends, or on
  the next line when the comment stands alone on its line; ``disable`` alone silences every rule there;
- ``# istiolint: disable-file`` (every rule) or ``# istiolint: disable-file=IL3`` (anywhere in the file);
- the annotation ``istiolint.io/ignore: "IL301,gateway-host-orphan"`` on a resource (``*`` for all), and
  Istio's own ``galley.istio.io/analyze-suppress: "IST0101"``, mapped through each rule's ``istio_codes``
  so suppressions written for ``istioctl analyze`` keep working;
- ``per-file-ignores`` of the configuration, and ``--suppress "CODE=Kind ns/name"`` (istioctl's form
  ``--suppress "IST0102=Namespace frod"`` and ``Kind name.namespace`` work too; Kind and names are globs).

Comments are not part of the loaded data, so the source lines are scanned, but only those containing
``istiolint:`` — a substring test per line, cheap on large inputs. A comment or annotation that
silences nothing (or names no rule at all) can be reported as ``unused-suppression`` (IL004).
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import Iterable

from .finding import Finding, ResourceRef, Severity
from .paths import format_path
from .record import field, record

IGNORE_ANNOTATION = "istiolint.io/ignore"
GALLEY_ANNOTATION = "galley.istio.io/analyze-suppress"
UNUSED_SUPPRESSION = "unused-suppression"

# ``#`` must start a comment: at the line start or after whitespace (``a#b`` is part of a scalar).
_COMMENT = re.compile(r"(?:^|(?<=\s))#\s*istiolint:\s*(?P<body>.*)$")
_DIRECTIVE = re.compile(
    r"(?P<command>disable-file|disable)\b"
    r"(?:\s*=\s*(?P<codes>[\w.*-]+(?:\s*,\s*[\w.*-]+)*))?"
)
_IST_CODE = re.compile(r"IST\d{4}\Z", re.IGNORECASE)


class SuppressionError(ValueError):
    """A malformed ``--suppress`` (a usage error)."""


def resolve_rules(catalog, selector: str) -> frozenset[str] | None:
    """Rule codes a suppression names: a code, a name, a code prefix, an ``IST`` code (through the
    catalog's ``istio_codes``) or ``*``/``all``. None when it names nothing we know."""
    selector = selector.strip()
    if selector in ("*", "all", "ALL"):
        return frozenset(e.code for e in catalog.entries)
    if _IST_CODE.match(selector):
        codes = frozenset(e.code for e in catalog.entries if selector.upper() in e.istio_codes)
        return codes or None
    found = catalog.matching(selector)
    return frozenset(e.code for e in found) if found else None


@record
class Directive:
    """One rule selector of one suppression, tracked so unused ones can be reported."""

    source: str  # "comment", "file-comment", "annotation", "galley", "per-file-ignores", "--suppress"
    selector: str  # as written
    codes: frozenset[str] | None  # None: names no known rule
    file: str | None = None
    line: int = 0  # where it is written (for an unused-suppression finding)
    column: int = 0
    resource: ResourceRef | None = None
    path: str = ""
    target_line: int | None = None  # the line a comment applies to
    used: int = 0
    problem: str = ""  # a malformed directive

    def covers(self, code: str) -> bool:
        return self.codes is not None and code in self.codes


# --- comments --------------------------------------------------------------------------------------

def _is_code_line(text: str) -> bool:
    stripped = text.strip()
    return bool(stripped) and not stripped.startswith("#")


def comment_directives(path: str, lines: list[str], catalog) -> list[Directive]:
    """Every ``# istiolint:`` directive in a file, one per named rule."""
    found: list[Directive] = []
    for number, text in enumerate(lines, start=1):
        if "istiolint:" not in text:
            continue
        match = _COMMENT.search(text)
        if match is None:
            continue
        hash_column = match.start() + 1
        body = match.group("body")
        body_column = match.start("body") + 1
        directive = _DIRECTIVE.match(body)
        if directive is None:
            word = body.split("=")[0].split()[0] if body.split() else ""
            found.append(Directive("comment", body.strip(), None, path, number, hash_column,
                                   problem=f"unknown istiolint directive {word!r}; use disable=RULES, "
                                           "disable-file or disable-file=RULES"))
            continue
        rest = body[directive.end():].strip()
        if rest and not rest.startswith(("--", "#", "(", ";")):
            # "disable route-shadowed" (no "=") must not silence every rule on the line.
            found.append(Directive("comment", body.strip(), None, path, number, hash_column,
                                   problem=f"malformed istiolint directive {body.strip()!r}; write "
                                           f"{directive.group('command')}=RULE[,RULE…] (a reason may follow after --)"))
            continue
        whole_file = directive.group("command") == "disable-file"
        target = None
        if not whole_file:
            alone = not text[: match.start()].strip()
            if alone:
                target = next((n for n in range(number + 1, len(lines) + 1) if _is_code_line(lines[n - 1])), None)
            else:
                target = number
        kind = "file-comment" if whole_file else "comment"
        codes_text = directive.group("codes")
        if codes_text is None:
            found.append(Directive(kind, "*", resolve_rules(catalog, "*"), path, number, hash_column,
                                   target_line=target))
            continue
        offset = body_column - 1 + directive.start("codes")
        for item in re.finditer(r"[^,\s]+", codes_text):
            found.append(Directive(kind, item.group(), resolve_rules(catalog, item.group()), path, number,
                                   offset + item.start() + 1, target_line=target))
    return found


# --- annotations -----------------------------------------------------------------------------------

def annotation_directives(resource, catalog) -> list[Directive]:
    found: list[Directive] = []
    annotations = resource.annotations
    for name, source in ((IGNORE_ANNOTATION, "annotation"), (GALLEY_ANNOTATION, "galley")):
        value = annotations.get(name)
        if not isinstance(value, str):
            continue
        path = ("metadata", "annotations", name)
        line, column = resource.position(path)
        for item in (part.strip() for part in value.split(",")):
            if not item:
                continue
            codes = resolve_rules(catalog, item)
            if source == "galley" and codes is None:
                continue  # an istioctl code no istiolint rule covers: meant for istioctl alone
            found.append(Directive(source, item, codes, resource.file, line, column, resource.ref,
                                   format_path(path)))
    return found


# --- --suppress ------------------------------------------------------------------------------------

@record
class CliSuppression:
    directive: Directive
    kind: str | None  # glob; None: any resource, and findings without one
    namespace: str | None  # glob; None: any namespace
    name: str | None  # glob (or istioctl's name.namespace)

    def matches(self, finding: Finding) -> bool:
        if not self.directive.covers(finding.code):
            return False
        if self.kind is None:
            return True
        ref = finding.resource
        if ref is None or not fnmatchcase(ref.kind or "", self.kind):
            return False
        if self.name is None:
            return True
        name, namespace = ref.name or "", ref.namespace or ""
        if self.namespace is not None:
            return fnmatchcase(namespace, self.namespace) and fnmatchcase(name, self.name)
        # "Kind name", or istioctl's "Kind name.namespace" (names may contain dots themselves).
        return fnmatchcase(name, self.name) or (bool(namespace) and fnmatchcase(f"{name}.{namespace}", self.name))


def parse_cli_suppressions(items: Iterable[str], catalog) -> list[CliSuppression]:
    """``CODE``, ``CODE=Kind``, ``CODE=Kind name``, ``CODE=Kind ns/name`` (globs allowed)."""
    out: list[CliSuppression] = []
    for item in items:
        code_part, _, target = item.partition("=")
        code_part = code_part.strip()
        if not code_part:
            raise SuppressionError(f"--suppress {item!r}: expected CODE=Kind ns/name")
        words = target.split()
        if len(words) > 2:
            raise SuppressionError(f"--suppress {item!r}: expected CODE=Kind ns/name (one space)")
        kind = words[0] if words else None
        namespace = name = None
        if len(words) == 2:
            if "/" in words[1]:
                namespace, _, name = words[1].partition("/")
            else:
                name = words[1]
        for selector in (p.strip() for p in code_part.split(",") if p.strip()):
            codes = resolve_rules(catalog, selector)
            if codes is None:
                hint = catalog.suggest(selector)
                raise SuppressionError(f"--suppress {item!r}: unknown rule {selector!r}"
                                       + (f"; did you mean {hint!r}?" if hint else ""))
            out.append(CliSuppression(Directive("--suppress", selector, codes), kind, namespace, name))
    return out


# --- applying --------------------------------------------------------------------------------------

@record
class SuppressResult:
    kept: list[Finding]
    suppressed: list[Finding]
    directives: list[Directive] = field(default_factory=list)  # in-file directives, for unused reporting


def apply(findings: list[Finding], sources: dict[str, list[str]], resources: Iterable, catalog, config=None,
          cli: list[CliSuppression] = ()) -> SuppressResult:
    """Split findings into kept and suppressed. ``sources`` maps each analyzed file to its lines;
    ``resources`` are the analyzed resources (for their annotations)."""
    by_line: dict[tuple[str, int], list[Directive]] = {}
    by_file: dict[str, list[Directive]] = {}
    by_resource: dict[tuple[str, ResourceRef], list[Directive]] = {}
    directives: list[Directive] = []
    for path, lines in sources.items():
        for d in comment_directives(path, lines, catalog):
            directives.append(d)
            if d.source == "file-comment":
                by_file.setdefault(path, []).append(d)
            elif d.target_line is not None:
                by_line.setdefault((path, d.target_line), []).append(d)
    for resource in resources:
        if not resource.analyze:
            continue
        for d in annotation_directives(resource, catalog):
            directives.append(d)
            by_resource.setdefault((resource.file, resource.ref), []).append(d)

    per_file_cache: dict[str, list[Directive]] = {}

    def per_file(path: str) -> list[Directive]:
        if path not in per_file_cache:
            entries = config.ignored_by_file(path) if config is not None else []
            per_file_cache[path] = [
                Directive("per-file-ignores", f"{pattern}: {', '.join(rules)}",
                          frozenset(c for r in rules for c in (resolve_rules(catalog, r) or ())))
                for pattern, rules in entries
            ]
        return per_file_cache[path]

    kept: list[Finding] = []
    suppressed: list[Finding] = []
    for finding in findings:
        candidates = list(by_line.get((finding.file, finding.line), ()))
        candidates += by_file.get(finding.file, ())
        if finding.resource is not None:
            candidates += by_resource.get((finding.file, finding.resource), ())
        candidates += per_file(finding.file)
        hits = [d for d in candidates if d.covers(finding.code)]
        hits += [s.directive for s in cli if s.matches(finding)]
        for d in hits:
            d.used += 1
        (suppressed if hits else kept).append(finding)
    return SuppressResult(kept, suppressed, directives)


def unused_findings(directives: list[Directive], selected_codes: set[str], entry, severity: Severity,
                    catalog) -> list[Finding]:
    """``unused-suppression`` findings: in-file suppressions that silenced nothing although the rules
    they name ran, and suppressions that name no rule at all (a typo silences nothing, silently).
    Istio's galley annotation is left alone when unused: istioctl may still need it."""
    out = []
    for d in directives:
        if d.source == "galley" and d.codes is not None:
            continue
        if d.problem:
            message = d.problem
        elif d.codes is None:
            hint = catalog.suggest(d.selector)
            message = (f"suppression names no rule: {d.selector!r}" + (f"; did you mean {hint!r}?" if hint else "")
                       + "; it silences nothing")
        elif d.used or not (d.codes & selected_codes):
            continue  # used, or its rules did not run (so we cannot tell)
        elif d.source == "comment" and d.target_line is None:
            message = f"suppression of {d.selector!r} has no line below it to apply to; remove it"
        else:
            where = {"comment": f"line {d.target_line}", "file-comment": "this file",
                     "annotation": "this resource"}.get(d.source, "its scope")
            message = f"suppression of {d.selector!r} silences no finding on {where}; remove it"
        out.append(Finding(entry.code, entry.name, severity, message, d.file or "-", d.line, d.column,
                           d.resource, d.path))
    return out
