-- bench.run: a rule against tuned baselines on the registered problems.
-- Every rule gets the same tuning: the same number of learning rates, the
-- same spacing around its own centre, the same epochs, seed 1; the rate with
-- the best metric is then trained again under the other seeds. Each run is a
-- run folder with a result.json beside its metrics; a run whose result.json
-- exists is read, not run again, so a killed benchmark resumes.
local P, bench, B, L = ...
local docs, H, C = P.docs, P.hp, P.bench
local stats, train, optim, tensor = L.stats, L.train, L.optim, L.tensor

-- The baselines and the built-ins a rule may be named by: the centre of the
-- learning-rate grid (PyTorch's default, or the usual one where PyTorch has
-- none) and how the rule is made.
local centres = {
  SGD = {0.03, function(m, lr) return optim.SGD(m, {lr = lr, momentum = 0.9}) end, "momentum 0.9"},
  Adam = {1e-3, function(m, lr) return optim.Adam(m, {lr = lr}) end, "PyTorch's defaults"},
  AdamW = {1e-3, function(m, lr) return optim.AdamW(m, {lr = lr, weight_decay = 0.01}) end, "weight decay 0.01"},
  NAdam = {2e-3}, RAdam = {1e-3}, Adamax = {2e-3}, Adagrad = {1e-2}, RMSprop = {1e-3}, Adadelta = {1.0},
  Lion = {1e-4}, ScheduleFreeAdamW = {2.5e-3}, ScheduleFreeSGD = {1.0}, LAMB = {1e-3}, SOAP = {3e-3},
  Adafactor = {1e-2}, Prodigy = {1.0}, LARS = {0.1}, ASGD = {1e-2}, Rprop = {1e-2},
}

