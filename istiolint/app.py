"""The pipeline: paths → files → documents → index → rules → report → exit code.

The CLI only parses arguments into ``Options`` and calls ``run``; tests call ``run`` directly too.
"""

from __future__ import annotations

import gc
import os
import sys
from functools import partial
from typing import IO, TYPE_CHECKING, Iterator

from .finding import Finding, Severity
from .record import field, record

if TYPE_CHECKING:  # annotations only: importing these at start-up is what analyze() defers
    from .config import Config
    from .loader import SourceFile

YAML_SUFFIXES = (".yaml", ".yml", ".json")
SKIPPED_DIRS = frozenset((".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", ".tox"))
DEFAULT_MAX_FILE_SIZE = 50 * 1024 * 1024

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


@record
class Options:
    """What to lint and how. ``None`` means "not given": the configuration file, then the default, decides."""

    paths: list[str]
    format: str | None = "text"  # None: github under GitHub Actions, else text
    fail_on: Severity | None = None  # default error
    namespace: str | None = None  # default "default"
    cluster_domain: str | None = None  # default "cluster.local"
    color: bool | None = None  # None: decide from the terminal and NO_COLOR
    quiet: bool = False
    output: str | None = None
    context: list[str] = field(default_factory=list)
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    strict_references: bool | None = None  # default False
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    debug: bool = False
    config: str | None = None  # a configuration file to use (instead of searching for one)
    find_config: bool = False  # search .istiolint.yaml / pyproject.toml upwards from the working directory
    exclude: list[str] = field(default_factory=list)  # more globs to skip (relative to the working directory)
    suppress: list[str] = field(default_factory=list)  # "CODE=Kind ns/name", istioctl-style
    report_unused_suppressions: bool | None = None
    baseline: str | None = None  # report only findings not in this baseline file
    write_baseline: str | None = None  # record the findings in this file instead of reporting them
    statistics: bool = False  # counts per rule instead of the findings
    progress: bool | None = None  # None: a progress bar on long runs when stderr is a terminal
    jobs: int | None = None  # processes to use at most (None: ISTIOLINT_JOBS, else the cores; 1: one)


@record
class Report:
    """Everything a reporter needs; reporters know nothing of rules beyond the catalog entries."""

    findings: list[Finding]
    files: int
    resources: int
    sources: dict[str, list[str]]  # file → its lines, for source excerpts
    catalog: object  # Catalog, for reporters that describe rules (SARIF)
    errors: list[str] = field(default_factory=list)  # run-level errors (unreadable paths, usage)
    linted: list[str] = field(default_factory=list)  # every file analyzed, in order (JUnit's clean files)
    root: str = "."  # directory paths are reported relative to (SARIF %SRCROOT%, GitLab, baseline)
    suppressed: int = 0  # findings silenced by comments, annotations, per-file-ignores, --suppress
    baselined: int = 0  # findings matched by --baseline
    internal_errors: int = 0

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def summary(self) -> dict:
        return {
            "files": self.files, "resources": self.resources, "errors": self.count(Severity.ERROR),
            "warnings": self.count(Severity.WARNING), "infos": self.count(Severity.INFO),
        }


@record
class InputFile:
    path: str  # as the user named it (relative paths stay relative)
    raw: bytes | None
    problem: str | None = None


def discover(paths: list[str], errors: list[str]) -> Iterator[str]:
    """Files to lint, in a stable order. Directories are walked recursively for *.yaml/*.yml/*.json;
    symlinked directories are followed once (a loop is cut where it closes).

    A path named here that does not exist is a run error (exit 2). What goes wrong inside a walked
    directory (a broken or looping symlink, an unreadable file or subdirectory) is yielded like a file,
    so that ``read_input`` reports it as a finding on that path and the rest is still linted."""
    seen_files: set[str] = set()
    for given in paths:
        if given == "-":
            yield "-"
            continue
        if not os.path.lexists(given):
            errors.append(f"{display_path(given)}: no such file or directory")
            continue
        if _is_dir(given):
            visited: set[str] = set()
            for file, real in _walk(_normalized(given), visited):
                if real not in seen_files:
                    seen_files.add(real)
                    yield file
        else:
            real = os.path.realpath(given)
            if real not in seen_files:
                seen_files.add(real)
                yield given


