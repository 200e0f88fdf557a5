"""The pipeline: paths → files → documents → index → rules → report → exit code.

The CLI only parses arguments into ``Options`` and calls ``run``; tests call ``run`` directly too.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Iterator

from .finding import Finding, Severity

YAML_SUFFIXES = (".yaml", ".yml", ".json")
SKIPPED_DIRS = frozenset((".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", ".tox"))
DEFAULT_MAX_FILE_SIZE = 50 * 1024 * 1024

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


@dataclass
class Options:
    paths: list[str]
    format: str = "text"
    fail_on: Severity = Severity.ERROR
    namespace: str = "default"
    cluster_domain: str = "cluster.local"
    color: bool | None = None  # None: decide from the terminal and NO_COLOR
    quiet: bool = False
    output: str | None = None
    context: list[str] = field(default_factory=list)
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    strict_references: bool = False
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    debug: bool = False


@dataclass
class Report:
    """Everything a reporter needs; reporters know nothing of rules beyond the catalog entries."""

    findings: list[Finding]
    files: int
    resources: int
    sources: dict[str, list[str]]  # file → its lines, for source excerpts
    catalog: object  # Catalog, for reporters that describe rules (SARIF)
    errors: list[str] = field(default_factory=list)  # run-level errors (unreadable paths, usage)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def summary(self) -> dict:
        return {
            "files": self.files, "resources": self.resources, "errors": self.count(Severity.ERROR),
            "warnings": self.count(Severity.WARNING), "infos": self.count(Severity.INFO),
        }


@dataclass
class InputFile:
    path: str  # as the user named it (relative paths stay relative)
    raw: bytes | None
    problem: str | None = None


def discover(paths: list[str], errors: list[str]) -> Iterator[str]:
    """Files to lint, in a stable order. Directories are walked recursively for *.yaml/*.yml/*.json;
    symlinked directories are followed once (a loop is cut where it closes)."""
    seen_files: set[str] = set()
    for given in paths:
        if given == "-":
            yield "-"
            continue
        path = Path(given)
        if not path.exists() and not path.is_symlink():
            errors.append(f"{given}: no such file or directory")
            continue
        if path.is_dir():
            visited: set[str] = set()
            for file in _walk(path, visited, errors):
                real = os.path.realpath(file)
                if real not in seen_files:
                    seen_files.add(real)
                    yield file
        else:
            real = os.path.realpath(given)
            if real not in seen_files:
                seen_files.add(real)
                yield given


def _walk(directory: Path, visited: set[str], errors: list[str]) -> Iterator[str]:
    real = os.path.realpath(directory)
    if real in visited:
        return  # a symlink loop, or a directory reached twice
    visited.add(real)
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as err:
        errors.append(f"{directory}: cannot read directory: {err.strerror}")
        return
    for entry in entries:
        try:
            if entry.is_dir():
                if entry.name not in SKIPPED_DIRS:
                    yield from _walk(Path(entry.path), visited, errors)
            elif entry.name.endswith(YAML_SUFFIXES) and (entry.is_file() or entry.is_symlink()):
                if entry.is_symlink() and not os.path.exists(entry.path):
                    errors.append(f"{entry.path}: broken symbolic link")
                    continue
                yield entry.path
        except OSError as err:
            errors.append(f"{entry.path}: {err.strerror}")


def read_input(path: str, stdin: IO[bytes] | None, max_size: int) -> InputFile:
    if path == "-":
        data = (stdin or sys.stdin.buffer).read(max_size + 1)
    else:
        try:
            size = os.path.getsize(path)
            if size > max_size:
                return InputFile(path, None, f"file is {size:,} bytes, over the {max_size:,}-byte limit "
                                             "(--max-file-size); not linted")
            with open(path, "rb") as handle:
                data = handle.read(max_size + 1)
        except OSError as err:
            return InputFile(path, None, f"cannot read file: {err.strerror or err}")
    if len(data) > max_size:
        return InputFile(path, None, f"input is over the {max_size:,}-byte limit (--max-file-size); not linted")
    return InputFile(path, data)


def run(options: Options, stdin: IO[bytes] | None = None, stdout: IO[str] | None = None,
        stderr: IO[str] | None = None) -> int:
    """Lint, write the report, and return the exit code."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    report, code, tracebacks = analyze(options, stdin)
    if report is None:
        for message in tracebacks:
            stderr.write(f"istiolint: error: {message}\n")
        return code
    if options.debug:
        for text in tracebacks:
            stderr.write(text)
    for message in report.errors:
        stderr.write(f"istiolint: error: {message}\n")
    _write_report(report, options, stdout)
    return code


def analyze(options: Options, stdin: IO[bytes] | None = None) -> tuple[Report | None, int, list[str]]:
    """Lint without writing anything: (report, exit code, tracebacks of internal errors).
    The report is None for a usage error, whose message is then the only item of the list."""
    from .catalog import load_catalog
    from .engine import Settings, iter_unique, run_rules
    from .loader import LoadProblem, SourceFile, decode, load_text
    from .model import Index, resources_of
    from .selection import Selection, SelectionError

    catalog = load_catalog()
    try:
        selection = Selection.build(catalog, options.select, options.ignore)
    except SelectionError as err:
        return None, EXIT_ERROR, [str(err)]

    errors: list[str] = []
    sources: list[SourceFile] = []
    resources = []
    analyzed: set[str] = set()

    def load(path: str, analyze: bool) -> None:
        item = read_input(path, stdin, options.max_file_size)
        if item.raw is None:
            source = SourceFile(path, "", [], [LoadProblem("limit", 1, 1, item.problem or "not read")])
        else:
            text, problem = decode(item.raw)
            source = load_text(text, path) if text is not None else SourceFile(path, "", [], [problem])
        if analyze:
            sources.append(source)
            analyzed.add(path)
        for resource, _document, _base in resources_of(source, options.namespace, analyze):
            if resource is not None:
                resources.append(resource)

    for path in discover(options.paths, errors):
        load(path, True)
    if options.context:
        context_errors: list[str] = []
        for path in discover(options.context, context_errors):
            if path not in analyzed and path != "-":
                load(path, False)
        errors.extend(context_errors)

    index = Index(resources, cluster_domain=options.cluster_domain)
    settings = Settings(cluster_domain=options.cluster_domain, default_namespace=options.namespace,
                        strict_references=options.strict_references)
    result = run_rules(catalog, selection.selected, selection.severity_of, index, sources, settings, analyzed)
    findings = sorted(iter_unique(result.findings), key=Finding.sort_key)

    report = Report(
        findings=findings, files=len(sources), resources=sum(1 for r in resources if r.analyze),
        sources={s.path: s.lines for s in sources}, catalog=catalog, errors=errors,
    )
    if errors or result.internal_errors:
        code = EXIT_ERROR
    elif any(f.severity >= options.fail_on for f in findings):
        code = EXIT_FINDINGS
    else:
        code = EXIT_OK
    return report, code, result.tracebacks


def _write_report(report: Report, options: Options, stdout: IO[str]) -> None:
    from .reporters import get_reporter

    reporter = get_reporter(options.format)
    if options.output:
        with open(options.output, "w", encoding="utf-8", newline="\n") as handle:
            reporter(report, handle, color=False, quiet=options.quiet)
    else:
        reporter(report, stdout, color=_use_color(options, stdout), quiet=options.quiet)


def _use_color(options: Options, stream: IO[str]) -> bool:
    if options.color is not None:
        return options.color
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
