local H, file = ...
local test = function(name, fn) H.test(file .. ": " .. name, fn) end

local function tmpdir() local d = os.tmpname(); os.remove(d); return d end

test("samplers: real bounds, integers, choices; bad ranges refused", function()
  local s = hp.loguniform(1e-6, 10)
  H.eq(s.lo, 1e-6); H.eq(s.hi, 10)
  H.raises(function() hp.search{space = {lr = hp.loguniform(0, 1)}, trial = function() return 0 end, dir = tmpdir(), quiet = true} end, "needs 0 < lo < hi")
  H.raises(function() hp.search{space = {}, trial = 3} end, "option 'trial' must be a function")
  H.raises(function() hp.search{space = {}, trial = function() end, trails = 3} end, "unknown option 'trails'")
  H.raises(function() hp.search{space = {x = 3}, trial = function() end} end, "space.x must be an hp distribution")
  H.raises(function() hp.search{space = {x = hp.uniform(0, 1)}, trial = function() end, stages = "x"} end, "option 'stages' must be a list")
  H.raises(function() hp.search{space = {x = hp.uniform(0, 1)}, trial = function() end, stages = {{trials = 0}}} end, "stage 1 must be")
  H.raises(function() hp.search{space = {x = hp.uniform(0, 1)}, trial = function() end, stages = {{epochs = -1}}} end, "positive epochs")
  H.raises(function() hp.search{space = {x = hp.uniform(0, 1)}, trial = function() end, prune = {factor = 0.5}} end, "prune.factor must be a number above 1")
end)

