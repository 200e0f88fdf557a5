#!/usr/bin/env python3
"""istiolint's benchmark: every figure of issue 8, measured side by side in one run.

    python bench/run.py              # 1k, 10k and 50k resources, cold start, check-jsonschema
    python bench/run.py --quick      # 1k only, fewer repetitions, no check-jsonschema (a smoke test)

Writes bench/RESULTS.md (overwritten each run; --out to write elsewhere). See bench/README.md.

For each corpus size (generated once by bench/gen_corpus.py under bench/corpus/, reused after):
- the bare floor (bench/floor.py: our loader with positions + jsonschema-rs on every Istio
  document, one process);
- the whole ``istiolint lint --format json DIR``, as a user runs it (and once more limited to one
  process, ISTIOLINT_JOBS=1, to show what the worker processes bring);
each a fresh subprocess: wall time (median of --runs), CPU time and peak memory (ru_maxrss of
the process tree, from wait4), resources/s and MB/s, and the ratio full/floor.

Cold start: ``istiolint lint`` on one small file (JSON, and text to a pipe) against ``python -c
pass``, the median of --cold-runs runs of each, interleaved so that load changes hit all alike.

The peer: check-jsonschema (installed by this script into bench/.venv-peer) given the same
generated schemas (schemas/...) and the same documents, one per file (gen_corpus
--one-doc-per-file, Istio kinds only, since only those have schemas); it takes one --schemafile
per invocation, so it runs once per kind.

Subprocesses use a private bytecode cache (bench/out/pycache, warmed first) so that start-up is
measured as an installed package runs, with compiled modules.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import gen_corpus  # noqa: E402  (bench/gen_corpus.py, beside this file)

SIZES = {"1k": 1_000, "10k": 10_000, "50k": 50_000}
ISTIO_KINDS = ("VirtualService", "DestinationRule", "Gateway", "ServiceEntry", "AuthorizationPolicy",
               "PeerAuthentication")
SMALL_FILE = ROOT / "fixtures" / "bookinfo" / "gateway.yaml"
TARGETS = {"full/floor at 10k": 1.3, "50k/10k": 5.5, "peak GiB at 50k": 1.0, "cold start ms": 80.0,
           "speed-up over check-jsonschema": 10.0}


# -- running things -----------------------------------------------------------------------------------


@dataclass
class Run:
    wall: float  # seconds
    cpu: float  # user + system seconds of the process and its children
    rss: int  # peak resident set of the largest process of the tree, bytes
    code: int
    stdout: bytes


def environment(work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package has its bytecode compiled
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    env.pop("ISTIOLINT_JOBS", None)
    return env


def run(cmd: list[str], env: dict[str, str], capture: bool = False, cwd: Path = ROOT) -> Run:
    """One subprocess: wall time, CPU time and peak memory from wait4 (Linux reports ru_maxrss in KiB)."""
    start = time.perf_counter()
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=env, cwd=cwd)
    out = process.stdout.read() if capture else b""
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.stdout:
        process.stdout.close()
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, process.returncode, out)


def repeat(cmd: list[str], env: dict[str, str], runs: int) -> Run:
    """The median wall time of ``runs`` runs (with that run's CPU time); the largest peak memory."""
    return summary([run(cmd, env) for _ in range(runs)])


def summary(results: list[Run]) -> Run:
    middle = sorted(results, key=lambda r: r.wall)[len(results) // 2]
    return Run(middle.wall, middle.cpu, max(r.rss for r in results), middle.code, b"")


def rounds(commands: dict[str, tuple[list[str], dict[str, str]]], runs: int) -> tuple[dict[str, Run], dict]:
    """Every command once per round, ``runs`` rounds: a change of load between rounds hits all alike.
    Returns each command's summary and, per command, the median over rounds of its wall time divided
    by the first command's in the same round."""
    results: dict[str, list[Run]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (cmd, env) in commands.items():
            results[name].append(run(cmd, env))
    first = next(iter(commands))
    ratios = {name: statistics.median(r.wall / f.wall for r, f in zip(results[name], results[first]))
              for name in commands}
    return {name: summary(values) for name, values in results.items()}, ratios


def istiolint_command() -> list[str]:
    script = Path(sys.executable).parent / "istiolint"
    return [str(script)] if script.exists() else [sys.executable, "-m", "istiolint"]


# -- the machine --------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 1
    try:
        memory = int(Path("/proc/meminfo").read_text().split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        memory = 0
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    # The results file itself (rewritten by every run) does not make the code measured uncommitted.
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
                            ":(exclude)bench/RESULTS.md"], cwd=ROOT, capture_output=True, text=True)
    return {
        "cpus": f"{os.cpu_count()} ({usable} usable)", "cpu model": model,
        "memory": f"{memory / 2**30:.1f} GiB" if memory else "unknown",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": f"{platform.system()} {platform.release()}",
        "istiolint": (commit.stdout.strip() or "?") + (" (+ uncommitted changes)" if dirty.stdout.strip() else ""),
    }


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


# -- corpora ------------------------------------------------------------------------------------------


def corpus(work: Path, resources: int, seed: int, one_doc_per_file: bool = False) -> Path:
    """The generated corpus (reused when a previous run made it with the same parameters)."""
    name = f"corpus-{resources}{'-onedoc' if one_doc_per_file else ''}-s{seed}"
    out = work.parent / "corpus" / name if work.name == "out" else work / name
    manifest = Path(gen_corpus.manifest_path(str(out)))
    if manifest.exists() and out.is_dir():
        data = json.loads(manifest.read_text(encoding="utf-8"))
        if data.get("resources") == resources and data.get("seed") == seed:
            return out
    if out.exists():
        shutil.rmtree(out)
    gen_corpus.generate(resources, str(out), seed=seed, one_doc_per_file=one_doc_per_file)
    return out


def size_of(directory: Path) -> tuple[int, int]:
    files = [p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml", ".json")]
    return len(files), sum(p.stat().st_size for p in files)


# -- the peer -----------------------------------------------------------------------------------------


def peer_venv(work: Path) -> Path | None:
    """bench/.venv-peer with check-jsonschema, created on first use; None when it cannot be installed."""
    venv = BENCH / ".venv-peer"
    exe = venv / "bin" / "check-jsonschema"
    if exe.exists():
        return exe
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "check-jsonschema"],
                       check=True, capture_output=True, timeout=600)
    except (subprocess.SubprocessError, OSError) as err:
        print(f"bench: cannot install check-jsonschema: {err}", file=sys.stderr)
        return None
    return exe if exe.exists() else None


def istio_only(directory: Path) -> dict[str, list[Path]]:
    """Keep only the Istio documents of a one-document-per-file corpus (the kinds with a schema):
    files grouped by (schema file), after deleting the others."""
    schemas = json.loads((ROOT / "schemas" / "index.json").read_text(encoding="utf-8"))["schemas"]
    groups: dict[str, list[Path]] = {}
    for path in sorted(directory.rglob("*.yaml")):
        head = path.read_text(encoding="utf-8")
        api = next((ln.split(":", 1)[1].strip() for ln in head.splitlines() if ln.startswith("apiVersion:")), "")
        kind = next((ln.split(":", 1)[1].strip() for ln in head.splitlines() if ln.startswith("kind:")), "")
        relative = schemas.get(api, {}).get(kind)
        if relative is None:
            path.unlink()
            continue
        groups.setdefault(relative, []).append(path)
    return groups


def peer_comparison(work: Path, resources: int, seed: int, env: dict[str, str], runs: int) -> dict | None:
    exe = peer_venv(work)
    if exe is None:
        return None
    directory = corpus(work, resources, seed, one_doc_per_file=True)
    groups = istio_only(directory)
    files = sum(len(v) for v in groups.values())
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True).stdout.strip()

    def peer_once() -> tuple[float, float, int, int]:
        wall = cpu = 0.0
        rss = 0
        failed: set[str] = set()
        for relative, paths in sorted(groups.items()):
            cmd = [str(exe), "--schemafile", str(ROOT / "schemas" / relative), *map(str, paths)]
            result = run(cmd, env, capture=True)
            wall += result.wall
            cpu += result.cpu
            rss = max(rss, result.rss)
            for line in result.stdout.decode("utf-8", "replace").splitlines():
                if ".yaml::" in line:
                    failed.add(line.strip().split("::", 1)[0])
        return wall, cpu, rss, len(failed)

    run(istiolint_command() + ["lint", "--format", "json", str(directory)], env)  # warm the caches
    peer_runs, our_runs = [], []
    for _ in range(max(1, runs)):  # in turn: a change of load hits both
        peer_runs.append(peer_once())
        our_runs.append(run(istiolint_command() + ["lint", "--format", "json", str(directory)], env))
    speedup = statistics.median(p[0] / o.wall for p, o in zip(peer_runs, our_runs))
    peer = sorted(peer_runs)[len(peer_runs) // 2]
    ours = summary(our_runs)
    report = run(istiolint_command() + ["lint", "--format", "json", "--select", "IL102", str(directory)], env,
                 capture=True)
    invalid = len({f["file"] for f in json.loads(report.stdout)["findings"]})
    return {"resources": resources, "files": files, "kinds": len(groups), "version": version,
            "peer": peer, "ours": ours, "peer_invalid": peer[3], "ours_invalid": invalid, "speedup": speedup}


# -- cold start ---------------------------------------------------------------------------------------


def wheel_venv() -> Path | None:
    """bench/.venv-wheel: istiolint installed from this tree as a user (or pre-commit) installs it --
    a wheel, not the editable development install -- reinstalled on every run so it is this code.
    None when it cannot be built (then the development install is measured instead)."""
    venv = BENCH / ".venv-wheel"
    python = venv / "bin" / "python"
    try:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
            subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(ROOT)],
                           check=True, capture_output=True, timeout=900)
        else:
            subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--force-reinstall", "--no-deps",
                            str(ROOT)], check=True, capture_output=True, timeout=900)
    except (subprocess.SubprocessError, OSError) as err:
        print(f"bench: cannot build the wheel venv, measuring the development install: {err}", file=sys.stderr)
        return None
    return venv if (venv / "bin" / "istiolint").exists() else None


