"""The notebook kernel, driven by Jupyter's own client library.

Usage: kernel_test.py PATH/TO/optlab
Installs the kernelspec into a temporary prefix with `optlab kernel install
--prefix`, starts the kernel through jupyter_client's KernelManager from
that kernelspec, and checks each request type, the outputs of cells, an
interrupt of a training cell, a restart, a shutdown, a message signed with
the wrong key, and a notebook run by nbclient.
No test depends on timing: where order matters the cell waits for a file
the test creates after it has seen the cell's first output.
"""
import base64
import os
import subprocess
import sys
import tempfile
import time
import traceback

import jupyter_client
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.session import Session

optlab = os.path.abspath(sys.argv[1])
work = tempfile.mkdtemp(prefix="optlab-kernel-")
prefix = os.path.join(work, "prefix")
subprocess.run([optlab, "kernel", "install", "--prefix", prefix], check=True, stdout=subprocess.DEVNULL)
os.environ["JUPYTER_PATH"] = os.path.join(prefix, "share", "jupyter")
os.environ["JUPYTER_DATA_DIR"] = os.path.join(work, "data")
os.environ["JUPYTER_RUNTIME_DIR"] = os.path.join(work, "runtime")

passed, failed = 0, 0


def test(name):
    def wrap(f):
        global passed, failed
        try:
            f()
            passed += 1
        except Exception:
            failed += 1
            print(f"FAIL {name}")
            traceback.print_exc()
        return f
    return wrap


def check(cond, what):
    if not cond:
        raise AssertionError(what)


log_path = os.path.join(work, "kernel.log")


class Kernel:
    def __init__(self):
        self.km = KernelManager(kernel_name="optlab")
        self.log = open(log_path, "a")
        self.km.start_kernel(stderr=self.log)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def run(self, code, **kw):
        """Executes a cell; returns its reply content and its IOPub messages (type, content, full message)."""
        outs = []
        reply = self.kc.execute_interactive(code, timeout=120, output_hook=lambda m: outs.append((m["msg_type"], m["content"], m)), **kw)
        return reply["content"], outs

    def stop(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=False)


def streams(outs, name="stdout"):
    return "".join(c["text"] for t, c, _ in outs if t == "stream" and c["name"] == name)


def of_type(outs, t):
    return [c for tt, c, _ in outs if tt == t]


@test("the kernelspec is found where Jupyter looks")
def _():
    specs = KernelSpecManager().find_kernel_specs()
    check("optlab" in specs, f"kernelspecs: {specs}")
    spec = KernelSpecManager().get_kernel_spec("optlab")
    check(spec.display_name == "optlab (Lua 5.4)" and spec.language == "lua", spec.to_dict())
    check(os.path.isabs(spec.argv[0]) and spec.argv[1:] == ["--kernel", "{connection_file}"], spec.argv)
    check(spec.interrupt_mode == "message", spec.interrupt_mode)
    with open(os.path.join(specs["optlab"], "logo-64x64.png"), "rb") as f:
        check(f.read(8) == b"\x89PNG\r\n\x1a\n", "the logo is a PNG")
    listed = subprocess.run([sys.executable, "-m", "jupyter_client.kernelspecapp", "list"], capture_output=True, text=True)
    check(listed.returncode == 0 and "optlab" in listed.stdout, f"jupyter kernelspec list: {listed.stdout} {listed.stderr}")


k = Kernel()


@test("the heartbeat answers")
def _():
    deadline = time.monotonic() + 30
    while not k.kc.hb_channel.is_beating() and time.monotonic() < deadline:
        time.sleep(0.2)
    check(k.kc.hb_channel.is_beating(), "no heartbeat")


@test("kernel_info")
def _():
    info = k.kc.kernel_info(reply=True)["content"]
    check(info["protocol_version"] == "5.3" and info["implementation"] == "optlab", info)
    check(info["language_info"]["name"] == "lua" and info["language_info"]["file_extension"] == ".lua", info)


