"""Writes Sources/C/CKernels/tanh_avx512_tables.h: tanh as a degree-5 polynomial
in a - center on each quarter octave of [1/16, 10), for tanh16 in
transcendental_avx512.c, and checks each in f32 (Horner with fused
multiply-adds, as the kernel runs it) against tanh in f64 on a dense grid.

Interval c (0..31) is picked by a float's bits >> 21 clamped below at 491:
c = 0 is [0, 1/16) (center 0, tanh 0 = 0), c = 1.. the quarter octaves
from 1/16, c = 29 is [8, 10), and c = 30, 31 are the constant 1 (a is
clamped at 10; tanh is 1 in f32 from 8.67 on). The tables hold interval c
at entry (c + 11) % 32, so the kernel indexes them with the clamped bits.

Usage: python3 scripts/kernels/fit_tanh.py   (needs numpy; not part of the build)
"""
import os
import numpy as np

DEGREE = 5
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Sources", "C", "CKernels", "tanh_avx512_tables.h")


def interval(c):
    if c == 0:
        return 0.0, 2.0 ** -4
    b = c + 491
    e, m = b >> 2, b & 3
    scale = 2.0 ** (e - 127)
    return scale * (1 + m / 4), scale * (1 + (m + 1) / 4)


def fit(lo, hi, center):
    """Least relative squares on Chebyshev nodes, in f64; coefficients rounded to f32."""
    k = np.arange(400)
    a = (lo + hi) / 2 + (hi - lo) / 2 * np.cos(np.pi * (k + 0.5) / 400)
    a = a[a > 0]
    y = np.tanh(a)
    v = np.vander(a - center, DEGREE + 1, increasing=True)
    coef, *_ = np.linalg.lstsq(v / y[:, None], np.ones_like(y), rcond=None)
    if lo == 0:
        coef[0] = 0.0
    return coef.astype(np.float32)


def worst_ulps(lo, hi, center, coef):
    a = np.linspace(lo, hi, 20001)[1:-1]
    if lo == 0:
        a = np.concatenate([a, np.geomspace(1e-30, hi, 5000)])
    a = a.astype(np.float32)
    t = (a - np.float32(center)).astype(np.float32)
    p = np.full_like(a, coef[DEGREE])
    for j in range(DEGREE - 1, -1, -1):   # an FMA rounds once: the product and sum in f64, then f32
        p = (p.astype(np.float64) * t.astype(np.float64) + np.float64(coef[j])).astype(np.float32)
    want = np.tanh(a.astype(np.float64)).astype(np.float32)
    return int(np.abs(p.view(np.int32).astype(np.int64) - want.view(np.int32).astype(np.int64)).max())


tables = np.zeros((DEGREE + 2, 32), dtype=np.float32)
worst = 0
for c in range(32):
    if c >= 30:
        center, coef = 10.0, np.array([1.0] + [0.0] * DEGREE, dtype=np.float32)
    else:
        lo, hi = interval(c)
        center = 0.0 if c == 0 else float(np.float32((lo + hi) / 2))
        coef = fit(lo, hi, center)
        worst = max(worst, worst_ulps(lo, hi, center, coef))
    tables[0, (c + 11) % 32] = center
    tables[1:, (c + 11) % 32] = coef
assert worst <= 1, f"a fitted interval is {worst} ulps off"

names = ["center"] + [f"c{j}" for j in range(DEGREE + 1)]
with open(OUT, "w") as f:
    f.write("/* Written by scripts/kernels/fit_tanh.py: tanh on quarter octaves (see tanh16). */\n")
    for name, row in zip(names, tables):
        values = ", ".join(np.format_float_scientific(v, unique=True) + "f" for v in row)
        f.write(f"static const float tanh_{name}[32] = {{{values}}};\n")
print(f"wrote {os.path.normpath(OUT)}; worst interval {worst} ulp")
