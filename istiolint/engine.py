"""Runs the selected rules over the index and stamps code, name, severity and position on findings.

A rule module declares ``KINDS`` (the kinds it reads; ``("*",)`` for every resource) and one or both of
- ``check(resource, ctx)``: called once per resource of those kinds, yields findings;
- ``check_file(source, ctx)``: called once per input file (for problems of the text itself).
Rules never print, never open files and never choose their own severity: the catalog (or the user's
configuration) does. An exception in a rule becomes an ``internal-error`` finding for that rule and
resource; every other rule and resource is still checked.
"""

from __future__ import annotations

import functools
import importlib
import os
import re
from typing import Any, Callable, Iterable, Iterator

from .catalog import Catalog, RuleEntry
from .finding import Finding, Related, ResourceRef, Severity
from .loader import SourceFile
from .model import Index, Resource
from .paths import format_path
from .record import field, record

INTERNAL_ERROR = "internal-error"


@record
class Settings:
    """What rules may read of the run's configuration."""

    cluster_domain: str = "cluster.local"
    default_namespace: str = "default"
    strict_references: bool = False
    rule_options: dict[str, dict] = field(default_factory=dict)
    services: dict[str, Any] = field(default_factory=dict)  # shared helpers, e.g. the schema store


class RuleContext:
    """Handed to a rule: the index, settings, and the way to build findings."""

    def __init__(self, entry: RuleEntry, index: Index, settings: Settings, severity: Severity):
        self.entry = entry
        self.index = index
        self.settings = settings
        self.severity = severity
        self.options = settings.rule_options.get(entry.name, {})

    def service(self, name: str, factory: Callable[[], Any]) -> Any:
        """A helper shared by rules for the whole run (built on first use), e.g. the schema store."""
        services = self.settings.services
        if name not in services:
            services[name] = factory()
        return services[name]

    def finding(
        self, resource: Resource, path: Iterable[Any] = (), message: str | None = None, *,
        key: bool = False, related: Iterable[Related] = (), severity: Severity | None = None, **fields: Any,
    ) -> Finding:
        """A finding at ``path`` of ``resource`` (at the key itself with ``key=True``).

        ``severity`` is for rules whose catalog entry documents per-case severities (e.g. a gateway
        port check that is an error in one case and a warning in another); configuration still wins.
        """
        path = tuple(path)
        line, column = resource.position(path, key=key)
        text = message if message is not None else self.entry.message.format(**fields)
        chosen = self.severity if severity is None or self.severity != self.entry.severity else severity
        return Finding(
            self.entry.code, self.entry.name, chosen, text, resource.file, line, column,
            resource.ref, format_path(path), tuple(related),
        )

    def at(self, source: SourceFile, line: int, column: int, message: str,
           resource: ResourceRef | None = None, path: str = "") -> Finding:
        """A finding at a raw position of a file (problems of the text, before there is a resource)."""
        return Finding(self.entry.code, self.entry.name, self.severity, message, source.path, line, column,
                       resource, path)

    def related(self, resource: Resource, path: Iterable[Any], message: str, key: bool = False) -> Related:
        path = tuple(path)
        line, column = resource.position(path, key=key)
        return Related(resource.file, line, column, message, resource.ref, format_path(path))


@record
class LoadedRule:
    entry: RuleEntry
    kinds: tuple[str, ...]
    check: Callable | None
    check_file: Callable | None


def load_rule(entry: RuleEntry) -> LoadedRule:
    module = importlib.import_module(entry.module)
    declared = getattr(module, "CODE", entry.code)
    if declared != entry.code:
        raise RuntimeError(f"{entry.module} declares {declared} but the catalog says {entry.code}")
    return LoadedRule(entry, tuple(getattr(module, "KINDS", ())), getattr(module, "check", None),
                      getattr(module, "check_file", None))


@record
class EngineResult:
    findings: list[Finding]
    internal_errors: int
    tracebacks: list[str]


