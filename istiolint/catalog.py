"""The rule catalog: one ``rules/<name>.yaml`` per rule, the single source of codes, names and docs."""

from __future__ import annotations

import json
import os
import re

from ._data import data_dir, is_bundled
from .finding import Severity
from .record import field, record

CODE_RE = re.compile(r"IL\d{3}\Z")
NAME_RE = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*\Z")
REQUIRED_FIELDS = ("code", "name", "severity", "module", "summary", "rationale", "bad", "good", "fix")


@record(frozen=True)
class RuleEntry:
    code: str
    name: str
    severity: Severity
    module: str  # dotted module path of the check, e.g. istiolint.rules.routing.route_shadowed
    summary: str
    rationale: str
    bad: str
    good: str
    fix: str
    istio_codes: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    message: str = ""  # optional message template, formatted with the rule's fields
    area: str = ""
    file: str = ""

    @property
    def help_uri(self) -> str:
        return f"https://github.com/istiolint/istiolint/blob/main/rules/{self.name}.yaml"

    def as_dict(self) -> dict:
        return {
            "code": self.code, "name": self.name, "severity": self.severity.label, "summary": self.summary,
            "istio_codes": list(self.istio_codes), "area": self.area, "rationale": self.rationale,
            "bad": self.bad, "good": self.good, "fix": self.fix, "references": list(self.references),
        }

    def explain_markdown(self) -> str:
        istio = ", ".join(self.istio_codes) or "none"
        refs = "\n".join(f"- {r}" for r in self.references)
        return (
            f"# {self.code} {self.name}\n\n"
            f"**Severity:** {self.severity.label}  \n**istioctl analyze codes:** {istio}\n\n"
            f"{self.summary}\n\n## Why\n\n{self.rationale.strip()}\n\n"
            f"## Bad\n\n```yaml\n{self.bad.rstrip()}\n```\n\n## Good\n\n```yaml\n{self.good.rstrip()}\n```\n\n"
            f"## Fix\n\n{self.fix.strip()}\n" + (f"\n## References\n\n{refs}\n" if refs else "")
        )


AREAS = {"0": "input", "1": "schema", "2": "gateway", "3": "routing", "4": "references", "5": "workloads",
         "6": "security"}


class CatalogError(Exception):
    pass


@record
class Catalog:
    entries: tuple[RuleEntry, ...]
    # module -> the KINDS its source declares (None: import it to know), as rules/catalog.json recorded
    # them when it was generated; a module missing here is read at run time (engine.declared_kinds).
    declared_kinds: dict[str, tuple[str, ...] | None] = field(default_factory=dict, compare=False, repr=False)
    by_code: dict[str, RuleEntry] = field(init=False)
    by_name: dict[str, RuleEntry] = field(init=False)

    def __post_init__(self) -> None:
        self.entries = tuple(sorted(self.entries, key=lambda e: e.code))
        self.by_code = {e.code: e for e in self.entries}
        self.by_name = {e.name: e for e in self.entries}

    def find(self, code_or_name: str) -> RuleEntry | None:
        key = code_or_name.strip()
        return self.by_code.get(key.upper()) or self.by_name.get(key.lower())

    def matching(self, selector: str) -> list[RuleEntry]:
        """Entries a select/ignore item names: a code, a name, or a code prefix (``IL3``, ``IL30``)."""
        selector = selector.strip()
        exact = self.find(selector)
        if exact:
            return [exact]
        upper = selector.upper()
        if re.fullmatch(r"IL\d{0,3}", upper) or upper == "ALL":
            return [e for e in self.entries if upper == "ALL" or e.code.startswith(upper)]
        return []

    def suggest(self, code_or_name: str) -> str | None:
        import difflib

        words = list(self.by_name) + list(self.by_code)
        close = difflib.get_close_matches(code_or_name, words, n=1)
        return close[0] if close else None


def _entry_from(data: dict, file: str) -> RuleEntry:
    missing = [f for f in REQUIRED_FIELDS if not data.get(f)]
    if missing:
        raise CatalogError(f"{file}: missing {', '.join(missing)}")
    code = str(data["code"])
    return RuleEntry(
        code=code, name=str(data["name"]), severity=Severity.parse(str(data["severity"])),
        module=str(data["module"]), summary=str(data["summary"]).strip(), rationale=str(data["rationale"]),
        bad=str(data["bad"]), good=str(data["good"]), fix=str(data["fix"]),
        istio_codes=tuple(data.get("istio_codes") or ()), references=tuple(data.get("references") or ()),
        message=str(data.get("message") or ""), area=AREAS.get(code[2:3], ""), file=file,
    )


