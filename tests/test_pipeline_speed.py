"""The fast paths of the pipeline give exactly what the plain ones give (issue 8). No timing here.

- files parsed by worker processes, and rules run by them, give the same report as one process;
- a parsed document survives pickling with all its positions (the table is keyed by ``id()``);
- schema validation that lets jsonschema-rs decide valid documents gives the same findings as
  explaining every document;
- rules for kinds absent from the input are not even imported, and a small run imports neither
  rich nor jsonschema; the kinds read from a rule's source are the kinds its module declares;
- the prebuilt catalog (rules/catalog.json) is in sync with rules/*.yaml, and a stale one is ignored;
- the indexes behind selectors give what scanning every workload gives;
- the benchmark script writes its Markdown report.
"""

from __future__ import annotations

import importlib
import importlib.util
import io
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from istiolint import parallel
from istiolint.app import Options, analyze, run
from istiolint.catalog import PREBUILT, _parse, load_catalog, prebuilt_json
from istiolint.engine import declared_kinds
from istiolint.loader import load_text
from istiolint.model import Index, resources_of
from istiolint.schema import SchemaStore
from istiolint.workloads import labels_match, services_selecting, workloads, workloads_selected

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_corpus_for_speed_tests", ROOT / "bench" / "gen_corpus.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being created
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """A small corpus with a high share of planted mistakes (findings of many rules)."""
    out = tmp_path_factory.mktemp("speed") / "corpus"
    _generator().generate(400, str(out), seed=3, mistake_rate=0.2, docs_per_file=20)
    return out


def _findings(paths: list[Path], **options) -> tuple[list[dict], dict]:
    report, code, tracebacks = analyze(Options(paths=[str(p) for p in paths], format="json", **options))
    assert report is not None and not tracebacks
    return [f.as_dict() for f in report.findings], report.summary


# -- processes --------------------------------------------------------------------------------------


@pytest.fixture
def always_parallel(monkeypatch):
    """Worker processes whatever the size of the input (the thresholds are for speed, not meaning)."""
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_FILES_BYTES", 0)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_RESOURCES", 0)
    monkeypatch.setattr(parallel, "max_jobs", lambda jobs=None: 2 if jobs is None else jobs)


def test_worker_processes_give_the_same_report(corpus, always_parallel):
    paths = [corpus, FIXTURES]
    one = _findings(paths, jobs=1)
    two = _findings(paths, jobs=2)
    assert two == one
    assert len(one[0]) > 100 and len({f["code"] for f in one[0]}) > 10


def test_worker_processes_keep_input_order_and_standard_input(corpus, always_parallel, tmp_path):
    files = sorted(corpus.rglob("*.yaml"))[:6]
    out_one, out_two = io.StringIO(), io.StringIO()
    stdin = (FIXTURES / "bookinfo" / "gateway.yaml").read_bytes()
    paths = [str(files[0]), "-", *map(str, files[1:])]
    run(Options(paths=paths, format="json", jobs=1), stdin=io.BytesIO(stdin), stdout=out_one, stderr=io.StringIO())
    run(Options(paths=paths, format="json", jobs=2), stdin=io.BytesIO(stdin), stdout=out_two, stderr=io.StringIO())
    assert out_two.getvalue() == out_one.getvalue()
    assert json.loads(out_one.getvalue())["summary"]["files"] == 7


def test_sources_come_back_in_order(corpus):
    paths = [str(p) for p in sorted(corpus.rglob("*.yaml"))]
    from functools import partial

    from istiolint.app import load_source

    load = partial(load_source, max_size=1 << 20)
    assert [s.path for s in parallel.load_sources(paths, load, workers=2)] == paths


def test_chunks_keep_order_and_cover_every_file(corpus):
    paths = [str(p) for p in sorted(corpus.rglob("*.yaml"))]
    chunks = parallel._chunks(paths, 7)
    assert [p for chunk in chunks for p in chunk] == paths and all(chunks)


