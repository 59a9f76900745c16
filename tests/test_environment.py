"""environment.yml (conda/Binder) and pyproject.toml must declare the same dependencies."""

import tomllib

import yaml

from utils import REPO_ROOT as ROOT  # noqa: E402


def pyproject_requirements() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [req for group in project["optional-dependencies"].values() for req in group]
    return set(project["dependencies"]) | set(extras)


def environment_pip_requirements() -> list[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_sections = [item["pip"] for item in env["dependencies"] if isinstance(item, dict)]
    assert len(pip_sections) == 1, "environment.yml needs exactly one pip section"
    return pip_sections[0]


def test_environment_and_pyproject_declare_the_same_dependencies():
    pip = environment_pip_requirements()
    assert "-e ." in pip, "environment.yml must install the course itself"
    assert set(pip) - {"-e ."} == pyproject_requirements()


def test_every_dependency_is_pinned():
    for requirement in pyproject_requirements():
        assert "==" in requirement, f"{requirement} is not pinned"


def test_environment_python_is_allowed_by_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    assert python == "python=3.11"
    assert ">=3.11" in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
