-- train.repeated: one configuration under several seeds, each building its own
-- model and optimizer, and the aggregate over the seeds.
local P, train, tensor, stats = ...
local docs, report_mt = P.docs, P.report_mt

-- The last value of every per-epoch list of a history: its final metrics.
local function final_of(h)
  local f = {}
  for _, k in ipairs{"loss", "train_acc", "val_acc", "train_loss", "val_loss", "lr", "update_ratio"} do
    local list = h[k]
    if type(list) == "table" and #list > 0 then f[k] = list[#list] end
  end
  if h.test_acc then f.test_acc = h.test_acc end
  f.seconds = h.seconds
  return f
end

-- mean, std, min and max of every number a section of the runs all have.
local function aggregate(runs, section)
  local keys, mean, std, lo, hi = {}, {}, {}, {}, {}
  for _, r in ipairs(runs) do
    for k, v in pairs(r[section] or {}) do if type(v) == "number" then keys[k] = (keys[k] or 0) + 1 end end
  end
  for k, count in pairs(keys) do
    if count == #runs and k ~= "epoch" then
      local values = {}
      for i, r in ipairs(runs) do values[i] = r[section][k] end
      local s = P.stats.summary(values)
      mean[k], std[k], lo[k], hi[k] = s.mean, s.std, s.min, s.max
    end
  end
  return mean, std, lo, hi
end

