"""The pre-commit hook, for real: a temporary git repository uses this checkout's ``.pre-commit-hooks.yaml``
through ``pre-commit run``, which builds the hook's virtualenv by pip-installing the checkout.

Slow (tens of seconds: one virtualenv, shared by both runs) and needs the package index; skipped when
pre-commit is not installed or when the install fails for want of a network.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys

import pytest

from .conftest import ROOT
from .test_formats import BROKEN, CLEAN

pytestmark = pytest.mark.skipif(importlib.util.find_spec("pre_commit") is None or shutil.which("git") is None,
                                reason="pre-commit (the test extra) or git is not installed")

# What pip-installing the checkout needs (pyproject's wheel force-includes rules/ and schemas/).
CHECKOUT = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "istiolint", "rules", "schemas")
NETWORK_TROUBLE = ("Could not find a version", "No matching distribution", "Failed to establish a new connection",
                   "Temporary failure in name resolution", "Network is unreachable", "ProxyError", "ConnectTimeout",
                   "Read timed out")


def git(cwd, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false",
                           "-c", "init.defaultBranch=main", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def snapshot_of_checkout(target) -> str:
    """A git repository holding this working tree (committed or not), as pre-commit needs a rev."""
    target.mkdir()
    for name in CHECKOUT:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, target / name)
    git(target, "init", "-q")
    git(target, "add", ".")
    git(target, "commit", "-q", "-m", "snapshot")
    return git(target, "rev-parse", "HEAD")


def pre_commit(repo, home, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never", "NO_COLOR": "1",
           "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("GITHUB_ACTIONS", None)
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=900)


def test_hook_fails_on_a_broken_manifest_and_passes_once_fixed(tmp_path):
    rev = snapshot_of_checkout(tmp_path / "istiolint")
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {(tmp_path / 'istiolint').as_uri()}\n  rev: {rev}\n  hooks:\n  - id: istiolint\n"
        "  - id: istiolint-all\n", encoding="utf-8")
    (repo / "k8s").mkdir()
    (repo / "k8s" / "reviews.yaml").write_text(BROKEN, encoding="utf-8")
    (repo / "k8s" / "ratings.yaml").write_text(CLEAN, encoding="utf-8")
    (repo / "notes.txt").write_text("not a manifest\n", encoding="utf-8")
    git(repo, "add", ".")
    home = tmp_path / "pre-commit-home"

    broken = pre_commit(repo, home, "run", "--all-files")
    output = broken.stdout + broken.stderr
    log = home / "pre-commit.log"
    if "istiolint" not in broken.stdout or "An unexpected error has occurred" in output:
        details = output + (log.read_text(encoding="utf-8", errors="replace") if log.exists() else "")
        if any(marker in details for marker in NETWORK_TROUBLE):
            pytest.skip("pre-commit could not install the hook: no package index reachable")
        pytest.fail(f"pre-commit did not run the hook:\n{details[-4000:]}")
    assert broken.returncode == 1, output
    assert "istiolint....." in broken.stdout and "Failed" in broken.stdout
    assert "k8s/reviews.yaml:10:7: error IL102 schema-violation" in broken.stdout
    assert "k8s/ratings.yaml" not in broken.stdout.replace("All clean", "")  # only files with findings are listed

    (repo / "k8s" / "reviews.yaml").write_text(CLEAN.replace("ratings", "reviews"), encoding="utf-8")
    git(repo, "add", ".")
    fixed = pre_commit(repo, home, "run", "--all-files")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert fixed.stdout.count("Passed") == 2
