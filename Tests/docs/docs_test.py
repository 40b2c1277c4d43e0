#!/usr/bin/env python3
"""Every ```lua block of the documentation runs: README.md, docs/*.md and the
DocC catalogs' articles; and so does every example help() shows. Each runs
alone, in a fresh optlab process, in a scratch folder, as a smoke run
(OPTLAB_TINY=1: data sets cut to their first examples, train.fit to one
epoch, hp.search to three trials a stage), and must end without an error.
A block's lines sit at the document's own lines in a file named as the
document, so an error reads `README.md:54: ...`. A help example runs after
Tests/docs/help_fixtures.lua, which makes the names examples use (x, y,
model, tr, ...) as they are read, in a file named after its function.
Usage: Tests/docs/docs_test.py path/to/optlab"""
import concurrent.futures
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


def help_examples(optlab):
    """(function name, example) for every example help() shows."""
    out = subprocess.run([optlab, os.path.join(ROOT, "Tests", "docs", "help_examples.lua")],
                         capture_output=True, text=True, check=True).stdout
    name, lines = None, []
    for line in out.split("\n"):
        if line.startswith("=== "):
            if name:
                yield name, "\n".join(lines).rstrip() + "\n"
            name, lines = line[4:], []
        else:
            lines.append(line)
    if name:
        yield name, "\n".join(lines).rstrip() + "\n"


def run(optlab, file_name, code, before=(), env=None):
    """Runs code as file_name in a scratch folder; returns the error text or None."""
    with tempfile.TemporaryDirectory() as work:
        script = os.path.join(work, file_name)
        with open(script, "w", encoding="utf-8") as f:
            f.write(code)
        r = subprocess.run([optlab, *before, script], cwd=work, env=env, capture_output=True, text=True, timeout=600)
    return None if r.returncode == 0 else r.stderr.strip()[-2000:]


def main():
    optlab = os.path.abspath(sys.argv[1])
    env = dict(os.environ, OPTLAB_TINY="1")
    jobs = []   # (where, file name, code, options before the script, environment)
    for path in documents():
        for line, code in blocks(path):
            jobs.append((f"{path}:{line + 1}", os.path.basename(path), "\n" * line + code, (), env))
    blocks_found = len(jobs)
    fixtures = os.path.join(ROOT, "Tests", "docs", "help_fixtures.lua")
    for name, code in help_examples(optlab):
        search = dict(env, HELP_FIXTURE_SEARCH="1") if "runs/search" in code else env
        jobs.append((f"help({name.replace(':', '.')})", name.replace(":", ".") + ".lua", code, ("-e", f"dofile({fixtures!r})"), search))
    passed, failed = 0, 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for (where, *_), error in zip(jobs, pool.map(lambda j: run(optlab, *j[1:]), jobs)):
            if error is None:
                passed += 1
            else:
                print(f"FAIL {where}: ends in an error:\n{error}")
                failed += 1
    if blocks_found == 0 or len(jobs) == blocks_found:
        print("FAIL: no ```lua block in the documentation, or no example in help()")
        failed += 1
    print(f"docs: {passed} passed, {failed} failed ({blocks_found} documentation blocks, {len(jobs) - blocks_found} help examples)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
