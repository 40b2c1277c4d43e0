#!/usr/bin/env bash
# `optlab report` checked as a user would see it: a tiny training run, the
# report written, headless Chromium's screenshot of it decoded, and the
# plots' colours found in the picture. Usage: Tests/report/report_test.sh path/to/optlab
set -u
OPTLAB=$(realpath "${1:?usage: report_test.sh path/to/optlab}")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
passed=0; failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }

cat > "$WORK/run.lua" <<LUA
tensor.seed(1)
-- 16 features, so the first layer's rows are 4×4 images; the labels depend on them
local x = tensor.randn{240, 16}
local y = x:narrow(2, 1, 3):argmax(2)
local d = data.dataset(x, y)
local tr, val = d:split(0.75)
local model = nn.Sequential{nn.Linear(16, 36, {init = "kaiming"}), nn.ReLU(), nn.Linear(36, 3)}
local opt = optim.SGD(model, {lr = 0.2, momentum = 0.9})
train.fit{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = opt, schedule = optim.step_decay(opt, {every = 2, factor = 0.5}),
  train = tr, val = val, test = val, epochs = 6, batch = 20, log = "$WORK/run", quiet = true, seed = 7}
LUA
"$OPTLAB" "$WORK/run.lua" || bad "training run"
out=$("$OPTLAB" report "$WORK/run") && [ "$out" = "$WORK/run/report.html" ] && ok || bad "optlab report printed '$out'"
html="$WORK/run/report.html"
for section in "<h2>Loss</h2>" "<h2>Accuracy</h2>" "<h2>Overfitting gap</h2>" "<h2>Learning rate</h2>" "<h2>Update/weight ratios</h2>" \
               "the notes: about 1e-3" "<h2>Activations per layer over epochs</h2>" "<h2>Gradients per layer</h2>" "<h2>Gradient histograms per layer over epochs</h2>" \
               "<h2>First-layer weights</h2>" "data:image/png;base64," "<h2>Checkpoints</h2>" \
               "<h2>Configuration</h2>" "<h2>Model: Sequential</h2>" ">finished<" ">best validation<" ">test<" ">wall time<" \
               ">6 of 6<" ">seed</th><td>7<" ">optlab</th><td>0.1.0<" ">SGD+momentum<" ">bias=true, in=16, init=kaiming, out=36<" ">keep_best</th><td>true<" "momentum=0.9, name=SGD, nesterov=false"; do
  grep -qF -- "$section" "$html" && ok || bad "run page lacks: $section"
done
grep -qE 'src="https?:|href="https?:' "$html" && bad "report refers to the network" || ok
"$OPTLAB" report "$WORK/nothing" 2>/dev/null && bad "report of a missing folder succeeded" || ok

# The defects the first pages had, each checked on the page's SVG.
python3 - "$html" <<'PY' && ok || bad "run page's plots (ticks, axes, log scale, sizes)"
import re, sys, math
html = open(sys.argv[1]).read()
charts = re.findall(r'<svg xmlns="http://www.w3.org/2000/svg" width="\d+" height="\d+" viewBox=[^>]*>.*?<text x="[\d.]+" y="17" text-anchor="middle" font-size="13">(.*?)</text>(.*?)\n</svg>\n', html, re.S)
by_title = {t: body for t, body in charts}
problems = []
for t in ["loss", "accuracy", "train − validation", "learning rate", "‖update‖ / ‖weight‖"]:
    if t not in by_title: problems.append(f"no chart '{t}'")
def nice(step):
    m = step / 10 ** math.floor(math.log10(step))
    return any(abs(m - k) < 1e-6 for k in (1, 2, 5, 10))
