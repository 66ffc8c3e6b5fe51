"""Git, for everything the course reads from its history, and the revision a change is compared with.

`make changes` (publish/changes/) reports against the merge base with the default branch, or a revision it is
given, and writes that revision's files out to compare them; `make check` (macros/renames.py) reads the reflection
prompts readers may have answered from the same base: both resolve it here (resolve_base), the same way. The
calendar's SEQUENCE (publish/ics.py) reads the log here too.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path


class RevisionError(Exception):
    """A revision that cannot be compared with: one line saying what is wrong and how to fix it."""


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


def _unshallow_fix() -> str:
    return "Fix: run `git fetch --unshallow` (in a workflow, give actions/checkout `fetch-depth: 0`), then run `make changes` again."


def resolve_base(root: Path, base: str | None) -> tuple[str, str]:
    """(commit, how a report names it) of the revision to compare with: base, or by default the merge base of HEAD with
    the default branch. Raises RevisionError in one line with the fix."""
    if git(root, "rev-parse", "--git-dir").returncode != 0:
        raise RevisionError(f"make changes: {root} is not a git repository, so there is nothing to compare with. Fix: run it in a clone of the course.")
    if base:
        commit = commit_of(root, base)
        if commit is not None:
            return commit, f"{base} ({commit[:7]})" if not commit.startswith(base) else commit[:7]
        if is_shallow(root):
            raise RevisionError(f"make changes: the revision '{base}' is not in this shallow clone. {_unshallow_fix()}")
        raise RevisionError(
            f"make changes: there is no revision '{base}' in this repository. "
            "Fix: give a branch, tag or commit that exists (`git branch -a` lists the branches), e.g. make changes BASE=main."
        )
    branch = default_branch(root)
    if branch is None:
        if is_shallow(root):
            raise RevisionError(f"make changes: this shallow clone has no default branch to compare with. {_unshallow_fix()}")
        raise RevisionError("make changes: there is no default branch (origin/HEAD or main) to compare with. Fix: name one, e.g. make changes BASE=main.")
    commit = merge_base(root, branch)
    if commit is None:
        if is_shallow(root):
            raise RevisionError(f"make changes: the common ancestor of HEAD and {branch} is not in this shallow clone. {_unshallow_fix()}")
        fix = f"Fix: name the revision to compare with, e.g. make changes BASE={branch}."
        raise RevisionError(f"make changes: HEAD and {branch} have no common ancestor. {fix}")
    return commit, f"{branch} ({commit[:7]})"


def default_base(root: Path) -> tuple[str, str] | None:
    """(commit, 'branch (abc1234)') that `make changes` compares with by default; None without git, branch or ancestor."""
    try:
        return resolve_base(root, None)
    except RevisionError:
        return None


def export(root: Path, commit: str, destination: Path, parts: tuple[str, ...]) -> None:
    """The files of a commit whose paths start with one of parts, written under destination; raises RevisionError."""
    archive = git(root, "archive", "--format=tar", commit)
    if archive.returncode != 0:
        said = archive.stderr.decode(errors="replace").strip().splitlines()
        reason = said[-1] if said else "no reason given"
        raise RevisionError(f"make changes: git could not read {commit[:7]} ({reason}). Fix: run `git fetch` (or clone the repository again), then try again.")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        wanted = [m for m in tar.getmembers() if m.name.startswith(parts)]
        tar.extractall(destination, members=wanted, filter="data")


def file_at(root: Path, commit: str, path: str) -> str | None:
    """A file's text at a commit (path relative to root), or None if it did not exist there."""
    found = git(root, "show", f"{commit}:./{path}")
    return found.stdout.decode("utf-8", errors="replace") if found.returncode == 0 else None
