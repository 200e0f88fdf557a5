"""Command line: parse arguments, then hand over to ``app.run`` (lint) or the catalog (rules, explain)."""

from __future__ import annotations

import atexit
import os
import sys

import click

from . import __version__

FORMATS = ("text", "json", "sarif", "github", "gitlab", "junit")
SEVERITIES = ("error", "warning", "info")


def _complete_rules(ctx, param, incomplete: str):
    """Shell completion for rule codes and names (after the last comma of a list)."""
    from click.shell_completion import CompletionItem

    from .catalog import load_catalog

    head, _, tail = incomplete.rpartition(",")
    prefix = head + "," if head else ""
    items = []
    for entry in load_catalog().entries:
        for word in (entry.code, entry.name):
            if word.lower().startswith(tail.lower()):
                items.append(CompletionItem(prefix + word, help=entry.summary))
    return items


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="istiolint")
def main() -> None:
    """istiolint: lint Istio manifests before they reach a cluster.

    Shell completion (bash; zsh and fish likewise with zsh_source, fish_source):
    eval "$(_ISTIOLINT_COMPLETE=bash_source istiolint)"
    """


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "output_format", type=click.Choice(FORMATS), default=None,
              help="Output format (default: text; github when GITHUB_ACTIONS=true).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the report to this file instead of standard output.")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default=None,
              help="Exit 1 when a finding has at least this severity.  [default: error]")
@click.option("-n", "--namespace", default=None,
              help="Namespace of resources that name none (as `kubectl apply -n`).  [default: default]")
@click.option("--cluster-domain", default=None,
              help="Cluster DNS domain used to expand short host names.  [default: cluster.local]")
@click.option("--context", "context", multiple=True, type=click.Path(),
              help="Load these files or directories for references only; report on PATHS alone.")
@click.option("--select", multiple=True, shell_complete=_complete_rules,
              help="Only these rules (code, name or code prefix; repeatable, comma lists).")
@click.option("--ignore", multiple=True, shell_complete=_complete_rules,
              help="Skip these rules (code, name or code prefix).")
@click.option("--exclude", multiple=True, help="Skip files matching this glob (repeatable; e.g. 'charts/**').")
@click.option("--suppress", multiple=True, metavar="CODE=KIND NS/NAME",
              help="Silence a rule on matching resources, e.g. 'IL301=VirtualService prod/*' or istioctl's "
                   "'IST0102=Namespace frod' (repeatable; globs allowed).")
@click.option("--report-unused-suppressions", is_flag=True, default=None,
              help="Report suppression comments and annotations that silence nothing (rule IL004).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
              help="Configuration file (default: the nearest .istiolint.yaml or pyproject.toml [tool.istiolint]).")
@click.option("--isolated", is_flag=True, help="Ignore configuration files.")
@click.option("--baseline", type=click.Path(dir_okay=False), default=None,
              help="Report only findings that are not in this baseline file.")
