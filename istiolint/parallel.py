"""Spreading a large run over processes: files to parse, then rules to run.

A handful of files is parsed in this one process (starting workers would cost more than it saves).
Many files, or many megabytes, are parsed by forked workers and this process together, in small
chunks each takes in turn; the workers send each ``SourceFile`` back. The rules of a large input run
the same way, in workers forked once the index is built (they inherit it and send back only
findings), a package of rules per task. Results are put back in input (catalog) order, so the output
is the same as one process's, whoever finished first. Only ``fork`` is used (Linux): a spawned worker
would import and rebuild everything, which costs more than it saves at the sizes where this matters.

``ISTIOLINT_JOBS`` sets the number of processes (``1``: never start any); by default, the cores that
other work leaves idle at the time (of those this process may use).

A parsed document's position table is keyed by ``id()`` of its containers, and ids do not survive
pickling: a document travels as its data plus the positions packed in a blob aligned with a
deterministic walk of that data (`_containers`), and the receiving side rebuilds the table on first
use (`_LazyTable`) -- usually never, since only documents with findings need positions.
"""

from __future__ import annotations

import copyreg
import os
import sys
from itertools import repeat
from typing import Any, Callable

from .loader import Document, SourceFile

# Parse in workers from this much input on: below, a run takes a few tens of milliseconds and
# starting workers would only add to it.
PARALLEL_MIN_BYTES = 2 * 1024 * 1024
PARALLEL_MIN_FILES = 32  # ... or this many files holding at least PARALLEL_MIN_FILES_BYTES
PARALLEL_MIN_FILES_BYTES = 512 * 1024
# Run rules in workers from this many resources on (the rules of 2,000 take about a second).
PARALLEL_MIN_RESOURCES = 2_000
# Position tables are most of the memory a parsed file takes (~6 bytes per byte of YAML). Once a
# process has parsed this much, it packs the tables of the files it parses next as the workers pack
# theirs to send them (~15 % more parsing time for those files): a large run stays within memory,
# whatever its size, and a run below this size pays nothing.
UNPACKED_BYTES = 24 * 1024 * 1024
CHUNKS_PER_WORKER = 16  # small chunks, taken in turn: the processes finish close together


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def idle_cores(cores: int, loadavg: str | None = None) -> int:
    """Of ``cores``, those not busy right now: Linux's count of runnable tasks (the fourth field of
    /proc/loadavg, which counts this process too) says how many others want a CPU. On a machine
    busy with other work, extra processes only add their overhead (as ``make -l`` knows)."""
    try:
        if loadavg is None:
            with open("/proc/loadavg", encoding="ascii") as handle:
                loadavg = handle.read()
        runnable = int(loadavg.split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        return cores
    return max(1, min(cores, cores - (runnable - 1)))


def max_jobs(jobs: int | None = None) -> int:
    """Processes a run may use: ``jobs`` if given, else ``ISTIOLINT_JOBS``, else the cores that other
    work leaves idle."""
    if jobs is None:
        try:
            jobs = int(os.environ.get("ISTIOLINT_JOBS", "0"))
        except ValueError:
            jobs = 0
        if jobs <= 0:
            jobs = idle_cores(available_cores())
    if sys.platform != "linux":
        return 1  # fork is Linux-only here (unsafe on macOS, absent on Windows)
    return max(1, jobs)


def parse_workers(sizes: list[int], jobs: int | None = None) -> int:
    """Worker processes for parsing files of these sizes (1: parse in this process)."""
    total = sum(sizes)
    big = total >= PARALLEL_MIN_BYTES or (len(sizes) >= PARALLEL_MIN_FILES and total >= PARALLEL_MIN_FILES_BYTES)
    if len(sizes) < 2 or not big:
        return 1
    return min(max_jobs(jobs), len(sizes))


def rule_workers(resources: int, rules: int, jobs: int | None = None) -> int:
    """Worker processes for running ``rules`` rules over ``resources`` resources (1: this process)."""
    if resources < PARALLEL_MIN_RESOURCES or rules < 2:
        return 1
    return min(max_jobs(jobs), rules)


# -- a pool this process helps ----------------------------------------------------------------------

_TASK: Any = None  # the function workers run, inherited through fork (never pickled)


def _run_task(i: int) -> Any:
    return _TASK(i)


def _map_helping(task: Callable[[int], Any], count: int, workers: int, order: list[int] | None = None,
                 done: Callable[[int], None] | None = None) -> list:
    """``[task(0), ..., task(count - 1)]`` computed by ``workers - 1`` forked processes and this one.

    Tasks are started in ``order`` (default: 0, 1, ...; put the longest first): the workers take them
    in turn, and so does this process, cancelling each it takes before a worker has started it -- so
    nobody waits while work is left, and results computed here need no pickling. Raises what a
    worker raised, or BrokenProcessPool. ``done(i)`` is called (in this thread) as results arrive."""
    global _TASK
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    order = list(range(count)) if order is None else order
    _TASK = task
    try:
        with ProcessPoolExecutor(workers - 1, mp_context=get_context("fork")) as pool:
            futures = {i: pool.submit(_run_task, i) for i in order}
            results: list = [None] * count
            here = [False] * count
            for i in order:
                if futures[i].cancel():
                    results[i] = task(i)
                    here[i] = True
                    if done is not None:
                        done(i)
            for i in range(count):
                if not here[i]:
                    results[i] = futures[i].result()
                    if done is not None:
                        done(i)
            return results
    finally:
        _TASK = None


# -- parsing ----------------------------------------------------------------------------------------


def load_sources(paths: list[str], load_one: Callable[[str], SourceFile], jobs: int | None = None,
                 workers: int | None = None, load_stdin: Callable[[str], SourceFile] | None = None,
                 loaded: Callable[[int], None] | None = None) -> list[SourceFile]:
    """``load_one(path)`` for every path, in order; in several processes when there is much to parse.

    Standard input (``-``) is read with ``load_stdin`` when given, always in this process. ``workers``
    forces a number of processes (tests). ``loaded(i)`` is called when ``paths[i]`` is done (for a
    progress bar; in bursts when workers parse)."""
    loaded = loaded or (lambda i: None)
    load_stdin = load_stdin or load_one
    sizes = [_size(p) for p in paths]
    parsed = [0]  # bytes parsed by this process (a forked worker counts its own)

    def load(path: str) -> SourceFile:
        source = load_stdin(path) if path == "-" else load_one(path)
        if parsed[0] >= UNPACKED_BYTES:
            pack_positions(source)
        parsed[0] += len(source.text)
        return source

    if workers is None:
        workers = parse_workers(sizes, jobs)
    if workers <= 1 or "-" in paths:  # standard input cannot be read by a forked process
        out = []
        for i, path in enumerate(paths):
            out.append(load(path))
            loaded(i)
        return out
    chunks = _chunks(paths, workers * CHUNKS_PER_WORKER)
    starts = [0]
    for chunk in chunks:
        starts.append(starts[-1] + len(chunk))

    def chunk_done(k: int) -> None:
        for i in range(starts[k], starts[k + 1]):
            loaded(i)

    from concurrent.futures.process import BrokenProcessPool

    try:
        parts = _map_helping(lambda k: [load(path) for path in chunks[k]], len(chunks), workers, done=chunk_done)
    except (BrokenProcessPool, OSError):  # a worker died (killed, out of memory): parse here instead
        return [load(path) for path in paths]
    return [source for part in parts for source in part]


def _size(path: str) -> int:
    if path == "-":
        return 0
    try:
        return os.stat(path).st_size
    except (OSError, ValueError):
        return 0


def _chunks(paths: list[str], count: int) -> list[list[str]]:
    """Consecutive runs of paths of about equal size in bytes."""
    sizes = [_size(p) + 4096 for p in paths]  # + a little for the per-file cost
    target = max(1, sum(sizes) // max(1, count))
    chunks: list[list[str]] = []
    current: list[str] = []
    weight = 0
    for path, size in zip(paths, sizes):
        current.append(path)
        weight += size
        if weight >= target:
            chunks.append(current)
            current, weight = [], 0
    if current:
        chunks.append(current)
    return chunks


# -- documents across processes ---------------------------------------------------------------------
# A document's position table maps id(container) to the positions of the container's entries. It
# travels as a walk of the data (`_containers`: same order on both sides, since pickling keeps order
# and sharing) with, per container, a tag (0: no entries, 1: one 16-byte position per item or key, in
# ``blob``, 2: anything else, kept as is in ``extra``). The receiving side rebuilds the table on first
# use (`_LazyTable`) -- only documents with findings ever need it.

_CONTAINER_TYPES = (dict, list)


def _containers(root: Any) -> list:
    """Every dict and list of a document, each once (aliases share containers), in an order that
    depends only on the data."""
    if root.__class__ not in _CONTAINER_TYPES:
        return []
    out: list = []
    seen: set[int] = set()
    stack = [root]
    pop, push, add, keep = stack.pop, stack.extend, seen.add, out.append
    while stack:
        node = pop()
        if id(node) in seen:
            continue
        add(id(node))
        keep(node)
        push([child for child in (node.values() if node.__class__ is dict else node)
              if child.__class__ in _CONTAINER_TYPES])
    return out


def _encode_positions(data: Any, table: dict) -> tuple[bytes, bytes, list]:
    """(tags, blob, extra) of a document's position table, in the order of `_containers` (the same walk,
    done here in the same loop that reads the table: this runs for every document of a large run)."""
    tags = bytearray()
    values: list[int] = []
    extra: list = []
    if data.__class__ not in _CONTAINER_TYPES:
        return b"", b"", extra
    seen: set[int] = set()
    stack = [data]
    pop, push, add, get, tag, keep = stack.pop, stack.extend, seen.add, table.get, tags.append, values.extend
    while stack:
        node = pop()
        if id(node) in seen:
            continue
        add(id(node))
        entries = get(id(node))
        if node.__class__ is dict:
            push([child for child in node.values() if child.__class__ in _CONTAINER_TYPES])
            aligned = list(map(entries.get, node)) if entries is not None and len(entries) == len(node) else None
        else:
            push([child for child in node if child.__class__ in _CONTAINER_TYPES])
            aligned = entries if entries is not None and len(entries) == len(node) else None
        if entries is None:
            tag(0)
        elif aligned is None or None in aligned:
            tag(2)
            extra.append(entries)
        else:
            tag(1)
            keep(aligned)
    blob = b"".join(map(int.to_bytes, values, repeat(16), repeat("little")))
    return bytes(tags), blob, extra


class _LazyTable(dict):
    """A document's position table in its packed form, read container by container.

    A finding needs the entries of the few containers on its path, so nothing is unpacked in advance:
    the first read walks the document once to find each container's place in the blob (a few bytes
    per container), and each read unpacks one container's entries, which are not kept. (Unpacking
    whole tables made a large run with a finding in most documents hold them all again.)"""

    __slots__ = ("_data", "_packed", "_ids", "_where")

    def __init__(self, data: Any, positions: tuple[bytes, bytes, list]) -> None:
        super().__init__()
        self._data = data
        self._packed = positions
        self._ids: Any = None  # id of each container, in walk order (an array, searched in C)
        self._where: list = []  # per container: None, or (container, offset in the blob / extra index)

    def _locate(self) -> None:
        from array import array

        tags, _blob, _extra = self._packed
        containers = _containers(self._data)
        self._ids = array("Q", map(id, containers))
        where: list = []
        offset = extra = 0
        for container, tag in zip(containers, tags):
            if tag == 0:
                where.append(None)
            elif tag == 2:
                where.append((None, extra))
                extra += 1
            else:
                where.append((container, offset))
                offset += 16 * len(container)
        self._where = where

    def _entries(self, key: int) -> Any:
        if self._ids is None:
            self._locate()
        try:
            found = self._where[self._ids.index(key)]
        except (ValueError, OverflowError, TypeError):
            return None
        if found is None:
            return None
        container, offset = found
        if container is None:
            return self._packed[2][offset]
        blob = self._packed[1]
        values = [int.from_bytes(blob[k: k + 16], "little") for k in range(offset, offset + 16 * len(container), 16)]
        return dict(zip(container, values)) if container.__class__ is dict else values

    def get(self, key, default=None):
        found = self._entries(key)
        return default if found is None else found

    def __getitem__(self, key):
        found = self._entries(key)
        if found is None:
            raise KeyError(key)
        return found

    def __contains__(self, key) -> bool:
        return self._entries(key) is not None

    def unpacked(self) -> dict:
        """The whole table as the loader builds it."""
        if self._ids is None:
            self._locate()
        return {i: self._entries(i) for i, w in zip(self._ids, self._where) if w is not None}

    def __len__(self) -> int:
        return len(self.unpacked())

    def __iter__(self):
        return iter(self.unpacked())

    def __reduce__(self):
        return dict, (self.unpacked(),)


def pack_positions(source: SourceFile) -> None:
    """Pack the position tables of a parsed file (about half its memory) as they travel between
    processes; each is unpacked when a position is first asked for."""
    for document in source.documents:
        table = document.table
        if document.data is not None and not isinstance(table, _LazyTable):
            document.table = _LazyTable(document.data, _encode_positions(document.data, table))


def _reduce_document(document: Document):
    state = dict(document.__dict__)
    table = state.pop("table")
    if isinstance(table, _LazyTable) and table._data is state.get("data"):
        state["_positions"] = table._packed  # packed already (a large run): as it is
    else:
        state["_positions"] = _encode_positions(state.get("data"), table)
    return _rebuild_document, (state,)


def _rebuild_document(state: dict) -> Document:
    document = Document.__new__(Document)
    positions = state.pop("_positions")
    document.__dict__.update(state)
    document.table = _LazyTable(document.data, positions)
    return document


copyreg.pickle(Document, _reduce_document)


# -- rules ------------------------------------------------------------------------------------------


def map_rules(job: Any, groups: list[list], workers: int, costs: list[float] | None = None) -> list | None:
    """``[[job.run(entry) for entry in group] for group in groups]``, here and in processes forked now
    (which inherit the job and its index). A group (rules of one package, which share derived indexes)
    runs in one process; ``costs`` (estimates) start the longest groups first, so that the processes
    finish together. None when a worker failed: the caller runs the rules itself then."""
    import gc
    from concurrent.futures.process import BrokenProcessPool

    frozen = gc.get_freeze_count() > 0
    gc.freeze()  # the workers' collector then leaves the inherited objects (and their pages) alone
    try:
        order = sorted(range(len(groups)), key=lambda i: -costs[i]) if costs else None
        return _map_helping(lambda i: [job.run(entry) for entry in groups[i]], len(groups), workers, order)
    except (BrokenProcessPool, OSError):
        return None
    except Exception:  # e.g. a finding that does not pickle: not worth failing the run for
        return None
    finally:
        if not frozen:
            gc.unfreeze()
