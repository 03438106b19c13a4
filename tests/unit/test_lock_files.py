"""The lock files cover pyproject.toml: every dependency it names is pinned (with
hashes) in requirements.lock, and the dev extras too in requirements-dev.lock. A
dependency added without `make lock` fails here, before a fresh install misses it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def _pinned(lock: str) -> dict[str, str]:
    text = (ROOT / lock).read_text()
    pins = dict(re.findall(r"^([A-Za-z0-9._-]+)==(\S+)", text, flags=re.MULTILINE))
    # Every pin carries at least one hash (pip install --require-hashes).
    assert text.count("==") <= text.count("--hash=sha256:"), lock
    return {_name(name): version for name, version in pins.items()}


def test_every_dependency_is_pinned_in_the_locks():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {_name(r) for r in project["dependencies"]}
    dev = {_name(r) for r in project["optional-dependencies"]["dev"]}
    locked, locked_dev = _pinned("requirements.lock"), _pinned("requirements-dev.lock")
    assert runtime - set(locked) == set()
    assert (runtime | dev) - set(locked_dev) == set()
    # Both locks agree on the versions they share.
    assert {n: v for n, v in locked_dev.items() if n in locked} == locked