def cold_start(env: dict[str, str], runs: int) -> dict[str, float]:
    """Start-up as a pre-commit hook sees it: the installed package, run in a repository of the user's
    (a temporary directory holding the small file, no configuration), against the same interpreter's
    ``python -c pass`` and ``import click + the C parser``. The development install, run in this
    repository (it finds and parses our own pyproject.toml), is shown beside it."""
    venv = wheel_venv()
    python = str(venv / "bin" / "python") if venv else sys.executable
    lint = [str(venv / "bin" / "istiolint"), "lint"] if venv else istiolint_command() + ["lint"]
    repository = Path(tempfile.mkdtemp(prefix="istiolint-cold-"))
    small = repository / SMALL_FILE.name
    shutil.copyfile(SMALL_FILE, small)
    where = "installed wheel, a user's repository" if venv else "development install"
    commands = {
        "python -c pass": ([python, "-c", "pass"], repository),
        "import click + the C parser": ([python, "-c", "import click, _ruamel_yaml"], repository),
        f"istiolint lint --format json FILE ({where})": (lint + ["--format", "json", small.name], repository),
        f"istiolint lint FILE (text to a pipe; {where})": (lint + [small.name], repository),
        "istiolint lint FILE (text to a pipe; development install, in this repository)":
            (istiolint_command() + ["lint", str(SMALL_FILE)], ROOT),
    }
    try:
        for cmd, cwd in commands.values():  # compile and cache bytecode first
            run(cmd, env, capture=True, cwd=cwd)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, (cmd, cwd) in commands.items():  # interleaved: a change of load hits every command alike
                times[name].append(run(cmd, env, capture=True, cwd=cwd).wall)
    finally:
        shutil.rmtree(repository, ignore_errors=True)
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


