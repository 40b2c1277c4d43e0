local H, file = ...
local test = function(name, fn) H.test(file .. ": " .. name, fn) end

local function tmpdir() local d = os.tmpname(); os.remove(d); return d end

test("samplers: real bounds, integers, choices; bad ranges refused", function()
  local s = hp.loguniform(1e-6, 10)
  H.eq(s.lo, 1e-6); H.eq(s.hi, 10)
  H.raises(function() hp.search{space = {lr = hp.loguniform(0, 1)}, trial = function() return 0 end, dir = tmpdir(), quiet = true} end, "needs 0 < lo < hi")
  H.raises(function() hp.search{space = {}, trial = 3} end, "option 'trial' must be a function")
  H.raises(function() hp.search{space = {}, trial = function() end, trails = 3} end, "unknown option 'trails'")
end)

test("coarse to fine around a known optimum, files, border warnings, resume", function()
  local dir, calls = tmpdir(), 0
  local function trial(cfg, budget)
    calls = calls + 1
    assert(cfg.dir and budget.stage)
    local f = io.open(cfg.dir .. "/config.json"); assert(f, "config.json written before the trial"); f:close()
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
  local f = io.open(dir .. "/f2.lock", "w")
  os.execute('mkdir -p "' .. dir .. '/g"'); io.open(dir .. "/g/master.lock", "w"):write("1\n"):close()  -- pid 1 is alive
  H.raises(function() hp.search{name = "g", dir = dir, space = {x = hp.uniform(0, 1)}, trials = 1, quiet = true, trial = function() return 1 end} end,
    "another master (pid 1)")
  f:close()
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
