"""``--format junit``: JUnit XML, which GitLab (``artifacts: reports: junit``) and Jenkins display.

One ``<testsuite>`` per linted file; one failing ``<testcase>`` per finding, with a ``classname`` +
``name`` pair unique in the report (GitLab and Jenkins merge equal pairs into one test); one passing
``<testcase>`` per clean file, so the test count shows what was checked. Run-level problems (an unreadable
path) are ``<error>``s. Characters XML 1.0 cannot carry (control bytes from hostile input) are dropped.
"""

from __future__ import annotations

import re
from itertools import groupby
from typing import IO
from xml.etree import ElementTree as ET

from ._common import one_line_message, report_path

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
CLEAN_NAME = "no findings"


def _clean(text: str) -> str:
    return _XML_INVALID.sub("\N{REPLACEMENT CHARACTER}", text)


def junit_tree(report) -> ET.Element:
    root = ET.Element("testsuites", name="istiolint")
    by_file = {file: list(group) for file, group in groupby(report.findings, key=lambda f: f.file)}
    files = list(report.linted) + [f for f in by_file if f not in set(report.linted)]
    total = failures = errors = 0
    for file in files:
        classname = _clean(report_path(report, file))
        findings = by_file.get(file, [])
        suite = ET.SubElement(root, "testsuite", name=classname, tests=str(max(len(findings), 1)),
                              failures=str(len(findings)), errors="0", skipped="0", time="0")
        if not findings:
            ET.SubElement(suite, "testcase", classname=classname, name=CLEAN_NAME, file=classname, time="0")
            total += 1
            continue
        used: dict[str, int] = {}
        for f in findings:
            name = f"{f.code} {f.name} at {f.line}:{f.column}"
            used[name] = used.get(name, 0) + 1
            if used[name] > 1:
                name = f"{name} ({used[name]})"  # same rule, same place, another message
            case = ET.SubElement(suite, "testcase", classname=classname, name=_clean(name), file=classname,
                                 line=str(f.line), time="0")
            failure = ET.SubElement(case, "failure", message=_clean(one_line_message(f)), type=f"{f.code} {f.severity.label}")
            failure.text = _clean(f"{classname}:{f.line}:{f.column} [{f.code}] {f.message}")
            total += 1
            failures += 1
    if report.errors:
        suite = ET.SubElement(root, "testsuite", name="istiolint", tests=str(len(report.errors)), failures="0",
                              errors=str(len(report.errors)), skipped="0", time="0")
        for i, message in enumerate(report.errors, start=1):
            case = ET.SubElement(suite, "testcase", classname="istiolint", name=f"run error {i}", time="0")
            ET.SubElement(case, "error", message=_clean(message), type="error").text = _clean(message)
            total += 1
            errors += 1
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", str(errors))
    return root


def render(report, stream: IO[str], color: bool = False, quiet: bool = False) -> None:
    tree = junit_tree(report)
    ET.indent(tree)
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(ET.tostring(tree, encoding="unicode"))
    stream.write("\n")
