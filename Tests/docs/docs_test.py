#!/usr/bin/env python3
"""Every ```lua block of the documentation runs: README.md, docs/*.md and the
DocC catalogs' articles. Each block runs alone, in a fresh optlab process, in
a scratch folder, as a smoke run (OPTLAB_TINY=1: data sets cut to their first
examples, train.fit to one epoch, hp.search to three trials a stage), and must
end without an error. A block that needs fixtures names a preamble from
Tests/docs/preambles on the line before it, in a comment a reader sees on
GitHub only as the sentence that introduces the block:

    <!-- preamble: tiny_classifier -->
    ```lua

A block that is not meant to run alone (a fragment of the one before, a
sketch of an error) says so the same way: <!-- not run: the reason -->.
Usage: Tests/docs/docs_test.py path/to/optlab"""
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PREAMBLES = os.path.join(ROOT, "Tests", "docs", "preambles")


def documents():
    yield "README.md"
    for folder, _, files in sorted(os.walk(os.path.join(ROOT, "docs"))):
        for f in sorted(files):
            if f.endswith(".md"):
                yield os.path.relpath(os.path.join(folder, f), ROOT)
    for folder, _, files in sorted(os.walk(os.path.join(ROOT, "Sources"))):
        if ".docc" in folder:
            for f in sorted(files):
                if f.endswith(".md"):
                    yield os.path.relpath(os.path.join(folder, f), ROOT)


def blocks(path):
    """(line of the fence, code, directive or None) for each ```lua block."""
    lines = open(os.path.join(ROOT, path), encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```lua":
            start, body = i + 1, []
            directive = None
            before = lines[i - 1].strip() if i > 0 else ""
            m = re.fullmatch(r"<!--\s*(preamble|not run):\s*(.*?)\s*-->", before)
            if m:
                directive = (m.group(1), m.group(2))
            i += 1
            while i < len(lines) and lines[i].strip() != "```":
                body.append(lines[i])
                i += 1
            if i == len(lines):
                raise SystemExit(f"{path}:{start}: a ```lua block that never closes")
            yield start, "\n".join(body) + "\n", directive
        i += 1


def main():
    optlab = os.path.abspath(sys.argv[1])
    env = dict(os.environ, OPTLAB_TINY="1")
    passed, failed, skipped = 0, 0, 0
    for path in documents():
        for line, code, directive in blocks(path):
            where = f"{path}:{line}"
            if directive and directive[0] == "not run":
                if not directive[1]:
                    print(f"FAIL {where}: '<!-- not run: -->' needs its reason")
                    failed += 1
                else:
                    skipped += 1
                continue
            command = [optlab]
            if directive:
                name = directive[1]
                file = os.path.join(PREAMBLES, name + ".lua")
                if not os.path.exists(file):
                    print(f"FAIL {where}: no preamble {name} (Tests/docs/preambles/{name}.lua)")
                    failed += 1
                    continue
                # (its globals are the block's fixtures)
                command += ["-e", f"dofile({file!r})"]
            with tempfile.TemporaryDirectory() as work:
                # the block at its own lines of a file named as the document, so an error names the document's line
                script = os.path.join(work, os.path.basename(path))
                with open(script, "w", encoding="utf-8") as f:
                    f.write("\n" * line + code)
                r = subprocess.run(command + [script], cwd=work, env=env, capture_output=True, text=True, timeout=600)
            if r.returncode != 0:
                print(f"FAIL {where}: the block ends in an error:\n{r.stderr.strip()[-2000:]}")
                failed += 1
            else:
                passed += 1
    if passed + failed == 0:
        print("FAIL: no ```lua block found in the documentation")
        failed += 1
    print(f"docs: {passed} passed, {failed} failed" + (f" ({skipped} marked not run)" if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
