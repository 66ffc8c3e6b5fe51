"""Git, for everything the course reads from its history, and the revision a change is compared with.

`make changes` (publish/changes.py) reports against the merge base with the default branch, and `make check`
(macros/renames.py) reads the reflection prompts readers may have answered from it: both resolve it here, the same
way. The calendar's SEQUENCE (publish/ics.py) reads the log here too.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


def git(root: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """A git command run in root, its output in bytes (stdin, when given, is fed to it)."""
    return subprocess.run(["git", *args], cwd=root, input=stdin, capture_output=True, check=False)


def git_text(root: Path, *args: str) -> str | None:
    """What a git command prints, or None when git is missing or fails (not a repository, no history)."""
    try:
        result = git(root, *args)
    except OSError:
        return None
    return result.stdout.decode("utf-8", errors="replace") if result.returncode == 0 else None


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