@test("execute: streams, results, execution counts, state between cells")
def _():
    r, outs = k.run("print('hello', 1 + 1); x = tensor.ones{2, 3}")
    check(r["status"] == "ok", r)
    check(streams(outs) == "hello\t2\n", repr(streams(outs)))
    check(of_type(outs, "execute_input")[0]["code"].startswith("print"), outs)
    first = r["execution_count"]
    r, outs = k.run("x:sum():item()")
    check(r["execution_count"] == first + 1, (first, r))
    res = of_type(outs, "execute_result")
    check(len(res) == 1 and res[0]["data"]["text/plain"] == "6.0" and res[0]["execution_count"] == first + 1, res)
    r, outs = k.run("x:sum():item();")
    check(of_type(outs, "execute_result") == [], "a trailing ; shows no result")
    r, outs = k.run("y = 5; print('not shown'); display(1)", silent=True)
    check(of_type(outs, "execute_input") == [] and r["execution_count"] == first + 2, ("silent", r))
    check(streams(outs) == "" and of_type(outs, "display_data") == [], f"a silent cell broadcasts nothing: {outs}")
    r, outs = k.run("y")
    check(of_type(outs, "execute_result")[0]["data"]["text/plain"] == "5", "the silent cell ran")
    first += 1
    r, outs = k.run("y", store_history=False)
    check(r["execution_count"] == first + 2 and of_type(outs, "execute_result")[0]["data"]["text/plain"] == "5", r)
    r, outs = k.run("local a = 20\nlocal b = 22\na + b")
    check(of_type(outs, "execute_result")[0]["data"]["text/plain"] == "42", "a cell's last line is its value, as in IPython")
    r, outs = k.run("t = {}\nt.n = 1\nsetmetatable(t, {__tostring = function() return 'T' end})")
    check(of_type(outs, "execute_result")[0]["data"]["text/plain"] == "T", "a call on the last line shows its value")
    r, outs = k.run("s = 0\nfor i = 1, 3 do\n  s = s + i\nend")
    check(r["status"] == "ok" and of_type(outs, "execute_result") == [], "statements only: no value")
    check(of_type(k.run("s")[1], "execute_result")[0]["data"]["text/plain"] == "6", "the loop ran")
    r, outs = k.run("local x = 1\n\nerror('on line 3')")
    check(r["evalue"].endswith(":3: on line 3"), r["evalue"])
    r, outs = k.run("io.stderr:write('warn\\n'); io.write('no newline')")
    check(streams(outs, "stderr") == "warn\n" and streams(outs) == "no newline", outs)


@test("errors carry the Lua traceback; the kernel lives on")
def _():
    r, outs = k.run("local function f() error('boom') end\nf()")
    check(r["status"] == "error" and r["ename"] == "LuaError", r)
    check(r["evalue"].endswith(":1: boom") and r["evalue"].startswith("In["), r["evalue"])
    err = of_type(outs, "error")[0]
    check(any("in local 'f'" in line or "in upvalue 'f'" in line or "in function 'f'" in line for line in err["traceback"]), err["traceback"])
    r, outs = k.run("tensor.zeros{2} + tensor.zeros{3}")
    check(r["status"] == "error" and "shape" in r["evalue"], r)
    r, outs = k.run("for i = 1,")
    check(r["status"] == "error" and r["ename"] == "SyntaxError", r)
    r, outs = k.run("1 + 1")
    check(r["status"] == "ok" and of_type(outs, "execute_result")[0]["data"]["text/plain"] == "2", "alive after errors")


@test("streams arrive while the cell runs, not at its end")
def _():
    flag = os.path.join(work, "go")
    msg_id = k.kc.execute(f"print('first'); while not io.open({flag!r}) do end; print('second')")
    seen = ""
    deadline = time.monotonic() + 60
    while "first" not in seen:
        m = k.kc.get_iopub_msg(timeout=max(deadline - time.monotonic(), 0.1))
        if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "stream":
            seen += m["content"]["text"]
    open(flag, "w").close()   # only now may the cell go on
    while True:
        m = k.kc.get_iopub_msg(timeout=60)
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        if m["msg_type"] == "stream":
            seen += m["content"]["text"]
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            break
    check(seen == "first\nsecond\n", repr(seen))
    k.kc.get_shell_msg(timeout=10)


