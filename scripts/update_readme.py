"""Regenerate the rule table in README.md from the catalog (rules/*.yaml)."""

from pathlib import Path

from istiolint.catalog import load_catalog
from istiolint.cli import markdown_rule_table

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- rules-table:start -->\n", "<!-- rules-table:end -->"

text = README.read_text(encoding="utf-8")
head, rest = text.split(START, 1)
_, tail = rest.split(END, 1)
README.write_text(head + START + markdown_rule_table(load_catalog()) + END + tail, encoding="utf-8")

# The prebuilt catalog (rules/catalog.json), which start-up reads instead of parsing rules/*.yaml.
from istiolint.catalog import PREBUILT, prebuilt_json  # noqa: E402
from istiolint._data import find_data_dir  # noqa: E402

(find_data_dir("rules") / PREBUILT).write_text(prebuilt_json(), encoding="utf-8")
