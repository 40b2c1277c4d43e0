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
local x = tensor.randn{180, 16}
local y = x:narrow(2, 1, 3):argmax(2)
local d = data.dataset(x, y)
local model = nn.Sequential{nn.Linear(16, 36, {init = "kaiming"}), nn.ReLU(), nn.Linear(36, 3)}
train.fit{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(model, {lr = 0.2, momentum = 0.9}),
  train = d, val = d, epochs = 6, batch = 20, log = "$WORK/run", quiet = true}
LUA
"$OPTLAB" "$WORK/run.lua" || bad "training run"
out=$("$OPTLAB" report "$WORK/run") && [ "$out" = "$WORK/run/report.html" ] && ok || bad "optlab report printed '$out'"
html="$WORK/run/report.html"
for section in "<h2>Loss</h2>" "<h2>Accuracy</h2>" "gap (train − val)" "<h2>Update/weight ratios</h2>" \
               "<h2>Activation histograms over epochs</h2>" "<h2>First-layer weights</h2>" "data:image/png;base64,"; do
  grep -qF -- "$section" "$html" && ok || bad "report lacks: $section"
done
grep -qE 'src="https?:|href="https?:' "$html" && bad "report refers to the network" || ok
"$OPTLAB" report "$WORK/nothing" 2>/dev/null && bad "report of a missing folder succeeded" || ok

timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1400,1400 \
  --screenshot="$WORK/shot.png" "file://$html" >/dev/null 2>&1
if [ -s "$WORK/shot.png" ]; then
  # Decode the screenshot (PNG filters undone by hand) and look for the plots' line colours.
  python3 - "$WORK/shot.png" <<'PY' && ok || bad "screenshot does not show the plots"
import sys, struct, zlib
b = open(sys.argv[1], 'rb').read()
pos, idat, w, h, ctype = 8, b'', 0, 0, 0
while pos < len(b):
    n, = struct.unpack('>I', b[pos:pos + 4]); kind = b[pos + 4:pos + 8]; data = b[pos + 8:pos + 8 + n]
    if kind == b'IHDR': w, h, depth, ctype = struct.unpack('>IIBB', data[:10])
    if kind == b'IDAT': idat += data
    pos += 12 + n
bpp = {2: 3, 6: 4}[ctype]
raw, stride, prev, rows = zlib.decompress(idat), w * bpp, bytearray(w * bpp), []
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0; up = prev[i]; c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + up) & 255
        elif f == 3: line[i] = (line[i] + (a + up) // 2) & 255
        elif f == 4:
            p = a + up - c; pa, pb, pc = abs(p - a), abs(p - up), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else up if pb <= pc else c)) & 255
    rows.append(line); prev = line
def count(rgb):
    return sum(1 for r in rows for x in range(w) if abs(r[x*bpp]-rgb[0]) < 40 and abs(r[x*bpp+1]-rgb[1]) < 40 and abs(r[x*bpp+2]-rgb[2]) < 40)
blue, red = count((0x1f, 0x77, 0xb4)), count((0xd6, 0x27, 0x28))
print("plot pixels: blue", blue, "red", red)
sys.exit(0 if blue > 200 and red > 100 else 1)
PY
else
  bad "chromium wrote no screenshot"
fi
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

echo "report: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