@test("rich outputs: plots and histograms as SVG, weights as PNG, tensors and models as HTML, display()")
def _():
    r, outs = k.run("monitor.plot{loss = {3, 2, 1.5, 1}, epochs = 4}")
    data = of_type(outs, "execute_result")[0]["data"]
    check(data["image/svg+xml"].lstrip().startswith("<svg") and "⠀" not in data["image/svg+xml"], "plot SVG")
    check("epoch" in data["text/plain"] and "⠀" not in data["image/svg+xml"], "the braille text stays as text/plain")
    r, outs = k.run("monitor.hist(tensor.randn{1000}, {bins = 10})")
    svg = of_type(outs, "execute_result")[0]["data"]["image/svg+xml"]
    check(svg.count("<rect") >= 8, "histogram bars")
    k.run("model = nn.Sequential{nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)}")
    r, outs = k.run("monitor.weights(model)")
    png = base64.b64decode(of_type(outs, "execute_result")[0]["data"]["image/png"])
    check(png[:8] == b"\x89PNG\r\n\x1a\n", "weights PNG")
    r, outs = k.run("model")
    html = of_type(outs, "execute_result")[0]["data"]["text/html"]
    check("<table" in html and "1.weight" in html and ">67<" in html, html[:400])
    r, outs = k.run("tensor.from{{1, 2, 3}, {4, 5, 6}}")
    html = of_type(outs, "execute_result")[0]["data"]["text/html"]
    check(html.count("<tr>") == 2 and ">6</td>" in html and "2×3" in html, html)
    r, outs = k.run("display(monitor.plot{a = {1, 2}}, 'plain')")
    shown = of_type(outs, "display_data")
    check(len(shown) == 2 and "image/svg+xml" in shown[0]["data"] and shown[1]["data"]["text/plain"] == '"plain"', shown)
    r, outs = k.run("check.grad(function() return (model(tensor.randn{2, 4}) ^ 2):sum() end, model)")
    data = of_type(outs, "execute_result")[0]["data"]
    check("text/html" in data and "gradient" in data["text/plain"], data.keys())


@test("train.fit's progress is one display updated in place")
def _():
    code = """tensor.seed(0)
spiral = data.spiral{per_class = 100}
net = nn.Sequential{nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3)}
h = train.fit{model = net, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.Adam(net:parameters(), {lr = 0.01}),
  train = spiral, epochs = 3, batch = 30}"""
    r, outs = k.run(code)
    check(r["status"] == "ok", r)
    shown = [(t, c) for t, c, _ in outs if t in ("display_data", "update_display_data")]
    check(shown and shown[0][0] == "display_data", [t for t, _ in shown])
    ids = {c["transient"]["display_id"] for _, c in shown}
    check(len(ids) == 1, f"one display id, got {ids}")
    check(all(t == "update_display_data" for t, _ in shown[1:]) and len(shown) >= 3, [t for t, _ in shown])
    last = shown[-1][1]["data"]["text/plain"]
    check(last.count("epoch ") >= 3 and "epoch 3/3" in last, last)
    check("\r" not in streams(outs), "no carriage-return bars in the stream")


@test("a language model trains and samples in a cell: progress in perplexity, generate's text")
def _():
    code = """tensor.seed(2)
text = data.text(("To be, or not to be, that is the question.\\n"):rep(40), {block = 16})
lm = nn.Sequential{nn.Embedding(#text.vocab, 16), nn.LSTM(16, 16), nn.Linear(16, #text.vocab)}
h = train.fit{model = lm, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.Adam(lm, {lr = 1e-2}),
  train = text.train:blocks{per_epoch = 96}, val = text.val, epochs = 3, batch = 12}
print(string.format("best %.3f", h.best.val_loss))
print(text:decode(lm:generate(text:encode("To "), 20, {top_k = 3, block = 16})))"""
    r, outs = k.run(code)
    check(r["status"] == "ok", r)
    shown = [c for t, c, _ in outs if t in ("display_data", "update_display_data")]
    last = shown[-1]["data"]["text/plain"]
    check("epoch 3/3" in last and "val loss" in last and "ppl" in last, last)
    first, sample = streams(outs).split("\n", 1)
    check(first.startswith("best ") and float(first.split()[1]) < 2.5, first)
    check(len(sample) == 24 and sample.startswith("To ") and sample.endswith("\n"), repr(sample))   # (the sample may hold newlines)