def display_path(path: str) -> str:
    """``path`` as reports show it. A file name that is not valid UTF-8 reaches Python with lone
    surrogates, which no UTF-8 output can carry: show those bytes as ``\\xNN`` instead."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _is_dir(path: str) -> bool:
    try:
        return os.path.isdir(path)
    except (OSError, ValueError):
        return False


def _normalized(path: str) -> str:
    """``path`` spelled as ``pathlib`` spells it (``./k8s/`` is ``k8s``, ``a//b`` is ``a/b``; ``..`` is
    kept): the files of a directory are reported under that spelling."""
    root = "//" if path.startswith("//") and not path.startswith("///") else "/" if path.startswith("/") else ""
    parts = [part for part in path.split("/") if part and part != "."]
    return root + "/".join(parts) if (root or parts) else "."


def _walk(directory: str, visited: set[str]) -> Iterator[tuple[str, str]]:
    """(path, real path) of each file to lint below ``directory``. A file that is not a symlink is
    its real directory plus its name: only links cost a ``realpath`` (a walk of thousands of small
    files paid one lookup per path component of each)."""
    real = os.path.realpath(directory)
    if real in visited:
        return  # a symlink loop, or a directory reached twice: its files are linted once
    visited.add(real)
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        yield str(directory), real  # read_input says why it cannot be read
        return
    for entry in entries:
        try:
            if entry.is_dir():
                if entry.name not in SKIPPED_DIRS:
                    yield from _walk(entry.path, visited)
            elif entry.name.endswith(YAML_SUFFIXES):
                if entry.is_symlink():
                    if not entry.is_file() and os.path.exists(entry.path):
                        continue  # a link to a FIFO, a device, a socket: skipped, as below
                    yield entry.path, os.path.realpath(entry.path)  # a broken link: read_input reports it
                elif entry.is_file():
                    yield entry.path, os.path.join(real, entry.name)
                # Anything else (a FIFO, a device, a socket, or a link to one) is skipped: reading a
                # FIFO nobody writes to would hang the run.
        except OSError:
            if entry.name.endswith(YAML_SUFFIXES):
                yield entry.path, os.path.realpath(entry.path)  # e.g. a symlink to itself (ELOOP)


def read_input(path: str, stdin: IO[bytes] | None, max_size: int) -> InputFile:
    if path == "-":
        data = (stdin or sys.stdin.buffer).read(max_size + 1)
    else:
        try:
            handle = open(path, "rb")
        except OSError as err:
            return InputFile(path, None, _unreadable(path, err))
        # One open and one fstat for the common case (a regular file): a run over thousands of small
        # files paid for four path lookups each before.
        with handle:
            size = os.fstat(handle.fileno()).st_size
            if size > max_size:
                return InputFile(path, None, f"file is {size:,} bytes, over the {max_size:,}-byte limit "
                                             "(--max-file-size); not linted")
            # Pipes and devices named on the command line are read (``lint <(helm template .)``),
            # never more than the size limit.
            try:
                data = handle.read(max_size + 1)
            except OSError as err:
                return InputFile(path, None, _unreadable(path, err))
    if len(data) > max_size:
        return InputFile(path, None, f"input is over the {max_size:,}-byte limit (--max-file-size); not linted")
    return InputFile(path, data)


def _unreadable(path: str, err: OSError) -> str:
    """Why ``path`` could not be read, in words (links and directories told apart)."""
    try:
        if os.path.islink(path) and not os.path.exists(path):
            target = os.readlink(path)
            if os.path.lexists(os.path.join(os.path.dirname(path), target)) or target == os.path.basename(path):
                return f"cannot read file: symbolic link loop ({path} -> {target})"
            return f"cannot read file: broken symbolic link to {target}"
        if os.path.isdir(path):
            with os.scandir(path):
                pass
            return "cannot read directory"
    except OSError as other:
        err = other
    what = "directory" if _is_dir(path) else "file"
    return f"cannot read {what}: {err.strerror or err}"


def load_source(path: str, max_size: int, stdin: IO[bytes] | None = None) -> "SourceFile":
    """Read, decode and parse one input file (in whichever process): never raises, problems are data."""
    from .loader import LoadProblem, SourceFile, decode, load_text

    item = read_input(path, stdin, max_size)
    shown = display_path(path)  # what findings name: always valid UTF-8
    if item.raw is None:
        return SourceFile(shown, "", [], [LoadProblem("limit", 1, 1, item.problem or "not read")])
    text, problem = decode(item.raw)
    if text is not None:
        return load_text(text, shown)
    # Not parsed; text that is merely not UTF-8 is still shown in excerpts.
    lines = item.raw.decode("utf-8", "replace") if problem.kind != "binary" else ""
    return SourceFile(shown, lines, [], [problem])


def run(options: Options, stdin: IO[bytes] | None = None, stdout: IO[str] | None = None,
        stderr: IO[str] | None = None) -> int:
    """Lint, write the report (or the baseline), and return the exit code."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr or open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - closed stderr
    if stdout is None and not (options.output or options.write_baseline):
        # Started with standard output closed (``>&-``): Python has no stream to give us.
        stderr.write("istiolint: error: standard output is closed; write the report with --output FILE\n")
        return EXIT_ERROR
    progress = _progress_for(options, stderr)
    try:
        report, code, tracebacks = analyze(options, stdin, progress=progress)
    finally:
        if progress is not None:
            progress.close()
    if report is None:
        for message in tracebacks:
            stderr.write(f"istiolint: error: {message}\n")
        return code
    if options.debug:
        for text in tracebacks:
            stderr.write(text)
    for message in report.errors:
        stderr.write(f"istiolint: error: {message}\n")
    if options.write_baseline:
        from .baseline import write_baseline

        try:
            count = write_baseline(options.write_baseline, report.findings, report.root)
        except OSError as err:
            stderr.write(f"istiolint: error: {options.write_baseline}: cannot write baseline: {err.strerror}\n")
            return EXIT_ERROR
        stderr.write(f"istiolint: recorded {count} finding{'' if count == 1 else 's'} in {options.write_baseline}\n")
        # Recording today's findings succeeds; only a run that could not read its input fails.
        return EXIT_ERROR if report.errors or report.internal_errors else EXIT_OK
    # Everything the run built is frozen while the report is rendered: the collector then only looks
    # at the report's own objects (at 50k, a full pass over the loaded data costs a second).
    gc.freeze()
    try:
        _write_report(report, options, stdout)
    finally:
        gc.unfreeze()
    return code


