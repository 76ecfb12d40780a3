"""Rendering a report notebook: code hidden, self-contained, parameters as data, atomic files.

Each papermill run starts a kernel (about 3 s), so only four tests execute a notebook; the
others check the pieces that need no kernel.
"""

from __future__ import annotations

import os
import re
import shutil
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import numpy as np
import pytest

from satprofit.reporting import (
    ReportError,
    find_kernel,
    html_active_content,
    html_external_urls,
    html_to_pdf,
    load_template,
    render_notebook,
    safe_filename,
    validate_parameters,
)
from satprofit.reporting import pdf as pdf_module
from satprofit.reporting import render as render_module

HOSTILE = [
    "../../etc/passwd",
    "/abs/path",
    "a\0b",
    "{seed}",
    "{}",
    "line\nbreak",
    "carriage\rreturn",
    "quote\"and'apostrophe",
    "<script>alert(1)</script>",
    "Müller & Söhne GmbH",
    "株式会社",
    "\ud800",
    "..",
    ".hidden",
    "-dash",
    "CON",
    "x" * 5000,
    "",
    " ",
]


@pytest.fixture(scope="module")
def kernel() -> str:
    """``satprofit`` (installed by make), else ``python3`` when it runs this same venv."""
    try:
        return find_kernel()
    except ReportError as exc:
        pytest.skip(str(exc))


def _notebook(path: Path, cells: list[tuple[str, str, list[str]]]) -> Path:
    """Write an .ipynb from (kind, source, tags) triples, without kernel metadata."""
    nb = nbformat.v4.new_notebook()
    for kind, source, tags in cells:
        make = nbformat.v4.new_markdown_cell if kind == "md" else nbformat.v4.new_code_cell
        cell = make(source)
        cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nbformat.write(nb, path)
    return path


