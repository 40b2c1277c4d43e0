-- stats: comparisons of runs. The arithmetic is Swift's (P.stats); this half
-- reads a metric out of runs (train.repeated's, bench.run's), pairs runs by
-- seed, and words the verdict.
local P, stats = ...
local docs, report_mt = P.docs, P.report_mt
local C = P.stats

-- The value at a dotted path of a run ("best.val_acc"), or nil.
local function at_path(run, path)
  local v = run
  for key in path:gmatch("[^.]+") do
    if type(v) ~= "table" then return nil end
    v = v[key]
  end
  return v
end

-- The metric a run is judged by when none is named: its best validation
-- accuracy, else its best validation loss, else its last training loss.
local function default_metric(run)
  for _, path in ipairs{"best.val_acc", "best.val_loss", "final.val_loss", "final.loss"} do
    if type(at_path(run, path)) == "number" then return path end
  end
end

-- A side of a comparison as numbers (and seeds, when it is runs): a list of
-- numbers, a list of runs, or a train.repeat result.
local function side(name, i, list, metric)
  if type(list) ~= "table" then P.argument_error(name, i, "a list of numbers or of runs expected, got " .. P.kind(list)) end
  if type(list.runs) == "table" then list = list.runs end
  local values, seeds = {}, {}
  for k, item in ipairs(list) do
    if type(item) == "number" then
      values[k] = item
    elseif type(item) == "table" then
      local path = metric or default_metric(item)
      local v = path and at_path(item, path)
      if type(v) ~= "number" then
        local why = item.error and (" (it failed: " .. tostring(item.error) .. ")") or ""
        P.argument_error(name, i, string.format("run %d%s has no metric %s%s", k, item.seed and (" (seed " .. tostring(item.seed) .. ")") or "",
          path or "(best.val_acc, best.val_loss, final.val_loss or final.loss)", why))
      end
      values[k], seeds[k] = v, item.seed
      metric = path
    else
      P.argument_error(name, i, string.format("item %d must be a number or a run, got %s", k, P.kind(item)))
    end
  end
  return values, (#seeds == #values and #seeds > 0) and seeds or nil, metric
end

-- a and b ordered by seed when both sides hold the same seeds, else nil.
local function paired_by_seed(a, sa, b, sb)
  if not (sa and sb) or #sa ~= #sb then return nil end
  local bseed = {}
  for k, s in ipairs(sb) do if bseed[s] then return nil end; bseed[s] = b[k] end
  local pa, pb, order = {}, {}, {}
  for k, s in ipairs(sa) do
    if bseed[s] == nil then return nil end
    order[k] = {s, a[k], bseed[s]}
  end
  table.sort(order, function(x, y) return x[1] < y[1] end)
  for k, o in ipairs(order) do pa[k], pb[k] = o[2], o[3] end
  return pa, pb
end

local function g(x) return string.format("%.4g", x) end

local compare_keys = {"paired", "level", "metric", "resamples", "seed"}
function stats.compare(a, b, opts)
  P.check_options("stats.compare", 3, opts, compare_keys)
  opts = opts or {}
  for _, k in ipairs{"level", "resamples", "seed"} do
    local v = opts[k]
    if v ~= nil and (type(v) ~= "number" or (k ~= "level" and math.type(v) ~= "integer")) then
      P.argument_error("stats.compare", 3, string.format("option '%s' must be %s, got %s", k, k == "level" and "a number" or "an integer", P.kind(v)))
    end
  end
  local va, sa, metric = side("stats.compare", 1, a, opts.metric)
  local vb, sb = side("stats.compare", 2, b, opts.metric or metric)
  local paired = false
  if opts.paired ~= false then
    local pa, pb = paired_by_seed(va, sa, vb, sb)
    if pa then va, vb, paired = pa, pb, true
    elseif opts.paired then
      if sa or sb then P.argument_error("stats.compare", 2, "paired = true needs the same seeds on both sides") end
      paired = true   -- numbers pair by position
    end
  end
  local r = C.compare(va, vb, paired, opts.level, opts.resamples, opts.seed)
  r.metric = metric
  local pct = string.format("%g%%", 100 * r.level)
  local lines = {
    string.format("%s: a %s ± %s (n = %d), b %s ± %s (n = %d)", metric or "values", g(r.a.mean), g(r.a.std), r.a.n, g(r.b.mean), g(r.b.std), r.b.n),
    string.format("a − b = %s, %s interval %s to %s (bootstrap, %d resamples%s)", g(r.diff), pct, g(r.ci[1]), g(r.ci[2]), r.resamples,
      paired and ", paired by seed" or ""),
    string.format("%s t = %s, df = %s, p = %.3g: %s at p < %g", paired and "paired" or "Welch's", g(r.t), g(r.df), r.p,
      r.p < 1 - r.level and "significant" or "not significant", 1 - r.level),
  }
  if r.seeds_needed then
    lines[#lines + 1] = string.format("a difference of this size needs %d seeds a side to be significant at p < %g with 80%% power",
      r.seeds_needed, 1 - r.level)
  end
  r.report = table.concat(lines, "\n")
  return setmetatable(r, report_mt)
end
P.option_keys["stats.compare"] = compare_keys
docs["stats.compare"] = "stats.compare(a, b [, {paired=, level=0.95, metric=, resamples=10000, seed=0}])\n\n" ..
  "Compares two sets of runs (lists of numbers, lists of runs, or train.repeated results): the difference of\n" ..
  "means a − b with a percentile bootstrap interval at level (r.ci; r.ci_t is the t interval), and Welch's\n" ..
  "t-test (r.t, r.df, two-sided r.p). Runs with the same seeds on both sides are paired by seed (paired = false\n" ..
  "keeps them apart; paired = true pairs numbers by position) and get the paired t-test. A run's metric is\n" ..
  "metric (a path such as \"best.val_acc\" or \"final.loss\"), else its best validation accuracy or loss, else\n" ..
  "its last loss. r.seeds_needed: the seeds a side at which a difference of this size would be significant\n" ..
  "at 1 − level with 80% power. Prints as a report.\n" ..
  "  local r = stats.compare({0.91, 0.92, 0.90}, {0.89, 0.90, 0.88}); print(r.diff, r.p)"

local target_keys = {"sigma", "metric"}
local function target_test(name, values, target, opts, below)
  P.check_options(name, 3, opts, target_keys)
  opts = opts or {}
  local v, _, metric = side(name, 1, values, opts.metric)
  if type(target) ~= "number" then P.argument_error(name, 2, "a target number expected, got " .. P.kind(target)) end
  if opts.sigma ~= nil and type(opts.sigma) ~= "number" then P.argument_error(name, 3, "option 'sigma' must be a number, got " .. P.kind(opts.sigma)) end
  local r = C.target(v, target, opts.sigma, below)
  r.metric = metric
  r.report = string.format("%s: mean %s over %d (target %s %s): %s = %s, one-sided p = %.3g", metric or "values", g(r.mean), r.n,
    below and "below" or "above", g(target), r.z and "z (σ = " .. g(opts.sigma) .. ")" or "t (df = " .. g(r.df) .. ")", g(r.z or r.t), r.p)
  return setmetatable(r, report_mt)
end
function stats.below_target(values, target, opts) return target_test("stats.below_target", values, target, opts, true) end
function stats.above_target(values, target, opts) return target_test("stats.above_target", values, target, opts, false) end
P.option_keys["stats.below_target"], P.option_keys["stats.above_target"] = target_keys, target_keys
docs["stats.below_target"] = "stats.below_target(values, target [, {sigma=, metric=}])\n\n" ..
  "The NanoGPT speedrun's rule: is the mean of values (numbers or runs) below target? A one-sided z-test\n" ..
  "with the stated σ (r.z), else a one-sided t-test with σ estimated (r.t, r.df); r.p is small when the\n" ..
  "mean is convincingly below (the speedrun asks p < 0.001).\n" ..
  "  local r = stats.below_target({3.276, 3.279, 3.277, 3.278}, 3.28); print(r.p)"
docs["stats.above_target"] = "stats.above_target(values, target [, {sigma=, metric=}])\n\n" ..
  "stats.below_target for a metric that should be high (accuracy): r.p is small when the mean is\n" ..
  "convincingly above target.\n" ..
  "  local r = stats.above_target({0.921, 0.924, 0.919}, 0.9198); print(r.p)"

function stats.summary(values, opts)
  P.check_options("stats.summary", 2, opts, {"metric"})
  opts = opts or {}
  local v = side("stats.summary", 1, values, opts.metric)
  return C.summary(v)
end
docs["stats.summary"] = "stats.summary(values [, {metric=}])\n\n" ..
  "n, mean, std (n − 1), min, max and sem of a list of numbers or runs.\n" ..
  "  local s = stats.summary{0.91, 0.92, 0.90}; print(s.mean, s.std)"