for title, body in charts:
    log = "(log scale)</text>" in body.split("rotate(-90)")[-1][:200] if "rotate(-90)" in body else False
    ys = [float(v) for v in re.findall(r'text-anchor="end">([-0-9.e]+)</text>', body)]
    if len(ys) < 2: problems.append(f"{title}: fewer than two y ticks"); continue
    if log:
        for v in ys:
            m = v / 10 ** math.floor(math.log10(v) + 1e-9)
            if not any(abs(m - k) < 1e-6 for k in (1, 2, 5)): problems.append(f"{title}: log tick {v} is not 1, 2 or 5 × 10^k")
    else:
        steps = {round(b - a, 12) for a, b in zip(ys, ys[1:])}
        if len(steps) != 1 or not nice(abs(steps.pop())): problems.append(f"{title}: y ticks {ys} are not a round step")
loss = by_title.get("loss", "")
if "loss (log scale)" not in loss or "epoch (log scale)" in loss: problems.append("the log scale is not named on the loss's y axis")
acc = by_title.get("accuracy", "")
if "gap" in acc or acc.count("<polyline") != 2: problems.append("the accuracy chart holds more than train and validation")
img = re.search(r'<img alt="first-layer weights" width="(\d+)"', html)
if not img or not 100 <= int(img.group(1)) <= 400: problems.append(f"weight grid width {img and img.group(1)}")
if html.index('class="findings"') > html.index("<h2>Configuration</h2>"): problems.append("the diagnosis does not come first")
print("\n".join(problems) or "run page: ticks round, axes named, accuracy alone, weights sized")
sys.exit(1 if problems else 0)
PY
python3 "$(dirname "$0")/page_check.py" "$html" "$WORK/shot.png" 1400 2200 "#08519c:150" "#d62728:100" "#2ca02c:100" \
  && ok || bad "run page in Chromium: $(python3 "$(dirname "$0")/page_check.py" "$html" "$WORK/shot.png" 1400 2200 "#08519c:150" "#d62728:100" "#2ca02c:100")"

# A long run: 100,000 iterations with one spike. The page stays light and the spike stays visible.
python3 - "$WORK/long" <<'PY'
import json, math, os, sys
d = sys.argv[1]; os.makedirs(d)
with open(d + "/metrics.jsonl", "w") as f:
    for i in range(1, 100001):
        loss = 2.3 * math.exp(-i / 30000) + 0.05 * math.sin(i) ** 2 + (80.0 if i == 50000 else 0)
        f.write(json.dumps({"epoch": (i - 1) // 2000 + 1, "iteration": i, "loss": loss, "lr": 0.1 * 0.5 ** (i // 20000),
                            "ratio/1.weight": 1e-3 * (1 + 0.1 * math.sin(i / 100))}) + "\n")
        if i % 2000 == 0:
            e = i // 2000
            f.write(json.dumps({"epoch": e, "iteration": i, "loss": 1.0, "train_acc": 0.5 + e / 120, "val_acc": 0.5 + e / 130, "time": e * 1.5}) + "\n")
json.dump({"status": "finished", "epochs": 50, "epochs_done": 50, "seconds": 75, "seed": 0, "optlab": "0.1.0", "best_epoch": 50, "best_val_acc": 0.88}, open(d + "/status.json", "w"))
json.dump({"epochs": 50, "batch": 64, "lr": 0.1}, open(d + "/config.json", "w"))
PY
"$OPTLAB" report "$WORK/long" >/dev/null || bad "report of the long run"
python3 - "$WORK/long/report.html" <<'PY' && ok || bad "long-run page"
import re, sys, os
path = sys.argv[1]; html = open(path).read()
size = os.path.getsize(path)
longest = max(len(p.split()) for p in re.findall(r'<polyline[^>]*points="([^"]*)"', html))
loss = html[html.index('font-size="13">loss</text>'):]
loss = loss[:loss.index("\n</svg>\n")]
top = max(float(v) for v in re.findall(r'text-anchor="end">([-0-9.e]+)</text>', loss))
problems = []
if size > 2_000_000: problems.append(f"page is {size} bytes")
if longest > 2100: problems.append(f"a line has {longest} points")
if "<polygon" not in loss: problems.append("no min/max envelope")
if top < 80: problems.append(f"the spike to 80 is cut off (top tick {top})")
print("\n".join(problems) or f"long run: {size} bytes, at most {longest} points a line, the spike kept (top tick {top})")
sys.exit(1 if problems else 0)
PY
python3 "$(dirname "$0")/page_check.py" "$WORK/long/report.html" "$WORK/long.png" 1400 1400 "#08519c:150" >/dev/null && ok || bad "long-run page in Chromium"

