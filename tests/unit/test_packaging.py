"""pyproject.toml and environment.yml pin the same versions."""

import re
import tomllib

import yaml

from helpers import config

# conda-forge names for the PyPI packages whose names differ there.
CONDA_NAMES = {"docker": "docker-py", "kubernetes": "python-kubernetes"}


def pins_from_pyproject() -> dict[str, str]:
    data = tomllib.loads((config.REPO_ROOT / "pyproject.toml").read_text())
    reqs = data["project"]["dependencies"] + data["project"]["optional-dependencies"]["test"]
    pins = {}
    for req in reqs:
        name, version = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)$", req).groups()
        pins[CONDA_NAMES.get(name.lower(), name.lower())] = version
    return pins


def pins_from_environment() -> dict[str, str]:
    env = yaml.safe_load((config.REPO_ROOT / "environment.yml").read_text())
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str) and "=" in dep and not dep.startswith("python="):
            name, version = dep.split("=", 1)
            pins[name.lower()] = version
    return pins


def test_every_dependency_is_pinned_exactly_in_pyproject():
    data = tomllib.loads((config.REPO_ROOT / "pyproject.toml").read_text())
    for req in data["project"]["dependencies"] + data["project"]["optional-dependencies"]["test"]:
        assert "==" in req, f"{req} is not pinned"


def test_environment_yml_matches_pyproject():
    assert pins_from_environment() == pins_from_pyproject()