-- A rule as {name, lr (the grid's centre), make(model, lr), about}: a built-in
-- by name, an optim.Optimizer class, or a table {name =, lr =, make =}.
local function as_rule(x, where)
  if type(x) == "string" then
    local c = centres[x]
    if not c or type(optim[x]) ~= "function" then
      local names = {}
      for k in pairs(centres) do names[#names + 1] = k end
      table.sort(names)
      P.argument_error("bench.run", 1, string.format("%s: no built-in rule %q (%s; or give {name =, lr =, make = function(model, lr) ... end})",
        where, x, table.concat(names, ", ")))
    end
    return {name = x, lr = c[1], make = c[2] or function(m, lr) return optim[x](m, {lr = lr}) end, about = c[3] or "defaults but lr"}
  end
  if type(x) == "table" and type(x.defaults) == "table" and type(x.name) == "string" then   -- optim.Optimizer:extend's class
    return {name = x.name, lr = x.defaults.lr, about = "its defaults but lr", make = function(m, lr, extra)
      local o = {lr = lr}
      for k, v in pairs(extra or {}) do o[k] = v end
      return x(m, o)
    end}
  end
  if type(x) == "table" and type(x.make) == "function" then
    if type(x.name) ~= "string" or type(x.lr) ~= "number" or not (x.lr > 0) then
      P.argument_error("bench.run", 1, where .. ": a rule table needs name (a string) and lr (the centre of its grid, a positive number)")
    end
    return {name = x.name, lr = x.lr, make = x.make, about = x.about or ""}
  end
  P.argument_error("bench.run", 1, where .. ": a rule is a built-in's name, an optim.Optimizer class or {name =, lr =, make =}, got " .. P.kind(x))
end

-- The learning rates every rule tries: count rates spaced `decades` apart, centred on its own.
local function grid(centre, count, decades)
  local rates = {}
  for k = 1, count do rates[k] = centre * 10 ^ ((k - (count + 1) / 2) * decades) end
  return rates
end

local function finite(v) return type(v) == "number" and v == v and v ~= math.huge and v ~= -math.huge end

-- JSON has no nan: a missing metric is false.
local function clean(list)
  local out = {}
  for i, v in ipairs(list or {}) do out[i] = finite(v) and v or false end
  return out
end

-- A run's result: its result.json, or nil while it has none.
local function result_of(dir)
  local done = H.read_json(dir .. "/result.json")
  return type(done) == "table" and done.status and done or nil
end

-- One training run; its result.json is written last and read back (JSON
-- keeps 15 digits), so a resumed benchmark gives the numbers a whole one does.
local function train_one(ctx, job)
  local p, made, rule, lr, seed, dir = job.p, job.made, job.rule, job.lr, job.seed, job.dir
  job.ran_here = true
  tensor.seed(seed)
  local started = os.clock()
  local ok, h = pcall(function()
    local model = made.model()
    local opt = rule.make(model, lr, job.extra)
    return train.fit{model = model, loss = made.loss, optimizer = opt, train = made.train, val = made.val, epochs = made.epochs,
      batch = made.batch, clip = made.clip, seed = seed, quiet = true, log = dir, overwrite = true, keep = 1}
  end)
  local r = {problem = p.name, rule = rule.name, lr = lr, seed = seed, epochs = made.epochs, steps_per_epoch = made.steps_per_epoch, extra = job.extra}
  if not ok then
    local msg = tostring(h)
    if msg:find("interrupted", 1, true) then error(h, 0) end
    msg = msg:gsub("^[^\n:]+:%d+: ", "")   -- the position is the benchmark's call, not the rule's fault
    r.status, r.error, r.curve = "failed", msg, {}
  else
    local curve = h[p.metric] or {}
    r.curve, r.seconds, r.stopped = clean(curve), h.seconds, h.stopped
    local best
    for e, v in ipairs(curve) do
      if finite(v) then
        if best == nil or (p.higher and v > best) or (not p.higher and v < best) then best = v end
        if not r.reached_epoch and ((p.higher and v >= made.target) or (not p.higher and v <= made.target)) then r.reached_epoch = e end
      end
    end
    r.best, r.final = best, finite(curve[#curve]) and curve[#curve] or nil
    r.status = best == nil and "diverged" or (#curve < made.epochs and "stopped" or "done")
    if best == nil then r.error = h.stopped or "no finite " .. p.metric end
    if r.reached_epoch then
      r.reached_step = r.reached_epoch * made.steps_per_epoch
      r.reached_seconds = h.seconds * r.reached_epoch / math.max(#curve, 1)
    end
  end
  r.cpu_seconds = os.clock() - started
  H.write_json(dir .. "/result.json", r)
  C.remove(dir .. "/resume.safetensors")   -- finished: nothing to resume (the best checkpoint stays)
  ctx.ran = ctx.ran + 1
  local back = result_of(dir) or r
  ctx.view(job, back)
  return back
end

-- Runs a job unless it is done or (sharing the folder) another process has
-- claimed it; with claim = "wait" this process runs nothing but orphans.
local function attempt(ctx, job)
  if result_of(job.dir) then return end
  if not ctx.claim then return train_one(ctx, job) end
  if ctx.claim == "wait" then return end
  if C.claim(job.dir .. "/claim") then return train_one(ctx, job) end
end

-- A job's result, waiting for the process that claimed it; a claim whose
-- process is gone (on this machine) is taken over and the run made here.
local function collect(ctx, job)
  local waited = false
  while true do
    local r = result_of(job.dir)
    if r then
      if not job.counted then job.counted = true; if not job.ran_here then ctx.resumed = ctx.resumed + 1 end end
      return r
    end
    if not ctx.claim then return train_one(ctx, job) end
    local state = C.claim_state(job.dir .. "/claim")
    if state == "absent" or state == "dead" then
      if state == "dead" then C.remove(job.dir .. "/claim") end
      if C.claim(job.dir .. "/claim") then return train_one(ctx, job) end
    end
    if not waited and not ctx.quiet and not ctx.announced then
      ctx.announced = true
      print(string.format("waiting for the runs other processes claimed (the first: %s, by %s)", job.dir, C.claim_holder(job.dir .. "/claim") or "?"))
    end
    waited = true
    C.sleep(0.25)
  end
end

local function median(xs)
  local s = {}
  for i, v in ipairs(xs) do s[i] = v end
  table.sort(s)
  if #s == 0 then return nil end
  return #s % 2 == 1 and s[(#s + 1) / 2] or (s[#s / 2] + s[#s / 2 + 1]) / 2
end

-- The tuning runs of one rule on one problem, all on seed 1: for the rule
-- with a second hyperparameter (also = {name =, values = {...}}), tune rates
-- at each of its m values; for every other rule tune·m rates over the same
-- span, so every rule gets the same number of runs.
local function tuning_jobs(ctx, p, made, rule)
  local root = string.format("%s/%s/%s", ctx.dir, p.name, rule.name)
  local jobs = {}
  local also = rule.also
  if also then
    for j, v in ipairs(also.values) do
      for k, lr in ipairs(grid(rule.lr, ctx.tune, ctx.decades)) do
        jobs[#jobs + 1] = {p = p, made = made, rule = rule, lr = lr, seed = 1, extra = {[also.name] = v},
                           what = string.format("lr %.3g %s %.3g", lr, also.name, v), dir = string.format("%s/lr%d-%s%d/seed-1", root, k, also.name, j)}
      end
    end
  else
    local count = ctx.tune * ctx.also_count
    local decades = count > 1 and ctx.decades * (ctx.tune - 1) / (count - 1) or ctx.decades
    for k, lr in ipairs(grid(rule.lr, count, decades)) do
      jobs[k] = {p = p, made = made, rule = rule, lr = lr, seed = 1, what = string.format("lr %.3g", lr), dir = string.format("%s/lr%d/seed-1", root, k)}
    end
  end
  return jobs
end

-- The tuned setting (the best metric on seed 1) and the seeds' jobs at it.
local function tuned(ctx, s, p, made, rule, jobs)
  local best_k
  for k, r in ipairs(s.tuning) do
    if r.best ~= nil and (best_k == nil or (p.higher and r.best > s.tuning[best_k].best) or (not p.higher and r.best < s.tuning[best_k].best)) then
      best_k = k
    end
  end
  if not best_k then s.failed = "no learning rate gave a finite " .. p.metric; return {} end
  local best = jobs[best_k]
  local lo, hi = math.huge, 0   -- the grid's ends: a tuned rate there may want a wider grid
  for _, j in ipairs(jobs) do lo, hi = math.min(lo, j.lr), math.max(hi, j.lr) end
  s.lr, s.best_k, s.extra = best.lr, best_k, best.extra
  s.at_edge = best.lr == lo or best.lr == hi
  local jobs_out = {}
  local folder = best.dir:match("^(.*)/seed%-1$")
  for seed = 2, ctx.seeds do
    jobs_out[#jobs_out + 1] = {p = p, made = made, rule = rule, lr = s.lr, seed = seed, extra = best.extra, what = string.format("seed %d", seed),
                               dir = string.format("%s/seed-%d", folder, seed)}
  end
  return jobs_out
end

-- The rule's measurements over its seeds.
local function summarise(s)
  local bests, times, steps, reached = {}, {}, {}, 0
  for _, r in ipairs(s.runs) do
    if r.best ~= nil then bests[#bests + 1] = r.best end
    if r.reached_seconds then reached = reached + 1 end
    -- a run that never reached the target counts as infinitely slow
    times[#times + 1] = r.reached_seconds or math.huge
    steps[#steps + 1] = r.reached_step or math.huge
  end
  s.best = #bests > 0 and P.stats.summary(bests) or nil
  s.reached, s.time_to_target, s.steps_to_target = reached, median(times), median(steps)
end

-- AlgoPerf's performance profile over the problems: for each rule, the
-- fraction of problems it solved within τ times the fastest rule's time,
-- and the score, the profile's area from τ = 1 to 4 over 3.
local function profiles(results, rules, problems)
  local out = {}
  for _, rule in ipairs(rules) do
    local ratios = {}
    for _, name in ipairs(problems) do
      local per = results[name]
      local fastest = math.huge
      for _, s in pairs(per.rules) do if s.time_to_target and s.time_to_target < fastest then fastest = s.time_to_target end end
      local t = per.rules[rule.name].time_to_target or math.huge
      ratios[#ratios + 1] = (fastest < math.huge and t < math.huge) and t / fastest or math.huge
    end
    local area = 0
    for _, r in ipairs(ratios) do if r <= 4 then area = area + (4 - math.max(r, 1)) end end
    out[rule.name] = {ratios = ratios, score = area / (3 * #ratios)}
  end
  return out
end

local function fmt_metric(p, v) return v == nil and "—" or (p.higher and string.format("%.4f", v) or string.format("%.4g", v)) end

local run_keys = {"rule", "also", "baselines", "problems", "seeds", "budget", "tune", "decades", "dir", "quiet", "claim"}
function bench.run(opts)
  if type(opts) ~= "table" then P.argument_error("bench.run", 1, "table of options expected, got " .. P.kind(opts)) end
  P.check_options("bench.run", 1, opts, run_keys)
  if opts.rule == nil then P.argument_error("bench.run", 1, "option 'rule' is required: the rule to judge") end
  local rules = {as_rule(opts.rule, "rule")}
  local also = opts.also
  if also ~= nil then
    if type(also) ~= "table" or type(also.name) ~= "string" or type(also.values) ~= "table" or #also.values < 1 then
      P.argument_error("bench.run", 1, "option 'also' must be {name = \"beta2\", values = {...}}: the rule's second hyperparameter and its values")
    end
    for i, v in ipairs(also.values) do
      if type(v) ~= "number" then P.argument_error("bench.run", 1, string.format("also.values[%d] must be a number, got %s", i, P.kind(v))) end
    end
    if also.name == "lr" then P.argument_error("bench.run", 1, "option 'also' names a second hyperparameter; lr is tuned anyway") end
    rules[1].also = {name = also.name, values = also.values}
  end
  for i, b in ipairs(opts.baselines or {"SGD", "Adam", "AdamW"}) do rules[#rules + 1] = as_rule(b, "baselines[" .. i .. "]") end
  local seen = {}
  for _, r in ipairs(rules) do
    if seen[r.name] then P.argument_error("bench.run", 1, "two rules are named " .. r.name .. " (name the rule: {name =, lr =, make =})") end
    seen[r.name] = true
  end
  local names = opts.problems or {"quadratic_deep", "fmnist_mlp", "char_transformer", "fmnist_2c2d"}
  if type(names) == "string" then names = {names} end
  for i, name in ipairs(names) do
    if not bench.problems[name] then
      local known = {}
      for k in pairs(bench.problems) do known[#known + 1] = k end
      table.sort(known)
      P.argument_error("bench.run", 1, string.format("problems[%d]: no problem %q (%s)", i, tostring(name), table.concat(known, ", ")))
    end
  end
  local function count(key, default, lo, hi)
    local v = opts[key] or default
    if math.type(v) ~= "integer" or v < lo or v > hi then
      P.argument_error("bench.run", 1, string.format("option '%s' must be a whole number in %d...%d, got %s", key, lo, hi, tostring(v)))
    end
    return v
  end
  local ctx = {dir = opts.dir or "bench", seeds = count("seeds", 3, 1, 100), tune = count("tune", 5, 1, 50), also_count = also and #also.values or 1,
               decades = opts.decades or 0.5, resumed = 0, ran = 0, quiet = opts.quiet}
  if opts.claim ~= nil and opts.claim ~= true and opts.claim ~= false and opts.claim ~= "wait" then
    P.argument_error("bench.run", 1, "option 'claim' must be true, false or \"wait\", got " .. tostring(opts.claim))
  end
  ctx.claim = opts.claim
  if type(ctx.decades) ~= "number" or not (ctx.decades > 0) then P.argument_error("bench.run", 1, "option 'decades' must be a positive number") end
  -- a smoke run (OPTLAB_TINY): at most 2 rates and 2 seeds; train.fit trains one epoch of cut data sets
  if H.tiny() and (ctx.tune > 2 or ctx.seeds > 2) then
    ctx.tune, ctx.seeds = math.min(ctx.tune, 2), math.min(ctx.seeds, 2)
    H.announce_tiny()
  end
  local quiet = opts.quiet
  ctx.view = function(job, r)
    if quiet then return end
    local p, rule, what = job.p, job.rule, job.what
    local metric = r.best and fmt_metric(p, r.best) or ("failed: " .. tostring(r.error):sub(1, 60))
    print(string.format("%-15s %-18s %-12s %s %s%s", p.name, rule.name, what, p.metric, metric,
      r.reached_epoch and string.format("  (target at epoch %d)", r.reached_epoch) or ""))
  end
  -- Phase 1, every rule's tuning runs on every problem; phase 2, the tuned
  -- rates under the other seeds. Sharing the folder (claim), a process runs
  -- what no other has claimed and then waits for the rest.
  local studies, all_tuning = {}, {}
  for _, name in ipairs(names) do
    local p = bench.problems[name]
    local made = p:make(opts.budget)
    made.steps_per_epoch = math.ceil(made.train:size() / made.batch)
    studies[name] = {p = p, made = made, rules = {}}
    for _, rule in ipairs(rules) do
      local jobs = tuning_jobs(ctx, p, made, rule)
      studies[name].rules[rule.name] = {rule = rule, jobs = jobs}
      for _, j in ipairs(jobs) do all_tuning[#all_tuning + 1] = j end
    end
  end
  for _, j in ipairs(all_tuning) do attempt(ctx, j) end
  local all_seeds = {}
  for _, name in ipairs(names) do
    local st = studies[name]
    for _, rule in ipairs(rules) do
      local entry = st.rules[rule.name]
      local s = {rule = rule.name, about = rule.about, rates = {}, tuning = {}, runs = {},
                 budget = {trials = #entry.jobs, epochs = st.made.epochs, steps = #entry.jobs * st.made.epochs * st.made.steps_per_epoch}}
      for k, j in ipairs(entry.jobs) do s.rates[k], s.tuning[k] = j.lr, collect(ctx, j) end
      entry.study, entry.seed_jobs = s, tuned(ctx, s, st.p, st.made, rule, entry.jobs)
      for _, j in ipairs(entry.seed_jobs) do all_seeds[#all_seeds + 1] = j end
    end
  end
  for _, j in ipairs(all_seeds) do attempt(ctx, j) end
  local results, order = {}, {}
  for _, name in ipairs(names) do
    local st = studies[name]
    local per = {problem = name, metric = st.p.metric, higher = st.p.higher, target = st.made.target, epochs = st.made.epochs,
                 batch = st.made.batch, reference = st.p.reference, rules = {}, order = {}}
    for _, rule in ipairs(rules) do
      local entry = st.rules[rule.name]
      local s = entry.study
      if s.best_k then
        s.runs[1] = s.tuning[s.best_k]
        for i, j in ipairs(entry.seed_jobs) do s.runs[i + 1] = collect(ctx, j) end
      end
      summarise(s)
      per.rules[rule.name], per.order[#per.order + 1] = s, rule.name
    end
    -- each baseline against the rule, on the best metric, paired by seed
    per.versus = {}
    local mine = per.rules[rules[1].name]
    for i = 2, #rules do
      local other = per.rules[rules[i].name]
      local a, b = {}, {}
      for _, r in ipairs(mine.runs) do if r.best ~= nil then a[#a + 1] = {seed = r.seed, best = {m = r.best}} end end
      for _, r in ipairs(other.runs) do if r.best ~= nil then b[#b + 1] = {seed = r.seed, best = {m = r.best}} end end
      if #a >= 2 and #b >= 2 then
        local ok, c = pcall(stats.compare, a, b, {metric = "best.m"})
        per.versus[rules[i].name] = ok and {diff = c.diff, ci = c.ci, p = c.p, t = c.t, df = c.df, paired = c.paired,
          seeds_needed = c.seeds_needed} or {error = tostring(c)}
      else
        per.versus[rules[i].name] = {error = string.format("needs two finished runs a side (%d and %d)", #a, #b)}
      end
    end
    results[name] = per
    order[#order + 1] = name
  end
  local result = {rule = rules[1].name, rules = {}, problems = results, order = order, seeds = ctx.seeds, tune = ctx.tune, also = rules[1].also,
                  decades = ctx.decades, dir = ctx.dir, resumed = ctx.resumed}
  for i, r in ipairs(rules) do result.rules[i] = r.name end
  result.ran = ctx.ran
  result.profiles = profiles(results, rules, order)
  H.write_json(ctx.dir .. "/results.json", result)
  result.page = B.page(result, ctx.dir .. "/index.html")
  result.report = B.report(result)
  return setmetatable(result, P.report_mt)
end
P.option_keys["bench.run"] = run_keys
docs["bench.run"] = "bench.run{rule=, also=, baselines={\"SGD\", \"Adam\", \"AdamW\"}, problems={...}, seeds=3, budget=\"quick\", tune=5, decades=0.5, dir=\"bench\", quiet=false, claim=false}\n\n" ..
  "Judges an update rule against tuned baselines on the registered problems (bench.problems). rule is an\n" ..
  "optim.Optimizer class (its default lr is the grid's centre), a built-in's name, or {name =, lr =,\n" ..
  "make = function(model, lr, extra) ... end}. Every rule gets the same tuning: tune learning rates decades apart\n" ..
  "around its own centre, seed 1, the problem's budget (\"quick\", \"full\" or {epochs =, examples =}); with\n" ..
  "also = {name =, values = {...}} the rule's second hyperparameter is tuned too (tune rates at each value; the\n" ..
  "baselines then get as many rates over the same span, so the budgets stay equal); its best\n" ..
  "rate is trained again under seeds 2..seeds. Measured per run: the best metric, the epoch, step and\n" ..
  "seconds at which the target was reached; per rule and problem: mean ± std over the seeds and the median\n" ..
  "time to target (a run that misses counts as infinitely slow); across problems AlgoPerf's performance\n" ..
  "profile and score (the area to τ = 4 over 3); each baseline against the rule with stats.compare, paired by\n" ..
  "seed. A rule that errors or diverges is recorded as not reaching the target, with why. Runs are run\n" ..
  "folders under dir/<problem>/<rule>/lr<k>/seed-<s>; a run with a result.json is not run again, so a killed\n" ..
  "benchmark resumes. claim = true lets several processes share dir (each run is made by the process that\n" ..
  "claims it, the others wait for its result; optlab bench-optimizer --workers N starts N such processes).\n" ..
  "Writes dir/results.json and dir/index.html; returns the results, printed as a table.\n" ..
  "  local Signum = optim.Optimizer:extend(\"Signum\", {lr = 1e-3})\n" ..
  "  function Signum:update(p, g, state, group) p:sub_(g:sign(), group.lr) end\n" ..
  "  local r = bench.run{rule = Signum, problems = {\"quadratic_deep\"}, seeds = 2, tune = 3, budget = {epochs = 1},\n" ..
  "    dir = os.tmpname() .. \".d\", quiet = true}; print(r)"
