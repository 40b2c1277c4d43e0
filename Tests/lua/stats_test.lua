local H, file = ...
local test = function(name, fn) H.test(file .. ": " .. name, fn) end
-- stats and train.repeated from Lua: hand-worked comparisons, runs read by
-- their metric and paired by seed, seeds that reproduce. The arithmetic is
-- against SciPy in the Swift suite (StatsTests).

test("compare: hand-worked Welch and paired tests on numbers", function()
  -- a − b = 1 with variances 1 and 1 over 3 each: se = √(2/3), t = √1.5, df = 4
  local r = stats.compare({1, 2, 3}, {0, 1, 2})
  H.close(r.diff, 1, 1e-15); H.close(r.t, math.sqrt(1.5), 1e-14); H.close(r.df, 4, 1e-12)
  H.eq(r.paired, false, "numbers are not paired unless asked")
  H.close(r.a.mean, 2, 1e-15); H.close(r.b.std, 1, 1e-15); H.eq(r.a.n, 3)
  -- paired: the differences are all 1: no spread, certainly different
  local p = stats.compare({1, 2, 3}, {0, 1, 2}, {paired = true})
  H.eq(p.paired, true); H.eq(p.p, 0); H.eq(p.ci[1], 1); H.eq(p.ci[2], 1)
  H.eq(tostring(p):match("paired t") ~= nil, true, "the report names the paired test")
end)

test("compare: runs are read by their metric and paired by seed in any order", function()
  local a = {{seed = 2, best = {val_acc = 0.92}}, {seed = 1, best = {val_acc = 0.90}}, {seed = 3, best = {val_acc = 0.95}}}
  local b = {{seed = 1, best = {val_acc = 0.89}}, {seed = 3, best = {val_acc = 0.93}}, {seed = 2, best = {val_acc = 0.90}}}
  local r = stats.compare(a, b)
  H.eq(r.paired, true, "same seeds: paired"); H.eq(r.metric, "best.val_acc")
  -- differences by seed 0.01, 0.02, 0.02: mean 0.05/3
  H.close(r.diff, 0.05 / 3, 1e-12)
  local d = {0.01, 0.02, 0.02}
  local m = 0.05 / 3
  local sd = math.sqrt(((d[1] - m) ^ 2 + (d[2] - m) ^ 2 + (d[3] - m) ^ 2) / 2)
  H.close(r.t, m / (sd / math.sqrt(3)), 1e-9)
  H.eq(stats.compare(a, b, {paired = false}).paired, false)
  local other = {{seed = 4, best = {val_acc = 0.9}}, {seed = 5, best = {val_acc = 0.91}}, {seed = 6, best = {val_acc = 0.92}}}
  H.eq(stats.compare(a, other).paired, false, "different seeds: not paired")
  H.raises(function() stats.compare(a, other, {paired = true}) end, "needs the same seeds on both sides")
  local f = stats.compare({{seed = 1, final = {loss = 2}}, {seed = 2, final = {loss = 3}}}, {1, 2}, {metric = "final.loss"})
  H.close(f.diff, 1, 1e-15)
end)

test("compare and the target tests refuse what they cannot judge", function()
  H.raises(function() stats.compare({1}, {1, 2}) end, "at least two values a side")
  H.raises(function() stats.compare({1, 2}, "x") end, "a list of numbers or of runs expected, got string")
  H.raises(function() stats.compare({{seed = 1, error = "NaN loss"}, {seed = 2}}, {1, 2}) end, "run 1 (seed 1) has no metric")
  H.raises(function() stats.compare({1, 2}, {1, 2}, {levle = 0.9}) end, "levle")
  H.raises(function() stats.compare({1, 2}, {1, 2}, {level = 2}) end, "level must lie in (0, 1)")
  H.raises(function() stats.compare({1, 2}, {1, 2}, {resamples = 1.5}) end, "option 'resamples' must be an integer")
  H.raises(function() stats.below_target({1}, 0) end, "at least two values to estimate σ")
  H.raises(function() stats.below_target({1, 2}, "x") end, "a target number expected")
end)

test("below_target: the z-test by hand", function()
  -- mean 3.277 over 4 with σ = 0.002: z = (3.277 − 3.28)/(0.002/2) = −3
  local r = stats.below_target({3.276, 3.278, 3.277, 3.277}, 3.28, {sigma = 0.002})
  H.close(r.z, -3, 1e-9); H.close(r.p, 0.0013498980316301, 1e-9)   -- Φ(−3)
  local up = stats.above_target({3.276, 3.278, 3.277, 3.277}, 3.28, {sigma = 0.002})
  H.close(up.p, 1 - 0.0013498980316301, 1e-9)
end)