def output_format(options: Options) -> str:
    """The format asked for, or the one the environment implies: GitHub Actions shows workflow commands
    as annotations on the pull request, so there they are the default (as yamllint does)."""
    if options.format:
        return options.format
    if os.environ.get("GITHUB_ACTIONS") == "true":
        return "github"
    return "text"


def resolve_options(options: Options, catalog) -> tuple[Options, "Config"]:
    """Merge the configuration file under the command line: a flag given wins over the file, the file
    over the defaults. Raises ``ConfigError`` for a bad file."""
    from .record import replace

    from .config import Config, find_config, load_config

    path = options.config or (find_config() if options.find_config else None)
    config = load_config(path, catalog) if path else Config()

    def pick(given, configured, default):
        return given if given is not None else configured if configured is not None else default

    resolved = replace(
        options,
        fail_on=pick(options.fail_on, config.fail_on, Severity.ERROR),
        namespace=pick(options.namespace, config.namespace, "default"),
        cluster_domain=pick(options.cluster_domain, config.cluster_domain, "cluster.local"),
        strict_references=pick(options.strict_references, config.strict_references, False),
        report_unused_suppressions=pick(options.report_unused_suppressions, config.report_unused_suppressions, False),
    )
    return resolved, config


def _read_baseline(path: str):
    """The baseline's fingerprints; a bad file raises BaselineError, a ValueError. (The module is
    imported only when a baseline is used: it brings hashlib, which start-up does not need otherwise.)"""
    from .baseline import read_baseline

    return read_baseline(path)


