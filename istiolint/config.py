"""Configuration files: ``.istiolint.yaml`` or ``[tool.istiolint]`` in ``pyproject.toml``.

Found by walking up from the working directory (the nearest file wins, like ruff and yamllint), or named
with ``--config``. Every key, rule and value is checked: a typo is a usage error that names the file,
the position and the nearest valid spelling, because a silently ignored setting is worse than none.
Globs (``exclude``, ``per-file-ignores``) are relative to the directory of the configuration file.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import Any, Callable

from .finding import Severity
from .record import field, record

YAML_NAMES = (".istiolint.yaml", ".istiolint.yml")
PYPROJECT = "pyproject.toml"

KEYS = (
    "select", "ignore", "severity", "per-file-ignores", "exclude", "fail-on", "cluster-domain", "namespace",
    "strict-references", "report-unused-suppressions",
)


class ConfigError(ValueError):
    """A configuration problem: reported as a usage error (exit 2)."""


@record
class Config:
    path: str | None = None  # the file it came from (None: no file)
    root: str = "."  # directory the globs are relative to
    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)
    per_file_ignores: list[tuple[str, list[str]]] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    fail_on: Severity | None = None
    cluster_domain: str | None = None
    namespace: str | None = None
    strict_references: bool | None = None
    report_unused_suppressions: bool | None = None

    def relative(self, path: str) -> str:
        """``path`` relative to the configuration's directory (as given when it lies outside)."""
        absolute = os.path.abspath(path)
        root = os.path.abspath(self.root)
        if absolute == root or absolute.startswith(root.rstrip(os.sep) + os.sep):
            return os.path.relpath(absolute, root).replace(os.sep, "/")
        return path.replace(os.sep, "/")

    def is_excluded(self, path: str) -> bool:
        if path == "-" or not self.exclude:
            return False
        relative = self.relative(path)
        return any(glob_match(relative, pattern) for pattern in self.exclude)

    def ignored_by_file(self, path: str) -> list[tuple[str, list[str]]]:
        """The ``per-file-ignores`` entries that apply to ``path``."""
        if not self.per_file_ignores:
            return []
        relative = self.relative(path)
        return [(pattern, rules) for pattern, rules in self.per_file_ignores if glob_match(relative, pattern)]


# --- globs -----------------------------------------------------------------------------------------

@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern:
    """gitignore-flavoured globs: ``*`` and ``?`` stay inside a path segment, ``**`` crosses them, a
    pattern without ``/`` matches a file or directory name at any depth, a trailing ``/`` a directory."""
    anchored = "/" in pattern.rstrip("/")
    body = pattern.strip("/") if pattern.endswith("/") else pattern.lstrip("/")
    if body.startswith("./"):
        body = body[2:]
    out, i = [], 0
    while i < len(body):
        char = body[i]
        if body.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif body.startswith("**", i):
            out.append(".*")
            i += 2
        elif char == "*":
            out.append("[^/]*")
            i += 1
        elif char == "?":
            out.append("[^/]")
            i += 1
        elif char == "[":
            end = body.find("]", i + 1)
            if end == -1:
                out.append(re.escape(char))
                i += 1
            else:
                inner = body[i + 1:end].replace("\\", "\\\\")
                out.append("[^" + inner[1:] + "]" if inner.startswith("!") else "[" + inner + "]")
                i = end + 1
        else:
            out.append(re.escape(char))
            i += 1
    prefix = "" if anchored else "(?:.*/)?"
    # Matching a directory matches everything below it.
    return re.compile(prefix + "".join(out) + "(?:/.*)?\\Z", re.DOTALL)


def glob_match(relative_path: str, pattern: str) -> bool:
    return _glob_regex(pattern).match(relative_path) is not None


# --- finding and reading ---------------------------------------------------------------------------

def find_config(start: str | os.PathLike | None = None) -> Any:
    """The nearest ``.istiolint.yaml``/``.yml``, or ``pyproject.toml`` with a ``[tool.istiolint]`` table,
    from ``start`` (the working directory) up to the filesystem root, as a ``pathlib.Path``; None.
    (Walked with ``os.path``: most runs find nothing, and need not import pathlib to say so.)"""
    candidate = os.path.realpath(os.fspath(start) if start else os.getcwd())
    while True:
        for name in YAML_NAMES:
            path = os.path.join(candidate, name)
            if os.path.isfile(path):
                return _as_path(path)
        pyproject = os.path.join(candidate, PYPROJECT)
        if os.path.isfile(pyproject) and _pyproject_table(pyproject) is not None:
            return _as_path(pyproject)
        parent = os.path.dirname(candidate)
        if parent == candidate:
            return None
        candidate = parent


def _as_path(path: str) -> Any:
    from pathlib import Path

    return Path(path)


def _pyproject_table(path: str | os.PathLike) -> dict | None:
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err}") from None
    # Every spelling of the table ([tool.istiolint], dotted keys, an inline table under [tool]) names
    # it: without the word there is nothing to find, and the TOML parser's import is not paid.
    if b"istiolint" not in raw:
        return None
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: tomli is the same parser, when installed
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ModuleNotFoundError:
            return None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        raise ConfigError(f"{path}: cannot read: {err}") from None
    table = data.get("tool", {}).get("istiolint") if isinstance(data.get("tool"), dict) else None
    return table if isinstance(table, dict) else None


