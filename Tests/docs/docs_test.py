#!/usr/bin/env python3
"""Every ```lua block of the documentation runs: README.md, docs/*.md and the
DocC catalogs' articles. Each block runs alone, in a fresh optlab process, in
a scratch folder, as a smoke run (OPTLAB_TINY=1: data sets cut to their first
examples, train.fit to one epoch, hp.search to three trials a stage), and must
end without an error. Its lines sit at the document's own lines in a file
named as the document, so an error reads `README.md:54: ...`.
Usage: Tests/docs/docs_test.py path/to/optlab"""
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def documents():
    yield "README.md"
    for top in ("docs", "Sources"):
        for folder, _, files in sorted(os.walk(os.path.join(ROOT, top))):
            if top == "Sources" and ".docc" not in folder:
                continue
            for f in sorted(files):
                if f.endswith(".md"):
                    yield os.path.relpath(os.path.join(folder, f), ROOT)


def blocks(path):
    """(line before the block's first, code) for each ```lua block."""
    lines = open(os.path.join(ROOT, path), encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```lua":
            start, body = i + 1, []
            i += 1
            while i < len(lines) and lines[i].strip() != "```":
                body.append(lines[i])
                i += 1
            if i == len(lines):
                raise SystemExit(f"{path}:{start}: a ```lua block that never closes")
            yield start, "\n".join(body) + "\n"
        i += 1


def main():
    optlab = os.path.abspath(sys.argv[1])
    env = dict(os.environ, OPTLAB_TINY="1")
    passed, failed = 0, 0
    for path in documents():
        for line, code in blocks(path):
            with tempfile.TemporaryDirectory() as work:
                script = os.path.join(work, os.path.basename(path))
                with open(script, "w", encoding="utf-8") as f:
                    f.write("\n" * line + code)
                r = subprocess.run([optlab, script], cwd=work, env=env, capture_output=True, text=True, timeout=600)
            if r.returncode != 0:
                print(f"FAIL {path}:{line + 1}: the block ends in an error:\n{r.stderr.strip()[-2000:]}")
                failed += 1
            else:
                passed += 1
    if passed + failed == 0:
        print("FAIL: no ```lua block found in the documentation")
        failed += 1
    print(f"docs: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
