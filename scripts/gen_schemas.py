#!/usr/bin/env python3
"""Generate strict JSON schemas for every served Istio kind and version from Istio's CRDs.

    .venv/bin/python scripts/gen_schemas.py [--crds PATH] [--out schemas] [--check]

Writes ``<out>/<group>/<version>/<Kind>.json`` (JSON Schema 2020-12), ``<out>/index.json`` (which
kinds and versions each Istio group serves) and ``<out>/SOURCE.json`` (where the CRDs came from).
Output is deterministic (sorted keys, fixed indentation) so a test can compare a fresh generation with
the committed files byte for byte.

How a CRD's OpenAPI v3 (structural) schema becomes a JSON schema:

* ``description`` and other prose is dropped; structure and value constraints are kept.
* ``nullable: true`` adds ``"null"`` to ``type`` (and to ``enum``): OpenAPI's nullable has no JSON
  Schema keyword.
* ``x-kubernetes-int-or-string: true`` becomes ``type: [integer, string]`` (the CRD spells it as an
  ``anyOf`` of the two types, which we fold away so errors read "must be an integer or a string").
* ``x-kubernetes-validations`` (CEL rules) are kept verbatim on the node they sit on, for a CEL pass;
  other ``x-kubernetes-*`` markers are kept as annotations. JSON Schema validators ignore them.
* Strict: an object schema with ``properties`` and neither ``additionalProperties`` nor
  ``x-kubernetes-preserve-unknown-fields`` gets ``additionalProperties: false``. The API server prunes
  (or, with ``kubectl --validate=strict``, rejects) such fields; either way they are mistakes.
* The root describes the whole resource: ``apiVersion``, ``kind``, ``metadata`` (any object), ``spec``
  (from the CRD) and ``status`` (anything: it is written by controllers), and is strict too.

Any schema keyword this script does not know makes it fail, so a new CRD construct is noticed instead
of silently dropped.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CRDS = PROJECT_ROOT.parent / "shared" / "istio-crds" / "crd-all.gen.yaml"
DEFAULT_OUT = PROJECT_ROOT / "schemas"
GENERATOR = "scripts/gen_schemas.py"
DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Value constraints that mean the same in OpenAPI v3 and JSON Schema 2020-12.
_COPIED = frozenset(
    {
        "enum", "required", "format", "pattern", "minimum", "maximum", "multipleOf",
        "minLength", "maxLength", "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties",
    }
)
# Kubernetes extensions kept verbatim: CEL rules for a later pass, list/map semantics for rules.
_KEPT_EXTENSIONS = frozenset(
    {
        "x-kubernetes-validations", "x-kubernetes-list-type", "x-kubernetes-list-map-keys",
        "x-kubernetes-map-type", "x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource",
    }
)
_PROSE = frozenset({"description", "title", "example", "externalDocs", "default"})
_HANDLED = frozenset(
    {
        "type", "properties", "items", "additionalProperties", "oneOf", "anyOf", "allOf", "not",
        "nullable", "x-kubernetes-int-or-string", "exclusiveMinimum", "exclusiveMaximum",
    }
)
_INT_OR_STRING_ANYOF = [{"type": "integer"}, {"type": "string"}]


class UnknownKeyword(ValueError):
    pass


def convert(node: dict[str, Any], where: str = "") -> dict[str, Any]:
    """One OpenAPI v3 schema node → the equivalent strict JSON Schema node."""
    unknown = set(node) - _COPIED - _KEPT_EXTENSIONS - _PROSE - _HANDLED
    if unknown:
        raise UnknownKeyword(f"{where or '/'}: unsupported schema keyword(s) {sorted(unknown)}")
    out: dict[str, Any] = {k: v for k, v in node.items() if k in _COPIED or k in _KEPT_EXTENSIONS}

    types: list[str] = [node["type"]] if "type" in node else []
    if node.get("x-kubernetes-int-or-string"):
        # IntOrString: the CRD also carries the equivalent anyOf, which a type list replaces.
        types = ["integer", "string"]
    if "anyOf" in node and not (node.get("x-kubernetes-int-or-string") and node["anyOf"] == _INT_OR_STRING_ANYOF):
        out["anyOf"] = [convert(s, f"{where}/anyOf/{i}") for i, s in enumerate(node["anyOf"])]
    for key in ("oneOf", "allOf"):
        if key in node:
            out[key] = [convert(s, f"{where}/{key}/{i}") for i, s in enumerate(node[key])]
    if "not" in node:
        out["not"] = convert(node["not"], f"{where}/not")

    if node.get("nullable"):
        if types:
            types.append("null")
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    if types:
        out["type"] = types[0] if len(types) == 1 else types

    # OpenAPI v3.0 spells exclusive bounds as booleans beside minimum/maximum; 2020-12 as numbers.
    for flag, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if node.get(flag) is True:
            out[flag] = out.pop(bound)

    if "properties" in node:
        out["properties"] = {
            name: convert(sub, f"{where}/properties/{name}") for name, sub in node["properties"].items()
        }
    if "items" in node:
        out["items"] = convert(node["items"], f"{where}/items")
    if "additionalProperties" in node:
        extra = node["additionalProperties"]
        if not isinstance(extra, bool):
            extra = convert(extra, f"{where}/additionalProperties")
        out["additionalProperties"] = extra
    elif "properties" in node and not node.get("x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False
    return out


def resource_schema(crd_root: dict[str, Any], group: str, version: str, kind: str) -> dict[str, Any]:
    """The schema of a whole resource of one kind and version."""
    root = convert(crd_root, f"{group}/{version}/{kind}")
    properties = root.get("properties", {})
    unexpected = set(properties) - {"spec", "status"}
    if unexpected:
        raise UnknownKeyword(f"{group}/{version}/{kind}: unexpected top-level properties {sorted(unexpected)}")
    root["properties"] = {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        # ObjectMeta is the API server's own business and the same for every kind.
        "metadata": {"type": "object"},
        **({"spec": properties["spec"]} if "spec" in properties else {}),
        # Written by controllers; anything a manifest carries here is ignored on create.
        "status": {},
    }
    root["type"] = "object"
    root["additionalProperties"] = False
    root.pop("x-kubernetes-preserve-unknown-fields", None)
    root["$schema"] = DIALECT
    root["$comment"] = f"{group}/{version} {kind}; generated by {GENERATOR} from Istio's CRDs, do not edit"
    return root


_VERSION_RE = re.compile(r"v(\d+)(?:(alpha|beta)(\d+))?\Z")


def version_priority(version: str) -> tuple[int, int, int]:
    """Kubernetes' version order: GA before beta before alpha, then higher numbers first (sort ascending)."""
    m = _VERSION_RE.match(version)
    if not m:
        return (3, 0, 0)
    stage = {None: 0, "beta": 1, "alpha": 2}[m.group(2)]
    return (stage, -int(m.group(1)), -int(m.group(3) or 0))