local ds = data.spiral{classes = 3, per_class = 40}
local tr, val = ds:split(0.75, {seed = 1})
local function config(lr, extra)
  local o = {model = function() return nn.Sequential{nn.Linear(2, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 3)} end,
    optimizer = function(m) return optim.SGD(m, {lr = lr, momentum = 0.9}) end, loss = nn.SoftmaxCrossEntropy(),
    train = tr, val = val, epochs = 3, batch = 16, quiet = true}
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

test("train.repeated: each seed is the run train.fit gives under that seed", function()
  local r = train.repeated(config(0.3, {seeds = {4, 7}}))
  H.eq(r.n, 2); H.eq(r.seeds[1], 4); H.eq(r.seeds[2], 7)
  -- seed 7 by hand: the generator seeded for the model, train.fit seeded for the data
  tensor.seed(7)
  local m = nn.Sequential{nn.Linear(2, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 3)}
  local h = train.fit{model = m, optimizer = optim.SGD(m, {lr = 0.3, momentum = 0.9}), loss = nn.SoftmaxCrossEntropy(),
    train = tr, val = val, epochs = 3, batch = 16, quiet = true, seed = 7}
  H.eq(r.runs[2].final.loss, h.loss[#h.loss], "bit for bit")
  H.eq(r.runs[2].best.val_acc, h.best.val_acc)
  H.eq(r.runs[1].final.loss ~= r.runs[2].final.loss, true, "different seeds, different runs")
  -- the aggregate is the summary of the runs
  local s = stats.summary({r.runs[1].final.loss, r.runs[2].final.loss})
  H.close(r.mean.final.loss, s.mean, 1e-15); H.close(r.std.final.loss, s.std, 1e-15)
  H.close(r.curves.loss.mean[3], (r.runs[1].history.loss[3] + r.runs[2].history.loss[3]) / 2, 1e-15)
  H.eq(r.curves.loss.n[1], 2)
  H.eq(tostring(r):match("2 seeds %(4, 7%)") ~= nil, true, "the report names the seeds")
end)

test("train.repeated: options are checked, failures recorded when asked, seeds logged apart", function()
  H.raises(function() train.repeated{model = nn.Linear(2, 3), optimizer = function() end} end, "option 'model' must be a function")
  H.raises(function() train.repeated(config(0.3, {seeds = 0})) end, "option 'seeds' must be a count")
  H.raises(function() train.repeated(config(0.3, {seed = 3})) end, "seed")
  local bad = config(0.3, {seeds = 3, on_error = "record"})
  bad.optimizer = function(m, seed)
    if seed == 2 then error("no rule for seed 2") end
    return optim.SGD(m, {lr = 0.3})
  end
  local r = train.repeated(bad)
  H.eq(r.n, 2); H.eq(#r.failed, 1); H.eq(r.failed[1].seed, 2)
  H.eq(r.failed[1].error:match("no rule for seed 2") ~= nil, true)
  bad.on_error = nil
  H.raises(function() train.repeated(bad) end, "no rule for seed 2")
  local dir = os.tmpname(); os.remove(dir)
  local logged = train.repeated(config(0.3, {seeds = 2, log = dir}))
  H.eq(logged.runs[2].dir, dir .. "/seed-2")
  local f = io.open(dir .. "/seed-2/metrics.jsonl")
  H.eq(f ~= nil, true, "a normal run folder per seed"); if f then f:close() end
  -- TensorBoard's aggregate: one tag per statistic, the first epoch's value as the curves have it (float32)
  local events = io.popen("ls '" .. dir .. "/aggregate'/events.out.tfevents.*"):read("l")
  local bytes = io.open(events, "rb"):read("a")
  for _, tag in ipairs{"loss/mean", "loss/std", "val_acc/mean", "val_acc/max"} do
    local at = bytes:find(tag, 1, true)
    H.eq(at ~= nil, true, "tag " .. tag)
    H.eq(bytes:byte(at + #tag), 0x15, "a float follows " .. tag)
    local v = string.unpack("<f", bytes, at + #tag + 1)
    local key, stat = tag:match("^(.-)/(.*)$")
    H.close(v, logged.curves[key][stat][1], 1e-6, tag .. " at epoch 1")
  end
  os.execute("rm -rf '" .. dir .. "'")
end)
