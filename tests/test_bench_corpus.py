"""The benchmark corpus generator: deterministic, parseable, consistent, with a known share of mistakes."""
from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
SHARED_CRDS = ROOT.parent / "shared" / "istio-crds" / "crd-all.gen.yaml"


def _load_generator():
    spec = importlib.util.spec_from_file_location("gen_corpus", ROOT / "bench" / "gen_corpus.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["gen_corpus"] = mod  # dataclasses look their module up while being created
    spec.loader.exec_module(mod)
    return mod


gen = _load_generator()

ISTIO_KINDS = {"VirtualService", "DestinationRule", "Gateway", "ServiceEntry", "AuthorizationPolicy", "PeerAuthentication"}


def _files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _documents(out: Path) -> list[tuple[str, int, dict]]:
    docs = []
    for path in sorted(out.rglob("*.yaml")):
        rel = path.relative_to(out).as_posix()
        for i, doc in enumerate(YAML(typ="safe").load_all(path.read_text(encoding="utf-8"))):
            docs.append((rel, i, doc))
    return docs


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, dict, list[tuple[str, int, dict]]]:
    out = tmp_path_factory.mktemp("corpus") / "corpus"
    manifest = gen.generate(200, str(out), seed=7, mistake_rate=0.1)
    return out, manifest, _documents(out)