PREBUILT = "catalog.json"  # beside rules/*.yaml: the same entries, read without a YAML parser


def load_catalog(directory: str | os.PathLike | None = None) -> Catalog:
    """Every rule of ``rules/*.yaml``, the source of truth.

    ``rules/catalog.json`` holds the same entries prebuilt (``python scripts/update_readme.py``
    regenerates it with the README table); reading it is several times faster than parsing ~70 YAML
    files, which matters for a pre-commit hook's start-up. It is used only when its signature -- a
    checksum of the names and contents of every ``rules/*.yaml`` -- matches the files, so a stale
    copy costs time, never correctness."""
    directory = os.fspath(directory) if directory else data_dir("rules")
    if is_bundled(directory):
        # Installed from a wheel: catalog.json was built with these very files (the test suite checks
        # the copy in the source tree), so the ~70 YAML files need not be read to check it.
        prebuilt = _read_prebuilt(os.path.join(directory, PREBUILT), None)
        if prebuilt is not None:
            return prebuilt
    files = _yaml_files(directory)
    texts = [_read(path) for path in files]
    signature = _signature(files, texts)
    prebuilt = _read_prebuilt(os.path.join(directory, PREBUILT), signature)
    if prebuilt is not None:
        return prebuilt
    return _parse(files, texts)


def _yaml_files(directory: str) -> list[str]:
    return sorted(os.path.join(directory, name) for name in os.listdir(directory) if name.endswith(".yaml"))


def _read(path: str | os.PathLike) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _parse(files: list, texts: list[str]) -> Catalog:
    from .loader import load_text

    entries = []
    for path, text in zip(files, texts):
        source = load_text(text, str(path))
        if source.problems or not source.documents or not isinstance(source.documents[0].data, dict):
            raise CatalogError(f"{path}: not a valid catalog entry: {source.problems[:1]}")
        entries.append(_entry_from(source.documents[0].data, os.path.basename(path)))
    return Catalog(tuple(entries))


def _signature(files: list, texts: list[str]) -> str:
    import zlib

    checksum = 0
    for path, text in zip(files, texts):
        checksum = zlib.crc32(f"{os.path.basename(path)}\0{text}\0".encode("utf-8"), checksum)
    return f"{len(files)}:{checksum:08x}"


_ENTRY_FIELDS = ("code", "name", "module", "summary", "rationale", "bad", "good", "fix", "istio_codes",
                 "references", "message", "area", "file")


def _read_prebuilt(path: str, signature: str | None) -> Catalog | None:
    """The catalog of ``catalog.json`` if its signature is ``signature`` (None: trusted as it is)."""
    try:
        data = json.loads(_read(path))
        if signature is not None and data.get("signature") != signature:
            return None
        entries = []
        for item in data["entries"]:
            fields = {name: item[name] for name in _ENTRY_FIELDS}
            fields["istio_codes"] = tuple(fields["istio_codes"])
            fields["references"] = tuple(fields["references"])
            entries.append(RuleEntry(severity=Severity.parse(item["severity"]), **fields))
        declared = {module: None if kinds is None else tuple(kinds) for module, kinds in data["kinds"].items()}
        return Catalog(tuple(entries), declared)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # absent or unreadable: parse the YAML


def prebuilt_json(directory: str | os.PathLike | None = None) -> str:
    """The text of ``rules/catalog.json`` for the current ``rules/*.yaml``."""
    directory = os.fspath(directory) if directory else data_dir("rules")
    files = _yaml_files(directory)
    texts = [_read(path) for path in files]
    catalog = _parse(files, texts)
    entries = []
    for entry in catalog.entries:
        item = {name: getattr(entry, name) for name in _ENTRY_FIELDS}
        item["severity"] = entry.severity.label
        entries.append(item)
    # The KINDS each rule module declares (None: it also checks whole files, so it always runs), read by
    # importing it here, so that a run imports only the rules for the kinds in its input (tests check
    # the file against the modules: edit KINDS, regenerate it).
    kinds = {e.module: _module_kinds(e.module) for e in catalog.entries}
    data = {"generated_by": "python scripts/update_readme.py (from rules/*.yaml; do not edit)",
            "signature": _signature(files, texts), "entries": entries, "kinds": kinds}
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def _module_kinds(module: str) -> list[str] | None:
    import importlib

    loaded = importlib.import_module(module)
    if hasattr(loaded, "check_file"):
        return None
    return list(getattr(loaded, "KINDS", ()))


def catalog_json(catalog: Catalog) -> str:
    return json.dumps([e.as_dict() for e in catalog.entries], indent=2)