# A search with finished, pruned, exploded and failed trials: the comparison page.
cat > "$WORK/search.lua" <<LUA
hp.search{name = "s", dir = "$WORK/searches", space = {lr = hp.loguniform(1e-3, 1), width = hp.int(8, 32), act = hp.choice{"relu", "tanh"}},
  stages = {{trials = 8, epochs = 2}, {trials = 3, epochs = 3}}, quiet = true, seed = 3,
  trial = function(c, b)
    if c.trial == 3 then error("a bug in trial 3") end
    tensor.seed(c.trial)
    local d = data.spiral{per_class = 30}
    local m = nn.Sequential{nn.Linear(2, c.width), c.act == "relu" and nn.ReLU() or nn.Tanh(), nn.Linear(c.width, 3)}
    local h = train.fit{model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(m, {lr = c.trial == 5 and 500 or c.lr * 10, momentum = 0.9}),
      train = d, val = d, batch = 15, budget = b, log = c.dir, stop_above = 3}
    return {val_acc = h.best.val_acc}
  end}
LUA
"$OPTLAB" "$WORK/search.lua" >/dev/null 2>&1 || bad "the search ran"
"$OPTLAB" report "$WORK/searches/s" >/dev/null || bad "report of the search"
shtml="$WORK/searches/s/report.html"
python3 - "$shtml" "$WORK/searches/s" <<'PY' && ok || bad "search page"
import re, sys, os
html, root = open(sys.argv[1]).read(), sys.argv[2]
problems = []
rows = re.findall(r'<tr class="(\w+)">', html)
for st in ("ok", "failed", "exploded"):
    if st not in rows: problems.append(f"no {st} trial in the table ({sorted(set(rows))})")
if "a bug in trial 3" not in html: problems.append("the failed trial's reason is missing")
links = re.findall(r'<a href="([^"]+)">', html)
if not links or not all(os.path.exists(os.path.join(root, l)) for l in links): problems.append(f"trial links do not all lead to pages: {links[:3]}")
lr = html[html.index('score vs lr</text>'):]
lr = lr[:lr.index("\n</svg>\n")]
xt = re.findall(r'text-anchor="middle">([0-9.e-]+)</text>', lr)
if "0.001" not in xt or "1" not in xt: problems.append(f"the lr axis does not span the searched 0.001…1: {xt}")
if "lr (log scale)" not in lr: problems.append("lr's axis is not log")
if "act" not in html[html.index("All hyperparameters"):]: problems.append("no parallel coordinates")
if "<title>" not in lr: problems.append("no hover text on the points")
nonce = re.search(r"script-src 'nonce-(\w+)'", html)
if not nonce or f'<script nonce="{nonce.group(1)}">' not in html or html.count("<script") != 1: problems.append("the page's one script is not under the policy's nonce")
if "Validation accuracy of every run" not in html or "coloured by <b>" not in html: problems.append("no overlaid curves coloured by a hyperparameter")
print("\n".join(problems) or f"search page: {len(rows)} trials, {len(links)} links")
sys.exit(1 if problems else 0)
PY
python3 "$(dirname "$0")/page_check.py" "$shtml" "$WORK/search.png" 1400 2000 "#1f77b4:100" "#999999:20" >/dev/null && ok \
  || bad "search page in Chromium: $(python3 "$(dirname "$0")/page_check.py" "$shtml" "$WORK/search.png" 1400 2000 "#1f77b4:100" "#999999:20")"

