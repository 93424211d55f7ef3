"""The README's examples run as written (they are the first code a researcher copies)."""

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")


def test_readme_python_examples_run(tmp_path, monkeypatch):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert blocks, "the README should show Python examples"
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile("\n".join(blocks), "README.md", "exec"), namespace)  # noqa: S102
    assert (
        namespace["beam_metrics"](namespace["beam_tm"], namespace["beam"]).null_depth_db.max()
        < -19.9
    )


def test_every_cited_document_ships():
    # Code, tests, notebooks and docs cite docs/*.md; none may cite a file the repository does
    # not hold (the project's internal notes stay outside it).
    import subprocess

    root = Path(__file__).resolve().parents[1]
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.split()
    texts = {
        name: (root / name).read_text()
        for name in tracked
        if name.endswith((".py", ".ipynb", ".md", ".toml")) and (root / name).is_file()
    }
    # The names are built here so that this file does not cite them itself.
    unshipped = tuple(f"{stem}.md" for stem in ("BRIEF", "DESIGN", "REFERENCES", "STYLE"))
    unshipped += ("../" + "shared",)
    offenders = [(n, u) for n, text in texts.items() for u in unshipped if u in text]
    assert not offenders, offenders
    cited = {m for text in texts.values() for m in re.findall(r"docs/[a-z_]+\.md", text)}
    assert cited >= {"docs/architecture.md", "docs/conventions.md", "docs/references.md"}
    assert all((root / c).is_file() for c in cited), sorted(
        c for c in cited if not (root / c).is_file()
    )
