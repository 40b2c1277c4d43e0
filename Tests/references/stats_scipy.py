"""Writes Tests/OptLabRuntimeTests/Fixtures/stats_scipy.json: SciPy's answers for the
statistics optlab's `stats` module computes, which StatsTests compares with:

- Student's t and the normal: sf, cdf and ppf at assorted points (fractional and large df, far tails);
- Welch's t-test (ttest_ind, equal_var=False) and the paired t-test (ttest_rel): t, df, two-sided p
  and the t confidence interval at 95% and 99%;
- the one-sided one-sample t-test (ttest_1samp, alternative "less"/"greater") and the z-test with a
  stated sigma (norm.cdf) of stats.below_target / above_target;
- the seeds a difference needs: the smallest n whose exact power (noncentral t, scipy.stats.nct) at
  alpha reaches 0.8, which optlab's normal approximation must meet within one seed;
- the bootstrap: for samples of four, the exact bootstrap distribution of the difference of means
  (all 4^4 x 4^4 resamples, equally likely) and its 2.5% and 97.5% quantiles, which a percentile
  bootstrap with many resamples approaches.

Run with SciPy installed (the suites read the JSON only):
    python3 Tests/references/stats_scipy.py
"""
import itertools
import json
import math
import os

import numpy as np
from scipy import stats

out = {"scipy": __import__("scipy").__version__}

out["t"] = [
    {"x": x, "df": df, "sf": float(stats.t.sf(x, df)), "cdf": float(stats.t.cdf(x, df))}
    for x, df in [(0.0, 3), (1.5, 1), (-2.3, 4.6), (2.0, 9.25), (12.0, 3), (40.0, 7), (-0.7, 1000), (3.1, 2.5), (8.0, 60)]
]
out["t_ppf"] = [{"p": p, "df": df, "x": float(stats.t.ppf(p, df))}
                for p, df in [(0.975, 2), (0.995, 5.5), (0.9, 30), (0.025, 3), (0.9995, 11), (0.6, 1.2)]]
out["normal"] = [{"x": x, "cdf": float(stats.norm.cdf(x)), "sf": float(stats.norm.sf(x))} for x in [-8.0, -1.96, 0.0, 0.3, 2.5, 7.5]]
out["normal_ppf"] = [{"p": p, "x": float(stats.norm.ppf(p))} for p in [1e-10, 0.025, 0.5, 0.8, 0.999]]

samples = [
    ([0.912, 0.921, 0.905, 0.918, 0.915], [0.901, 0.899, 0.910, 0.896, 0.904]),
    ([2.31, 2.45, 2.38], [2.52, 2.49, 2.61, 2.55, 2.47, 2.58, 2.50]),
    ([1.0, 3.0, 2.0, 5.0], [1.5, 2.5, 2.0, 4.0]),
    ([0.1, 0.4, 0.35, 0.2, 0.3, 0.25], [0.9, 0.2, 0.6, 0.1, 0.8, 0.4]),
]
welch, paired = [], []
for a, b in samples:
    for level in (0.95, 0.99):
        r = stats.ttest_ind(a, b, equal_var=False)
        ci = r.confidence_interval(level)
        welch.append({"a": a, "b": b, "level": level, "t": float(r.statistic), "df": float(r.df), "p": float(r.pvalue),
                      "ci": [float(ci.low), float(ci.high)]})
        if len(a) == len(b):
            r = stats.ttest_rel(a, b)
            ci = r.confidence_interval(level)
            paired.append({"a": a, "b": b, "level": level, "t": float(r.statistic), "df": float(r.df), "p": float(r.pvalue),
                           "ci": [float(ci.low), float(ci.high)]})
out["welch"], out["paired"] = welch, paired

targets = []
for values, target, alternative in [([3.276, 3.279, 3.277, 3.278], 3.28, "less"), ([3.281, 3.275, 3.279, 3.282, 3.277], 3.28, "less"),
                                    ([0.921, 0.924, 0.919], 0.9198, "greater"), ([0.915, 0.925, 0.930, 0.918], 0.9198, "greater")]:
    r = stats.ttest_1samp(values, target, alternative=alternative)
    targets.append({"values": values, "target": target, "below": alternative == "less", "t": float(r.statistic),
                    "df": float(r.df), "p": float(r.pvalue)})
    sigma = 0.002
    z = (np.mean(values) - target) / (sigma / math.sqrt(len(values)))
    targets.append({"values": values, "target": target, "below": alternative == "less", "sigma": sigma, "z": float(z),
                    "p": float(stats.norm.cdf(z) if alternative == "less" else stats.norm.sf(z))})
out["targets"] = targets


def exact_power(effect, n, alpha, paired):
    df = n - 1 if paired else 2 * n - 2
    nc = effect * math.sqrt(n if paired else n / 2)
    crit = stats.t.ppf(1 - alpha / 2, df)
    return stats.nct.sf(crit, df, nc) + stats.nct.cdf(-crit, df, nc)


seeds = []
for effect in [0.3, 0.5, 0.8, 1.2, 2.0, 3.5]:
    for alpha in (0.05, 0.01):
        for is_paired in (False, True):
            n = 2
            while exact_power(effect, n, alpha, is_paired) < 0.8:
                n += 1
            seeds.append({"effect": effect, "alpha": alpha, "paired": is_paired, "n": n})
out["seeds_needed"] = seeds

boot = []
for a, b in [([0.91, 0.92, 0.90, 0.95], [0.89, 0.90, 0.93, 0.88]), ([1.0, 2.0, 4.0, 8.0], [3.0, 3.5, 2.0, 2.5])]:
    ma = sorted(np.mean(c) for c in itertools.product(a, repeat=4))
    mb = sorted(np.mean(c) for c in itertools.product(b, repeat=4))
    d = np.sort(np.subtract.outer(np.array(ma), np.array(mb)).ravel())
    boot.append({"a": a, "b": b, "lo": float(np.quantile(d, 0.025)), "hi": float(np.quantile(d, 0.975)), "sd": float(d.std())})
out["bootstrap"] = boot

path = os.path.join(os.path.dirname(__file__), "..", "OptLabRuntimeTests", "Fixtures", "stats_scipy.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
print("wrote", os.path.normpath(path))