@test("monitor.layers as a table with histograms, monitor.ratios as a chart against the band")
def _():
    k.run("opt2 = optim.SGD(net, {lr = 0.05}); train.fit{model = net, loss = nn.SoftmaxCrossEntropy(), optimizer = opt2, train = spiral, epochs = 1, batch = 30, quiet = true}")
    r, outs = k.run("monitor.layers(net)")
    html = of_type(outs, "execute_result")[0]["data"]["text/html"]
    check(html.count("<tr>") == 4 and html.count("<svg") == 3 and "ReLU" in html, html[:300])
    r, outs = k.run("monitor.ratios(opt2)")
    data = of_type(outs, "execute_result")[0]["data"]
    check("the notes: about 1e-3" in data["image/svg+xml"] and data["image/svg+xml"].count("<circle") == 4, data.keys())
    check("1.weight" in data["text/plain"], data["text/plain"])


@test("hp.search's live table updates in place")
def _():
    code = f"""r = hp.search{{name = "s", dir = {os.path.join(work, 'runs')!r}, space = {{lr = hp.loguniform(1e-3, 1)}}, trials = 4,
  trial = function(cfg) return {{val_acc = 1 - math.abs(math.log(cfg.lr, 10) + 1.5) / 3}} end}}"""
    r, outs = k.run(code)
    check(r["status"] == "ok", r)
    shown = [(t, c) for t, c, _ in outs if t in ("display_data", "update_display_data")]
    check(shown and shown[0][0] == "display_data" and len({c["transient"]["display_id"] for _, c in shown}) == 1, [t for t, _ in shown])
    check("lr" in shown[-1][1]["data"]["text/plain"], shown[-1][1]["data"]["text/plain"])


@test("io.read in a cell asks the notebook for a line")
def _():
    msg_id = k.kc.execute("io.write('name? '); answer = io.read(); n = io.stdin:read('n')", allow_stdin=True)
    for value in ("Ada", "42"):
        req = k.kc.get_stdin_msg(timeout=30)
        check(req["msg_type"] == "input_request" and req["parent_header"]["msg_id"] == msg_id, req)
        k.kc.input(value)
    reply = k.kc.get_shell_msg(timeout=30)["content"]
    check(reply["status"] == "ok", reply)
    r, outs = k.run("answer .. ' ' .. n")
    check(of_type(outs, "execute_result")[0]["data"]["text/plain"] == '"Ada 42"', outs)
    r, outs = k.run("io.read()", allow_stdin=False)
    check(r["status"] == "error" and "allow_stdin" in r["evalue"], r)


@test("complete: globals, fields and methods through metatables, cursor in characters")
def _():
    c = k.kc.complete("tensor.ze", 9, reply=True)["content"]
    check(c["matches"] == ["zeros", "zeros_like"] and c["cursor_start"] == 7 and c["cursor_end"] == 9, c)
    c = k.kc.complete("x:su", 4, reply=True)["content"]
    check("sum(" in c["matches"] and c["cursor_start"] == 2, c)
    c = k.kc.complete("s = 'é' .. mon", 14, reply=True)["content"]
    check(c["matches"] == ["monitor"] and c["cursor_start"] == 11 and c["cursor_end"] == 14, c)


@test("inspect: help's text")
def _():
    c = k.kc.inspect("nn.Linear(4, 2)", 4, reply=True)["content"]
    check(c["found"] and "fully connected" in c["data"]["text/plain"], c)
    c = k.kc.inspect("x:sum", 5, reply=True)["content"]
    check(c["found"], c)
    c = k.kc.inspect("no_such_name", 5, reply=True)["content"]
    check(not c["found"], c)


@test("is_complete: Lua's <eof> rule")
def _():
    for code, want in [("for i = 1, 3 do", "incomplete"), ("x = 1", "complete"), ("x = = 1", "invalid"), ("f(", "incomplete")]:
        c = k.kc._recv_reply(k.kc.is_complete(code), timeout=10)["content"] if hasattr(k.kc, "_recv_reply") else None
        if c is None:
            msg_id = k.kc.is_complete(code)
            c = k.kc.get_shell_msg(timeout=10)["content"]
        check(c["status"] == want, (code, c))


@test("history: tail and search")
def _():
    k.run("hist_marker = 42")
    msg_id = k.kc.history(hist_access_type="tail", n=2, output=False, raw=True)
    h = k.kc.get_shell_msg(timeout=10)["content"]["history"]
    check(len(h) == 2 and h[-1][2] == "hist_marker = 42", h)
    check(h[-1][1] == h[-2][1] + 1, h)
    k.kc.history(hist_access_type="search", pattern="hist_marker*", output=False, raw=True)
    h = k.kc.get_shell_msg(timeout=10)["content"]["history"]
    check([e[2] for e in h] == ["hist_marker = 42"], h)


