"""``pip install .`` installs what Ballotguard needs (issue 18): pyproject.toml declares its direct
dependencies as ranges, requirements.txt pins the tested versions of those and of everything they
pull in, and the two agree."""

from __future__ import annotations

import importlib.metadata as md
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def _declared(extra: str | None = None) -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = project["optional-dependencies"][extra] if extra else project["dependencies"]
    return {canonicalize_name(r.name): r for r in map(Requirement, lines)}


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-r"):
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)(\[[^\]]+\])?==(\S+)", line)
        assert m, f"{path.name}: not an exact pin: {line!r}"
        pins[canonicalize_name(m.group(1))] = m.group(3)
    return pins


def test_every_declared_dependency_is_pinned_within_its_range():
    for extra, file in ((None, "requirements.txt"), ("embeddings", "requirements-embeddings.txt")):
        pins = _pins(ROOT / file)
        for name, req in _declared(extra).items():
            assert name in pins, f"{req} is declared in pyproject.toml but not pinned in {file}"
            assert req.specifier.contains(pins[name], prereleases=True), f"{file} pins {name}=={pins[name]}, outside {req.specifier}"


def _closure(declared: dict[str, Requirement]) -> set[str]:
    """The declared packages and everything their installed metadata requires (no extras but
    those asked for), as installed here."""
    seen: set[str] = set()
    todo = list(declared.values())
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name in seen:
            continue
        seen.add(name)
        for raw in md.requires(req.name) or []:
            dep = Requirement(raw)
            env = {"extra": next(iter(req.extras), "")}
            if dep.marker is None or dep.marker.evaluate(env):
                todo.append(dep)
    return seen


def test_requirements_pin_nothing_the_declared_dependencies_do_not_need():
    pins = _pins(ROOT / "requirements.txt")
    needed = _closure(_declared())
    stray = sorted(set(pins) - needed)
    assert stray == [], f"requirements.txt pins packages nothing declared needs: {stray} (declare them in pyproject.toml or drop them)"


def test_the_installed_versions_are_the_pinned_ones():
    for name, version in _pins(ROOT / "requirements.txt").items():
        assert md.version(name) == version, f"{name}: installed {md.version(name)}, pinned {version}"