def test_busy_cores_are_left_alone():
    assert parallel.idle_cores(2, "0.50 0.40 0.30 1/210 4242\n") == 2  # only this process runs
    assert parallel.idle_cores(2, "1.90 1.80 1.70 2/210 4242\n") == 1  # another process wants a CPU
    assert parallel.idle_cores(8, "3.00 2.00 1.00 4/400 1\n") == 5
    assert parallel.idle_cores(2, "9 9 9 12/300 1\n") == 1
    assert parallel.idle_cores(4, "garbage") == 4


def test_small_inputs_stay_in_one_process():
    assert parallel.parse_workers([1000] * 10, jobs=2) == 1
    assert parallel.parse_workers([10 * 2**20], jobs=2) == 1  # one file cannot be split
    assert parallel.parse_workers([3 * 2**20, 10], jobs=2) == 2
    assert parallel.parse_workers([3 * 2**20, 10], jobs=1) == 1
    assert parallel.rule_workers(100, 40, jobs=2) == 1
    assert parallel.rule_workers(50_000, 40, jobs=2) == 2


# -- positions across processes -----------------------------------------------------------------------

TRICKY = """\
base: &base {a: 1, b: [x, y]}
merged:
  <<: *base
  b: [z]
  c: {d: [1, {e: f}], "g": null}
list:
- &item {k: v}
- *item
- []
- {}
- - nested
  - [1, 2, 3]
dup: 1
dup: 2
yes: on
---
- plain
- {q: [r, s]}
---
just a scalar
"""


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, path + (i,))


def test_documents_survive_pickling_with_every_position():
    source = load_text(TRICKY, "tricky.yaml")
    copy = pickle.loads(pickle.dumps(source))
    again = pickle.loads(pickle.dumps(copy))  # a received document travels on as well
    assert copy.text == source.text and copy.problems == source.problems
    for original, *copies in zip(source.documents, copy.documents, again.documents):
        for doc in copies:
            assert (doc.index, doc.data, doc.line, doc.column, doc.yaml11_bools, doc.dropped) == (
                original.index, original.data, original.line, original.column, original.yaml11_bools,
                original.dropped)
            for path in _paths(original.data):
                for key in (False, True):
                    assert doc.position(path, key=key) == original.position(path, key=key), path
            assert doc.position(("nowhere", 3)) == original.position(("nowhere", 3))


def test_packed_positions_are_the_same_positions():
    source = load_text(TRICKY, "tricky.yaml")
    packed = load_text(TRICKY, "tricky.yaml")
    parallel.pack_positions(packed)
    travelled = pickle.loads(pickle.dumps(packed))
    for original, doc, moved in zip(source.documents, packed.documents, travelled.documents):
        for path in _paths(original.data):
            for key in (False, True):
                assert moved.position(path, key=key) == doc.position(path, key=key) == original.position(path, key=key)


def test_large_files_survive_pickling(corpus):
    for path in sorted(corpus.rglob("*.yaml"))[:3]:
        source = load_text(path.read_text(encoding="utf-8"), str(path))
        copy = pickle.loads(pickle.dumps(source))
        for original, doc in zip(source.documents, copy.documents):
            for p in _paths(original.data):
                assert doc.position(p, key=True) == original.position(p, key=True)
                assert doc.position(p) == original.position(p)


# -- schema validation: the fast path and explaining everything ---------------------------------------


class _ExplainEverything(SchemaStore):
    """jsonschema-rs never says "valid" here: every document goes through the explanation."""

    def _validator(self, relative):
        real = super()._validator(relative)

        class Always:
            def is_valid(self, instance):
                return False

            def iter_errors(self, instance):
                return real.iter_errors(instance)

        return Always()


def test_deciding_valid_documents_fast_gives_the_same_findings(corpus, monkeypatch):
    paths = [corpus, FIXTURES]
    fast = _findings(paths, jobs=1, select=["IL102"])[0]
    import istiolint.rules.schema.schema_violation as rule

    monkeypatch.setattr(rule, "SchemaStore", _ExplainEverything)
    slow = _findings(paths, jobs=1, select=["IL102"])[0]
    assert slow == fast
    assert len(fast) > 20


# -- start-up -----------------------------------------------------------------------------------------