@test("comm_info is empty")
def _():
    k.kc.comm_info()
    c = k.kc.get_shell_msg(timeout=10)["content"]
    check(c["status"] == "ok" and c["comms"] == {}, c)


@test("interrupt stops a training cell and keeps its state")
def _():
    k.run("w_before = net:parameters()[1]:clone()")
    code = """h2 = nil
h2 = train.fit{model = net, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(net:parameters(), {lr = 0.05}),
  train = spiral, epochs = 100000, batch = 30}"""
    msg_id = k.kc.execute(code)
    while True:   # the first progress display: training has begun
        m = k.kc.get_iopub_msg(timeout=60)
        if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] in ("display_data", "update_display_data"):
            break
    k.km.interrupt_kernel()
    reply = k.kc.get_shell_msg(timeout=60)["content"]
    check(reply["status"] == "error" and reply["ename"] == "Interrupted" and "train.fit" in reply["evalue"], reply)
    r, outs = k.run("(net:parameters()[1] - w_before):abs():sum():item() > 0")
    check(of_type(outs, "execute_result")[0]["data"]["text/plain"] == "true", "the weights trained before the interrupt stay")
    msg_id = k.kc.execute("k = 0; while true do k = k + 1 end")
    while True:
        m = k.kc.get_iopub_msg(timeout=60)
        if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "execute_input":
            break
    k.km.interrupt_kernel()
    reply = k.kc.get_shell_msg(timeout=60)["content"]
    check(reply["status"] == "error" and reply["ename"] == "Interrupted", reply)
    r, outs = k.run("k > 0")
    check(of_type(outs, "execute_result")[0]["data"]["text/plain"] == "true", "a Lua loop's state stays")