def run_rules(
    catalog: Catalog, selected: Iterable[RuleEntry], severity_of: Callable[[RuleEntry], Severity],
    index: Index, sources: list[SourceFile], settings: Settings, analyzed_files: set[str] | None = None,
    jobs: int | None = None,
) -> EngineResult:
    """Run every selected rule; ``analyzed_files`` limits findings to files named for analysis.

    Rules whose module (as the catalog cache knows without importing it) reads only kinds absent
    from the input are not even imported. On large inputs the rules are spread over processes
    (``jobs``: how many; None decides from the input and the cores, see ``parallel``); the findings
    are the same, in the same order, as when one process runs them in catalog order."""
    from . import parallel

    present = index.kinds
    runnable = [e for e in selected if e.name != INTERNAL_ERROR and _may_apply(catalog, e, present)]
    job = RuleJob(catalog, severity_of, index, sources, settings, analyzed_files)
    parts = None
    # Rules of one package share derived indexes (Index.memo): they run in the same process.
    families: dict[str, list[int]] = {}
    for i, entry in enumerate(runnable):
        families.setdefault(entry.module.rpartition(".")[0], []).append(i)
    groups = list(families.values())
    workers = parallel.rule_workers(len(index.resources), len(groups), jobs)
    if workers > 1:
        costs = [sum(_estimated_cost(catalog, runnable[i], index) for i in group) for group in groups]
        done = parallel.map_rules(job, [[runnable[i] for i in group] for group in groups], workers, costs)
        if done is not None:  # None: the processes failed, run the rules here
            parts = [None] * len(runnable)
            for group, results in zip(groups, done):
                for i, result in zip(group, results):
                    parts[i] = result
    if parts is None:
        parts = [job.run(entry) for entry in runnable]
    findings = [f for part_findings, _ in parts for f in part_findings]
    tracebacks = [t for _, part_tracebacks in parts for t in part_tracebacks]
    errors = sum(1 for f in findings if f.name == INTERNAL_ERROR)
    return EngineResult(findings, errors, tracebacks)


def _may_apply(catalog: Catalog, entry: RuleEntry, present: frozenset[str]) -> bool:
    """Can this rule find anything here? Decided from its source when that says plainly (then a rule
    for kinds absent from the input is not even imported); otherwise the rule is loaded to know."""
    kinds = _kinds_of(catalog, entry)
    return kinds is None or "*" in kinds or not present.isdisjoint(kinds)


def _kinds_of(catalog: Catalog, entry: RuleEntry) -> tuple[str, ...] | None:
    if entry.module in catalog.declared_kinds:  # recorded in rules/catalog.json
        return catalog.declared_kinds[entry.module]
    return declared_kinds(entry.module)


# Routes make VirtualServices the largest objects of most inputs and the costliest to check; a rule
# for every kind mostly looks at a few fields of each.
_KIND_WEIGHT = {"VirtualService": 4.0}
_ANY_KIND_WEIGHT = 0.25


def _estimated_cost(catalog: Catalog, entry: RuleEntry, index: Index) -> float:
    """How long a rule will take, roughly, from the resources it visits (only to start the long rules
    first when several processes share them: a wrong guess costs balance, never findings)."""
    kinds = _kinds_of(catalog, entry)
    if kinds is None or "*" in kinds:
        return len(index.resources) * _ANY_KIND_WEIGHT
    return sum(len(index.of_kind(k)) * _KIND_WEIGHT.get(k, 1.0) for k in kinds)


_PACKAGE_DIR = os.path.dirname(os.path.realpath(__file__))
# One line ``KINDS = ("Gateway", ...)`` of string literals (what nearly every rule module starts with).
_KINDS_LINE = re.compile(r"""KINDS = (\((?:\s*["'][A-Za-z*]+["']\s*,?)*\s*\))[ \t]*(?:#.*)?\Z""")