# Two runs compared: their curves overlaid, coloured by the setting that differs.
sed -e 's/lr = 0.2/lr = 0.05/' -e "s#$WORK/run#$WORK/run2#" "$WORK/run.lua" > "$WORK/run2.lua"
"$OPTLAB" "$WORK/run2.lua" || bad "second training run"
out=$("$OPTLAB" report "$WORK/run" "$WORK/run2") && [ "$out" = "$WORK/comparison.html" ] && ok || bad "comparison written to '$out'"
grep -qF 'coloured by <b>lr</b>' "$WORK/comparison.html" && grep -qF '>run2 lr=0.05<' "$WORK/comparison.html" && ok || bad "comparison of two runs"
err=$("$OPTLAB" report "$WORK/run" "$WORK/run2" --color width 2>&1) && bad "--color of a setting the runs lack succeeded" ||   { grep -qF -- "--color width: the runs have no hyperparameter of that name (they have: lr)" <<<"$err" && ok || bad "--color's error: $err"; }
err=$("$OPTLAB" report "$WORK/run" --color lr 2>&1) && bad "--color on one run succeeded" || { grep -qF "colouring is for a comparison" <<<"$err" && ok || bad "--color on one run: $err"; }

# Runs that differ in the optimizer's momentum alone: that setting (from config.json's
# optimizer_settings) is the hyperparameter the comparison names.
sed -e 's/momentum = 0.9}/momentum = 0.5}/' -e "s#$WORK/run\"#$WORK/run3\"#" "$WORK/run.lua" > "$WORK/run3.lua"
"$OPTLAB" "$WORK/run3.lua" || bad "third training run"
"$OPTLAB" report "$WORK/run" "$WORK/run3" >/dev/null && grep -qF 'coloured by <b>optimizer.momentum</b>' "$WORK/comparison.html" &&
  grep -qF '>run3 optimizer.momentum=0.5<' "$WORK/comparison.html" && ok || bad "comparison by the optimizer's momentum"

# A run whose status.json says running but whose process is gone (a pid above the kernel's
# largest) is "interrupted" on the comparison page, as on its own page, never "running".
cp -r "$WORK/run2" "$WORK/gone"
python3 - "$WORK/gone/status.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); s.update(status="running", pid=4194305); s.pop("reason", None)
json.dump(s, open(sys.argv[1], "w"))
PY
"$OPTLAB" report "$WORK/run" "$WORK/gone" >/dev/null || bad "comparison with a dead run"
grep -qF '<td>interrupted</td>' "$WORK/comparison.html" && ! grep -qF '<td>running</td>' "$WORK/comparison.html" &&
  ! grep -qF 'still running' "$WORK/comparison.html" && ! grep -qF 'http-equiv="refresh"' "$WORK/comparison.html" &&
  ok || bad "the comparison page calls a dead run running"
"$OPTLAB" report "$WORK/gone" >/dev/null && grep -qF 'interrupted (its process is gone)' "$WORK/gone/report.html" && ok || bad "the dead run's own page"

# --watch: the page reloads itself while the run is written, and stops doing so when it ends.
cat > "$WORK/slow.lua" <<LUA
tensor.seed(2)
local d = data.spiral{per_class = 20}
local m = nn.Sequential{nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 3)}
local calls, ce = 0, nn.SoftmaxCrossEntropy()
-- after the first epoch (6 batches), wait until the test has seen the live page
local function loss(s, l)
  calls = calls + 1
  if calls == 7 then while not io.open("$WORK/go") do end end
  return ce(s, l)
end
train.fit{model = m, loss = loss, optimizer = optim.SGD(m, {lr = 0.1}), train = d, epochs = 2, batch = 10, log = "$WORK/live", quiet = true}
LUA
"$OPTLAB" "$WORK/slow.lua" & trainer=$!
for _ in $(seq 600); do [ -f "$WORK/live/status.json" ] && grep -q '"epochs_done" : 0' "$WORK/live/status.json" && break; sleep 0.1; done
"$OPTLAB" report "$WORK/live" --watch > "$WORK/watch.log" & watcher=$!
for _ in $(seq 600); do grep -qF 'http-equiv="refresh"' "$WORK/live/report.html" 2>/dev/null && grep -qF '>running<' "$WORK/live/report.html" && break; sleep 0.1; done
grep -qF 'http-equiv="refresh"' "$WORK/live/report.html" && ok || bad "the live page does not reload itself"
touch "$WORK/go"
wait "$trainer" || bad "the slow run"
for _ in $(seq 600); do kill -0 "$watcher" 2>/dev/null || break; sleep 0.1; done
kill -0 "$watcher" 2>/dev/null && { kill "$watcher"; bad "--watch did not end with the run"; } || ok
grep -qF '>finished<' "$WORK/live/report.html" && ! grep -qF 'http-equiv="refresh"' "$WORK/live/report.html" && grep -qF '>2 of 2<' "$WORK/live/report.html" \
  && ok || bad "the final page after --watch"

