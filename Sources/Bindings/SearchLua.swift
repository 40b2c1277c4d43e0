/// `hp.search`, written in Lua because the trial is a Lua function. The
/// Swift half (HPLibrary) samples, narrows, warns and writes files atomically.
///
/// Three parts, run as one chunk: the trials (sampling, budgets, pruning,
/// files), the view (the live table), and the backends that run a stage's
/// trials: in this process, in worker processes on this machine, or as a
/// Slurm job array. Every backend works over the same run folder, which is
/// the only state: `runs/<name>/s<stage>-t<trial>/` (config.json,
/// progress.jsonl, result.json, checkpoints), queue/ and running/ for the
/// trials handed out, slurm/ for the job arrays, summary.jsonl, master.lock.
enum SearchLua {
    static let source = [trials, SearchView.source, SearchBackends.source, search].joined(separator: "\n")

    static let trials = #"""
local P = {}
for _, k in ipairs{"sample", "grid", "narrow", "borders", "write_json", "read_json", "read_lines", "lock", "mkdir",
                   "spawn", "alive", "sleep", "pid", "rename", "list", "kill", "now", "terminal", "realpath", "redirect"} do
  P[k] = hp["__" .. k]; hp["__" .. k] = nil
end

-- A sampled raw config (choice indices, numbers) as the values the trial sees.
local function decode(space, raw)
  local cfg = {}
  for name, spec in pairs(space) do
    local v = raw[name]
    if spec.__hp == "choice" then cfg[name] = spec.choices[math.floor(v) + 1]
    elseif spec.__hp == "int" then cfg[name] = math.floor(v)
    else cfg[name] = v end
  end
  return cfg
end

local function exists(path) local f = io.open(path) if f then f:close() return true end return false end
local function trial_dir(root, s, t) return string.format("%s/s%d-t%03d", root, s, t) end

-- A result never changes once written, so it is read once. A score JSON
-- could not hold (inf, nan: written as strings) is no score.
local function result_of(ctx, job)
  local r = ctx.results[job.trial]
  if r then return r end
  r = P.read_json(job.dir .. "/result.json")
  if r and type(r.score) ~= "number" then r.score = nil end
  ctx.results[job.trial] = r
  return r
end

-- The trials of stage s, sampled in this stage's space (or a grid's points),
-- each with its config.json; a config an earlier run wrote is kept, so a
-- resumed sweep runs the very same trials.
local function plan_stage(ctx, s, stage, space, first)
  local n, note = stage.trials or 10, nil
  if ctx.method == "grid" then
    local _, size, levels = P.grid(space, 0, n)
    n, note = size, string.format("grid of %d points (%s levels) for a budget of %d", size, levels, stage.trials or 10)
  end
  local jobs = {}
  for i = 1, n do
    local t = first + i - 1
    local dir = trial_dir(ctx.root, s, t)
    local saved = P.read_json(dir .. "/config.json")
    local raw
    if saved and saved.raw then raw = saved.raw
    elseif ctx.method == "grid" then raw = P.grid(space, i - 1, stage.trials or 10)
    else raw = P.sample(space, ctx.seed, t) end
    local job = {trial = t, stage = s, dir = dir, raw = raw, config = decode(ctx.space, raw), epochs = stage.epochs,
                 trials = n, first = first, last = first + n - 1, retries = 0}
    if not saved then
      P.mkdir(dir)
      P.write_json(dir .. "/config.json", {trial = t, stage = s, config = job.config, raw = raw, seed = ctx.seed, method = ctx.method})
    end
    jobs[i] = job
  end
  return jobs, note
end

