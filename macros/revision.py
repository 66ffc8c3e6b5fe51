"""The revision a change is compared with: the merge base with the default branch, found with git.

`make changes` (publish/changes.py) reports against it, and `make check` (macros/renames.py) reads the reflection
prompts readers may have answered from it. Both resolve it here, the same way.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


def git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, check=False)


def is_shallow(root: Path) -> bool:
    return git(root, "rev-parse", "--is-shallow-repository").stdout.strip() == b"true"


def commit_of(root: Path, revision: str) -> str | None:
    """The full commit a branch, tag or commit names, or None."""
    found = git(root, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    return found.stdout.decode().strip() if found.returncode == 0 else None


def default_branch(root: Path) -> str | None:
    """The default branch to compare with: origin/HEAD where a clone set it, else main, else origin/main."""
    named = git(root, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD")
    candidates = [named.stdout.decode().strip()] if named.returncode == 0 else []
    return next((c for c in [*candidates, "main", "origin/main"] if c and commit_of(root, c)), None)


def merge_base(root: Path, branch: str) -> str | None:
    """The common ancestor of HEAD and branch, or None if this clone has none."""
    found = git(root, "merge-base", "HEAD", branch)
    return found.stdout.decode().strip() if found.returncode == 0 else None


def default_base(root: Path) -> tuple[str, str] | None:
    """(commit, 'branch (abc1234)') that `make changes` compares with by default; None without git, branch or ancestor."""
    if git(root, "rev-parse", "--git-dir").returncode != 0:
        return None
    branch = default_branch(root)
    commit = merge_base(root, branch) if branch else None
    return (commit, f"{branch} ({commit[:7]})") if branch and commit else None


def file_at(root: Path, commit: str, path: str) -> str | None:
    """A file's text at a commit (path relative to root), or None if it did not exist there."""
    found = git(root, "show", f"{commit}:./{path}")
    return found.stdout.decode("utf-8", errors="replace") if found.returncode == 0 else None