def parse_source_txt(path: Path) -> dict[str, str]:
    info: dict[str, str] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            key, sep, value = line.partition(":")
            # "snapshot_commit (HEAD): <sha>" -> snapshot_commit
            key = key.split("(")[0].strip()
            if sep and key and " " not in key:
                info[key] = value.strip()
    return info


def dump(data: Any) -> str:
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def generate(crds_path: Path) -> dict[str, str]:
    """All output files, as {relative path: text}."""
    raw = crds_path.read_bytes()
    yaml = YAML(typ="safe", pure=False)
    files: dict[str, str] = {}
    schemas: dict[str, dict[str, str]] = {}
    groups: dict[str, dict[str, Any]] = {}
    for crd in yaml.load_all(raw):
        if not crd or crd.get("kind") != "CustomResourceDefinition":
            continue
        spec = crd["spec"]
        group, kind = spec["group"], spec["names"]["kind"]
        served = []
        for ver in spec["versions"]:
            if not ver.get("served", True):
                continue
            version = ver["name"]
            served.append(version)
            rel = f"{group}/{version}/{kind}.json"
            files[rel] = dump(resource_schema(ver["schema"]["openAPIV3Schema"], group, version, kind))
            schemas.setdefault(f"{group}/{version}", {})[kind] = rel
        served.sort(key=version_priority)
        entry = groups.setdefault(group, {"kinds": {}, "versions": []})
        entry["kinds"][kind] = {
            "versions": served,
            # What kubectl would prefer; the version a suggestion points to.
            "preferred": served[0],
            "storage": next(v["name"] for v in spec["versions"] if v.get("storage")),
            "scope": spec.get("scope", "Namespaced"),
        }
        entry["versions"] = sorted(set(entry["versions"]) | set(served), key=version_priority)
    files["index.json"] = dump({"groups": groups, "schemas": schemas})
    source = parse_source_txt(crds_path.parent / "SOURCE.txt")
    files["SOURCE.json"] = dump(
        {
            "crd_file": crds_path.name,
            "crd_sha256": hashlib.sha256(raw).hexdigest(),
            "generator": GENERATOR,
            "dialect": DIALECT,
            "schema_count": len(files) - 1,
            "source": {
                key: source[key]
                for key in ("repo", "path", "snapshot_commit", "snapshot_commit_date", "istio_version_file", "license")
                if key in source
            },
        }
    )
    return files


def write(files: dict[str, str], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    # Remove schemas of kinds/versions that are no longer served, so the tree mirrors the CRDs.
    for stale in out.glob("*/*/*.json"):
        if stale.relative_to(out).as_posix() not in files:
            stale.unlink()
    for rel, text in sorted(files.items()):
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
    for folder in sorted(out.glob("*/*"), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def differences(files: dict[str, str], out: Path) -> list[str]:
    found = {p.relative_to(out).as_posix() for p in out.glob("*/*/*.json")} | {
        name for name in ("index.json", "SOURCE.json") if (out / name).is_file()
    }
    problems = [f"missing: {rel}" for rel in sorted(set(files) - found)]
    problems += [f"stale: {rel}" for rel in sorted(found - set(files))]
    problems += [
        f"differs: {rel}"
        for rel in sorted(set(files) & found)
        if (out / rel).read_text(encoding="utf-8") != files[rel]
    ]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--crds", type=Path, default=DEFAULT_CRDS, help="Istio's crd-all.gen.yaml")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default: schemas/)")
    parser.add_argument("--check", action="store_true", help="compare with --out instead of writing; exit 1 on drift")
    args = parser.parse_args(argv)
    try:
        files = generate(args.crds)
    except UnknownKeyword as err:
        print(f"gen_schemas: {err}", file=sys.stderr)
        return 2
    if args.check:
        problems = differences(files, args.out)
        for line in problems:
            print(line)
        return 1 if problems else 0
    write(files, args.out)
    print(f"wrote {len(files) - 2} schemas, index.json and SOURCE.json to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
