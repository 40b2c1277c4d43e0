-- The built-in rules on every registered problem, through bench.run: the
-- table BENCHMARKS.md shows. SGD (momentum 0.9) is the rule the others are
-- compared with; each rule's rate is tuned the same way (5 rates half a
-- decade apart around its usual one, seed 1) and re-run under the seeds.
-- Usage: optlab scripts/bench/builtin_rules.lua [seeds] [quick|full] [dir]
-- (OPTLAB_TINY=1, as the scripts suite runs it: 2 rates and 2 seeds, one epoch of cut data sets).
local seeds, budget, dir = tonumber(arg[1]) or 3, arg[2] or "quick", arg[3] or "bench-builtins"
local r = bench.run{rule = "SGD", baselines = {"Adam", "AdamW", "NAdam", "Lion", "ScheduleFreeAdamW"}, seeds = seeds,
  budget = budget, dir = dir}
print(r)
print(string.format("SGD scores %.2f over %d problems", r.profiles.SGD.score, #r.order))