def analyze(options: Options, stdin: IO[bytes] | None = None,
            progress: "Progress | None" = None) -> tuple[Report | None, int, list[str]]:
    """Lint without writing anything: (report, exit code, tracebacks of internal errors).
    The report is None for a usage error, whose message is then the only item of the list."""
    from . import parallel
    from .catalog import load_catalog
    from .config import Config, ConfigError
    from .engine import Settings, iter_unique, run_rules
    from .model import Index, resources_of
    from .selection import Selection, SelectionError
    from .suppress import UNUSED_SUPPRESSION, SuppressionError, apply, parse_cli_suppressions, unused_findings

    catalog = load_catalog()
    try:
        options, config = resolve_options(options, catalog)
        selection = Selection.build(catalog, options.select, options.ignore, config.severity,
                                    config.select, config.ignore)
        cli_suppressions = parse_cli_suppressions(options.suppress, catalog)
        known = _read_baseline(options.baseline) if options.baseline and not options.write_baseline else None
    except (ConfigError, SelectionError, SuppressionError, ValueError) as err:
        return None, EXIT_ERROR, [str(err)]

    errors: list[str] = []
    sources: list[SourceFile] = []
    resources = []
    analyzed: set[str] = set()
    cli_excludes = Config(exclude=options.exclude)  # command-line globs: relative to the working directory

    def excluded(path: str) -> bool:
        return config.is_excluded(path) or cli_excludes.is_excluded(path)

    paths = [p for p in discover(options.paths, errors) if not excluded(p)]
    context_paths: list[str] = []
    if options.context:
        named = set(paths) | {display_path(p) for p in paths}
        context_errors: list[str] = []
        for path in discover(options.context, context_errors):
            if path not in named and path != "-" and not excluded(path):
                context_paths.append(path)
        errors.extend(context_errors)
    if progress is not None:
        progress.start(len(paths))
    load_one = partial(load_source, max_size=options.max_file_size)  # sent to worker processes
    # Loading builds millions of objects and no garbage cycles: the cyclic collector would only walk
    # them again and again (a third of the loading time). It is off while loading; what was loaded is
    # then frozen out of its sight, and it runs as usual for the rules.
    collecting = gc.isenabled()
    gc.disable()
    try:
        def loaded(i: int) -> None:
            if progress is not None and i < len(paths):
                progress.advance()

        loaded_sources = parallel.load_sources(
            paths + context_paths, load_one, jobs=options.jobs, loaded=loaded,
            load_stdin=partial(load_source, max_size=options.max_file_size, stdin=stdin))
        for i, source in enumerate(loaded_sources):
            analyze = i < len(paths)
            if analyze:
                sources.append(source)
                analyzed.update((paths[i], source.path))
            for resource, _document, _base in resources_of(source, options.namespace, analyze):
                if resource is not None:
                    resources.append(resource)
    finally:
        gc.freeze()
        if collecting:
            gc.enable()
    # The rules keep derived tables for the whole run (the index memo, per-run services). After the
    # freeze the collector counts almost nothing as old, so with the default thresholds it walks
    # those tables again every few thousand allocations, charged to whichever rule is running: it
    # collects less often while they run (cycles are still freed, and memory stays bounded).
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], 20_000), *thresholds[1:])
    try:
        if progress is not None:
            progress.checking()
        index = Index(resources, cluster_domain=options.cluster_domain)
        settings = Settings(cluster_domain=options.cluster_domain, default_namespace=options.namespace,
                            strict_references=options.strict_references)
        result = run_rules(catalog, selection.selected, selection.severity_of, index, sources, settings, analyzed,
                           jobs=options.jobs)
    except BaseException:
        gc.unfreeze()
        raise
    finally:
        gc.set_threshold(*thresholds)
    # The loaded data stays frozen while the findings are sorted, filtered and made into the report:
    # once unfrozen, the collector's next full pass walks every loaded object (a second at 50k).
    try:
        findings = sorted(iter_unique(result.findings), key=Finding.sort_key)

        lines = _Lines({s.path: s for s in sources})
        # Comments are scanned only in files that mention istiolint at all (one substring test per file).
        commented = {s.path: lines[s.path] for s in sources if "istiolint:" in s.text}
        outcome = apply(findings, commented, resources, catalog, config, cli_suppressions)
        findings = outcome.kept
        unused_entry = catalog.find(UNUSED_SUPPRESSION)
        # Reported when asked for, or when a select list names the rule itself (as ruff's RUF100).
        if unused_entry is not None and unused_entry.code not in selection.ignored and (
                options.report_unused_suppressions or unused_entry.code in selection.named):
            findings = sorted(findings + unused_findings(
                outcome.directives, selection.codes, unused_entry, selection.severity_of(unused_entry), catalog),
                key=Finding.sort_key)
        root = os.getcwd()
        baselined = 0
        if known is not None:
            from .baseline import filter_new

            findings, baselined = filter_new(findings, known, root)

        report = Report(
            findings=findings, files=len(sources), resources=sum(1 for r in resources if r.analyze),
            sources=lines, catalog=catalog, errors=errors, linted=[s.path for s in sources], root=root,
            suppressed=len(outcome.suppressed), baselined=baselined, internal_errors=result.internal_errors,
        )
        if errors or result.internal_errors:
            code = EXIT_ERROR
        elif any(f.severity >= options.fail_on for f in findings):
            code = EXIT_FINDINGS
        else:
            code = EXIT_OK
        return report, code, result.tracebacks
    finally:
        gc.unfreeze()