def _run_and_list_modules(tmp_path, path) -> tuple[dict, set[str]]:
    """(JSON report, modules imported) of ``istiolint lint --format json PATH`` in a fresh interpreter."""
    script = ("import sys\nfrom istiolint.cli import main\nsys.argv = ['istiolint', 'lint', '--format', 'json', "
              f"{str(path)!r}]\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
              "print(sorted(m for m in sys.modules), file=sys.stderr)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)})
    modules = set(eval(result.stderr.strip().splitlines()[-1]))  # noqa: S307 - our own output
    return json.loads(result.stdout), modules


def test_a_small_run_imports_only_what_it_needs(tmp_path):
    service = tmp_path / "svc.yaml"
    service.write_text("apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 80}]}\n")
    report, modules = _run_and_list_modules(tmp_path, service)
    assert report["summary"]["resources"] == 1
    for heavy in ("rich", "jsonschema", "greenery", "hashlib", "istiolint.analysis.match_cover",
                  "istiolint.rules.routing.route_shadowed", "istiolint.rules.gateway.gateway_port_conflict"):
        assert heavy not in modules, heavy


def test_a_small_istio_run_loads_no_cel_runtime_toml_parser_or_difflib(tmp_path):
    # The bookinfo Gateway and VirtualService reach no CEL rule (no timeouts, no TLS), name nothing
    # wrong, and the directory's pyproject.toml is another tool's.
    (tmp_path / "pyproject.toml").write_text('[tool.black]\nline-length = 100\n')
    report, modules = _run_and_list_modules(tmp_path, ROOT / "fixtures" / "bookinfo" / "gateway.yaml")
    assert report["summary"]["resources"] == 2
    assert "istiolint.rules.schema.cel_validation" in modules  # the rule ran, its runtime did not load
    for deferred in ("cel_expr_python", "istiolint.cel", "tomllib", "email.utils", "difflib", "fractions", "pathlib",
                     "dataclasses", "istiolint.rules.hygiene.app_uid_1337", "istiolint.rules.conflicts.service_ports"):
        assert deferred not in modules, deferred


def test_a_directory_is_reported_under_its_pathlib_spelling(monkeypatch):
    # Walked with os.path (no pathlib on the start-up path), a directory keeps the spelling pathlib
    # gave it: "./fixtures//bookinfo/" lists fixtures/bookinfo/..., ".." is kept.
    from pathlib import PurePosixPath

    from istiolint.app import _normalized, discover

    monkeypatch.chdir(ROOT)
    files = list(discover(["./fixtures//bookinfo/"], []))
    assert files and all(f.startswith("fixtures/bookinfo/") for f in files)
    for given in ("./k8s/", "a//b/./c/", "/abs/./x", "//net/x", "///x", ".", "a/../b", "x/."):
        assert _normalized(given) == str(PurePosixPath(given)), given


def test_classes_are_records_not_dataclasses():
    # @dataclass compiles three to six methods per class at import: ~20 ms of a small run once had it.
    offenders = [str(path.relative_to(ROOT)) for path in sorted((ROOT / "istiolint").rglob("*.py"))
                 if path.name != "record.py" and re.search(r"^\s*@dataclass\b", path.read_text(encoding="utf-8"), re.M)]
    assert offenders == []


def _entry(tmp_path, args, prelude=""):
    script = (f"import sys\n{prelude}\nsys.argv = ['istiolint', *{args!r}]\n"
              "from istiolint.cli import entry\nentry()\nprint('not reached')\n")
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)})


