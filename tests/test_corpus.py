"""The acceptance check of the corpus: each real manifest of ../shared/corpus, linted alone with every
rule, gets exactly the findings judged true in tests/corpus_expected.json (no crash, no false alarm)."""

from __future__ import annotations

import json

from istiolint.app import Options, analyze

from .conftest import ROOT

EXPECTED = json.loads((ROOT / "tests" / "corpus_expected.json").read_text(encoding="utf-8"))


def test_each_corpus_file_alone_gets_exactly_the_judged_findings(shared_dir):
    corpus = shared_dir / "corpus"
    files = sorted(p for p in corpus.rglob("*") if p.suffix in (".yaml", ".yml"))
    assert len(files) > 200
    found, broken = [], []
    for path in files:
        report, _code, tracebacks = analyze(Options(paths=[str(path)], find_config=False))
        if tracebacks or report.errors or report.internal_errors:
            broken.append(str(path))
        found.extend([str(path.relative_to(corpus)), f.code, f.line, f.column, f.path] for f in report.findings)
    assert broken == []
    assert found == EXPECTED["findings"]
    assert set(EXPECTED["reasons"]) == {row[1] for row in EXPECTED["findings"]}  # every code judged, no stale reason