# -- the report ---------------------------------------------------------------------------------------


def fmt_s(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1000:.0f} ms"


def fmt_mib(n: int) -> str:
    return f"{n / 2**20:.0f} MiB"


def verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def markdown(info: dict, loads: list[str], sizes: list[dict], cold: dict[str, float] | None, peer: dict | None,
             args: argparse.Namespace, elapsed: float) -> str:
    lines = ["# Benchmark results", "",
             f"Written by `python bench/run.py{' --quick' if args.quick else ''}` on "
             f"{time.strftime('%Y-%m-%d %H:%M %Z')} in {elapsed:.0f} s; overwritten by every run. How to run it: "
             "bench/README.md.", "", "## Machine", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in info.items()]
    lines += [f"| load average (1, 5, 15 min) | {' → '.join(loads)} (start → end of the run) |", ""]
    if sizes:
        lines += ["Load average after each size: " + ", ".join(f"{r['resources']:,}: {r['loads']}" for r in sizes)
                  + ".", ""]
    lines += ["Wall times are medians of repeated runs; on a shared machine they move with other work, so the "
              "targets are judged on ratios measured in the same run (CPU time is shown too: it moves less).", ""]
    targets = []
    if sizes:
        lines += ["## Throughput: the bare floor against the whole lint", "",
                  "*floor*: bench/floor.py, our loader (positions) + jsonschema-rs on every Istio document, one "
                  "process. *lint*: `istiolint lint --format json DIR`. *lint, 1 process*: the same with "
                  "`ISTIOLINT_JOBS=1`. The three run in turn, once per round; *÷ floor* is the median over the "
                  "rounds of the wall time divided by the floor's in the same round. *cores* = CPU time ÷ wall "
                  "time: below 2 for the lint, the machine's other work took a share of the second core.", "",
                  "| resources | files | MB | what | wall | CPU | cores | peak memory | resources/s | MB/s | ÷ floor |",
                  "|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
        for row in sizes:
            mb = row["bytes"] / 1e6
            for key, label in (("floor", "floor"), ("full", "lint"), ("single", "lint, 1 process")):
                result = row[key]
                lines.append(f"| {row['resources']:,} | {row['files']:,} | {mb:.1f} | {label} | {fmt_s(result.wall)} | "
                             f"{fmt_s(result.cpu)} | {result.cpu / result.wall:.2f} | {fmt_mib(result.rss)} | "
                             f"{row['resources'] / result.wall:,.0f} | {mb / result.wall:.1f} | "
                             f"{row['ratios'][key]:.2f} |")
        lines.append("")
        by = {row["resources"]: row for row in sizes}
        if 10_000 in by:
            r = by[10_000]
            ratio = r["ratios"]["full"]
            targets.append(("full lint of 10k resources ≤ 1.3 × the bare floor", f"{ratio:.2f} × "
                            f"({fmt_s(r['full'].wall)} against {fmt_s(r['floor'].wall)}; "
                            f"{r['full'].cpu / r['full'].wall:.2f} cores used)", verdict(ratio <= 1.3)))
        if 10_000 in by and 50_000 in by:
            ratio = by[50_000]["full"].wall / by[10_000]["full"].wall
            targets.append(("50k / 10k time ≤ 5.5", f"{ratio:.2f}", verdict(ratio <= 5.5)))
            rss = by[50_000]["full"].rss
            targets.append(("peak memory at 50k ≤ 1 GiB", f"{rss / 2**30:.2f} GiB (largest process)",
                            verdict(rss <= 2**30)))
    if cold:
        base = cold["python -c pass"]
        lines += ["## Cold start: one small file", "", f"`{SMALL_FILE.relative_to(ROOT)}` (a Gateway and a "
                  f"VirtualService); median of {args.cold_runs} runs each, interleaved. As a pre-commit hook "
                  "runs it: istiolint installed from a wheel of this tree (`bench/.venv-wheel`), in a "
                  "temporary directory holding the file; the development install, run in this repository, "
                  "is the last row.", "",
                  "| command | median | above `python -c pass` |", "|---|---:|---:|"]
        for name, ms in cold.items():
            lines.append(f"| `{name}` | {ms:.0f} ms | {ms - base:+.0f} ms |")
        lines.append("")
        measured_name = next(name for name in cold if name.startswith("istiolint lint FILE (text to a pipe;"))
        above = cold[measured_name] - base
        targets.append(("cold start, text to a pipe, ≤ 80 ms above `python -c pass`", f"{above:.0f} ms",
                        verdict(above <= 80)))
    if peer:
        p_wall, p_cpu, p_rss, _ = peer["peer"]
        ours = peer["ours"]
        lines += ["## Against check-jsonschema", "",
                  f"{peer['files']:,} Istio documents, one per file ({peer['resources']:,}-resource corpus, other "
                  f"kinds removed), the same schemas (schemas/…); {peer['version']} once per kind "
                  f"({peer['kinds']} invocations, times summed), `istiolint lint --format json DIR` once.", "",
                  "Files with a schema problem differ by the unquoted `yes`/`on` of the planted mistakes: "
                  "check-jsonschema reads YAML 1.2 (a string), Kubernetes YAML 1.1 (a boolean, which istiolint "
                  "reports).", "",
                  "| tool | wall | CPU | peak memory | files with a schema problem |", "|---|---:|---:|---:|---:|",
                  f"| check-jsonschema | {fmt_s(p_wall)} | {fmt_s(p_cpu)} | {fmt_mib(p_rss)} | {peer['peer_invalid']} |",
                  f"| istiolint (all rules) | {fmt_s(ours.wall)} | {fmt_s(ours.cpu)} | {fmt_mib(ours.rss)} | "
                  f"{peer['ours_invalid']} (IL102) |", ""]
        speedup = peer["speedup"]
        targets.append(("whole `istiolint lint` ≥ 10 × faster than check-jsonschema",
                        f"{speedup:.1f} × (median over rounds; {ours.cpu / ours.wall:.2f} cores used)",
                        verdict(speedup >= 10)))
    if targets:
        lines += ["## Targets (issue 8)", "", "| target | measured | |", "|---|---|---|"]
        lines += [f"| {a} | {b} | {c} |" for a, b, c in targets]
        lines.append("")
    return "\n".join(lines)


# -- main ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="1k only, fewer runs, no check-jsonschema")
    ap.add_argument("--sizes", help="comma-separated corpus sizes (1k,10k,50k or numbers)")
    ap.add_argument("--runs", type=int, help="runs per measurement (median; default 3, --quick 1)")
    ap.add_argument("--cold-runs", type=int, help="runs per cold-start command (default 21, --quick 5)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--peer", action=argparse.BooleanOptionalAction, default=None,
                    help="compare with check-jsonschema (default: on, off with --quick)")
    ap.add_argument("--peer-size", default="10k", help="resources of the peer's corpus (default 10k)")
    ap.add_argument("--no-cold", action="store_true", help="skip the cold-start measurement")
    ap.add_argument("--work", type=Path, default=BENCH / "out", help="bytecode cache (corpora go to bench/corpus)")
    ap.add_argument("--out", type=Path, default=BENCH / "RESULTS.md")
    args = ap.parse_args(argv)
    sizes = [gen_corpus._resources_arg(s) for s in (args.sizes or ("1k" if args.quick else "1k,10k,50k")).split(",")]
    args.runs = args.runs or (1 if args.quick else 3)
    args.cold_runs = args.cold_runs or (5 if args.quick else 21)
    peer_wanted = (not args.quick) if args.peer is None else args.peer

    started = time.perf_counter()
    args.work.mkdir(parents=True, exist_ok=True)
    env = environment(args.work)
    loads = [load_average()]
    info = machine()
    lint = istiolint_command() + ["lint", "--format", "json"]
    floor_cmd = [sys.executable, str(BENCH / "floor.py")]
    rows = []
    for resources in sizes:
        directory = corpus(args.work, resources, args.seed)
        files, size = size_of(directory)
        print(f"bench: {resources:,} resources ({files} files, {size / 1e6:.1f} MB)", file=sys.stderr)
        run(lint + [str(directory)], env)  # warm: bytecode, page cache
        runs = args.runs if resources < 50_000 else max(1, args.runs - 1)
        measured, ratios = rounds({
            "floor": (floor_cmd + [str(directory)], env),
            "full": (lint + [str(directory)], env),
            "single": (lint + [str(directory)], dict(env, ISTIOLINT_JOBS="1")),
        }, runs)
        rows.append({"resources": resources, "files": files, "bytes": size, **measured, "ratios": ratios,
                     "loads": load_average()})
        floor, full, single = measured["floor"], measured["full"], measured["single"]
        print(f"bench:   floor {floor.wall:.2f} s, lint {full.wall:.2f} s ({ratios['full']:.2f} ×), "
              f"1 process {single.wall:.2f} s ({ratios['single']:.2f} ×)", file=sys.stderr)
    cold = None if args.no_cold else cold_start(env, args.cold_runs)
    peer = None
    if peer_wanted:
        print("bench: check-jsonschema", file=sys.stderr)
        peer = peer_comparison(args.work, gen_corpus._resources_arg(args.peer_size), args.seed, env, args.runs)
    loads.append(load_average())
    text = markdown(info, loads, rows, cold, peer, args, time.perf_counter() - started)
    args.out.write_text(text, encoding="utf-8")
    print(f"bench: wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