def test_the_console_entry_keeps_exit_codes_output_and_atexit_handlers(tmp_path):
    broken = str(ROOT / "fixtures" / "bookinfo-broken")
    result = _entry(tmp_path, ["lint", "--format", "json", broken],
                    prelude="import atexit\natexit.register(lambda: print('atexit ran', file=sys.stderr))")
    assert result.returncode == 1
    report = json.loads(result.stdout)  # all of it written before the process left (a pipe is buffered)
    summary = report["summary"]
    assert len(report["findings"]) == summary["errors"] + summary["warnings"] + summary["infos"] > 0
    assert result.stderr.strip().endswith("atexit ran")
    assert "not reached" not in result.stdout
    assert _entry(tmp_path, ["lint", "--exit-zero", broken]).returncode == 0
    usage = _entry(tmp_path, ["lint", "--no-such-option"])
    assert usage.returncode == 2 and "No such option" in usage.stderr
    clean = _entry(tmp_path, ["lint", str(ROOT / "fixtures" / "bookinfo")])
    assert clean.returncode == 0 and clean.stdout.startswith("All clean")


def test_closed_standard_streams_give_a_clear_error_or_the_report_file(tmp_path):
    def run(args: str, redirect: str) -> subprocess.CompletedProcess:
        script = f"import sys; sys.argv = ['istiolint', {args}]; from istiolint.cli import entry; entry()"
        return subprocess.run(["sh", "-c", f'"{sys.executable}" -c "{script}" {redirect}'], capture_output=True,
                              text=True, cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})

    clean = repr(str(ROOT / "fixtures" / "bookinfo"))
    closed = run(f"'lint', {clean}", ">&-")
    assert (closed.returncode, closed.stderr) == (
        2, "istiolint: error: standard output is closed; write the report with --output FILE\n")
    written = run(f"'lint', '--output', 'report.txt', {clean}", ">&- 2>&-")
    assert written.returncode == 0 and (tmp_path / "report.txt").read_text().startswith("All clean")
    broken = run(f"'lint', {str(ROOT / 'fixtures' / 'bookinfo-broken')!r}", "2>&-")
    assert broken.returncode == 1 and broken.stdout.rstrip().endswith("26 resources.")


def test_kinds_read_from_rule_sources_are_the_declared_kinds():
    known = 0
    for entry in load_catalog().entries:
        kinds = declared_kinds(entry.module)
        if kinds is None:
            continue
        known += 1
        module = importlib.import_module(entry.module)
        assert tuple(module.KINDS) == kinds, entry.module
        assert not hasattr(module, "check_file"), entry.module
    assert known > 30
    assert declared_kinds("tests.failing_rule") is None  # outside the package: imported to know


def test_the_prebuilt_catalog_records_each_rules_declared_kinds():
    catalog = load_catalog()
    assert catalog.declared_kinds, "rules/catalog.json is used (its signature matches rules/*.yaml)"
    modules = {e.module: importlib.import_module(e.module) for e in catalog.entries}
    assert catalog.declared_kinds == {
        name: None if hasattr(module, "check_file") else tuple(module.KINDS) for name, module in modules.items()}
    # Kinds spelled as expressions in the source (KINDS = WORKLOAD_KINDS) are known too: a small
    # Istio-only run does not import the workload rules.
    assert catalog.declared_kinds["istiolint.rules.hygiene.app_uid_1337"] == tuple(modules[
        "istiolint.rules.hygiene.app_uid_1337"].KINDS)


def test_prebuilt_catalog_is_in_sync():
    committed = (ROOT / "rules" / PREBUILT).read_text(encoding="utf-8")
    assert committed == prebuilt_json(), "run: python scripts/update_readme.py"
    files = sorted((ROOT / "rules").glob("*.yaml"))
    assert load_catalog() == _parse(files, [f.read_text(encoding="utf-8") for f in files])