def test_same_seed_gives_identical_bytes(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    gen.generate(200, str(a), seed=11)
    gen.generate(200, str(b), seed=11)
    gen.generate(200, str(c), seed=12)
    files_a = _files(a)
    assert len(files_a) > 2
    assert files_a == _files(b)
    assert files_a != _files(c)


def test_every_file_parses_and_counts_match_manifest(corpus):
    out, manifest, docs = corpus
    assert len(docs) == 200 == manifest["resources"]
    assert all(isinstance(d, dict) and d.get("kind") for _, _, d in docs)  # no empty documents
    counts = Counter(d["kind"] for _, _, d in docs)
    assert dict(counts) == manifest["counts_by_kind"]
    assert manifest["files"] == len(list(out.rglob("*.yaml")))
    # files hold ~50 documents each
    per_file = Counter(rel for rel, _, _ in docs)
    assert max(per_file.values()) <= 50


def test_counts_by_kind_are_plausible(corpus):
    _, manifest, docs = corpus
    c = manifest["counts_by_kind"]
    assert set(c) == ISTIO_KINDS | {"Service", "ServiceAccount", "Deployment"}
    # one Service, ServiceAccount and DestinationRule per app; 1-3 versions per app; edge apps add a VS
    assert c["Service"] == c["ServiceAccount"] == c["DestinationRule"]
    assert c["Service"] <= c["Deployment"] <= 3 * c["Service"]
    assert c["Service"] < c["VirtualService"] < 2 * c["Service"]
    assert c["PeerAuthentication"] == len(manifest["namespaces"]) == len({d["metadata"]["namespace"] for _, _, d in docs})
    assert 1 <= c["Gateway"] < c["VirtualService"]
    assert c["AuthorizationPolicy"] < c["Service"]


def test_mistake_count_follows_the_rate(tmp_path, corpus):
    _, manifest, _ = corpus
    assert manifest["mistakes_planted"] == len(manifest["mistakes"]) == round(200 * 0.1)
    assert len({m["type"] for m in manifest["mistakes"]}) == len(gen.MISTAKE_TYPES)
    default = gen.generate(200, str(tmp_path / "d"), seed=7)
    assert len(default["mistakes"]) == round(200 * 0.02) == 4
    none = gen.generate(200, str(tmp_path / "n"), seed=7, mistake_rate=0)
    assert none["mistakes"] == []


def test_mistake_positions_point_at_the_planted_node(corpus):
    out, manifest, _ = corpus
    streams = {}
    for m in manifest["mistakes"]:
        if m["file"] not in streams:
            streams[m["file"]] = list(YAML().load_all((out / m["file"]).read_text(encoding="utf-8")))
        doc = streams[m["file"]][m["document"]]
        assert (doc["kind"], doc["metadata"]["name"]) == (m["kind"], m["name"])
        assert m["rule"] == gen.MISTAKE_RULES[m["type"]]
        *parent_path, last = m["path"]
        parent = doc
        for p in parent_path:
            parent = parent[p]
        if isinstance(parent, list):
            line, col = parent.lc.item(last)
        elif m["type"] == "unknown-field":
            line, col = parent.lc.key(last)
        else:
            line, col = parent.lc.value(last)
        assert (line + 1, col + 1) == (m["line"], m["column"]), m


def test_planted_mistakes_are_what_they_claim(corpus):
    out, manifest, docs = corpus
    by_pos = {(rel, i): d for rel, i, d in docs}
    gateways = {(d["metadata"]["namespace"], d["metadata"]["name"]) for _, _, d in docs if d["kind"] == "Gateway"}
    for m in manifest["mistakes"]:
        doc = by_pos[(m["file"], m["document"])]
        *parent_path, last = m["path"]
        parent = doc
        for p in parent_path:
            parent = parent[p]
        if m["type"] == "unknown-field":
            assert last in gen.TYPOS.values()
        elif m["type"] == "wrong-type":
            line = (out / m["file"]).read_text(encoding="utf-8").splitlines()[m["line"] - 1]
            value = line[m["column"] - 1:]
            # a quoted number, a bare number for a duration, or a bare YAML 1.1 boolean for a string
            assert value.startswith('"') or value.isdigit() or value in ("yes", "on", "true", "no", "off", "y", "n")
        elif m["type"] == "shadowed-route":
            assert "match" not in parent[last - 1] and "match" in parent[last]
        elif m["type"] == "missing-gateway":
            assert (doc["metadata"]["namespace"], parent[last]) not in gateways
        elif m["type"] == "orphan-gateway-host":
            host = parent[last]
            served = {h for _, _, d in docs if d["kind"] == "VirtualService" for h in d["spec"]["hosts"]}
            assert host not in served
        elif m["type"] == "https-without-tls":
            assert parent[last] == "HTTPS" and "tls" not in doc["spec"]["servers"][m["path"][2]]


def test_references_are_consistent(corpus):
    """Routes name existing Services, ports and subsets; subsets select deployed versions;
    gateway-bound VirtualServices name existing Gateways serving their hosts; no rule follows a catch-all."""
    _, manifest, docs = corpus
    planted = {(m["file"], m["document"]) for m in manifest["mistakes"]}
    services, subsets, versions, gateways = {}, {}, {}, {}
    for _, _, d in docs:
        ns, name = d["metadata"]["namespace"], d["metadata"]["name"]
        if d["kind"] == "Service":
            services[(ns, name)] = {p["port"] for p in d["spec"]["ports"]}
            assert all(p["name"].split("-")[0] in ("http", "grpc") for p in d["spec"]["ports"])
        elif d["kind"] == "Deployment":
            labels = d["spec"]["template"]["metadata"]["labels"]
            versions.setdefault((ns, labels["app"]), set()).add(labels["version"])
        elif d["kind"] == "DestinationRule":
            subsets[(ns, d["spec"]["host"].split(".")[0])] = {s["name"] for s in d["spec"]["subsets"]}
        elif d["kind"] == "Gateway":
            gateways[(ns, name)] = d
    for key, names in subsets.items():
        assert names == versions[key]

    def service_of(host: str, ns: str) -> tuple[str, str]:
        parts = host.split(".")
        return (parts[1] if len(parts) > 1 else ns), parts[0]

    vs_count = 0
    for rel, i, d in docs:
        if d["kind"] != "VirtualService" or (rel, i) in planted:
            continue
        vs_count += 1
        ns = d["metadata"]["namespace"]
        for ref in d["spec"].get("gateways", []):
            if ref == "mesh":
                continue
            gw = gateways[tuple(ref.split("/")) if "/" in ref else (ns, ref)]
            for server in gw["spec"]["servers"]:
                assert set(d["spec"]["hosts"]) <= set(server["hosts"])
        rules = d["spec"]["http"]
        assert 3 <= len(rules) <= 8
        assert all("match" in r for r in rules[:-1]) and "match" not in rules[-1]
        for rule in rules:
            weights = [r.get("weight") for r in rule["route"]]
            assert len(weights) == 1 or sum(weights) == 100
            for r in rule["route"]:
                dest = r["destination"]
                svc = service_of(dest["host"], ns)
                assert svc in services
                if "subset" in dest:
                    assert dest["subset"] in subsets[svc]
                if "port" in dest:
                    assert dest["port"]["number"] in services[svc]
    assert vs_count > 0


def _strict(schema):
    """CRD schema -> JSON schema rejecting unknown fields (what kubectl --validate=strict does)."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    s = {k: _strict(v) for k, v in schema.items() if k != "x-kubernetes-validations"}
    if s.pop("x-kubernetes-int-or-string", False):
        s.pop("type", None)
        s["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if s.get("type") == "object" and "properties" in s and "additionalProperties" not in s \
            and not s.get("x-kubernetes-preserve-unknown-fields"):
        s["additionalProperties"] = False
    return s


def test_istio_resources_without_mistakes_match_the_crd_schemas(corpus):
    if not SHARED_CRDS.exists():
        pytest.skip("../shared/istio-crds not available")
    jsonschema = pytest.importorskip("jsonschema")
    validators = {}
    for crd in YAML(typ="safe").load_all(SHARED_CRDS.read_text(encoding="utf-8")):
        if not crd:
            continue
        for version in crd["spec"]["versions"]:
            schema = _strict(version["schema"]["openAPIV3Schema"])
            schema["properties"].update({"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"}})
            schema["additionalProperties"] = False
            key = (f"{crd['spec']['group']}/{version['name']}", crd["spec"]["names"]["kind"])
            validators[key] = jsonschema.Draft7Validator(schema)
    _, manifest, docs = corpus
    planted = {(m["file"], m["document"]): m for m in manifest["mistakes"]}
    checked = 0
    for rel, i, d in docs:
        if d["kind"] not in ISTIO_KINDS:
            continue
        errors = list(validators[(d["apiVersion"], d["kind"])].iter_errors(json.loads(json.dumps(d))))
        m = planted.get((rel, i))
        if m is None:
            assert errors == [], (rel, i, [e.message for e in errors])
            checked += 1
        elif m["type"] in ("unknown-field", "wrong-type") and "headers" not in m["path"]:
            # `exact: yes` is a string to this YAML 1.2 loader; every other planted schema mistake is caught
            assert errors, m
    assert checked > 50


def test_one_doc_per_file(tmp_path):
    out = tmp_path / "corpus"
    manifest = gen.generate(120, str(out), seed=3, mistake_rate=0.05, one_doc_per_file=True)
    files = sorted(out.rglob("*.yaml"))
    assert len(files) == 120 == manifest["files"]
    for f in files:
        assert len(list(YAML(typ="safe").load_all(f.read_text(encoding="utf-8")))) == 1
    assert manifest["mistakes"] and all(m["document"] == 0 for m in manifest["mistakes"])


def test_resources_presets_and_cli(tmp_path, capsys):
    assert gen._resources_arg("10k") == 10_000
    assert gen._resources_arg("50K") == 50_000
    assert gen._resources_arg("1_500") == 1500
    out = tmp_path / "corpus"
    assert gen.main(["--resources", "60", "--out", str(out), "--seed", "5"]) == 0
    manifest = json.loads((tmp_path / "corpus.manifest.json").read_text(encoding="utf-8"))
    assert manifest["resources"] == 60 and manifest["seed"] == 5
    assert "60 resources" in capsys.readouterr().err
    # The manifest is beside the corpus, not in it: linting the directory lints the corpus alone.
    assert not list(out.rglob("*.json"))
    assert gen.main(["--resources", "5", "--out", str(tmp_path / "c2"), "--manifest", str(tmp_path / "m.json")]) == 0
    assert json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))["resources"] == 5
    assert not (tmp_path / "c2.manifest.json").exists()


@pytest.mark.parametrize("n", [1, 4, 5, 7, 41])
def test_small_corpora_have_exactly_the_requested_size(tmp_path, n):
    manifest = gen.generate(n, str(tmp_path / "corpus"), seed=1)
    assert sum(manifest["counts_by_kind"].values()) == n
    assert len(_documents(tmp_path / "corpus")) == n
