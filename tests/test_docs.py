"""The documentation site: it builds with ``mkdocs build --strict`` (a broken link or anchor
fails), and its generated pages match what the code makes today."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ganviz.reference import render

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("page", sorted(render()))
def test_generated_pages_are_up_to_date(page):
    committed = (ROOT / "docs" / page).read_text(encoding="utf-8")
    assert committed == render()[page], (
        f"docs/{page} is out of date: run `python -m ganviz.reference docs` (make docs)")


def test_the_site_builds_strictly(tmp_path):
    pytest.importorskip("mkdocs")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d",
                           str(tmp_path / "site")], cwd=ROOT, capture_output=True, text=True,
                          env=env, timeout=300)
    problems = [line for line in done.stderr.splitlines() if "WARNING" in line
                or "ERROR" in line]
    assert done.returncode == 0, "\n".join(problems) or done.stderr[-2000:]
    assert (tmp_path / "site" / "reference" / "config" / "index.html").is_file()


def test_the_config_reference_lists_every_setting():
    from ganviz.core.config import SETTINGS

    page = render()["reference/config.md"]
    for key in SETTINGS:
        section, name = key.split(".", 1)
        assert f"| `{name}` |" in page.split(f"## [{section}]")[1].split("## [")[0], key


def test_the_cli_reference_has_every_command():
    page = render()["reference/cli.md"]
    for command in ("train", "compare", "sweep", "variance", "analyse", "bench"):
        assert f"\n## {command}\n" in page and f"usage: ganviz {command}" in page, command


def test_the_readme_is_a_front_page_whose_links_resolve():
    import re

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 300
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text)
    assert links, "the README links to the docs"
    missing = [link for link in links if not link.startswith("http")
               and not (ROOT / link).exists()]
    assert not missing, missing