-- Coarse to fine: the next stage's space from this stage's finished trials
-- (choices are kept as they are).
local function narrowed_space(space, results)
  local finished = {}
  for _, r in ipairs(results) do if r.status == "ok" then finished[#finished + 1] = {score = r.score, raw = r.raw} end end
  local narrowed = P.narrow(space, finished)
  for n, spec in pairs(space) do if spec.__hp == "choice" then narrowed[n] = spec end end
  return narrowed
end

local function quantile(xs, q)
  table.sort(xs)
  local pos = 1 + (#xs - 1) * q
  local lo = math.floor(pos)
  local hi = math.min(#xs, lo + 1)
  return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)
end

-- A trial's reports by their point in training; a finished trial's are read once.
local function reports_of(ctx, job)
  local cached = ctx.reports[job.trial]
  if cached then return cached end
  local by_at = {}
  for _, r in ipairs(P.read_lines(job.dir .. "/progress.jsonl")) do
    if type(r.at) == "number" then by_at[string.format("%.4f", r.at)] = r end
  end
  if result_of(ctx, job) then ctx.reports[job.trial] = by_at end
  return by_at
end

-- Early stopping: a trial far behind the median of the other trials of its
-- stage at the same point of training is stopped: its loss (within an
-- epoch), or its error 1 - val_acc (at an epoch's end), is more than
-- `factor` times theirs, once `min_trials` others have reached that point.
local function behind(ctx, job, r)
  local pr = ctx.prune
  if not pr or type(r.at) ~= "number" or r.at < pr.warmup or (job.epochs and r.at >= job.epochs) then return nil end
  local metric = type(r.val_acc) == "number" and "val_acc" or "loss"
  if type(r[metric]) ~= "number" then return nil end
  local function err(v) return metric == "val_acc" and 1 - v or v end
  local key, others = string.format("%.4f", r.at), {}
  for t = job.first, job.last do
    if t ~= job.trial then
      local rep = reports_of(ctx, {trial = t, dir = trial_dir(ctx.root, job.stage, t)})[key]
      if rep and type(rep[metric]) == "number" and rep[metric] == rep[metric] then others[#others + 1] = err(rep[metric]) end
    end
  end
  if #others < pr.min_trials then return nil end
  local median, mine = quantile(others, 0.5), err(r[metric])
  if median > 0 and mine > pr.factor * median then
    return string.format("at epoch %g, %s %.4g is %.1f× the median %.4g of %d trials there",
      r.at, metric == "val_acc" and "error" or "loss", mine, mine / median, median, #others)
  end
end

-- The budget a trial receives: its stage's epochs, stop_above in the first
-- stage, resume (from the trial folder's last epoch), and report, which
-- train.fit{budget = budget} calls a few times an epoch.
local function budget_for(ctx, job, on_report)
  local b = {stage = job.stage, epochs = job.epochs, trials = job.trials, stop_above = job.stage == 1 and 3 or nil,
             resume = true, quiet = true}
  function b.report(r)
    if type(r) ~= "table" then error("budget.report: expected a table like {at = epochs_done, loss = ..., val_acc = ...}", 2) end
    P.write_json(job.dir .. "/progress.jsonl", r, true)
    b.at = r.at
    if on_report then on_report(job, r) end
    local why = behind(ctx, job, r)
    if why then b.stopped = why end
    return why
  end
  return b
end

-- Runs one trial; returns its result record. Ctrl-C is not a failed trial: it stops the search.
local function run_trial(ctx, job, on_report)
  local cfg = {}
  for k, v in pairs(job.config) do cfg[k] = v end
  cfg.dir, cfg.trial = job.dir, job.trial
  local budget = budget_for(ctx, job, on_report)
  local started = P.now()
  local ok, out = pcall(ctx.trial, cfg, budget)
  if not ok and tostring(out):find("interrupted") then error(out, 0) end
  cfg.dir, cfg.trial = nil, nil
  local r = {trial = job.trial, stage = job.stage, config = cfg, raw = job.raw, dir = job.dir,
             seconds = P.now() - started, at = budget.at, retries = (job.retries or 0) > 0 and job.retries or nil}
  local key = ctx.key
  local score = ok and (type(out) == "number" and out or (type(out) == "table" and out[key])) or nil
  if not ok then
    r.status, r.error = "failed", tostring(out)
  elseif type(score) ~= "number" or score ~= score or score == math.huge or score == -math.huge then
    r.status = budget.stopped and "stopped" or "failed"
    r.error = budget.stopped or ("the trial returned no number (expected a number or a table with '" .. key .. "')")
  else
    r.status, r.score, r.error = budget.stopped and "stopped" or "ok", score, budget.stopped
    if type(out) == "table" then for k, v in pairs(out) do if type(v) == "number" and k ~= key then r[k] = v end end end
  end
  return r
end

local function finish_trial(ctx, r)
  P.write_json(r.dir .. "/result.json", r)
  P.write_json(ctx.root .. "/summary.jsonl", r, true)
  ctx.results[r.trial] = r
end

-- A worker process: claim a queued trial by renaming its file into running/
-- (rename is atomic, so one worker wins), run it, repeat until the queue is
-- empty. A Slurm array task runs exactly its own trial, taking it over from
-- running/ when its task was requeued.
local function work(ctx, only)
  local queue, running = ctx.root .. "/queue/", ctx.root .. "/running/"
  P.mkdir(running)
  local job_id, task = os.getenv("SLURM_ARRAY_JOB_ID"), os.getenv("SLURM_ARRAY_TASK_ID")
  local me = job_id and ("slurm" .. job_id .. "_" .. (task or "0")) or tostring(P.pid())
  -- A local worker serves its master's search only (not a second master's,
  -- which is refused), waits for trials while the master lives (it may still
  -- be loading its data, or narrowing between stages), and leaves when the
  -- master is gone and the queue is empty.
  local master = tonumber(os.getenv("OPTLAB_SWEEP_MASTER") or "")
  if master then
    P.mkdir(ctx.root .. "/workers")
    P.redirect(ctx.root .. "/workers/" .. me .. ".log")
  end
  local function ours()
    if not master then return true end
    local f = io.open(ctx.root .. "/master.lock")
    if not f then return false end
    local pid = tonumber(f:read("l") or "")
    f:close()
    return pid == master
  end
  while true do
    local t, mine
    if only then
      t = tostring(only)
      mine = running .. t .. "." .. me .. ".json"
      local got = P.rename(queue .. t .. ".json", mine)
      if not got then
        for _, f in ipairs(P.list(running)) do
          if f:match("^(%d+)%.") == t then got = P.rename(running .. f, mine) break end
        end
      end
      if not got then
        -- a task requeued after its trial had finished: nothing to do
        for _, f in ipairs(P.list(ctx.root)) do
          if f:match("^s%d+%-t0*" .. t .. "$") and exists(ctx.root .. "/" .. f .. "/result.json") then return end
        end
        error("optlab --sweep-worker: trial " .. t .. " is neither queued nor running in " .. ctx.root, 0)
      end
    else
      if ours() then
        for _, f in ipairs(P.list(queue)) do
          local q = f:match("^(%d+)%.json$")
          if q and P.rename(queue .. f, running .. q .. "." .. me .. ".json") then t = q break end
        end
      end
      if not t and not (master and P.alive(master)) then return end
      mine = t and (running .. t .. "." .. me .. ".json")
    end
    if mine then
      local job = P.read_json(mine)
      if job then
        P.mkdir(job.dir)
        if not result_of(ctx, job) then finish_trial(ctx, run_trial(ctx, job)) end
      end
      os.remove(mine)
      if only then return end
    else
      P.sleep(0.05)
    end
  end
end
"""#

    static let search = #"""
-- The search's stages, whichever backend runs them.
local function run_stages(ctx, stages, backend)
  local space, first, all = ctx.space, 1, {}
  for s, stage in ipairs(stages) do
    local jobs, note = plan_stage(ctx, s, stage, space, first)
    first = first + #jobs
    ctx.view:stage(s, #stages, stage, jobs, note)
    backend.run(ctx, s, jobs)
    local results = {}
    for _, j in ipairs(jobs) do
      local r = result_of(ctx, j) or {trial = j.trial, stage = s, config = j.config, raw = j.raw, dir = j.dir, status = "failed", error = "no result"}
      results[#results + 1] = r; all[#all + 1] = r
    end
    local nextspace = s < #stages and narrowed_space(space, results) or nil
    ctx.view:stage_done(s, jobs, space, nextspace)
    space = nextspace or space
  end
  return all
end

-- Best first, border warnings for the best, the lock released.
local function conclude(ctx, all)
  table.sort(all, function(a, b)
    local sa, sb = a.status == "ok" and a.score or -math.huge, b.status == "ok" and b.score or -math.huge
    if sa ~= sb then return sa > sb end
    return a.trial < b.trial
  end)
  local best = all[1]
  if best and best.status ~= "ok" then best = nil end
  local warnings = best and P.borders(ctx.space, best.raw) or {}
  ctx.view:finish(best, warnings)
  os.remove(ctx.root .. "/master.lock")
  return {best = best, trials = all, warnings = warnings, dir = ctx.root}
end

local search_options = {name = true, dir = true, space = true, trial = true, stages = true, trials = true, seed = true,
  workers = true, score = true, quiet = true, method = true, prune = true}

-- hp.search{name=, dir="runs", space={...}, trial=function(cfg, budget) ... end,
--           stages={{trials=40, epochs=1}, ...} or trials=N, seed=0, score="val_acc",
--           method="random" or "grid", prune={factor=1.5, min_trials=4, warmup=0.5} or false}
function hp.search(o)
  local function bad(msg) error("bad argument #1 to 'search' (" .. msg .. ")", 3) end
  if type(o) ~= "table" then bad("table expected, got " .. type(o)) end
  for k in pairs(o) do if not search_options[k] then bad("unknown option '" .. tostring(k) .. "'") end end
  if type(o.trial) ~= "function" then bad("option 'trial' must be a function") end
  if type(o.space) ~= "table" then bad("option 'space' must be a table of hp distributions") end
  if o.method ~= nil and o.method ~= "random" and o.method ~= "grid" then
    bad("option 'method' must be \"random\" or \"grid\", got " .. tostring(o.method))
  end
  local prune = nil
  if o.prune ~= false then
    local p = type(o.prune) == "table" and o.prune or {}
    if o.prune ~= nil and type(o.prune) ~= "table" and o.prune ~= true then bad("option 'prune' must be a table or false") end
    prune = {factor = p.factor or 1.5, min_trials = p.min_trials or 4, warmup = p.warmup or 0.5}
    if type(prune.factor) ~= "number" or prune.factor <= 1 then
      bad("prune.factor must be a number above 1, got " .. tostring(p.factor))
    end
  end
  for name, spec in pairs(o.space) do
    if type(spec) ~= "table" or type(spec.__hp) ~= "string" then
      bad("space." .. tostring(name) .. " must be an hp distribution (hp.loguniform, hp.uniform, hp.int, hp.choice), got " .. type(spec))
    end
  end
  local valid, why = pcall(P.sample, o.space, 0, 1)   -- the bounds, checked before anything is written
  if not valid then bad(tostring(why):gsub("^bad argument #1 to '__sample' %((.*)%)$", "%1"), nil) end
  local stages = o.stages or {{trials = o.trials or 20}}
  if type(stages) ~= "table" or #stages == 0 then bad("option 'stages' must be a list like {{trials = 40, epochs = 1}, ...}") end
  for i, st in ipairs(stages) do
    if type(st) ~= "table" or (st.trials ~= nil and (math.type(st.trials) ~= "integer" or st.trials < 1))
       or (st.epochs ~= nil and (type(st.epochs) ~= "number" or not (st.epochs > 0))) then
      bad("stage " .. i .. " must be a table like {trials = 40, epochs = 1} (a positive integer of trials, positive epochs)")
    end
  end
  local ctx = {space = o.space, trial = o.trial, seed = o.seed or 0, key = o.score or "val_acc", method = o.method or "random",
               prune = prune, results = {}, reports = {}, name = o.name or "search"}
  ctx.root = (o.dir or "runs") .. "/" .. ctx.name
  P.mkdir(ctx.root)
  local sweep = __optlab_sweep
  if sweep and sweep.mode == "worker" then
    work(ctx, sweep.trial)
    os.exit(0)
  end
  if sweep then
    -- workers serve the script's first search and leave; a second would wait for them forever
    if sweep.searched then
      error("hp.search: optlab sweep runs one search per script (this is the second); run the others in their own scripts, or in process with optlab " ..
        (sweep.script or "script.lua"), 2)
    end
    sweep.searched = true
  end
  P.write_json(ctx.root .. "/space.json", o.space)
  local workers = sweep and sweep.workers or o.workers or 1
  local backend_name = sweep and sweep.backend or (workers > 1 and "local" or "inline")
  if workers > 1 and not sweep then
    error("hp.search: workers > 1 needs the master, which runs the script in its own processes: optlab sweep " ..
      (arg and arg[0] or "script.lua") .. " --workers " .. workers, 2)
  end
  ctx.workers, ctx.sweep = workers, sweep
  ctx.view = new_view(ctx, o.quiet, backend_name)
  P.lock(ctx.root .. "/master.lock")
  local backend = backends[backend_name]
  -- (an error here is the search's own or an interrupt: keep where it came from)
  local ok, all = xpcall(run_stages, function(e)
    if tostring(e):find("interrupted") or tostring(e):find("^optlab sweep: ") then return e end
    return debug.traceback(tostring(e), 2)
  end, ctx, stages, backend)
  if not ok then
    if backend.cancel then backend.cancel(ctx) end
    os.remove(ctx.root .. "/master.lock")
    ctx.view:abandon()
    error(all, 0)
  end
  if backend.finish then backend.finish(ctx) end
  return conclude(ctx, all)
end

-- nn.Ensemble.top(k, dir): the k best trials' best checkpoints, as one ensemble.
function nn.Ensemble.top(k, root)
  local rows = P.read_lines(root .. "/summary.jsonl")
  local function score(r) return type(r.score) == "number" and r.score or -math.huge end
  table.sort(rows, function(a, b) return score(a) > score(b) end)
  local paths, seen = {}, {}
  for _, r in ipairs(rows) do
    if #paths >= k then break end
    if r.status == "ok" and r.dir and not seen[r.dir] then
      seen[r.dir] = true
      local best, best_score
      for _, f in ipairs(P.list(r.dir)) do
        local score = tonumber(f:match("^ep%d+_val([%d%.]+)%.safetensors$"))
        if score and (not best_score or score > best_score) then best, best_score = f, score end
      end
      if best then paths[#paths + 1] = r.dir .. "/" .. best end
    end
  end
  if #paths == 0 then error("nn.Ensemble.top: no trial in " .. root .. " has a checkpoint (train with log = cfg.dir)", 2) end
  return nn.Ensemble.load(paths)
end
"""#
}