# A run folder is data from anywhere: a payload in every field that reaches a
# page must show as text, and nothing may run (escaping, then the CSP).
PAYLOAD='<img src=x onerror="document.title=\x27XSS\x27">'
mkdir -p "$WORK/evil/s1-t001" "$WORK/evilrun"
python3 - "$WORK" "$PAYLOAD" <<'PY'
import json, sys
work, p = sys.argv[1], sys.argv[2].replace('\\x27', "'")
space = {p: {"kind": "loguniform", "lo": 1e-3, "hi": 1}, "act": {"kind": "choice", "choices": [p, "relu"]}}
json.dump(space, open(f"{work}/evil/space.json", "w"))
with open(f"{work}/evil/summary.jsonl", "w") as f:
    for t in (1, 2):
        f.write(json.dumps({"trial": t, "stage": 1, "status": "ok", "score": 0.5 + t / 10, "dir": f"{work}/evil/s1-t00{t}",
                            "raw": {p: 0.01 * t, "act": 0}, "config": {p: p, "act": p}, "error": p}) + "\n")
with open(f"{work}/evilrun/metrics.jsonl", "w") as f:
    f.write(json.dumps({"iteration": 10, "epoch": 1, "loss": 1.0, "lr": 0.1, "ratio/" + p: 1e-3}) + "\n")
    f.write(json.dumps({"epoch": 1, "iteration": 10, "loss": 1.0, "train_acc": 0.5, "val_acc": 0.4}) + "\n")
with open(f"{work}/evilrun/histograms.jsonl", "w") as f:
    f.write(json.dumps({"epoch": 1, "layer": p, "counts": [1, 2], "edges": [0, 1, 2]}) + "\n")
json.dump({"model": p, "note": p}, open(f"{work}/evilrun/config.json", "w"))
PY
for page in evil evilrun; do
  "$OPTLAB" report "$WORK/$page" >/dev/null || bad "report of the $page folder"
  html="$WORK/$page/report.html"
  grep -qF 'http-equiv="Content-Security-Policy"' "$html" && ok || bad "$page page has no Content-Security-Policy"
  grep -qF '<img src=x' "$html" && bad "$page page holds the payload unescaped" || ok
  dom=$(timeout 120 chromium --headless --no-sandbox --disable-gpu --virtual-time-budget=3000 --dump-dom "file://$html" 2>/dev/null)
  grep -qF '<title>XSS</title>' <<<"$dom" && bad "a payload ran in the $page page" || ok
  grep -qF 'onerror=' <<<"$dom" && ! grep -qF '&lt;img src=x onerror=' <<<"$dom" && bad "$page page: payload became markup" || ok
  grep -qF '&lt;img src=x onerror=' <<<"$dom" && ok || bad "$page page does not show the payload as text"
done

# train.repeated's folders: one configuration per folder, its seeds as one line with a band and a mean ± std.
cat > "$WORK/seeds.lua" <<LUA
local ds = data.spiral{classes = 3, per_class = 30}
local tr, val = ds:split(0.75, {seed = 1})
for _, lr in ipairs{0.3, 0.03} do
  local r = train.repeated{seeds = 3, model = function() return nn.Sequential{nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3)} end,
    optimizer = function(m) return optim.SGD(m, {lr = lr, momentum = 0.9}) end, log = "$WORK/seeds/lr" .. lr,
    loss = nn.SoftmaxCrossEntropy(), train = tr, val = val, epochs = 6, batch = 16, quiet = true}
  print(string.format("lr=%s %.4f ± %.4f", lr, r.mean.best.val_acc, r.std.best.val_acc))