@functools.lru_cache(maxsize=None)
def declared_kinds(module: str) -> tuple[str, ...] | None:
    """The ``KINDS`` a rule module of this package declares, read from its source without importing it
    (importing every rule costs more than a small run). None -- "import it to know" -- unless the
    source is unambiguous: KINDS named once, in a plain literal, and no ``check_file`` (which runs
    whatever the kinds) nor star import anywhere."""
    head, _, rest = module.partition(".")
    if head != __package__ or not rest:
        return None
    try:
        with open(os.path.join(_PACKAGE_DIR, *rest.split(".")) + ".py", encoding="utf-8") as handle:
            source = handle.read()
    except (OSError, ValueError):
        return None
    # Plain substring tests first: the regular expressions then only ever see one line (a small run
    # reads every rule's source, and scanning whole files with them cost more than the rules).
    if "check_file" in source or "import *" in source or _word_count(source, "KINDS") != 1:
        return None
    start = source.find("\nKINDS = ") + 1
    if start == 0:
        return None
    end = source.find("\n", start)
    match = _KINDS_LINE.match(source[start:] if end < 0 else source[start:end])
    if match is None:
        return None
    return tuple(re.findall(r"""["']([A-Za-z*]+)["']""", match.group(1)))


def _word_count(text: str, word: str) -> int:
    """Occurrences of ``word`` not inside a longer identifier (``KINDS``, not ``MATCH_KINDS``)."""
    count, i = 0, text.find(word)
    while i >= 0:
        end = i + len(word)
        if (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")) and (
                end == len(text) or not (text[end].isalnum() or text[end] == "_")):
            count += 1
        i = text.find(word, end)
    return count


@record
class RuleJob:
    """One run's rules over one index: ``run`` checks one rule (in whichever process)."""

    catalog: Catalog
    severity_of: Callable[[RuleEntry], Severity]
    index: Index
    sources: list[SourceFile]
    settings: Settings
    analyzed_files: set[str] | None

    def run(self, entry: RuleEntry) -> tuple[list[Finding], list[str]]:
        """(findings, tracebacks of internal errors) of one rule."""
        findings: list[Finding] = []
        tracebacks: list[str] = []
        internal = self.catalog.find(INTERNAL_ERROR)
        sources, index = self.sources, self.index

        def internal_error(err: BaseException, file: str, resource: Resource | None) -> None:
            import traceback  # only now: most runs never need it

            tracebacks.append(f"{entry.name} on {file} {resource.ref if resource else ''}:\n{traceback.format_exc()}")
            line, column = resource.position() if resource else (1, 1)
            where = f" on {resource.ref}" if resource else ""
            findings.append(Finding(
                internal.code if internal else "IL000", INTERNAL_ERROR, Severity.ERROR,
                f"rule {entry.name} ({entry.code}) failed{where}: {type(err).__name__}: {err}. "
                "This is a bug in istiolint; please report it (run with --debug for the traceback)",
                file, line, column, resource.ref if resource else None,
            ))

        try:
            rule = load_rule(entry)
        except Exception as err:  # a broken rule module must not take the others down
            internal_error(err, sources[0].path if sources else "-", None)
            return findings, tracebacks
        ctx = RuleContext(entry, index, self.settings, self.severity_of(entry))
        if rule.check_file is not None:
            for source in sources:
                if self.analyzed_files is not None and source.path not in self.analyzed_files:
                    continue
                try:
                    findings.extend(rule.check_file(source, ctx))
                except Exception as err:
                    internal_error(err, source.path, None)
        if rule.check is None:
            return findings, tracebacks
        wanted = rule.kinds
        if "*" in wanted:
            candidates: Iterable[Resource] = index.resources
        elif index.kinds.isdisjoint(wanted):
            return findings, tracebacks
        else:
            candidates = index.of_kind(*wanted)
        for resource in candidates:
            if not resource.analyze:
                continue
            try:
                for finding in rule.check(resource, ctx):
                    findings.append(finding)
            except Exception as err:
                internal_error(err, resource.file, resource)
        return findings, tracebacks


def iter_unique(findings: Iterable[Finding]) -> Iterator[Finding]:
    """Drop exact duplicates (two rules or two paths reaching the same node say it once)."""
    seen: set[tuple] = set()
    for finding in findings:
        key = (finding.code, finding.file, finding.line, finding.column, finding.message)
        if key not in seen:
            seen.add(key)
            yield finding