class _Lines(dict):
    """file → its lines, split on first use: only reporters that show excerpts read them."""

    def __init__(self, sources: dict) -> None:
        super().__init__()
        self._sources = sources

    def __missing__(self, path: str) -> list[str]:
        lines = self[path] = self._sources[path].lines
        return lines

    def get(self, path, default=None):
        return self[path] if path in self._sources else default

    def __contains__(self, path) -> bool:
        return path in self._sources

    def __iter__(self):
        return iter(self._sources)

    def __len__(self) -> int:
        return len(self._sources)

    def keys(self):
        return self._sources.keys()

    def items(self):
        return ((path, self[path]) for path in self._sources)

    def values(self):
        return (self[path] for path in self._sources)


def _write_report(report: Report, options: Options, stdout: IO[str]) -> None:
    from .reporters import get_reporter, render_statistics

    if options.statistics:
        def reporter(report, stream, color=False, quiet=False):
            render_statistics(report, stream, output_format(options))
    else:
        reporter = get_reporter(output_format(options))
    if options.output:
        with open(options.output, "w", encoding="utf-8", newline="\n") as handle:
            reporter(report, handle, color=False, quiet=options.quiet)
    else:
        color = _use_color(options, stdout)
        if color:  # a terminal: rich measures it
            reporter(report, stdout, color=True, quiet=options.quiet)
            return
        # Rendered in memory and written at once: reporters write many small pieces, and standard
        # output may be unbuffered (PYTHONUNBUFFERED), which made a large JSON report 250,000 writes.
        import io

        buffer = io.StringIO()
        reporter(report, buffer, color=False, quiet=options.quiet)
        stdout.write(buffer.getvalue())


def _use_color(options: Options, stream: IO[str]) -> bool:
    if options.color is not None:
        return options.color
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


# --- progress ----------------------------------------------------------------------------------------

PROGRESS_MIN_FILES = 200  # below this a run takes well under a second: a bar would only flicker


class Progress:
    """A rich progress bar on standard error; rich is imported only when one is shown."""

    def __init__(self, stream: IO[str]):
        self.stream = stream
        self._bar = None
        self._task = None

    def start(self, total: int) -> None:
        if total < PROGRESS_MIN_FILES:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn, TimeElapsedColumn

        self._bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=Console(file=self.stream), transient=True)
        self._bar.start()
        self._task = self._bar.add_task("reading", total=total)

    def advance(self) -> None:
        if self._bar is not None:
            self._bar.advance(self._task)

    def checking(self) -> None:
        if self._bar is not None:
            self._bar.update(self._task, description="checking")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def _progress_for(options: Options, stderr: IO[str]) -> Progress | None:
    wanted = options.progress
    if wanted is None:
        isatty = getattr(stderr, "isatty", None)
        wanted = bool(isatty and isatty()) and not options.quiet and not os.environ.get("CI")
    return Progress(stderr) if wanted else None
