"""The README's tour runs as written (paths moved into a temporary folder)."""

import re
from pathlib import Path

import pytest

from postflight.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.flight
def test_readme_python_snippets_run(tmp_path, capsys):
    text = README.read_text()
    dump = tmp_path / "faulty"
    assert main(["simulate", "demo", str(dump), "--faults",
                 "drop=0.01,dup=0.01,ber=1e-7,truncate=1"]) == 0
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 3
    ns: dict = {}
    for block in blocks:
        code = block.replace("/tmp/", f"{tmp_path}/")
        exec(compile(code, "README.md", "exec"), ns)  # noqa: S102
    assert (tmp_path / "aligned.h5").is_file()
