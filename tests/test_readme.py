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