test("coarse to fine around a known optimum, files, border warnings, resume", function()
  local dir, calls = tmpdir(), 0
  local function trial(cfg, budget)
    calls = calls + 1
    assert(cfg.dir and budget.stage)
    local f = io.open(cfg.dir .. "/trial.json"); assert(f, "trial.json written before the trial"); f:close()
    -- optimum at lr = 1e-3 (log space) and width = 64; act = "relu" is better
    local score = -(math.log(cfg.lr, 10) + 3) ^ 2 - ((cfg.width - 64) / 64) ^ 2 + (cfg.act == "relu" and 0.5 or 0)
    return {val_acc = score, loss = -score}
  end
  local space = {lr = hp.loguniform(1e-6, 1), width = hp.int(8, 512, {log = true}), act = hp.choice{"relu", "tanh"}}
  local r = hp.search{name = "quad", dir = dir, space = space, trial = trial, seed = 3, quiet = true,
    stages = {{trials = 30, epochs = 1}, {trials = 15, epochs = 3}}}
  H.eq(#r.trials, 45); H.eq(calls, 45)
  H.eq(math.abs(math.log(r.best.config.lr, 10) + 3) < 0.5, true, "best lr near 1e-3: " .. r.best.config.lr)
  H.eq(r.best.config.act, "relu")
  H.eq(math.type(r.best.config.width), "integer")
  -- the second stage samples inside a narrower lr range than the first
  local lo1, hi1, lo2, hi2 = math.huge, -math.huge, math.huge, -math.huge
  for _, t in ipairs(r.trials) do
    local l = math.log(t.config.lr, 10)
    if t.stage == 1 then lo1, hi1 = math.min(lo1, l), math.max(hi1, l) else lo2, hi2 = math.min(lo2, l), math.max(hi2, l) end
  end
  H.eq(hi2 - lo2 < hi1 - lo1, true, "stage 2 is narrower")
  local n = 0
  for _ in io.lines(dir .. "/quad/summary.jsonl") do n = n + 1 end
  H.eq(n, 45)
  -- resume: the same search again runs no trial twice and gives the same best
  local r2 = hp.search{name = "quad", dir = dir, space = space, trial = trial, seed = 3, quiet = true,
    stages = {{trials = 30, epochs = 1}, {trials = 15, epochs = 3}}}
  H.eq(calls, 45, "no trial redone")
  H.eq(r2.best.trial, r.best.trial)
  -- border warnings: an optimum beyond the range
  local w = hp.search{name = "edge", dir = dir, space = {lr = hp.loguniform(1e-6, 1e-4)}, trials = 80, quiet = true,
    trial = function(cfg) return -(math.log(cfg.lr, 10) + 3) ^ 2 end}
  H.eq(#w.warnings, 1); H.eq(w.warnings[1]:find("upper edge", 1, true) ~= nil, true)
  os.execute('rm -rf "' .. dir .. '"')
end)

test("failed trials are recorded and the search goes on; two masters are refused", function()
  local dir = tmpdir()
  local r = hp.search{name = "f", dir = dir, space = {x = hp.uniform(0, 1)}, trials = 6, quiet = true,
    trial = function(cfg) if cfg.x > 0.5 then error("diverged") end return cfg.x end}
  local failed, ok = 0, 0
  for _, t in ipairs(r.trials) do if t.status == "failed" then failed = failed + 1; H.eq(t.error:find("diverged", 1, true) ~= nil, true) else ok = ok + 1 end end
  H.eq(failed + ok, 6); H.eq(failed > 0 and ok > 0, true)
  -- a lock file naming a live but unrelated process (pid 1) holds nothing: the search runs
  os.execute('mkdir -p "' .. dir .. '/g"'); io.open(dir .. "/g/master.lock", "w"):write("1\n"):close()
  local g = hp.search{name = "g", dir = dir, space = {x = hp.uniform(0, 1)}, trials = 1, quiet = true, trial = function() return 1 end}
  H.eq(#g.trials, 1)
  -- a live holder of the lock (flock(1) from util-linux, as another master would hold it) is refused
  os.execute('mkdir -p "' .. dir .. '/h"; echo 4242 > "' .. dir .. '/h/master.lock"; flock "' .. dir .. '/h/master.lock" sleep 30 & echo $! > "' .. dir .. '/h.pid"')
  os.execute('while flock -n "' .. dir .. '/h/master.lock" true; do sleep 0.05; done')
  H.raises(function() hp.search{name = "h", dir = dir, space = {x = hp.uniform(0, 1)}, trials = 1, quiet = true, trial = function() return 1 end} end,
    "another master (pid 4242) is running this sweep")
  os.execute('kill $(cat "' .. dir .. '/h.pid")')
  os.execute('rm -rf "' .. dir .. '"')
end)

test("a resumed search names an unusable trial file and runs its trial again instead of stopping", function()
  local dir, calls = tmpdir(), {}
  local function run()
    return hp.search{name = "u", dir = dir, space = {x = hp.uniform(0, 1), act = hp.choice{"a", "b"}}, trials = 4, quiet = true, seed = 2,
      trial = function(cfg) calls[cfg.trial] = (calls[cfg.trial] or 0) + 1; return cfg.x end}
  end
  local first = run()
  local function put(path, text) local f = io.open(dir .. "/u/" .. path, "w"); f:write(text); f:close() end
  -- a result with no config (it stopped the search in borders), a truncated one, a trial.json whose point left the space
  put("s1-t002/result.json", '{"trial": 2, "status": "ok", "score": 0.5}')
  put("s1-t003/result.json", '{"trial": 3, "sta')
  put("s1-t004/trial.json", '{"trial": 4, "raw": {"x": 1e300, "act": 0}}')
  local again = run()
  H.eq(#again.trials, 4)
  H.eq(calls[1], 1, "an intact trial is not rerun")
  H.eq(calls[2], 2); H.eq(calls[3], 2); H.eq(calls[4], 2)
  local text = table.concat(again.warnings, "\n")
  H.eq(text:find(dir .. "/u/s1-t002/result.json: its raw values are nil, not a table; its trial runs again", 1, true) ~= nil, true, text)
  H.eq(text:find("s1-t003/result.json: not JSON (truncated or damaged)", 1, true) ~= nil, true, text)
  H.eq(text:find("s1-t004/trial.json: x = 1e+300 is outside the space [0, 1]", 1, true) ~= nil, true, text)
  -- the seeded sampler draws trial 4's point again: the same best as before
  H.eq(again.best.trial, first.best.trial); H.eq(again.best.score, first.best.score)
  os.execute('rm -rf "' .. dir .. '"')
end)

test("nn.Ensemble.top builds an ensemble from the best trials' checkpoints", function()
  local dir = tmpdir()
  local d = data.spiral{classes = 3, per_class = 40}
  hp.search{name = "spiral", dir = dir, space = {lr = hp.loguniform(0.05, 0.5)}, trials = 3, quiet = true, trial = function(cfg)
    tensor.seed(cfg.trial)
    local m = nn.Sequential{nn.Linear(2, 32, {init = "kaiming"}), nn.ReLU(), nn.Linear(32, 3)}
    local h = train.fit{model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(m, {lr = cfg.lr, momentum = 0.9}),
      train = d, val = d, epochs = 15, batch = 40, log = cfg.dir, quiet = true}
    return {val_acc = h.best.val_acc}
  end}
  local e = nn.Ensemble.top(2, dir .. "/spiral")
  H.eq(#e, 2)
  -- by hand: the two best trials' best checkpoints, probabilities averaged
  local rows = {}
  for line in io.lines(dir .. "/spiral/summary.jsonl") do rows[#rows + 1] = line end
  local scored = {}
  for _, t in ipairs(hp.search{name = "spiral", dir = dir, space = {lr = hp.loguniform(0.05, 0.5)}, trials = 3, quiet = true,
      trial = function() error("resumed searches run no trial") end}.trials) do scored[#scored + 1] = t end
  local function best_checkpoint(tdir)
    local best, score
    for f in io.popen('ls "' .. tdir .. '"'):lines() do
      local s = tonumber(f:match("val([%d%.]+)%.safetensors$"))
      if s and (not score or s > score) then best, score = f, s end
    end
    return tdir .. "/" .. best
  end
  local m1, m2 = nn.load(best_checkpoint(scored[1].dir)), nn.load(best_checkpoint(scored[2].dir))
  local x, y = d:inputs(), d:labels()
  local p = (m1(x):softmax(2) + m2(x):softmax(2)) / 2
  local want = p:argmax(2):eq(y):sum():item() / d:size()
  H.close(train.accuracy(e, d), want, 1e-12, "ensemble of the top 2")
  os.execute('rm -rf "' .. dir .. '"')
end)

test("a trial's train.fit{budget = budget} without log keeps its checkpoints and resume state in the trial's folder", function()
  local dir = tmpdir()
  local d = data.spiral{classes = 3, per_class = 20}
  local function trial(cfg, budget)
    tensor.seed(cfg.trial)
    local m = nn.Sequential{nn.Linear(2, 16, {init = "kaiming"}), nn.ReLU(), nn.Linear(16, 3)}
    local h = train.fit{model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(m, {lr = cfg.lr, momentum = 0.9}),
      train = d, val = d, epochs = 3, batch = 20, budget = budget}
    return {val_acc = h.best.val_acc}
  end
  local r = hp.search{name = "b", dir = dir, space = {lr = hp.loguniform(0.05, 0.5)}, trials = 2, quiet = true, trial = trial}
  for _, t in ipairs(r.trials) do
    local files = {}
    for f in io.popen('ls "' .. t.dir .. '"'):lines() do files[#files + 1] = f end
    local listing = table.concat(files, " ")
    H.eq(listing:find("resume.safetensors", 1, true) ~= nil, true, "resume state in " .. t.dir .. ": " .. listing)
    H.eq(listing:match("ep00%d_val%d%.%d+%.safetensors") ~= nil, true, "a checkpoint named by its score: " .. listing)
    H.eq(listing:find("metrics.jsonl", 1, true) ~= nil, true, "the run log: " .. listing)
  end
  H.eq(#nn.Ensemble.top(2, dir .. "/b"), 2, "nn.Ensemble.top finds them")
  os.execute('rm -rf "' .. dir .. '"')
end)

test("grid: levels fit the budget, cell centres in log space, every choice", function()
  local dir = tmpdir()
  local seen = {}
  local r = hp.search{name = "g", dir = dir, method = "grid", quiet = true, trials = 20,
    space = {lr = hp.loguniform(1e-4, 1), act = hp.choice{"relu", "tanh"}, p = hp.uniform(0, 1)},
    trial = function(cfg) seen[#seen + 1] = cfg; return -math.abs(math.log(cfg.lr, 10) + 2) end}
  -- 2 choices fixed; numeric levels grow round-robin while the product stays <= 20: 3 lr x 3 p x 2 = 18
  H.eq(#seen, 18); H.eq(#r.trials, 18)
  local function levels(field)
    local set, out = {}, {}
    for _, c in ipairs(seen) do set[c[field]] = true end
    for v in pairs(set) do out[#out + 1] = v end
    if type(out[1]) == "number" then table.sort(out) end
    return out
  end
  local l, p = levels("lr"), levels("p")
  H.eq(#l, 3); H.eq(#p, 3); H.eq(#levels("act"), 2)
  -- cell centres: 10^(-4 + 4(j + 1/2)/3) for lr, (j + 1/2)/3 for p
  for j = 1, 3 do
    local want = 10 ^ (-4 + 4 * (j - 0.5) / 3)
    H.close(l[j], want, 1e-9 * want, "lr level " .. j)
    H.close(p[j], (j - 0.5) / 3, 1e-12, "p level " .. j)
  end
  -- every (lr, p, act) combination once
  local combos = {}
  for _, c in ipairs(seen) do combos[string.format("%g/%g/%s", c.lr, c.p, c.act)] = true end
  local n = 0 for _ in pairs(combos) do n = n + 1 end
  H.eq(n, 18)
  H.raises(function() hp.search{name = "x", dir = dir, method = "sobol", space = {}, trial = function() end} end, "option 'method' must be")
  os.execute('rm -rf "' .. dir .. '"')
end)

test("a trial far behind the others at the same point is stopped (budget.report, train.fit{budget=})", function()
  local dir = tmpdir()
  -- trials report a made-up loss curve; trial 6 is far worse at every point, trial 5 a little
  local r = hp.search{name = "p", dir = dir, quiet = true, trials = 6, space = {x = hp.uniform(0, 1)},
    stages = {{trials = 6, epochs = 2}},
    trial = function(cfg, budget)
      H.eq(budget.epochs, 2); H.eq(budget.stop_above, 3); H.eq(budget.resume, true)
      for k = 1, 8 do
        local at = k / 4
        local loss = (cfg.trial == 6 and 5 or 1 + cfg.trial / 100) / at
        local why = budget.report{at = at, loss = loss}
        if why then return {val_acc = -loss, stopped_at = at} end
      end
      return {val_acc = 1 - cfg.trial / 100}
    end}
  local by = {}
  for _, t in ipairs(r.trials) do by[t.trial] = t end
  for t = 1, 5 do H.eq(by[t].status, "ok", "trial " .. t) end
  H.eq(by[6].status, "stopped")
  -- warm-up 0.5 epochs: the first check is at 0.5, where 5 others have reported (>= 4)
  H.eq(by[6].stopped_at, 0.5)
  -- the median of the others' losses at 0.5 is 2 * 1.03 = 2.06; 10 is 4.9 times that
  H.eq(by[6].error:find("at epoch 0.5, loss 10 is 4.9× the median 2.06 of 5 trials", 1, true) ~= nil, true, by[6].error)
  -- the progress file holds what was reported
  local lines = 0
  for _ in io.lines(dir .. "/p/s1-t006/progress.jsonl") do lines = lines + 1 end
  H.eq(lines, 2)
  H.eq(r.best.trial, 1)
  -- prune = false keeps every trial
  local r2 = hp.search{name = "q", dir = dir, quiet = true, prune = false, stages = {{trials = 6, epochs = 2}}, space = {x = hp.uniform(0, 1)},
    trial = function(cfg, budget)
      for k = 1, 8 do if budget.report{at = k / 4, loss = cfg.trial == 6 and 50 or 1} then return 0 end end
      return 1
    end}
  for _, t in ipairs(r2.trials) do H.eq(t.status, "ok") end
  os.execute('rm -rf "' .. dir .. '"')
end)

test("train.fit{budget=}: epochs, quiet, reports; resume = true continues bit-exactly", function()
  local d = data.spiral{classes = 3, per_class = 40}
  local dir = tmpdir()
  local function make() tensor.seed(7); local m = nn.Sequential{nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3)}; return m, optim.Adam(m, {lr = 0.01}) end
  local m1, o1 = make()
  train.fit{model = m1, loss = nn.SoftmaxCrossEntropy(), optimizer = o1, train = d, val = d, epochs = 6, batch = 30, quiet = true, keep_best = false}
  local m2, o2 = make()
  train.fit{model = m2, loss = nn.SoftmaxCrossEntropy(), optimizer = o2, train = d, val = d, epochs = 3, batch = 30, log = dir, quiet = true, keep_best = false}
  local m3, o3 = make()
  local h3 = train.fit{model = m3, loss = nn.SoftmaxCrossEntropy(), optimizer = o3, train = d, val = d, epochs = 6, batch = 30, log = dir,
    resume = true, quiet = true, keep_best = false}
  H.eq(h3.resumed_from, 3); H.eq(#h3.loss, 24); H.eq(#h3.val_acc, 6)
  local p1, p3 = m1:parameters(), m3:parameters()
  for i = 1, #p1 do H.eq((p1[i] - p3[i]):abs():max():item(), 0, "parameter " .. i .. " after resume") end
  H.raises(function() train.fit{model = m3, loss = nn.SoftmaxCrossEntropy(), optimizer = o3, train = d, resume = true} end, "needs log")
  -- reports: 4 a epoch (3 losses, then the epoch end with val_acc); a string answer stops training
  local m4, o4 = make()
  local at = {}
  local h4 = train.fit{model = m4, loss = nn.SoftmaxCrossEntropy(), optimizer = o4, train = d, val = d, batch = 30,
    budget = {epochs = 3, quiet = true, report = function(r)
      at[#at + 1] = r.at
      if r.at == 1 then H.eq(type(r.val_acc), "number") else H.eq(r.val_acc, nil) end
      if r.at >= 1.5 then return "enough" end
    end}}
  H.eq(table.concat(at, " "), "0.25 0.5 0.75 1.0 1.25 1.5")
  H.eq(h4.stopped, "enough"); H.eq(#h4.val_acc, 1)
  -- a fractional budget: 1.5 epochs of 12 batches are 18 iterations, validated twice
  local m5, o5 = make()
  at = {}
  local h5 = train.fit{model = m5, loss = nn.SoftmaxCrossEntropy(), optimizer = o5, train = d, val = d, batch = 10,
    budget = {epochs = 1.5, quiet = true, report = function(r) at[#at + 1] = r.at end}}
  H.eq(#h5.loss, 18); H.eq(#h5.val_acc, 2)
  H.eq(table.concat(at, " "), "0.25 0.5 0.75 1.0 1.25 1.5")
  H.raises(function() train.fit{model = m5, loss = nn.SoftmaxCrossEntropy(), optimizer = o5, train = d, epochs = 0} end, "'epochs' must be a positive number")
  os.execute('rm -rf "' .. dir .. '"')
end)

-- ASHA's rungs are fractional budgets: a trial trained for 0.5 epochs and then
-- promoted to 1.5 and 2.5 must end where one run of 2.5 epochs ends, bit for
-- bit: the batch order taken up mid-epoch, the per-epoch schedule stepped only
-- at whole epochs, the optimizer's and the average's state carried over.
test("train.fit resumed mid-epoch (0.5 -> 1.5 -> 2.5 epochs) equals one run of 2.5 epochs", function()
  local d = data.spiral{classes = 3, per_class = 40}
  local function make()
    tensor.seed(11)
    local m = nn.Sequential{nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3)}
    local o = optim.Adam(m, {lr = 0.02})
    return m, o, optim.step_decay(o, {every = 1, factor = 0.5, unit = "epoch"})
  end
  local function fit(m, o, s, epochs, log, resume)
    return train.fit{model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = o, schedule = s, train = d, val = d, epochs = epochs,
      batch = 10, log = log, resume = resume, overwrite = not resume or nil, quiet = true, keep_best = false,
      average = optim.EMA(m, {decay = 0.9})}
  end
  local m1, o1, s1 = make()
  local h1 = fit(m1, o1, s1, 2.5)
  local dir = tmpdir()
  local m2, o2, s2 = make()
  local ha = fit(m2, o2, s2, 0.5, dir)
  H.eq(#ha.loss, 6); H.eq(#ha.val_acc, 1)
  local listing = io.popen('ls "' .. dir .. '"'):read("a")
  H.eq(select(2, listing:gsub("ep001_val", "")), 1, "one checkpoint for the partial epoch: " .. listing)
  m2, o2, s2 = make()
  local hb = fit(m2, o2, s2, 1.5, dir, true)
  H.eq(hb.resumed_from, 0); H.eq(#hb.loss, 18); H.eq(#hb.val_acc, 2, "the partial evaluation at 0.5 is not kept")
  m2, o2, s2 = make()
  local hc = fit(m2, o2, s2, 2.5, dir, true)
  H.eq(hc.resumed_from, 1); H.eq(#hc.loss, 30); H.eq(#hc.val_acc, 3)
  for i = 1, 30 do H.eq(hc.loss[i], h1.loss[i], "loss at iteration " .. i) end
  H.eq(hc.lr[#hc.lr], h1.lr[#h1.lr], "the schedule stepped at whole epochs only"); H.eq(h1.lr[#h1.lr], 0.02 * 0.25)
  local p1, p2 = m1:parameters(), m2:parameters()
  for i = 1, #p1 do H.eq((p1[i] - p2[i]):abs():max():item(), 0, "parameter " .. i) end
  listing = io.popen('ls "' .. dir .. '"'):read("a")
  H.eq(select(2, listing:gsub("ep001_val", "")), 1, "the full epoch 1 replaced the partial one's checkpoint: " .. listing)
  H.eq(select(2, listing:gsub("ep00%d_val", "")), 3, listing)
  -- a budget the folder is already past trains nothing
  m2, o2, s2 = make()
  local hd = fit(m2, o2, s2, 2.2, dir, true)
  H.eq(#hd.loss, 30)
  os.execute('rm -rf "' .. dir .. '"')
end)

-- Augmented batches are drawn per (seed, epoch, batch), so a run resumed
-- mid-epoch still ends where one run ends; augment changes the training.
test("train.fit{augment = {flip, shift}}: resumed mid-epoch, the same parameters; options checked", function()
  tensor.seed(5)
  local x = tensor.randn{60, 1, 6, 6}
  local y = tensor.zeros{60}
  for i = 1, 60 do y[i] = (x[i]:sum():item() > 0) and 1 or 0 end
  local d = data.dataset(x, y + 1)
  local function make()
    tensor.seed(2)
    local m = nn.Sequential{nn.Conv2d(1, 4, 3, {pad = 1}), nn.ReLU(), nn.Flatten(), nn.Linear(144, 2)}
    return m, optim.Adam(m, {lr = 0.01})
  end
  local function fit(m, o, epochs, log, resume, augment)
    return train.fit{model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = o, train = d, epochs = epochs, batch = 8, seed = 3,
      log = log, resume = resume, overwrite = not resume or nil, quiet = true, keep_best = false,
      augment = augment == nil and {flip = true, shift = 1} or augment or nil}
  end
  local m1, o1 = make(); fit(m1, o1, 2.5)
  local dir = tmpdir()
  local m2, o2 = make(); fit(m2, o2, 1.5, dir)
  m2, o2 = make(); fit(m2, o2, 2.5, dir, true)
  local p1, p2 = m1:parameters(), m2:parameters()
  for i = 1, #p1 do H.eq((p1[i] - p2[i]):abs():max():item(), 0, "parameter " .. i .. " after the resume") end
  local m3, o3 = make(); fit(m3, o3, 2.5, nil, nil, false)
  H.eq((m3:parameters()[1] - p1[1]):abs():max():item() > 0, true, "augmented training differs from plain")
  H.raises(function() fit(m3, o3, 1, nil, nil, {shift = -1}) end, "augment.shift must be a whole number of pixels")
  H.raises(function() fit(m3, o3, 1, nil, nil, {flip = "yes"}) end, "augment.flip must be true or false")
  H.raises(function() fit(m3, o3, 1, nil, nil, {rotate = 10}) end, "unknown option 'rotate'")
  H.raises(function()
    local flat = data.dataset(tensor.randn{8, 4}, tensor.ones{8})
    local m = nn.Linear(4, 2)
    train.fit{model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(m, {lr = 0.1}), train = flat, epochs = 1, quiet = true, augment = {flip = true}}
  end, "augment needs batches of images [N, C, H, W], got [8,4]")
  os.execute('rm -rf "' .. dir .. '"')
end)

-- TPE: its first 10 trials are random search's; then it samples near the best, and each trial
-- is sampled once, when it is handed out, so an interrupted search resumes into the same trials.
test("method = \"tpe\": random start, then conditioned; interrupted and resumed, the same trials", function()
  local space = {x = hp.uniform(-5, 5), lr = hp.loguniform(1e-4, 1), act = hp.choice{"relu", "tanh", "gelu"}, width = hp.int(8, 64)}
  local function objective(cfg)
    return {val_acc = -((cfg.x - 2) ^ 2) - (math.log(cfg.lr, 10) + 2) ^ 2 - (cfg.act == "tanh" and 0 or 1) - ((cfg.width - 40) / 16) ^ 2}
  end
  local function search(dir, method, trial)
    return hp.search{name = "t", dir = dir, space = space, trials = 30, seed = 5, method = method, quiet = true, prune = false, trial = trial or objective}
  end
  local tpe_dir, random_dir = tmpdir(), tmpdir()
  local tpe, random = search(tpe_dir, "tpe"), search(random_dir, "random")
  local function configs(dir)
    local out = {}
    for line in io.lines(dir .. "/t/summary.jsonl") do
      local t, x = line:match('"trial":(%d+)'), line:match('"x":([%-%d.e]+)')
      out[tonumber(t)] = tonumber(x)
    end
    return out
  end
  local a, b = configs(tpe_dir), configs(random_dir)
  for t = 1, 10 do H.eq(a[t], b[t], "startup trial " .. t .. " is random search's") end
  local differ = 0
  for t = 11, 30 do if a[t] ~= b[t] then differ = differ + 1 end end
  H.eq(differ, 20, "trials 11…30 are TPE's own")
  -- after the start, TPE's trials concentrate near x = 2
  local near = 0
  for t = 21, 30 do if math.abs(a[t] - 2) < 1.5 then near = near + 1 end end
  H.eq(near >= 6, true, near .. " of TPE's last 10 trials within 1.5 of the optimum")
  H.eq(io.open(tpe_dir .. "/t/s1-t015/trial.json"):read("a"):find('"method":"tpe"', 1, true) ~= nil, true, "trial.json names the method")
  -- interrupted in trial 18, then run again: the very same trials
  local again = tmpdir()
  local stop = true
  H.raises(function()
    search(again, "tpe", function(cfg) if cfg.trial == 18 and stop then error("interrupted!") end return objective(cfg) end)
  end, "interrupted")
  stop = false
  search(again, "tpe")
  local c = configs(again)
  for t = 1, 30 do H.eq(c[t], a[t], "trial " .. t .. " after the resume") end
  H.eq(tpe.best.score >= random.best.score - 1e-9 or tpe.best.score > -1.5, true, "TPE's best " .. tpe.best.score .. " vs random's " .. random.best.score)
  H.raises(function() hp.search{space = space, method = "bayes", trial = objective, dir = tmpdir(), quiet = true} end,
    "option 'method' must be \"random\", \"tpe\" or \"grid\"")
  for _, d in ipairs{tpe_dir, random_dir, again} do os.execute('rm -rf "' .. d .. '"') end
end)

-- ASHA's promotions against a hand-worked run of Li et al.'s Algorithm 2 (one
-- worker, rungs of 1, 3 and 9 epochs, eta 3): trial t scores s[t] plus 0.01
-- per rung. After trials 1-3, the best of three (2) goes up; 4 and 5 add no
-- promotion (the top 1 of 4 and 5 is 2 again); after 6 the top 2 of rung 1
-- are 2 and 6; after 8, the top 2 of 8 are 8 and 2, so 8 goes up, and with
-- three in rung 2 its best (8) goes up to 9 epochs; then trial 9, and nothing
-- more can be promoted.
test("scheduler = asha: promotions in Algorithm 2's order, resumed after an interrupt into the same order", function()
  local s = {0.5, 0.9, 0.1, 0.7, 0.3, 0.8, 0.2, 0.95, 0.6}
  local expected = "1@1 2@1 3@1 2@3 4@1 5@1 6@1 6@3 7@1 8@1 8@3 8@9 9@1"
  local function run(dir, calls, stop_at)
    return hp.search{name = "a", dir = dir, space = {x = hp.uniform(0, 1)}, trials = 9, seed = 1, quiet = true,
      scheduler = {kind = "asha", min_epochs = 1, max_epochs = 9, eta = 3},
      trial = function(cfg, budget)
        calls[#calls + 1] = cfg.trial .. "@" .. budget.epochs
        if #calls == stop_at then error("interrupted (a test)") end
        H.eq(budget.rungs, 3)
        return {val_acc = s[cfg.trial] + 0.01 * budget.rung}
      end}
  end
  local dir, calls = tmpdir(), {}
  local r = run(dir, calls)
  H.eq(table.concat(calls, " "), expected)
  H.eq(r.best.trial, 8); H.eq(r.best.rung, 3); H.eq(r.best.score, 0.98)
  -- the ranking: rung first (trial 8 at 9 epochs, then 2 and 6 at 3), then score
  H.eq(r.trials[2].trial .. " " .. r.trials[3].trial .. " " .. r.trials[4].trial, "2 6 4")
  local log = {}
  for line in io.lines(dir .. "/a/asha.jsonl") do log[#log + 1] = line:match('"trial":(%d+)') .. "@" .. line:match('"epochs":(%d+)') end
  H.eq(table.concat(log, " "), expected, "asha.jsonl records every job handed out")
  H.eq(io.open(dir .. "/a/s1-t002/rung2.json"):read("a"):find('"score":0.92', 1, true) ~= nil, true, "rung2.json of trial 2")
  -- interrupted in the 8th job (6 at 3 epochs), run again: the same jobs, the 8th once more, none twice else
  local dir2, first, second = tmpdir(), {}, {}
  H.raises(function() run(dir2, first, 8) end, "interrupted")
  run(dir2, second)
  H.eq(table.concat(first, " ") .. " | " .. table.concat(second, " "), "1@1 2@1 3@1 2@3 4@1 5@1 6@1 6@3 | 6@3 7@1 8@1 8@3 8@9 9@1")
  -- what is refused
  local function bad(sc, extra)
    local o = {space = {x = hp.uniform(0, 1)}, trial = function() return 0 end, dir = tmpdir(), quiet = true, scheduler = sc}
    for k, v in pairs(extra or {}) do o[k] = v end
    return function() hp.search(o) end
  end
  H.raises(bad{kind = "hyperband", max_epochs = 9}, "scheduler.kind must be \"asha\"")
  H.raises(bad{kind = "asha"}, "scheduler.max_epochs must be a positive number")
  H.raises(bad{kind = "asha", max_epochs = 9, min_epochs = 10}, "scheduler.min_epochs must be a positive number of epochs up to max_epochs")
  H.raises(bad{kind = "asha", max_epochs = 9, eta = 1}, "scheduler.eta must be an integer of 2 or more")
  H.raises(bad{kind = "asha", max_epochs = 9, rungs = 3}, "unknown option 'rungs'")
  H.raises(bad({kind = "asha", max_epochs = 9}, {stages = {{trials = 5}, {trials = 3}}}), "asha runs one stage")
  H.raises(bad({kind = "asha", max_epochs = 9}, {prune = {factor = 2}}), "drop option 'prune'")
  H.raises(bad({kind = "asha", max_epochs = 9}, {method = "grid"}), "method must be \"random\" or \"tpe\"")
  for _, d in ipairs{dir, dir2} do os.execute('rm -rf "' .. d .. '"') end
end)

-- A promoted trial carries on from its own resume state: over rungs of 0.5,
-- 1, 2 and 3 epochs a trial that reaches the top has trained 3 epochs' batches
-- once, and its parameters equal one run of 3 epochs.
test("scheduler = asha with train.fit: promoted trials resume, never retrain; TPE samples the new ones", function()
  local d = data.spiral{classes = 3, per_class = 40}
  local dir = tmpdir()
  local seen = {}
  local function trial(cfg, budget)
    tensor.seed(3)
    local m = nn.Sequential{nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3)}
    local h = train.fit{model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.Adam(m, {lr = cfg.lr}), train = d, val = d,
      batch = 10, budget = budget, keep_best = false}
    seen[#seen + 1] = {trial = cfg.trial, rung = budget.rung, steps = #h.loss, resumed = h.resumed_from, lr = cfg.lr, m = m}
    return {val_acc = h.val_acc[#h.val_acc]}
  end
  local r = hp.search{name = "b", dir = dir, space = {lr = hp.loguniform(1e-3, 0.1)}, trials = 12, seed = 2, quiet = true,
    method = "tpe", scheduler = {kind = "asha", min_epochs = 0.5, max_epochs = 3, eta = 2}, trial = trial}
  local per = {6, 12, 24, 36}   -- rungs of 0.5, 1, 2 and 3 epochs of 12 batches
  local top
  for _, c in ipairs(seen) do
    H.eq(c.steps, per[c.rung], "trial " .. c.trial .. " at rung " .. c.rung .. " has its budget's steps, no more")
    if c.rung > 1 then H.eq(c.resumed ~= nil, true, "trial " .. c.trial .. " resumed at rung " .. c.rung) end
    if c.rung == 4 then top = c end
  end
  H.eq(top ~= nil, true, "a trial reached 3 epochs")
  H.eq(r.best.rung, 4)
  tensor.seed(3)
  local m = nn.Sequential{nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3)}
  train.fit{model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.Adam(m, {lr = top.lr}), train = d, val = d, batch = 10, epochs = 3,
    quiet = true, keep_best = false}
  local p1, p2 = m:parameters(), top.m:parameters()
  for i = 1, #p1 do H.eq((p1[i] - p2[i]):abs():max():item(), 0, "parameter " .. i .. " of the top trial") end
  local cfg = io.open(dir .. "/b/s1-t012/trial.json"):read("a")
  H.eq(cfg:find('"method":"tpe"', 1, true) ~= nil, true, cfg)
  os.execute('rm -rf "' .. dir .. '"')
end)

test("hp.search{seeds = k}: every configuration k times, scored by the mean, each seed in its folder", function()
  local dir = tmpdir()
  local seen = {}
  local r = hp.search{name = "seeds", dir = dir, space = {x = hp.uniform(0, 1)}, trials = 4, seeds = 3, quiet = true, prune = false,
    trial = function(cfg)
      seen[#seen + 1] = {trial = cfg.seed, dir = cfg.dir, draw = tensor.rand{1}:item()}
      return {val_acc = cfg.x + 0.01 * cfg.seed, other = cfg.seed}
    end}
  H.eq(#seen, 12, "3 seeds × 4 trials")
  for i, s in ipairs(seen) do
    H.eq(s.trial, (i - 1) % 3 + 1)
    H.eq(s.dir:match("/seed%-(%d)$"), tostring(s.trial), "its own folder")
  end
  H.eq(seen[1].draw, seen[4].draw, "the generator seeded with the seed: seed 1 draws the same in every trial")
  H.eq(seen[1].draw ~= seen[2].draw, true)
  for _, t in ipairs(r.trials) do
    H.close(t.score, t.config.x + 0.02, 1e-12, "the mean over the seeds")
    H.close(t.score_std, 0.01, 1e-12); H.close(t.other, 2, 1e-12, "other numbers averaged too")
    H.eq(#t.seed_scores, 3); H.eq(t.seeds, 3)
  end
  H.raises(function() hp.search{name = "s2", dir = dir, space = {x = hp.uniform(0, 1)}, trials = 2, seeds = 2, quiet = true,
    scheduler = {kind = "asha", min_epochs = 1, max_epochs = 4, eta = 2}, trial = function() return 1 end} end, "with scheduler = asha")
  H.raises(function() hp.search{name = "s3", dir = dir, space = {x = hp.uniform(0, 1)}, trials = 2, seeds = 0, quiet = true,
    trial = function() return 1 end} end, "option 'seeds' must be a whole number")
  os.execute('rm -rf "' .. dir .. '"')
end)