class _Elements(HTMLParser):
    """Tag and attributes of each element of a page (CSS rules are not elements)."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {k: v or "" for k, v in attrs}))


def _elements(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Elements()
    parser.feed(html)
    return parser.elements


def _stdout(nb_path: Path) -> str:
    nb = nbformat.read(nb_path, as_version=4)
    return "".join(
        o.get("text", "")
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("name") == "stdout"
    )


# --------------------------------------------------------------------------- kernel runs


def test_render_hides_code_embeds_figure_and_loads_nothing(tmp_path, kernel, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "TkAgg")
    monkeypatch.setenv("PYTENSOR_FLAGS", "base_compiledir=/tmp/satprofit-marker")
    template = _notebook(
        tmp_path / "report.ipynb",
        [
            ("md", "# Revenue\n\nPrices rose from $5 to $10 per unit.", []),
            ("code", "seed = 0  # random seed", ["parameters"]),
            ("code", "import os\nprint('env', os.environ['MPLBACKEND'], os.environ['PYTENSOR_FLAGS'])", []),
            ("code", "import pandas as pd\nCODE_MARKER_TABLE = pd.DataFrame({'quarter': ['Q1', 'Q2'], 'csat': [4.1, 4.3]})\nCODE_MARKER_TABLE", []),
            ("code", "import matplotlib.pyplot as plt\nfig, CODE_MARKER_AX = plt.subplots(figsize=(3, 2))\n_ = CODE_MARKER_AX.plot([1, 2, 3], [seed, 2, 1])", []),
        ],
    )  # fmt: skip
    out = tmp_path / "reports {seed}" / "client.html"  # papermill must not format this path
    title = "Client <b>&</b> report - 2024-06-30"

    result = render_notebook(
        template,
        out,
        title=title,
        audit_dir=tmp_path / "audit",
        params={"seed": 3},
        kernel_name=kernel,
    )

    html = out.read_text(encoding="utf-8")
    assert result.html == out and result.pdf is None
    assert "<title>Client &lt;b&gt;&amp;&lt;/b&gt; report - 2024-06-30</title>" in html
    assert html_external_urls(html) == []
    assert html_active_content(html) == []
    # no code: every code cell is marked input-free, no prompt or editor element, no code text
    elements = _elements(html)
    classes = [set(attrs.get("class", "").split()) for _, attrs in elements]
    code_cells = [c for c in classes if "jp-CodeCell" in c]
    assert len(code_cells) == 5 and all("jp-mod-noInput" in c for c in code_cells)
    hidden = {"jp-InputPrompt", "jp-OutputPrompt", "jp-CodeMirrorEditor", "highlight"}
    assert not set().union(*classes) & hidden
    assert "CODE_MARKER" not in html and "import pandas" not in html
    images = [attrs for tag, attrs in elements if tag == "img"]
    assert len(images) == 1 and images[0]["alt"] == "Figure"
    assert re.fullmatch(r"data:image/png;base64,[A-Za-z0-9+/=]{100,}", images[0]["src"])
    assert 'class="dataframe' in html and "4.3" in html
    assert "Prices rose from $5 to $10 per unit." in html  # no MathJax, dollars stay dollars
    # the kernel ran with Agg and the parent's PYTENSOR_FLAGS; the audit notebook kept
    assert "env Agg base_compiledir=/tmp/satprofit-marker" in _stdout(result.notebook)
    audit = nbformat.read(result.notebook, as_version=4)
    assert audit.metadata.papermill.parameters == {"seed": 3}
    assert result.notebook.parent == tmp_path / "audit"
    assert sorted(p.name for p in out.parent.iterdir()) == ["client.html"]


def test_hostile_parameter_is_data_not_code(tmp_path, kernel):
    template = tmp_path / "echo.py"
    template.write_text(
        "# %% [markdown]\n"
        "# Parameter echo\n"
        "\n"
        '# %% tags=["parameters"]\n'
        'client_name = "placeholder"  # display name\n'
        "\n"
        "# %%\n"
        "print(repr(client_name))\n"
        "print(client_name)\n",
        encoding="utf-8",
    )
    hostile = (
        "Acme \"Ltd\" '''\n{seed}{} </pre><script>alert(1)</script> \\ \\\" Ünï\n"
        '"); raise SystemExit("injected") #'
    )
    out = tmp_path / "out" / "echo.html"

    result = render_notebook(
        template,
        out,
        title="echo",
        audit_dir=tmp_path / "audit",
        params={"client_name": hostile},
        kernel_name=kernel,
    )

    assert _stdout(result.notebook).startswith(repr(hostile) + "\n")  # arrived byte for byte
    html = out.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html_active_content(html) == []


@pytest.mark.parametrize("mode", ["raise", "timeout"])
def test_failure_leaves_existing_report_untouched(tmp_path, kernel, mode):
    template = _notebook(
        tmp_path / "fail.ipynb",
        [
            ("code", 'mode = "raise"  # how to fail', ["parameters"]),
            ("code", "print('before the failure')", []),
            ("code", "import time\nif mode == 'raise':\n    raise ValueError('no data for this client')\ntime.sleep(60)", []),
        ],
    )  # fmt: skip
    out_dir = tmp_path / "reports"
    out_dir.mkdir()
    good = b"<html><title>last good report</title></html>\n"
    (out_dir / "client.html").write_bytes(good)

    with pytest.raises(ReportError) as info:
        render_notebook(
            template,
            out_dir / "client.html",
            title="t",
            audit_dir=tmp_path / "audit",
            params={"mode": mode},
            kernel_name=kernel,
            timeout=4,
        )

    err = info.value
    assert (out_dir / "client.html").read_bytes() == good
    assert sorted(p.name for p in out_dir.iterdir()) == ["client.html"]  # no temp, no staging
    assert sorted(p.name for p in (tmp_path / "audit").iterdir()) == ["client.failed.ipynb"]
    assert err.notebook == tmp_path / "audit" / "client.failed.ipynb"
    assert "before the failure" in _stdout(err.notebook)
    assert "Traceback" not in str(err)
    if mode == "raise":
        assert (err.stage, err.ename, err.evalue) == (
            "execute",
            "ValueError",
            "no data for this client",
        )
    else:
        assert (err.stage, err.ename) == ("timeout", "CellTimeoutError")
        failed = nbformat.read(err.notebook, as_version=4)
        assert failed.cells[-1].outputs[-1].output_type == "error"


def test_a_kernel_that_fails_to_start_is_a_retryable_kernel_failure(tmp_path, monkeypatch):
    """A kernel that dies before its first cell (two kernels started at once drew the same
    port, in a CI run) fails with stage ``kernel``, which a batch retries once; the existing
    report is untouched."""
    import json
    import sys

    from satprofit.reporting.batch import ReportJob

    spec = tmp_path / "jupyter" / "kernels" / "dies-at-start"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-c", "import sys; sys.exit(3)", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "dies"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    template = _notebook(tmp_path / "t.ipynb", [("code", "x = 1", ["parameters"])])
    out = tmp_path / "reports" / "client.html"
    out.parent.mkdir()
    out.write_text("last good report")

    with pytest.raises(ReportError) as info:
        render_notebook(
            template, out, title="t", audit_dir=tmp_path / "audit", kernel_name="dies-at-start"
        )

    err = info.value
    assert err.stage == "kernel" and "the kernel failed to start" in err.evalue, err
    assert out.read_text() == "last good report"
    assert sorted(p.name for p in out.parent.iterdir()) == ["client.html"]
    job = ReportJob("client", "c1", "c1", str(out), status="failed", stage=err.stage)
    assert job.retryable
    assert not ReportJob("client", "c1", "c1", str(out), status="failed", stage="execute").retryable


# --------------------------------------------------------------------------- no kernel needed


def test_unescaped_html_in_an_output_fails_closed(tmp_path, monkeypatch):
    """A client name displayed as raw Markdown would run script: the report is not written."""
    template = _notebook(tmp_path / "t.ipynb", [("code", "name = 'x'  # name", ["parameters"])])
    executed = nbformat.read(template, as_version=4)
    executed.cells[0].outputs = [
        nbformat.v4.new_output(
            "display_data", data={"text/markdown": "Client <img src=x onerror=alert(1)>"}
        )
    ]
    monkeypatch.setattr(render_module, "_run", lambda *args: executed)  # no kernel needed
    out = tmp_path / "reports" / "client.html"
    out.parent.mkdir()
    out.write_bytes(b"good")

    with pytest.raises(ReportError, match="would run script") as info:
        render_notebook(
            template, out, title="t", audit_dir=tmp_path / "audit", params={"name": "y"}
        )

    assert info.value.stage == "convert"
    assert out.read_bytes() == b"good"
    assert sorted(p.name for p in out.parent.iterdir()) == ["client.html"]
    assert sorted(p.name for p in (tmp_path / "audit").iterdir()) == ["client.failed.ipynb"]


@pytest.mark.parametrize(
    "params, error",
    [
        ({"seed": np.int64(3)}, TypeError),
        ({"seed": np.float64(0.5)}, TypeError),
        ({"config": Path("run.json")}, TypeError),
        ({"amount": Decimal("1.5")}, TypeError),
        ({"name": type("Text", (str,), {})("x")}, TypeError),
        ({"flag": None}, TypeError),
        ({"ids": ["a"]}, TypeError),
        ({"x": float("nan")}, ValueError),
        ({"x": float("inf")}, ValueError),
        ({"1x": 1}, ValueError),
        ({"class": 1}, ValueError),
        ({"a-b": 1}, ValueError),
        ({"x; import os": 1}, ValueError),
        ({3: 1}, TypeError),
    ],
)
def test_non_builtin_parameters_are_rejected_before_anything_runs(tmp_path, params, error):
    template = _notebook(tmp_path / "t.ipynb", [("code", "x = 1  # x", ["parameters"])])
    with pytest.raises(error):
        render_notebook(
            template,
            tmp_path / "out" / "r.html",
            title="t",
            audit_dir=tmp_path / "a",
            params=params,
        )
    assert not (tmp_path / "out").exists() and not (tmp_path / "a").exists()  # fmt: skip


def test_plain_parameters_pass_and_undeclared_ones_fail(tmp_path):
    ok = {"run_config": "runs/demo/run.json", "seed": 7, "fast": True, "prob": 0.95}
    assert validate_parameters(ok) == ok
    template = _notebook(tmp_path / "t.ipynb", [("code", "seed = 1  # seed", ["parameters"])])
    with pytest.raises(ValueError, match="declares no parameter sede"):
        render_notebook(
            template, tmp_path / "r.html", title="t", audit_dir=tmp_path / "a", params={"sede": 1}
        )
    bare = _notebook(tmp_path / "bare.ipynb", [("code", "seed = 1", [])])
    with pytest.raises(ValueError, match="no cell tagged 'parameters'"):
        render_notebook(
            bare, tmp_path / "r.html", title="t", audit_dir=tmp_path / "a", params={"seed": 1}
        )
    assert not (tmp_path / "a").exists()
    with pytest.raises(ValueError, match="audit_dir"):
        render_notebook(template, tmp_path / "r.html", title="t", audit_dir=tmp_path)  # fmt: skip


def test_py_template_gets_kernel_metadata_and_keeps_parameters_tag(tmp_path):
    template = tmp_path / "t.py"
    template.write_text('# %% tags=["parameters"]\nseed = 1  # seed\n\n# %%\nprint(seed)\n')
    nb = load_template(template, kernel_name="satprofit")
    assert nb.metadata.kernelspec.name == "satprofit"
    assert nb.metadata.kernelspec.language == "python"
    assert nb.metadata.language_info.name == "python"
    assert nb.cells[0].metadata.tags == ["parameters"]
    with pytest.raises(ValueError, match="ipynb"):
        load_template(tmp_path / "t.md")


def test_safe_filename_is_safe_and_distinct():
    names = [safe_filename(raw) for raw in HOSTILE]
    for name in names + [safe_filename(raw, "client report") for raw in HOSTILE]:
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", name), name
        assert len(name) <= 100
    assert len(set(names)) == len(HOSTILE)
    # ids whose slugs agree still differ by their hash; the same id always gives the same name
    same_slug = ["a/b", "a\\b", "a b", "A B", "a.b", "a\nb", "a-b"]
    assert len({safe_filename(raw) for raw in same_slug}) == len(same_slug)
    assert safe_filename("C-007", "client report") == safe_filename("C-007", "client report")
    assert safe_filename("C-007", "client report").startswith("client-report-c-007-")
    with pytest.raises(TypeError):
        safe_filename(7)


def test_html_scanners_find_external_urls_and_script():
    html = """<html><head>
    <script src="https://cdn.example/require.js"></script>
    <link rel="stylesheet" href="//fonts.example/css">
    <style>@import "https://evil.example/a.css"; body { background: url( 'http://x.example/bg.png' ) }
    .ok { background: url(data:image/png;base64,AAAA) }</style>
    <script type="application/vnd.jupyter.widget-state+json">{"a": 1}</script>
    </head><body>
    <img src="data:image/png;base64,AAAA" alt="ok"><img srcset="a.png 1x, HTTPS://cdn.example/b.png 2x">
    <iframe src="https://frame.example/"></iframe><video><source src="//media.example/v.mp4"></video>
    <div style="background-image:url(https://style.example/i.png)"></div>
    <a href="https://www.example.com/">a link is not a request</a>
    <img src="x" onerror="alert(1)"><a href="javascript:alert(2)">j</a>
    </body></html>"""
    assert html_external_urls(html) == [
        "https://cdn.example/require.js",
        "//fonts.example/css",
        "https://evil.example/a.css",
        "http://x.example/bg.png",
        "HTTPS://cdn.example/b.png",
        "https://frame.example/",
        "//media.example/v.mp4",
        "https://style.example/i.png",
    ]
    assert html_active_content(html) == [
        "<script>",
        "<img onerror=...>",
        "<a href='javascript:alert(2)'>",
    ]
    assert html_external_urls("<p>https://plain.example/ in text</p>") == []


def test_the_reused_exporter_carries_nothing_from_one_report_to_the_next():
    """``notebook_to_html`` keeps one nbconvert exporter per thread (its templates compiled
    once); a page converted after another equals the page a fresh exporter makes of it."""
    import threading

    from satprofit.reporting import html_export

    def notebook(word: str, tag: str | None) -> nbformat.NotebookNode:
        nb = nbformat.v4.new_notebook()
        md = nbformat.v4.new_markdown_cell(f"# Report {word}")
        code = nbformat.v4.new_code_cell("x = 1")
        code.outputs = [nbformat.v4.new_output("stream", text=f"{word} output\n")]
        if tag:
            code.metadata["tags"] = [tag]
        nb.cells = [md, code]
        nb.metadata["language_info"] = {"name": "python"}
        return nb

    pages, beta = {}, notebook("beta", "remove-output")

    def convert():  # a thread of its own: its first conversion makes its exporter
        first = html_export.notebook_to_html(notebook("alpha", None), title="Alpha")
        second = html_export.notebook_to_html(beta, title="Beta")
        pages.update(first=first, second=second, exporter=html_export._exporter())

    worker = threading.Thread(target=convert)
    worker.start()
    worker.join()
    assert pages["exporter"] is not html_export._exporter()  # one per thread
    fresh, _ = html_export._new_exporter().from_notebook_node(_titled(beta, "Beta"))
    assert pages["second"] == fresh
    assert "Report alpha" not in pages["second"] and "alpha output" not in pages["second"]
    assert "beta output" not in pages["second"]  # its output was tagged remove-output
    assert "alpha output" in pages["first"]


def _titled(nb: nbformat.NotebookNode, title: str) -> nbformat.NotebookNode:
    import copy

    nb = copy.deepcopy(nb)
    nb.metadata["title"] = title
    return nb


# --------------------------------------------------------------------------- PDF


def test_pdf_without_chromium_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(pdf_module.shutil, "which", lambda name: None)
    (tmp_path / "r.html").write_text("<p>x</p>")
    with pytest.raises(ReportError, match="apt-get install chromium"):
        html_to_pdf(tmp_path / "r.html", tmp_path / "r.pdf")
    assert not (tmp_path / "r.pdf").exists()


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not installed")
def test_pdf_is_printed_and_replaced_atomically(tmp_path):
    html = tmp_path / "r.html"
    html.write_text("<!DOCTYPE html><html><body><h1>Report</h1><p>$5 and $10</p></body></html>")
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(b"old")
    assert html_to_pdf(html, pdf) == pdf
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.pdf"]  # no temp left


def _fake_chromium(folder: Path, *, pdf: bytes, code: int = 0) -> str:
    """A stand-in for Chromium that writes ``pdf`` to its --print-to-pdf file and exits ``code``."""
    (folder / "fake.pdf").write_bytes(pdf)
    script = folder / "fake-chromium"
    script.write_text(
        "#!/bin/sh\n"
        'for a in "$@"; do case "$a" in --print-to-pdf=*) '
        f'cat "{folder / "fake.pdf"}" > "${{a#--print-to-pdf=}}";; esac; done\n'
        f"exit {code}\n"
    )
    script.chmod(0o755)
    return str(script)


def test_pdf_goes_through_the_atomic_writer_with_the_umask(tmp_path, monkeypatch):
    tools, out = tmp_path / "tools", tmp_path / "out"
    tools.mkdir()
    out.mkdir()
    html, pdf = out / "r.html", out / "r.pdf"
    html.write_text("<p>x</p>")
    pdf.write_bytes(b"old")
    monkeypatch.setattr(pdf_module, "_chromium", lambda: _fake_chromium(tools, pdf=b"not a pdf"))
    with pytest.raises(ReportError, match="did not print a PDF"):
        html_to_pdf(html, pdf)
    assert pdf.read_bytes() == b"old"  # the old PDF stays whole
    assert sorted(p.name for p in out.iterdir()) == ["r.html", "r.pdf"]  # no temp left

    monkeypatch.setattr(pdf_module, "_chromium", lambda: _fake_chromium(tools, pdf=b"%PDF-1.4"))
    pdf.unlink()
    old = os.umask(0o027)
    try:
        assert html_to_pdf(html, pdf) == pdf
    finally:
        os.umask(old)
    assert pdf.read_bytes() == b"%PDF-1.4"
    assert pdf.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in out.iterdir()) == ["r.html", "r.pdf"]
