"""Runs the selected rules over the index and stamps code, name, severity and position on findings.

A rule module declares ``KINDS`` (the kinds it reads; ``("*",)`` for every resource) and one or both of
- ``check(resource, ctx)``: called once per resource of those kinds, yields findings;
- ``check_file(source, ctx)``: called once per input file (for problems of the text itself).
Rules never print, never open files and never choose their own severity: the catalog (or the user's
configuration) does. An exception in a rule becomes an ``internal-error`` finding for that rule and
resource; every other rule and resource is still checked.
"""

from __future__ import annotations

import importlib
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from .catalog import Catalog, RuleEntry
from .finding import Finding, Related, ResourceRef, Severity
from .loader import SourceFile
from .model import Index, Resource
from .paths import format_path

INTERNAL_ERROR = "internal-error"


@dataclass
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


@dataclass
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


@dataclass
class EngineResult:
    findings: list[Finding]
    internal_errors: int
    tracebacks: list[str]


def run_rules(
    catalog: Catalog, selected: Iterable[RuleEntry], severity_of: Callable[[RuleEntry], Severity],
    index: Index, sources: list[SourceFile], settings: Settings, analyzed_files: set[str] | None = None,
) -> EngineResult:
    """Run every selected rule; ``analyzed_files`` limits findings to files named for analysis."""
    findings: list[Finding] = []
    tracebacks: list[str] = []
    internal = catalog.find(INTERNAL_ERROR)
    present = index.kinds

    def internal_error(entry: RuleEntry, err: BaseException, file: str, resource: Resource | None) -> None:
        tracebacks.append(f"{entry.name} on {file} {resource.ref if resource else ''}:\n{traceback.format_exc()}")
        line, column = resource.position() if resource else (1, 1)
        where = f" on {resource.ref}" if resource else ""
        findings.append(Finding(
            internal.code if internal else "IL000", INTERNAL_ERROR, Severity.ERROR,
            f"rule {entry.name} ({entry.code}) failed{where}: {type(err).__name__}: {err}. "
            "This is a bug in istiolint; please report it (run with --debug for the traceback)",
            file, line, column, resource.ref if resource else None,
        ))

    for entry in selected:
        if entry.name == INTERNAL_ERROR:
            continue
        try:
            rule = load_rule(entry)
        except Exception as err:  # a broken rule module must not take the others down
            internal_error(entry, err, sources[0].path if sources else "-", None)
            continue
        ctx = RuleContext(entry, index, settings, severity_of(entry))
        if rule.check_file is not None:
            for source in sources:
                if analyzed_files is not None and source.path not in analyzed_files:
                    continue
                try:
                    findings.extend(rule.check_file(source, ctx))
                except Exception as err:
                    internal_error(entry, err, source.path, None)
        if rule.check is None:
            continue
        wanted = rule.kinds
        if "*" in wanted:
            candidates: Iterable[Resource] = index.resources
        elif present.isdisjoint(wanted):
            continue
        else:
            candidates = index.of_kind(*wanted)
        for resource in candidates:
            if not resource.analyze:
                continue
            try:
                for finding in rule.check(resource, ctx):
                    findings.append(finding)
            except Exception as err:
                internal_error(entry, err, resource.file, resource)
    errors = sum(1 for f in findings if f.name == INTERNAL_ERROR)
    return EngineResult(findings, errors, tracebacks)


def iter_unique(findings: Iterable[Finding]) -> Iterator[Finding]:
    """Drop exact duplicates (two rules or two paths reaching the same node say it once)."""
    seen: set[tuple] = set()
    for finding in findings:
        key = (finding.code, finding.file, finding.line, finding.column, finding.message)
        if key not in seen:
            seen.add(key)
            yield finding
