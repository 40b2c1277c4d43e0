#!/usr/bin/env python3
"""Runs the example notebook with optlab's kernel (nbclient), renders it to
HTML (nbconvert) and screenshots the page in headless Chromium.

    Examples/Notebook/render.py path/to/optlab
        runs it at full size (a minute or two on two cores), writes its outputs
        into the notebook itself (GitHub shows them) and docs/notebook.png
    Examples/Notebook/render.py path/to/optlab --tiny --into DIR
        a smoke run (OPTLAB_TINY=1) whose notebook, page and picture go to DIR
        (what the tests do)

The kernelspec is installed into a scratch prefix for the run, so the
optlab given is the one that runs the cells."""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NOTEBOOK = os.path.join(HERE, "learning_and_evaluation.ipynb")


def run(optlab, tiny, into):
    scratch = tempfile.mkdtemp(prefix="optlab-notebook-")
    try:
        prefix = os.path.join(scratch, "prefix")
        subprocess.run([optlab, "kernel", "install", "--prefix", prefix], check=True, stdout=subprocess.DEVNULL)
        os.environ["JUPYTER_PATH"] = os.path.join(prefix, "share", "jupyter")
        os.environ["JUPYTER_DATA_DIR"] = os.path.join(scratch, "data")
        os.environ["JUPYTER_RUNTIME_DIR"] = os.path.join(scratch, "runtime")
        if tiny:
            os.environ["OPTLAB_TINY"] = "1"
        nb = nbformat.read(NOTEBOOK, as_version=4)
        # (the cells' files, runs/ of the search, go to a scratch folder, not next to the notebook)
        work = os.path.join(scratch, "work")
        os.makedirs(work)
        NotebookClient(nb, kernel_name="optlab", timeout=1800, resources={"metadata": {"path": work}}).execute()
        for cell in nb.cells:   # the run's own ids and timings would change the file at every render
            cell.get("metadata", {}).pop("execution", None)
        notebook_out = os.path.join(into, "learning_and_evaluation.ipynb") if into else NOTEBOOK
        nbformat.write(nb, notebook_out)
        html, _ = HTMLExporter(template_name="classic").from_notebook_node(nb)
        page = os.path.join(into or scratch, "notebook.html")
        with open(page, "w", encoding="utf-8") as f:
            f.write(html)
        shot = os.path.join(into, "notebook.png") if into else os.path.join(ROOT, "docs", "notebook.png")
        screenshot(page, shot)
        return notebook_out, page, shot
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def screenshot(page, shot):
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1000,3000",
             "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
             f"--screenshot={shot}"]
    subprocess.run(["chromium", *flags, "file://" + os.path.abspath(page)], capture_output=True, timeout=180, check=True)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("optlab")
    p.add_argument("--tiny", action="store_true", help="a smoke run (OPTLAB_TINY=1)")
    p.add_argument("--into", help="a folder for the executed notebook, its page and its picture")
    a = p.parse_args()
    for path in run(os.path.abspath(a.optlab), a.tiny, a.into):
        print(path)
