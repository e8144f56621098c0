"""The README and docs/ stay true to the code: settings, links, apps, quick start."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = {path.name: path.read_text(encoding="utf-8") for path in (ROOT / "docs").glob("*.md")}


def environment_variables() -> set[str]:
    source = (ROOT / "preau" / "settings.py").read_text(encoding="utf-8")
    return set(re.findall(r'env_(?:str|bool|int|list|float|int_map|int_map_over)\(\s*"([A-Z_]+)"',
                          source))


def test_every_setting_is_documented():
    names = environment_variables()
    assert {"PREAU_DATA_DIR", "DATABASE_URL", "PREAU_SECRET_KEY"} <= names
    for name in sorted(names):
        assert f"`{name}`" in README, f"{name} missing from README.md"
        assert f"`{name}`" in DOCS["configuration.md"], f"{name} missing from configuration.md"


def test_readme_quick_start_is_two_commands():
    assert README.startswith("# Préau\n")
    block = README.split("## Quick start", 1)[1].split("```", 2)[1]
    assert block.strip().splitlines() == ["./run demo", "./run test"]
    assert "Preau-demo-2023" in README and settings.PREAU_DEMO_PASSWORD == "Preau-demo-2023"


def test_relative_links_point_to_files():
    for name, text in [("README.md", README), *DOCS.items()]:
        base = ROOT if name == "README.md" else ROOT / "docs"
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
            assert (base / target).exists(), f"{name} links to missing {target}"


def test_architecture_names_every_app():
    apps = [app.removeprefix("preau.") for app in settings.INSTALLED_APPS
            if app.startswith("preau.")]
    for app in [*apps, "lib"]:
        assert f"`preau.{app}`" in DOCS["architecture.md"], app


def test_required_docs_exist():
    assert {"architecture.md", "configuration.md", "dependencies.md", "benchmarks.md",
            "demo.md", "development.md"} <= set(DOCS)


def test_every_dependency_is_explained():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = list(project["project"]["dependencies"])
    for group in project["dependency-groups"].values():  # dev, load (the load test)
        declared += group
    for requirement in declared:
        name = re.split(r"[\[<>=!~ ]", requirement, maxsplit=1)[0]
        assert f"`{name}" in DOCS["dependencies.md"], f"{name} missing from dependencies.md"