@test("a message signed with the wrong key is dropped, never executed")
def _():
    marker = os.path.join(work, "forged")
    forged = Session(key=b"not-the-key", session=k.kc.session.session)
    forged.send(k.kc.shell_channel.socket, "execute_request",
                {"code": f"io.open({marker!r}, 'w'):close()", "silent": False, "store_history": True,
                 "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
    r, outs = k.run("1")   # answered after the forged one was read
    check(r["status"] == "ok", r)
    check(not os.path.exists(marker), "the forged cell ran")
    k.kc.execute("1")
    reply = k.kc.get_shell_msg(timeout=30)
    check(reply["msg_type"] == "execute_reply", "no reply to the forged message came first")
    with open(log_path) as f:
        check("dropped a message on shell: bad signature" in f.read(), "the kernel logs what it dropped")


@test("restart gives a fresh session")
def _():
    k.run("survivor = 1")
    k.km.restart_kernel(now=False)
    k.kc.wait_for_ready(timeout=60)
    r, outs = k.run("survivor == nil")
    check(of_type(outs, "execute_result")[0]["data"]["text/plain"] == "true", "globals of the old session are gone")


@test("shutdown ends the process")
def _():
    proc = k.km.provisioner.process if hasattr(k.km, "provisioner") and k.km.provisioner else None
    k.stop()
    check(not k.km.is_alive(), "still alive")
    if proc is not None:
        check(proc.poll() == 0, f"exit code {proc.poll()}")


@test("a notebook runs under nbclient")
def _():
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("t = tensor.arange(1, 5)\nprint(t:sum():item())"),
                nbformat.v4.new_code_cell("monitor.plot{y = {1, 4, 9, 16}}"),
                nbformat.v4.new_code_cell("t * 2")]
    NotebookClient(nb, kernel_name="optlab", timeout=120).execute()
    out = nb.cells[0].outputs
    check(out[0]["output_type"] == "stream" and out[0]["text"] == "10.0\n", out)
    check("image/svg+xml" in nb.cells[1].outputs[0]["data"], nb.cells[1].outputs)
    check("text/html" in nb.cells[2].outputs[0]["data"] and nb.cells[2].execution_count == 3, nb.cells[2])


@test("the example notebook runs end to end (a smoke run), and renders to a page and a picture")
def _():
    import base64
    import importlib.util
    import re
    import struct
    import xml.etree.ElementTree as ET
    import nbformat
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    spec = importlib.util.spec_from_file_location("render", os.path.join(root, "Examples", "Notebook", "render.py"))
    render = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(render)
    into = tempfile.mkdtemp(prefix="optlab-notebook-", dir=work)
    saved = dict(os.environ)
    try:
        notebook, page, shot = render.run(optlab, True, into)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    nb = nbformat.read(notebook, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    for c in code:
        check(c.execution_count is not None, f"a cell did not run: {c.source[:60]}")
        errors = [o for o in c.outputs if o.output_type == "error"]
        check(not errors, f"the cell {c.source[:60]!r} failed: {errors}")

    def cell(fragment):
        found = [c for c in code if fragment in c.source]
        check(len(found) == 1, f"one cell with {fragment!r}, found {len(found)}")
        return found[0]

    def data(c, mime):
        for o in c.outputs:
            if mime in o.get("data", {}):
                return o["data"][mime]
        raise AssertionError(f"{c.source[:60]!r} shows no {mime}: {c.outputs}")

    def text(c):
        return "".join(o.get("text", "") for o in c.outputs) + "".join(o.get("data", {}).get("text/plain", "") for o in c.outputs)

    check("verdict: the gradients check out" in data(cell("check.grad("), "text/plain"), "the gradient check passes")
    check("preflight: all checks passed" in data(cell("check.preflight("), "text/plain"), "the sanity checks pass")
    progress = data(cell("h = train.fit{"), "text/html")
    check("<progress" in progress and re.search(r"epoch 1/1\s+loss \d", progress), f"train.fit's progress: {progress[:300]}")
    for fragment in ("monitor.plot{loss = h.loss", "monitor.plot{train = h.train_acc", "monitor.plot{x = lrs"):
        svg = data(cell(fragment), "image/svg+xml")
        ET.fromstring(svg)   # well-formed
        check("<polyline" in svg or "<circle" in svg, f"{fragment}: nothing drawn")
    check(svg.count("<circle") + svg.count("<polyline") >= 1 and "learning rate (log scale)" in svg, "the search's plot has a log lr axis")
    layers = data(cell("monitor.layers(model)"), "text/html")
    check(layers.count("<tr>") == 4 and layers.count("<svg") == 3, f"a row and a histogram per layer: {layers[:300]}")
    png = base64.b64decode(data(cell("monitor.weights(model"), "image/png"))
    check(png[:8] == b"\x89PNG\r\n\x1a\n", "the weights are a PNG")
    w, h = struct.unpack(">II", png[16:24])
    check(w == h and w > 100, f"an 8×8 grid of 28×28 tiles: {w}×{h}")
    hist = data(cell("monitor.hist(model[1].weight"), "image/svg+xml")
    check(hist.count("<rect") >= 40, "40 bins drawn")
    check(re.search(r"best: trial \d+, val_acc 0\.\d+", text(cell("r = hp.search{"))), "the search ends with its best trial")
    check(re.search(r"best trial \d+ \(lr [\d.e-]+, reg [\d.e-]+\): validation 0\.\d+, test 0\.\d+", text(cell("nn.Ensemble.top(1"))),
          "the best trial on the test set")
    # the dynamics: the range test and the landscape as pictures, the curvature and the noise scale as reports
    for fragment, axis in (("train.lr_find{", "learning rate"), ("monitor.landscape{", "α across")):
        svg = data(cell(fragment), "image/svg+xml")
        ET.fromstring(svg)
        check(axis in svg, f"{fragment}: no '{axis}' in its picture")
    check(re.search(r"suggestions|steepest lr = [\d.e-]+", data(cell("train.lr_find{"), "text/plain")), "the range test's suggestions")
    check(re.search(r"λ1 +[\d.e+-]+ +residual", text(cell("check.hessian("))), "the top eigenvalue with its residual")
    check(re.search(r"B_simple = tr\(Σ\)/\|G\|² ≈ -?[\d.e+-]+", text(cell("monitor.noise_scale("))), "the noise scale")
    html = open(page, encoding="utf-8").read()
    check(html.count("data:image/svg+xml") >= 4 and html.count("data:image/png;base64,") >= 1, "the page holds the SVG and PNG outputs")
    shot_bytes = open(shot, "rb").read()
    check(shot_bytes[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", shot_bytes[16:24]) == (1000, 3000), "the screenshot")


import shutil
shutil.rmtree(work, ignore_errors=True)
print(f"kernel: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