def load_config(path: str | os.PathLike, catalog) -> Config:
    from pathlib import Path  # a configuration file exists: the run can afford it

    path = Path(path)
    where = str(path)
    if not path.is_file():
        raise ConfigError(f"{where}: configuration file not found")
    if path.name == PYPROJECT:
        table = _pyproject_table(path)
        if table is None:
            raise ConfigError(f"{where}: no [tool.istiolint] table (or no TOML parser on Python < 3.11)")
        return parse_config(table, where, str(path.parent), catalog, lambda keys: f"[tool.istiolint] {'.'.join(map(str, keys))}")

    from .loader import decode, load_text

    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ConfigError(f"{where}: cannot read: {err.strerror}") from None
    text, problem = decode(raw)
    if text is None:
        raise ConfigError(f"{where}: {problem.message if problem else 'cannot decode'}")
    source = load_text(text, where)
    if source.problems:
        first = source.problems[0]
        raise ConfigError(f"{where}:{first.line}:{first.column}: {first.message}")
    documents = [d for d in source.documents if d.data is not None]
    if not documents:
        return Config(path=where, root=str(path.parent))
    if len(documents) > 1 or not isinstance(documents[0].data, dict):
        raise ConfigError(f"{where}: a configuration file is one YAML mapping")
    document = documents[0]

    def locate(keys: tuple) -> str:
        line, column = document.position(keys, key=True)
        return f"{line}:{column}"

    return parse_config(document.data, where, str(path.parent), catalog, locate)


# --- validation ------------------------------------------------------------------------------------

def _nearest(word: str, choices) -> str:
    import difflib  # a mistake in the file: not on the start-up path

    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else ""


def parse_config(data: dict, where: str, root: str, catalog, locate: Callable[[tuple], str]) -> Config:
    """Validate a configuration mapping. ``locate(keys)`` names a position for error messages."""

    def fail(keys: tuple, message: str):
        raise ConfigError(f"{where}:{locate(keys)}: {message}")

    def rule_list(keys: tuple, value: Any) -> list[str]:
        if isinstance(value, str):
            items = [(keys, part.strip()) for part in value.split(",") if part.strip()]
        elif isinstance(value, list):
            items = []
            for i, item in enumerate(value):
                if not isinstance(item, str):
                    fail(keys + (i,), f"{keys[-1]}: expected a rule code, name or prefix, got {item!r}")
                items.extend((keys + (i,), part.strip()) for part in item.split(",") if part.strip())
        else:
            fail(keys, f"{keys[-1]}: expected a list of rules, got {type(value).__name__}")
        for item_keys, item in items:
            check_rule(item_keys, item)
        return [item for _, item in items]

    def check_rule(keys: tuple, item: str) -> None:
        if not catalog.matching(item):
            hint = catalog.suggest(item)
            fail(keys, f"unknown rule {item!r} in {keys[0]}" + (f"; did you mean {hint!r}?" if hint else ""))

    def string(keys: tuple, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            fail(keys, f"{keys[-1]}: expected a non-empty string, got {value!r}")
        return value.strip()

    def level(keys: tuple, value: Any) -> Severity:
        try:
            return Severity.parse(value if isinstance(value, str) else repr(value))
        except ValueError as err:
            fail(keys, f"{keys[-1]}: {err}")

    def boolean(keys: tuple, value: Any) -> bool:
        if not isinstance(value, bool):
            fail(keys, f"{keys[-1]}: expected true or false, got {value!r}")
        return value

    def globs(keys: tuple, value: Any) -> list[str]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            fail(keys, f"{keys[-1]}: expected a list of glob patterns")
        return list(value)

    config = Config(path=where, root=root)
    for key, value in data.items():
        keys = (key,)
        if key not in KEYS:
            fail(keys, f"unknown key {key!r}{_nearest(key, KEYS)} (valid keys: {', '.join(KEYS)})")
        if key == "select":
            config.select = rule_list(keys, value)
        elif key == "ignore":
            config.ignore = rule_list(keys, value)
        elif key == "severity":
            if not isinstance(value, dict):
                fail(keys, "severity: expected a mapping of rule to error, warning or info")
            for rule, rule_level in value.items():
                check_rule((key, rule), str(rule))
                config.severity[str(rule)] = level((key, rule), rule_level).label
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                fail(keys, "per-file-ignores: expected a mapping of glob pattern to rules")
            for pattern, rules in value.items():
                config.per_file_ignores.append((str(pattern), rule_list((key, pattern), rules)))
        elif key == "exclude":
            config.exclude = globs(keys, value)
        elif key == "fail-on":
            config.fail_on = level(keys, value)
        elif key == "cluster-domain":
            config.cluster_domain = string(keys, value).strip(".")
        elif key == "namespace":
            config.namespace = string(keys, value)
        elif key == "strict-references":
            config.strict_references = boolean(keys, value)
        elif key == "report-unused-suppressions":
            config.report_unused_suppressions = boolean(keys, value)
    return config