-- Per epoch, over the lists that reach it (numbers only): the mean, std (0 for
-- one), min, max and n (what a report draws as a line and its band). Shared
-- with bench.run's page.
local function per_epoch(lists)
  local c = {mean = {}, std = {}, min = {}, max = {}, n = {}}
  local epoch = 1
  while true do
    local values = {}
    for _, list in ipairs(lists) do if type(list[epoch]) == "number" then values[#values + 1] = list[epoch] end end
    if #values == 0 then return c end
    local s = P.stats.summary(values)
    c.mean[epoch], c.std[epoch], c.min[epoch], c.max[epoch], c.n[epoch] = s.mean, s.n > 1 and s.std or 0, s.min, s.max, s.n
    epoch = epoch + 1
  end
end
P.per_epoch = per_epoch

-- Each per-epoch series of the runs' histories, over the seeds.
local function curves(runs)
  local out = {}
  for _, key in ipairs{"loss", "train_acc", "val_acc", "train_loss", "val_loss"} do
    local lists = {}
    for i, r in ipairs(runs) do lists[i] = type(r.history and r.history[key]) == "table" and r.history[key] or {} end
    local c = per_epoch(lists)
    if #c.mean > 0 then out[key] = c end
  end
  return out
end

local function report(r)
  local lines = {string.format("%d seed%s (%s); mean ± std (min – max) over the seeds:", r.n, r.n == 1 and "" or "s",
    table.concat(r.seeds, ", "))}
  for _, section in ipairs{"best", "final"} do
    local names = {}
    for k in pairs(r.mean[section]) do names[#names + 1] = k end
    table.sort(names)
    for _, k in ipairs(names) do
      lines[#lines + 1] = string.format("  %-18s %.4g ± %.2g (%.4g – %.4g)", section .. "." .. k, r.mean[section][k],
        r.std[section][k] == r.std[section][k] and r.std[section][k] or 0, r.min[section][k], r.max[section][k])
    end
  end
  for _, f in ipairs(r.failed) do lines[#lines + 1] = string.format("  seed %s failed: %s", tostring(f.seed), f.error) end
  return table.concat(lines, "\n")
end

local own_keys = {"seeds", "model", "optimizer", "schedule", "average", "on_error"}
local builders = {model = true, optimizer = true, schedule = true, average = true}

-- (Named train.repeated: the issue's train.repeat cannot be written in Lua,
-- whose keyword repeat is no field name after a dot.)
function train.repeated(opts)
  if type(opts) ~= "table" then P.argument_error("train.repeated", 1, "table of options expected, got " .. P.kind(opts)) end
  local allowed = {}
  for _, k in ipairs(own_keys) do allowed[#allowed + 1] = k end
  for _, k in ipairs(P.option_keys["train.fit"]) do if not builders[k] and k ~= "seed" then allowed[#allowed + 1] = k end end
  P.check_options("train.repeated", 1, opts, allowed)
  local seeds = opts.seeds or 3
  if type(seeds) == "number" then
    if math.type(seeds) ~= "integer" or seeds < 1 or seeds > 10000 then
      P.argument_error("train.repeated", 1, "option 'seeds' must be a count in 1...10000 or a list of seeds, got " .. tostring(seeds))
    end
    local list = {}
    for i = 1, seeds do list[i] = i end
    seeds = list
  elseif type(seeds) ~= "table" or #seeds == 0 then
    P.argument_error("train.repeated", 1, "option 'seeds' must be a count or a list of seeds, got " .. P.kind(seeds))
  end
  for i, s in ipairs(seeds) do
    if math.type(s) ~= "integer" then P.argument_error("train.repeated", 1, string.format("seeds[%d] must be an integer, got %s", i, tostring(s))) end
  end
  for k in pairs(builders) do
    if opts[k] ~= nil and type(opts[k]) ~= "function" then
      P.argument_error("train.repeated", 1, string.format("option '%s' must be a function (each seed builds its own), got %s", k, P.kind(opts[k])))
    end
  end
  if not opts.model or not opts.optimizer then
    P.argument_error("train.repeated", 1, "options 'model' (function() → model) and 'optimizer' (function(model) → optimizer) are required")
  end
  local on_error = opts.on_error or "raise"
  if on_error ~= "raise" and on_error ~= "record" then
    P.argument_error("train.repeated", 1, "option 'on_error' must be \"raise\" or \"record\", got " .. tostring(on_error))
  end
  local runs, failed = {}, {}
  for _, seed in ipairs(seeds) do
    local function one()
      tensor.seed(seed)   -- initialisation and dropout draw from the seed; train.fit's seed orders the data
      local fit = {}
      for k, v in pairs(opts) do if not builders[k] and k ~= "seeds" and k ~= "on_error" then fit[k] = v end end
      local model = opts.model(seed)
      local opt = opts.optimizer(model, seed)
      fit.model, fit.optimizer, fit.seed = model, opt, seed
      if opts.schedule then fit.schedule = opts.schedule(opt, seed) end
      if opts.average then fit.average = opts.average(model, seed) end
      if opts.log then fit.log = opts.log .. "/seed-" .. seed end
      local h = train.fit(fit)
      return {seed = seed, history = h, final = final_of(h), best = h.best, model = model, optimizer = opt, dir = fit.log}
    end
    if on_error == "raise" then
      runs[#runs + 1] = one()
    else
      local ok, run = pcall(one)
      if ok then runs[#runs + 1] = run
      elseif tostring(run):find("interrupted", 1, true) then error(run, 0)
      else failed[#failed + 1] = {seed = seed, error = tostring(run)} end
    end
  end
  local r = {runs = runs, failed = failed, n = #runs, seeds = {}}
  for i, run in ipairs(runs) do r.seeds[i] = run.seed end
  r.mean, r.std, r.min, r.max = {}, {}, {}, {}
  for _, section in ipairs{"final", "best"} do
    r.mean[section], r.std[section], r.min[section], r.max[section] = aggregate(runs, section)
  end
  r.curves = curves(runs)
  if opts.log and #runs > 0 then
    -- TensorBoard beside the seeds' runs: one tag per aggregate (val_acc/mean, val_acc/std, ...), step = epoch
    local series = {}
    for key, c in pairs(r.curves) do
      for _, stat in ipairs{"mean", "std", "min", "max"} do series[#series + 1] = {key .. "/" .. stat, c[stat]} end
    end
    table.sort(series, function(a, b) return a[1] < b[1] end)
    P.bench.tensorboard(opts.log .. "/aggregate", series)
    r.aggregate_dir = opts.log .. "/aggregate"
  end
  r.report = report(r)
  return setmetatable(r, report_mt)
end
P.option_keys["train.repeated"] = (function()
  local keys = {}
  for _, k in ipairs(own_keys) do keys[#keys + 1] = k end
  for _, k in ipairs(P.option_keys["train.fit"]) do if not builders[k] and k ~= "seed" then keys[#keys + 1] = k end end
  return keys
end)()
docs["train.repeated"] = "train.repeated{seeds=3, model=function(seed) ... end, optimizer=function(model, seed) ... end, schedule=, average=, on_error=\"raise\", ...train.fit's options}\n\n" ..
  "One configuration under several seeds (a count, 1..k, or a list): for each, tensor.seed(seed) and a\n" ..
  "fresh model and optimizer from their functions (so initialisation and dropout draw from the seed),\n" ..
  "then train.fit with seed = seed (the data order and augmentation), logging to log/seed-<seed>.\n" ..
  "Returns r.runs ({seed, history, final, best, model, optimizer, dir} each), r.n, r.seeds, and over\n" ..
  "the seeds r.mean, r.std, r.min, r.max of the final and best metrics (r.mean.best.val_acc) and\n" ..
  "r.curves (per epoch: mean, std, min, max, n of loss, val_acc, ...). on_error = \"record\" lists a\n" ..
  "seed that fails in r.failed and goes on. With log, log/aggregate holds a TensorBoard file with one tag per\n" ..
  "aggregate (val_acc/mean, val_acc/std, ...). stats.compare takes two of these. Prints as a table.\n" ..
  "  local r = train.repeated{seeds = 3, model = function() return nn.Sequential{nn.Linear(784, 10)} end,\n" ..
  "    optimizer = function(m) return optim.SGD(m, {lr = 0.1}) end, loss = nn.SoftmaxCrossEntropy(),\n" ..
  "    train = tr, val = val, epochs = 1, quiet = true}\n" ..
  "  print(r.mean.best.val_acc, r.std.best.val_acc)"
