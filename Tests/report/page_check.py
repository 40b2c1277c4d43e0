"""Looks at a report page as a browser does: headless Chromium takes a
screenshot, its console and its network log are read, and the picture's
pixels are counted by colour.

Usage: page_check.py PAGE.html SHOT.png WIDTH HEIGHT [#rrggbb:min ...]
Prints one JSON object: console errors, the page's own network requests,
pixel counts per colour asked; exits 1 when a colour has fewer pixels than
its minimum, or the page logged an error or asked for anything off the file.
"""
import json, os, struct, subprocess, sys, tempfile, zlib

page, shot, width, height = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
wanted = [(a.split(":")[0], int(a.split(":")[1])) for a in sys.argv[5:]]
netlog = tempfile.mktemp(suffix=".json")
flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--window-size={width},{height}",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
         "--enable-logging=stderr", "--v=0", f"--log-net-log={netlog}", f"--screenshot={shot}"]
run = subprocess.run(["chromium", *flags, "file://" + os.path.abspath(page)], capture_output=True, text=True, timeout=180)
console = [l for l in run.stderr.splitlines() if ":CONSOLE" in l]
requests = []
try:
    for e in json.load(open(netlog)).get("events", []):
        p = e.get("params", {})
        # the page's own requests have its (opaque, file://) origin as initiator; the browser's background ones have none
        if "url" in p and p.get("initiator", "not an origin") != "not an origin" and not p["url"].startswith(("file:", "data:")):
            requests.append(p["url"])
except (OSError, ValueError):
    pass

def decode(path):
    b = open(path, "rb").read()
    pos, idat = 8, b""
    while pos < len(b):
        n, = struct.unpack(">I", b[pos:pos + 4]); kind = b[pos + 4:pos + 8]; data = b[pos + 8:pos + 8 + n]
        if kind == b"IHDR": w, h, depth, ctype = struct.unpack(">IIBB", data[:10])
        if kind == b"IDAT": idat += data
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
                q = a + up - c; pa, pb, pc = abs(q - a), abs(q - up), abs(q - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else up if pb <= pc else c)) & 255
        rows.append(bytes(line)); prev = line
    return rows, w, bpp

counts = {}
if os.path.exists(shot):
    rows, w, bpp = decode(shot)
    for hexcolor, _ in wanted:
        rgb = [int(hexcolor[i:i + 2], 16) for i in (1, 3, 5)]
        counts[hexcolor] = sum(1 for r in rows for x in range(w)
                               if abs(r[x * bpp] - rgb[0]) < 30 and abs(r[x * bpp + 1] - rgb[1]) < 30 and abs(r[x * bpp + 2] - rgb[2]) < 30)
ok = os.path.exists(shot) and not console and not requests and all(counts.get(c, 0) >= m for c, m in wanted)
print(json.dumps({"console": console, "requests": requests, "pixels": counts, "ok": ok}))
sys.exit(0 if ok else 1)
