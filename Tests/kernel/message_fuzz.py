#!/usr/bin/env python3
"""The kernel-message fuzzer: signed messages of every request type with
mutated content (wrong types, negative and huge numbers, missing and extra
fields, content that is no object, unknown message types) sent to the optlab
kernel on its shell and control channels. The kernel must answer each known
request (a reply, or an error reply naming the field) or drop it, and stay
alive: every 25 messages and at the end its heartbeat beats and a
kernel_info_request is answered.

Usage: message_fuzz.py path/to/optlab [messages] [seed]
"""
import json, os, random, shutil, subprocess, sys, tempfile, time

from jupyter_client import KernelManager

optlab = os.path.abspath(sys.argv[1])
COUNT = int(sys.argv[2]) if len(sys.argv) > 2 else 400
SEED = int(sys.argv[3]) if len(sys.argv) > 3 else 20261206
work = tempfile.mkdtemp(prefix="optlab-fuzz-kernel-")
prefix = os.path.join(work, "prefix")
subprocess.run([optlab, "kernel", "install", "--prefix", prefix], check=True, stdout=subprocess.DEVNULL)
os.environ["JUPYTER_PATH"] = os.path.join(prefix, "share", "jupyter")
os.environ["JUPYTER_DATA_DIR"] = os.path.join(work, "data")
os.environ["JUPYTER_RUNTIME_DIR"] = os.path.join(work, "runtime")

# valid content of each request type; shutdown_request is sent only with a bad 'restart' (a valid one would stop the kernel)
VALID = {
    "execute_request": {"code": "fuzz_x = (fuzz_x or 0) + 1", "silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
    "complete_request": {"code": "tensor.ra", "cursor_pos": 9},
    "inspect_request": {"code": "tensor.randn", "cursor_pos": 12, "detail_level": 0},
    "is_complete_request": {"code": "for i = 1, 3 do"},
    "history_request": {"output": False, "raw": True, "hist_access_type": "tail", "n": 10},
    "comm_info_request": {"target_name": "x"},
    "kernel_info_request": {},
    "shutdown_request": {"restart": "yes"},
}
ODD = [-1, -(2 ** 63), 2 ** 64, 1e300, -1e300, 0.5, "", "x" * 100000, None, [], {}, True, False, [1, [2, [3]]], {"a": {"b": 1}}]
HISTORY = [{"hist_access_type": "tail", "n": -1}, {"hist_access_type": "search", "pattern": "*", "n": -5},
           {"hist_access_type": "range", "start": 1e300, "stop": -1}, {"hist_access_type": "sideways"},
           {"hist_access_type": "search", "pattern": "[", "unique": True, "n": 2 ** 62}]


def mutant(rng, kind):
    c = dict(VALID[kind])
    r = rng.random()
    if kind == "history_request" and r < 0.3:
        return dict(rng.choice(HISTORY))
    if kind == "shutdown_request":
        c["restart"] = rng.choice([x for x in ODD if not isinstance(x, bool) and x is not None])
        return c
    if r < 0.6 and c:
        c[rng.choice(list(c))] = rng.choice(ODD)
    elif r < 0.75 and c:
        del c[rng.choice(list(c))]
    elif r < 0.85:
        c[rng.choice(["n", "cursor_pos", "code", "zzz", "start", "stop", "restart", "silent"])] = rng.choice(ODD)
    else:
        return rng.choice([[], "content", 3, None, [{"code": "x"}]])   # not an object: dropped
    if kind == "execute_request" and not isinstance(c.get("code"), str):
        pass
    elif kind == "execute_request":
        c["code"] = rng.choice(["fuzz_x = (fuzz_x or 0) + 1", "error('fuzz')", "return 1 +", "x = ('a'):rep(10)"])
    return c


def main():
    rng = random.Random(SEED)
    km = KernelManager(kernel_name="optlab")
    log = open(os.path.join(work, "kernel.log"), "w")
    km.start_kernel(stderr=log)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    failures, sent, replies, checks = [], 0, 0, 0

    def alive(when):
        nonlocal checks
        checks += 1
        if not km.is_alive():
            failures.append("the kernel died " + when)
            return False
        deadline = time.monotonic() + 30
        while not kc.hb_channel.is_beating() and time.monotonic() < deadline:
            time.sleep(0.1)
        if not kc.hb_channel.is_beating():
            failures.append("no heartbeat " + when)
            return False
        try:
            msg_id = kc.kernel_info()
            while True:   # skip the replies to the mutants before it
                m = kc.get_shell_msg(timeout=60)
                if m["parent_header"].get("msg_id") == msg_id:
                    break
            if m["content"].get("implementation") != "optlab":
                failures.append("kernel_info after %s: %s" % (when, m["content"]))
        except Exception as e:
            failures.append("no kernel_info_reply %s: %r" % (when, e))
            return False
        return True

    kinds = list(VALID) + ["nonsense_request", "interrupt_request"]
    for i in range(COUNT):
        kind = rng.choice(kinds)
        content = mutant(rng, kind) if kind in VALID else {"zzz": rng.choice(ODD)}
        channel = kc.control_channel if kind in ("shutdown_request", "interrupt_request") or rng.random() < 0.1 else kc.shell_channel
        msg = kc.session.msg(kind, content)
        if rng.random() < 0.1:   # a header field of the wrong type
            msg["header"][rng.choice(["msg_id", "session", "username", "version", "date"])] = rng.choice(ODD[:8])
        # the frames signed by hand: jupyter_client refuses to send content that is no object
        frames = [json.dumps(msg["header"], default=str).encode(), b"{}", b"{}", json.dumps(content).encode()]
        channel.socket.send_multipart([b"<IDS|MSG>", kc.session.sign(frames)] + frames)
        sent += 1
        if kind == "interrupt_request":
            time.sleep(0)   # an interrupt may land in the next cell: harmless
        if (i + 1) % 25 == 0 and not alive("after message %d (%s)" % (i + 1, kind)):
            break
    if not failures:
        alive("at the end")
    # the named case: history_request with a negative n is answered with an error, not a trap
    if not failures:
        msg_id = kc.history(hist_access_type="tail", n=-1)
        while True:
            m = kc.get_shell_msg(timeout=60)
            if m["parent_header"].get("msg_id") == msg_id:
                break
        c = m["content"]
        if not (c.get("status") == "error" and "'n' must be an integer ≥ 0, got -1" in c.get("evalue", "")):
            failures.append("history_request n = -1: %s" % c)
        alive("after a negative n")
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    print("kernel fuzz: %d signed messages, %d liveness checks (heartbeat and kernel_info), %d failed" % (sent, checks, len(failures)))
    for f in failures:
        print("FAIL", f)
    if failures:
        print(open(os.path.join(work, "kernel.log")).read()[-3000:])
    shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


sys.exit(main())