@click.option("--write-baseline", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Record today's findings in this file (and exit 0) instead of reporting them.")
@click.option("--statistics", is_flag=True, help="Print the number of findings per rule instead of the findings.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings (usage and internal errors still exit 2).")
@click.option("--strict-references/--no-strict-references", default=None,
              help="Report references to anything absent from the input.")
@click.option("--max-file-size", type=int, default=50 * 1024 * 1024, show_default=True,
              help="Files larger than this many bytes are reported and not parsed.")
@click.option("--color/--no-color", default=None, help="Force or disable colour (default: on a terminal, unless NO_COLOR).")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar on standard error (default: on long runs when it is a terminal).")
@click.option("-q", "--quiet", is_flag=True, help="Print findings only: no summary, nothing when clean.")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def lint(paths, output_format, output, fail_on, namespace, cluster_domain, context, select, ignore, exclude,
         suppress, report_unused_suppressions, config_file, isolated, baseline, write_baseline, statistics,
         exit_zero, strict_references, max_file_size, color, progress, quiet, debug) -> None:
    """Lint Istio manifests in PATHS (files, directories, or - for standard input)."""
    from .app import Options, run
    from .finding import Severity
    from .reporters import STATISTICS_FORMATS

    if not paths:
        raise click.UsageError("give at least one path (a file, a directory, or - for standard input)")
    if config_file and isolated:
        raise click.UsageError("--config and --isolated exclude each other")
    if statistics and output_format not in (None, *STATISTICS_FORMATS):
        raise click.UsageError(f"--statistics prints text or json, not {output_format}")
    if baseline and write_baseline:
        raise click.UsageError("--baseline and --write-baseline exclude each other")
    options = Options(
        paths=list(paths), format=output_format, fail_on=Severity.parse(fail_on) if fail_on else None,
        namespace=namespace, cluster_domain=cluster_domain, color=color, quiet=quiet, output=output,
        context=list(context), select=list(select), ignore=list(ignore), strict_references=strict_references,
        max_file_size=max_file_size, debug=debug, config=config_file, find_config=not isolated and not config_file,
        exclude=list(exclude), suppress=list(suppress), report_unused_suppressions=report_unused_suppressions,
        baseline=baseline, write_baseline=write_baseline, statistics=statistics, progress=progress,
    )
    code = run(options)
    sys.exit(0 if exit_zero and code == 1 else code)


@main.command()
@click.option("--format", "output_format", type=click.Choice(("text", "json", "markdown")), default="text",
              show_default=True)
def rules(output_format) -> None:
    """List every rule: code, name, default severity, summary."""
    from .catalog import catalog_json, load_catalog

    catalog = load_catalog()
    if output_format == "json":
        click.echo(catalog_json(catalog))
    elif output_format == "markdown":
        click.echo(markdown_rule_table(catalog), nl=False)
    else:
        _print_rule_table(catalog)


def markdown_rule_table(catalog) -> str:
    rows = ["| Code | Name | Severity | Istio codes | Summary |", "|---|---|---|---|---|"]
    for e in catalog.entries:
        rows.append(f"| {e.code} | `{e.name}` | {e.severity.label} | {', '.join(e.istio_codes)} | {e.summary} |")
    return "\n".join(rows) + "\n"


def _print_rule_table(catalog) -> None:
    if not sys.stdout.isatty():
        for e in catalog.entries:
            click.echo(f"{e.code}  {e.name:<28} {e.severity.label:<8} {e.summary}")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="istiolint rules")
    for column in ("Code", "Name", "Severity", "Istio", "Summary"):
        table.add_column(column)
    for e in catalog.entries:
        table.add_row(e.code, e.name, e.severity.label, ", ".join(e.istio_codes), e.summary)
    Console().print(table)


@main.command()
@click.argument("code_or_name", shell_complete=_complete_rules)
def explain(code_or_name) -> None:
    """Show a rule's documentation: what, why, bad and good examples, and the fix."""
    from .catalog import load_catalog

    catalog = load_catalog()
    entry = catalog.find(code_or_name)
    if entry is None:
        hint = catalog.suggest(code_or_name)
        raise click.UsageError(f"no rule {code_or_name!r}" + (f"; did you mean {hint!r}?" if hint else ""))
    text = entry.explain_markdown()
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.markdown import Markdown

        Console().print(Markdown(text))
    else:
        click.echo(text, nl=False)


if __name__ == "__main__":  # pragma: no cover
    main()


def entry() -> None:
    """The ``istiolint`` console script and ``python -m istiolint``: `main`, then leave at once.

    A normal interpreter exit frees every object and module one by one: ~15 ms after a small run
    (a third of what the run itself costs), paid by every pre-commit invocation. Everything is
    written and closed by then (reports go through ``with open``, worker pools are shut down when
    their work is done), so only atexit handlers and the standard streams remain before ``os._exit``. An
    unexpected exception still ends the normal way, with its traceback."""
    try:
        main()
        code = 0
    except SystemExit as done:
        code = done.code
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)  # what sys.exit("message") prints
        code = 1
    # What the interpreter does first when it exits, kept: atexit handlers (coverage.py measuring a
    # subprocess, a memory probe) still run. Only the freeing that follows them is skipped.
    run_exit_functions = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_functions is not None:
        run_exit_functions()
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with the stream closed (``>&-``)
            continue
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`| head`) or stream: nothing more can be shown
            pass
    os._exit(code)