def test_a_stale_prebuilt_catalog_is_ignored(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    first = sorted(rules.glob("*.yaml"))[0]
    first.write_text(first.read_text(encoding="utf-8").replace("summary:", "summary: Changed.", 1), encoding="utf-8")
    catalog = load_catalog(rules)
    assert any(e.summary.startswith("Changed.") for e in catalog.entries)
    (rules / PREBUILT).unlink()
    assert load_catalog(rules) == catalog


def test_an_installed_catalog_is_read_without_its_yaml(tmp_path, monkeypatch):
    import istiolint.catalog as catalog_module

    rules = tmp_path / "rules"
    rules.mkdir()
    shutil.copy(ROOT / "rules" / PREBUILT, rules / PREBUILT)
    monkeypatch.setattr(catalog_module, "is_bundled", lambda directory: os.fspath(directory) == str(rules))
    assert load_catalog(rules) == load_catalog()  # no YAML beside it: catalog.json alone, trusted
    (rules / PREBUILT).write_text("not json", encoding="utf-8")
    shutil.copy(ROOT / "rules" / "route-shadowed.yaml", rules / "route-shadowed.yaml")
    assert [e.code for e in load_catalog(rules).entries] == ["IL301"]  # unreadable: the YAML decides


# -- rules --------------------------------------------------------------------------------------------


def test_escaped_braces_still_count_as_templates(tmp_path):
    manifest = tmp_path / "cm.yaml"
    manifest.write_text('apiVersion: v1\nkind: Service\nmetadata:\n  name: "\\u007b\\u007b .Values.name }}"\n')
    findings, _ = _findings([manifest], select=["IL005"])
    assert [f["code"] for f in findings] == ["IL005"]


def test_selector_indexes_agree_with_scanning_every_workload(corpus):
    sources = [load_text(p.read_text(encoding="utf-8"), str(p)) for p in sorted(corpus.rglob("*.yaml"))]
    index = Index([r for s in sources for r, _, _ in resources_of(s, "default") if r is not None])
    all_workloads = workloads(index)
    selectors = [s.spec.get("selector") for s in index.of_kind("Service")] + [{}, {"app": "nothing"}, None]
    selectors += [{"version": "v1"}, {"app": all_workloads[0].labels.get("app"), "version": "v2"}]
    for selector in selectors:
        for namespace in (None, "default", all_workloads[0].namespace):
            expected = [w for w in all_workloads
                        if (namespace is None or w.namespace == namespace) and labels_match(selector, w.labels)]
            assert workloads_selected(index, namespace, selector) == expected
    for w in all_workloads:
        expected = [s for s in index.of_kind("Service") if s.namespace == w.namespace
                    and isinstance(s.spec.get("selector"), dict) and s.spec["selector"]
                    and labels_match(s.spec["selector"], w.labels)]
        assert services_selecting(index, w) == expected


# -- the benchmark ------------------------------------------------------------------------------------


def test_the_benchmark_writes_its_report(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_run_for_tests", ROOT / "bench" / "run.py")
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench
    spec.loader.exec_module(bench)
    out = tmp_path / "RESULTS.md"
    assert bench.main(["--quick", "--sizes", "40", "--no-cold", "--no-peer", "--runs", "1",
                       "--work", str(tmp_path / "work"), "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    for part in ("## Machine", "cpu model", "python", "| 40 |", "floor", "lint, 1 process", "÷ floor"):
        assert part in text, part


# When a pool breaks, Python 3.11's executor thread trips over the futures this process cancelled to run
# itself (InvalidStateError, harmless: the results are taken here).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_worker_that_dies_leaves_the_work_to_this_process(corpus, monkeypatch):
    """A worker killed mid-run (out of memory, a signal): the files are parsed here, the rules run here."""
    import os

    from istiolint.app import load_source

    paths = [str(p) for p in sorted(corpus.rglob("*.yaml"))]
    main = os.getpid()

    def dying(path, max_size):
        if os.getpid() != main:
            os._exit(9)
        return load_source(path, max_size)

    from functools import partial

    sources = parallel.load_sources(paths, partial(dying, max_size=1 << 20), workers=2)
    assert [s.path for s in sources] == paths

    class Job:
        def run(self, entry):
            if os.getpid() != main:
                os._exit(9)
            return entry

    assert parallel.map_rules(Job(), [["a"], ["b"], ["c"], ["d"]], 2) in (None, [["a"], ["b"], ["c"], ["d"]])


def test_packed_tables_give_the_same_report(corpus, monkeypatch):
    """A large run packs the position tables of what it parses (here: everything, from the first byte)."""
    paths = [corpus, FIXTURES]
    plain = _findings(paths, jobs=1)
    monkeypatch.setattr(parallel, "UNPACKED_BYTES", 0)
    assert _findings(paths, jobs=1) == plain