end
LUA
want=$("$OPTLAB" "$WORK/seeds.lua") || bad "train.repeated runs for the report"
out=$("$OPTLAB" report "$WORK/seeds/lr0.3" "$WORK/seeds/lr0.03") || bad "optlab report of two train.repeated folders"
python3 - "$out" "$want" <<'PY' && ok || bad "the comparison's seed groups"
import re, sys
html, want = open(sys.argv[1]).read(), sys.argv[2].splitlines()
assert "<h2>Over the seeds</h2>" in html, "no seed section"
rows = re.findall(r"<tr><td>(lr=[0-9.]+)</td><td class=\"n\">3</td><td class=\"n\">([0-9.]+ ± [0-9.]+)</td>", html)
got = [f"{name} {spread}" for name, spread in rows]
assert got == want, (got, want)
assert html.count('fill-opacity="0.18"') >= 2, "no bands"
print("report: two configurations of 3 seeds each, mean ± std as train.repeated's")
PY
"$OPTLAB" report "$WORK/seeds/lr0.3" >/dev/null && grep -qF "<h2>Over the seeds</h2>" "$WORK/seeds/lr0.3/report.html" && ok ||
  bad "optlab report of one train.repeated folder compares its seeds"

# the range test and the landscapes logged into a run's folder: a section each on its page, pictures as images; a
# second run with overwrite keeps them (they are made around training by the same script); the next one of a kind replaces it
cat > "$WORK/measure.lua" <<LUA
local ds = data.spiral{classes = 3, per_class = 30}
local model = nn.Sequential{nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3)}
local start = model:clone()
local opt = optim.SGD(model, {lr = 0.1})
local dir = "$WORK/measured"
local r = train.lr_find{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = opt, train = ds, steps = 30, batch = 30, log = dir}
for pass = 1, 2 do
  train.fit{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = opt, train = ds, epochs = 2, batch = 30, log = dir, overwrite = true, quiet = true}
end
monitor.landscape{model = model, loss = nn.SoftmaxCrossEntropy(), data = ds, between = {start, model}, points = 5, log = dir}
monitor.landscape{model = model, loss = nn.SoftmaxCrossEntropy(), data = ds, grid = 3, log = dir}
local p = monitor.landscape{model = model, loss = nn.SoftmaxCrossEntropy(), data = ds, grid = 4, log = dir}
print(string.format("%.17g %.17g", r.suggestions.steepest, p.values[1][1]))
LUA
want=$("$OPTLAB" "$WORK/measure.lua") || bad "the measurements logged into a run folder"
"$OPTLAB" report "$WORK/measured" >/dev/null || bad "optlab report of a run with measurements"
python3 - "$WORK/measured" "$want" <<'PY' && ok || bad "the measurements on the run page"
import base64, json, re, sys
d, (steepest, corner) = sys.argv[1], map(float, sys.argv[2].split())
html = open(d + "/report.html").read()
for title in ("Learning-rate range test", "Loss between two points", "Loss landscape"):
    assert f"<h2>{title}</h2>" in html, title
images = re.findall(r'<img alt="([^"]+)" src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', html)
assert [a for a, _ in images] == ["Learning-rate range test", "Loss between two points", "Loss landscape"], [a for a, _ in images]
assert all(base64.b64decode(b).startswith(b"<svg") for _, b in images)
lr = json.load(open(d + "/lr_find.json"))
assert lr["suggestions"]["steepest"] == steepest and len(lr["lrs"]) == len(lr["smoothed"]) > 5, "the range test as returned"
plane = json.load(open(d + "/landscape-plane.json"))
assert len(plane["values"]) == 4 and plane["values"][0][0] == corner, "the latest plane replaced the first"
assert "steepest" in html and "4×4 grid" in html, "the summaries"
print("report: the range test and two landscapes on the run page")
PY

echo "report: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
