"""Reproducible installs: the ranges in requirements*.txt are bounded and the lock files pin all of them.

`make run` installs requirements.lock and `make test` / CI requirements-dev.lock, with hashes; the ranges
are the source (`make lock` regenerates the locks from them). A range without an upper bound would let
`make lock` pick up the next major release unseen; a package named in requirements*.txt but missing
from a lock would make `pip install --require-hashes` fail on a fresh machine.
"""

from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
UPPER_BOUND_OPERATORS = {"<", "<=", "==", "~=", "==="}


def requirements_in(text: str) -> list[Requirement]:
    """The requirements of a requirements*.txt file, without comments and options such as `-r`."""
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [Requirement(line) for line in lines if line and not line.startswith("-")]


def locked_in(text: str) -> dict[NormalizedName, tuple[Version, list[str]]]:
    """A pip-compile lock file as {name: (pinned version, hashes)}."""
    logical, current = [], ""
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        current += " " + line.removesuffix("\\").strip()
        if not line.endswith("\\"):
            if current.strip():
                logical.append(current.strip())
            current = ""
    pins = {}
    for entry in logical:
        spec, *options = entry.split()
        name, _, version = spec.partition("==")
        assert version, f"not pinned with == in the lock: {entry}"
        hashes = [option.removeprefix("--hash=") for option in options if option.startswith("--hash=")]
        pins[canonicalize_name(name)] = (Version(version), hashes)
    return pins


def unbounded(requirements: list[Requirement]) -> list[str]:
    return [str(r) for r in requirements if not any(s.operator in UPPER_BOUND_OPERATORS for s in r.specifier)]


def lock_problems(requirements: list[Requirement], lock: dict[NormalizedName, tuple[Version, list[str]]]) -> list[str]:
    problems = []
    for requirement in requirements:
        pinned = lock.get(canonicalize_name(requirement.name))
        if pinned is None:
            problems.append(f"{requirement.name} is missing from the lock")
        elif not requirement.specifier.contains(pinned[0], prereleases=True):
            problems.append(f"{requirement.name} is locked at {pinned[0]}, outside {requirement.specifier}")
    return problems


def read(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


RUNTIME = requirements_in(read("requirements.txt"))
DEV = requirements_in(read("requirements-dev.txt"))


def test_it_gives_every_requirement_an_upper_bound():
    assert unbounded(RUNTIME) == []
    assert unbounded(DEV) == []


def test_it_locks_every_runtime_requirement_in_both_locks_within_its_range():
    assert lock_problems(RUNTIME, locked_in(read("requirements.lock"))) == []
    assert lock_problems(RUNTIME, locked_in(read("requirements-dev.lock"))) == []


def test_it_locks_every_dev_requirement_in_the_dev_lock_within_its_range():
    assert lock_problems(DEV, locked_in(read("requirements-dev.lock"))) == []


def test_it_pins_the_same_runtime_versions_in_both_locks():
    """`make run` and `make test` run the portal on the same versions of everything it needs."""
    runtime, dev = locked_in(read("requirements.lock")), locked_in(read("requirements-dev.lock"))
    assert {name: runtime[name][0] for name in runtime} == {name: dev[name][0] for name in runtime if name in dev}


@pytest.mark.parametrize("lock_file", ["requirements.lock", "requirements-dev.lock"])
def test_it_gives_every_locked_package_a_hash(lock_file):
    assert [name for name, (_, hashes) in locked_in(read(lock_file)).items() if not hashes] == []


@pytest.mark.parametrize("lock_file", ["requirements.lock", "requirements-dev.lock"])
def test_it_says_in_each_lock_how_to_regenerate_it(lock_file):
    header = read(lock_file).splitlines()[:8]
    assert "#    make lock" in header


# The checks above only protect the project if they notice the mistakes they are for.
@pytest.mark.parametrize("line", ["gunicorn", "gunicorn>=23", "Pillow>11,!=12.0", "ruff>=0.8  # fast"])
def test_it_notices_a_requirement_without_upper_bound(line):
    assert unbounded(requirements_in(line)) == [str(Requirement(line.split("#")[0].strip()))]


def test_it_notices_a_requirement_missing_from_the_lock_or_outside_its_range():
    lock = locked_in("django==5.2.19 \\\n    --hash=sha256:aaa\n    # via -r requirements.txt\n")
    requirements = requirements_in("-r requirements.txt\nDjango>=6,<6.1\ngunicorn>=23,<28\n")
    assert lock_problems(requirements, lock) == [
        "Django is locked at 5.2.19, outside <6.1,>=6",
        "gunicorn is missing from the lock",
    ]
