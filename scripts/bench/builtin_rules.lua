-- The built-in rules on every registered problem, through bench.run: the
-- table BENCHMARKS.md shows. SGD (momentum 0.9) is the rule the others are
-- compared with; each rule's rate is tuned the same way (5 rates half a
-- decade apart around its usual one, seed 1) and re-run under the seeds.
-- Usage: optlab scripts/bench/builtin_rules.lua [seeds] [quick|full] [dir] [tiny]
-- (tiny: quadratic_deep alone, 2 rates, 1 epoch; what the scripts suite runs).
local seeds, budget, dir, tiny = tonumber(arg[1]) or 3, arg[2] or "quick", arg[3] or "bench-builtins", arg[4] == "tiny"
local r = bench.run{rule = "SGD", baselines = {"Adam", "AdamW", "NAdam", "Lion", "ScheduleFreeAdamW"}, seeds = seeds,
  budget = tiny and {epochs = 1} or budget, tune = tiny and 2 or 5, problems = tiny and {"quadratic_deep"} or nil, dir = dir,
  quiet = tiny}
print(r)
print(string.format("SGD scores %.2f over %d problem%s", r.profiles.SGD.score, #r.order, #r.order == 1 and "" or "s"))
