-- hp.search's trials: sampling each stage's trials, their budgets, early
-- stopping, running one and recording its result, and the worker loop.
-- P: the Swift primitives (P.hp: sampling, narrowing, files; P.host: what the
-- embedding program provides); S: the search's shared functions, which this
-- file fills for view.lua, backends.lua and search.lua.
local P, S = ...
local H = P.hp

-- A sampled raw config (choice indices, numbers) as the values the trial sees.
-- The search's own failures (workers that keep dying, sbatch refusing):
-- raised at the user's line in the built-ins' words, and marked, so the
-- search passes them on as they are rather than as a bug with a traceback.
function S.fail(fn, message)
  S.own_failure = true
  P.fail(fn, message)
end

local function decode(space, raw)
  local cfg = {}
  for name, spec in pairs(space) do
    local v = raw[name]
    if spec.kind == "choice" then cfg[name] = spec.choices[math.floor(v) + 1]
    elseif spec.kind == "int" then cfg[name] = math.floor(v)
    else cfg[name] = v end
  end
  return cfg
end


-- Numbers as hex floats ("%a"), beside the decimal ones in trial.json and
-- result.json: the JSON reader may miss a double's last bit, and TPE, which
-- conditions on earlier trials, must see after a resume exactly what it saw before.
local function exact(values)
  local out = {}
  for k, v in pairs(values) do if math.type(v) == "float" then out[k] = string.format("%a", v) end end
  return out
end
local function restore(values, hex)
  if type(hex) ~= "table" then return values end
  for k, h in pairs(hex) do local v = tonumber(h) if v then values[k] = v end end
  return values
end
local function trial_dir(root, s, t) return H.trial_dir(root, s, t) end

-- A trial file that is not as hp.search wrote it (truncated, edited by hand,
-- hostile) never stops the search: it is named, with what is wrong, in the
-- search's warnings and on stderr, and its trial runs again.
local function unusable(ctx, path, why, consequence)
  ctx.unusable = ctx.unusable or {}
  if ctx.unusable[path] then return end
  ctx.unusable[path] = true
  local w = path .. ": " .. why .. "; " .. (consequence or "its trial runs again")
  ctx.stage_warnings[#ctx.stage_warnings + 1] = w
  io.stderr:write("hp.search: ", w, "\n")
end

-- What is wrong with a sampled point read from a file, or nil: every
-- parameter of the space, a finite number within its range (a choice's
-- index); only finite and a choice's index when `any_range` (a job handed
-- out for a later stage, whose narrowed range a worker does not know).
local function raw_problem(space, raw, any_range)
  if type(raw) ~= "table" then return "its raw values are " .. P.kind(raw) .. ", not a table" end
  for name, spec in pairs(space) do
    local v = raw[name]
    if type(v) ~= "number" or v ~= v or v == math.huge or v == -math.huge then
      return string.format("%s is %s, not a finite number", name, v == nil and "missing" or tostring(v))
    end
    local lo, hi = spec.lo, spec.hi
    if spec.kind == "choice" then lo, hi = 0, #spec.choices - 1 elseif any_range then lo, hi = -math.huge, math.huge end
    if spec.kind == "choice" and v ~= math.floor(v) or v < lo or v > hi then
      return string.format("%s = %.6g is outside the space [%.6g, %.6g]", name, v, lo, hi)
    end
  end
end

-- What is wrong with a job a worker claimed (running/<t>.<owner>.json, as the
-- master queued it) for trial t, or nil.
local function job_problem(ctx, job, t)
  if type(job) ~= "table" then return "it holds " .. P.kind(job) .. ", not a job" end
  if job.trial ~= t then return "its trial is " .. tostring(job.trial) .. ", not " .. t end
  if math.type(job.stage) ~= "integer" or job.stage < 1 then return "its stage is " .. tostring(job.stage) end
  if job.dir ~= trial_dir(ctx.root, job.stage, t) then return "its folder is " .. tostring(job.dir) .. ", not the trial's" end
  if type(job.config) ~= "table" then return "its config is " .. P.kind(job.config) .. ", not a table" end
  for _, key in ipairs{"epochs", "retries", "first", "last", "trials"} do
    if job[key] ~= nil and type(job[key]) ~= "number" then return key .. " is " .. P.kind(job[key]) .. ", not a number" end
  end
  if job.rung ~= nil and (math.type(job.rung) ~= "integer" or job.rung < 1 or job.rung > 64) then return "its rung is " .. tostring(job.rung) end
  return raw_problem(ctx.space, job.raw, true)
end

local statuses = {ok = true, failed = true, stopped = true}
-- What is wrong with a result read back for `job` (at rung k), or nil.
local function result_problem(ctx, r, job, k)
  if type(r) ~= "table" then return "it holds " .. P.kind(r) .. ", not a result" end
  if r.trial ~= job.trial then return "its trial is " .. tostring(r.trial) .. ", not " .. job.trial end
  if not statuses[r.status] then return "its status " .. tostring(r.status) .. " is not ok, failed or stopped" end
  if r.status == "ok" and type(r.score) ~= "number" then return "an ok result without a score" end
  if k and r.rung ~= k then return "its rung is " .. tostring(r.rung) .. ", not " .. k end
  for _, key in ipairs{"seconds", "at", "epochs", "retries", "stage"} do
    if r[key] ~= nil and type(r[key]) ~= "number" then return key .. " is " .. P.kind(r[key]) .. ", not a number" end
  end
  for _, key in ipairs{"error", "dir"} do
    if r[key] ~= nil and type(r[key]) ~= "string" then return key .. " is " .. P.kind(r[key]) .. ", not a string" end
  end
  if r.config ~= nil and type(r.config) ~= "table" then return "its config is " .. P.kind(r.config) .. ", not a table" end
  if r.raw ~= nil or r.status == "ok" then return raw_problem(ctx.stage_space and ctx.stage_space[job.stage] or ctx.space, r.raw) end
end

-- A result file as written, its floats exact again; a score JSON could not
-- hold (inf, nan: written as strings) is no score. nil when there is none
-- yet, or when the file is unusable (then named by `unusable`).
local function read_result(ctx, path, job, k)
  local r, why = H.read_json(path)
  if why then unusable(ctx, path, why) return nil end
  if r == nil then return nil end
  if type(r) == "table" then
    if type(r.raw) == "table" then restore(r.raw, r.raw_exact) end
    if type(r.score_exact) == "string" then r.score = tonumber(r.score_exact) end
    if type(r.score) ~= "number" then r.score = nil end
  end
  local problem = result_problem(ctx, r, job, k)
  if problem then unusable(ctx, path, problem) return nil end
  r.dir = job.dir   -- where it is, whatever the file says
  return r
end

-- A trial's result at one rung of successive halving (rung<k>.json beside
-- result.json, which holds its latest): written once, so read once.
local function rung_result(ctx, job, k)
  k = k or job.rung
  ctx.rung_results = ctx.rung_results or {}
  local by = ctx.rung_results[job.trial] or {}
  if by[k] then return by[k] end
  local r = read_result(ctx, H.trial_file(job.dir, "rung", k), job, k)
  if r then by[k] = r; ctx.rung_results[job.trial] = by end
  return r
end

-- A result never changes once written, so it is read once.
local function result_of(ctx, job)
  local r = ctx.results[job.trial] or read_result(ctx, H.trial_file(job.dir, "result"), job)
  ctx.results[job.trial] = r
  return r
end

-- The trials of stage s, sampled in this stage's space (or a grid's points),
-- each with its trial.json; a config an earlier run wrote is kept, so a
-- resumed sweep runs the very same trials.
local function plan_stage(ctx, s, stage, space, first)
  local budget = stage.trials or 10
  local n, note = H.plan(ctx.method, space, budget)
  local jobs = {}
  for i = 1, n do
    local t = first + i - 1
    local dir = trial_dir(ctx.root, s, t)
    -- (trial.json, not config.json: that is train.fit's, in the same folder; folders of
    -- optlab 0.1.0 before this kept the search's config there, and train.fit's replaced it)
    local path = H.trial_file(dir, "trial")
    local saved, why = H.read_json(path)
    if not saved and not why then
      saved = H.read_json(dir .. "/config.json")   -- train.fit's, in 0.1.0
      if type(saved) ~= "table" or not saved.raw then saved = nil end
    end
    if saved ~= nil then
      if type(saved) ~= "table" then why = "it holds " .. P.kind(saved) .. ", not a trial"
      else
        if type(saved.raw) == "table" then restore(saved.raw, saved.raw_exact) end
        why = raw_problem(space, saved.raw)
      end
    end
    if why then
      -- (sampled again: the same point for a seeded sampler, which draws it from the trial's number)
      unusable(ctx, path, why); saved = nil
      os.remove(H.trial_file(dir, "result"))
    end
    local raw
    if saved then raw = saved.raw
    else raw = H.point(ctx.method, space, i - 1, budget, ctx.seed, t) end
    -- (an adaptive sampler, TPE, samples a trial when it is handed out: see assign)
    local job = {trial = t, stage = s, dir = dir, raw = raw, config = raw and decode(ctx.space, raw), epochs = stage.epochs,
                 trials = n, first = first, last = first + n - 1, retries = 0}
    if raw and not saved then
      H.mkdir(dir)
      H.write_json(H.trial_file(dir, "trial"), {trial = t, stage = s, config = job.config, raw = raw, raw_exact = exact(raw), seed = ctx.seed, method = ctx.method})
    end
    ctx.stage_space = ctx.stage_space or {}
    ctx.stage_space[s] = space
    if ctx.sampler.adaptive then result_of(ctx, job) end   -- resume: what finished conditions the sampler
    jobs[i] = job
  end
  return jobs, note
end

-- TPE's trial, sampled when it is handed out (once: its trial.json keeps
-- it, so a resumed search runs the same trial). It conditions on every
-- finished trial of the search that lies inside this stage's space, in
-- trial order, and counts the trials handed out and not yet finished as
-- bad (the constant liar): the same seed and the same order of completion
-- give the same trials.
local function inside(space, raw)
  for name, spec in pairs(space) do
    local v = raw[name]
    if v == nil then return false end
    if spec.kind ~= "choice" and (v < spec.lo or v > spec.hi) then return false end
  end
  return true
end

-- What TPE conditions on: every finished trial inside `space` (its score),
-- and the running, stopped and failed ones (the constant liar's bad ones).
local function observations(ctx, space)
  local finished, running, trials = {}, {}, {}
  for t in pairs(ctx.results) do trials[#trials + 1] = t end
  table.sort(trials)
  for _, t in ipairs(trials) do
    local r = ctx.results[t]
    if r.raw and inside(space, r.raw) then
      if r.status == "ok" and type(r.score) == "number" then finished[#finished + 1] = {raw = r.raw, score = r.score}
      else running[#running + 1] = r.raw end   -- stopped and failed trials count as bad ones too
    end
  end
  local out = {}
  for t, j in pairs(ctx.handed or {}) do if not ctx.results[t] then out[#out + 1] = t end end
  table.sort(out)
  for _, t in ipairs(out) do running[#running + 1] = ctx.handed[t].raw end
  return finished, running
end

local function assign(ctx, job)
  if job.raw then return end
  local space = ctx.stage_space[job.stage]
  -- (successive halving conditions on one rung's results: see asha.lua)
  local finished, running = (ctx.observations or observations)(ctx, space)
  job.raw = H.adaptive_point(ctx.method, space, finished, running, ctx.seed, job.trial)
  job.config = decode(ctx.space, job.raw)
  H.mkdir(job.dir)
  H.write_json(H.trial_file(job.dir, "trial"), {trial = job.trial, stage = job.stage, config = job.config, raw = job.raw, raw_exact = exact(job.raw),
    seed = ctx.seed, method = ctx.method})
  ctx.handed = ctx.handed or {}
  ctx.handed[job.trial] = job
end

-- Coarse to fine: the next stage's space from this stage's finished trials
-- (choices are kept as they are).
-- Failed and exploded trials (and those stopped far behind) are information
-- too: they bound the next range from their side. Returns the space and warnings.
local function narrowed_space(space, results)
  local finished, failed = {}, {}
  for _, r in ipairs(results) do
    if r.status == "ok" then finished[#finished + 1] = {score = r.score, raw = r.raw}
    elseif (r.status == "failed" or r.status == "stopped") and r.raw then failed[#failed + 1] = r.raw end
  end
  local narrowed, warnings = H.narrow(space, finished, failed)
  for n, spec in pairs(space) do if spec.kind == "choice" then narrowed[n] = spec end end
  return narrowed, warnings
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
  for _, r in ipairs(H.read_lines(H.trial_file(job.dir, "progress"))) do
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
-- stage, resume (from the trial folder's last epoch), the trial's folder
-- (train.fit's log folder unless the trial names another), and report,
-- which train.fit{budget = budget} calls a few times an epoch.
local function budget_for(ctx, job, on_report)
  local b = {stage = job.stage, epochs = job.epochs, trials = job.trials, stop_above = job.stage == 1 and 3 or nil,
             resume = true, quiet = true, dir = job.dir, rung = job.rung, rungs = job.rungs}
  function b.report(r)
    if type(r) ~= "table" then P.argument_error("budget.report", 1, "a table like {at = epochs_done, loss = ..., val_acc = ...} expected, got " .. P.kind(r)) end
    H.write_json(H.trial_file(job.dir, "progress"), r, true)
    b.at = r.at
    if on_report then on_report(job, r) end
    local why = behind(ctx, job, r)
    if why then b.stopped = why end
    return why
  end
  return b
end

-- Runs one trial; returns its result record. Ctrl-C is not a failed trial: it stops the search.
-- With seeds = k the trial runs k times, cfg.seed = 1..k (the generator seeded
-- with it first), each in its own folder (dir/seed-<s>); its score is the
-- mean, with score_std and seed_scores beside it. A failed or stopped seed
-- ends the trial there.
local function seeded(ctx, job, cfg, on_report)
  local scores, outs, last_budget = {}, {}, nil
  for s = 1, ctx.seeds do
    local c = {}
    for k, v in pairs(cfg) do c[k] = v end
    c.seed, c.dir = s, job.dir .. "/seed-" .. s
    local seed_job = setmetatable({dir = c.dir}, {__index = job})
    local budget = budget_for(ctx, seed_job, on_report)
    last_budget = budget
    ctx.seed_generator(s)
    local ok, out = pcall(ctx.trial, c, budget)
    if not ok then return false, "seed " .. s .. ": " .. tostring(out), budget end
    local score = type(out) == "number" and out or (type(out) == "table" and out[ctx.key]) or nil
    if budget.stopped or type(score) ~= "number" then return true, out, budget end
    scores[s], outs[s] = score, out
  end
  local summary, merged = P.stats.summary(scores), {}
  for _, out in ipairs(outs) do
    if type(out) == "table" then
      for k, v in pairs(out) do if type(v) == "number" then merged[k] = (merged[k] or 0) + v / #outs end end
    end
  end
  merged[ctx.key], merged.score_std, merged.seed_scores = summary.mean, summary.std, scores
  return true, merged, last_budget
end

local function run_trial(ctx, job, on_report)
  local cfg = {}
  for k, v in pairs(job.config) do cfg[k] = v end
  cfg.dir, cfg.trial = job.dir, job.trial
  local budget = budget_for(ctx, job, on_report)
  local started = H.now()
  local ok, out
  if (ctx.seeds or 1) > 1 then ok, out, budget = seeded(ctx, job, cfg, on_report)
  else ok, out = pcall(ctx.trial, cfg, budget) end
  if not ok and tostring(out):find("interrupted") then error(out, 0) end
  cfg.dir, cfg.trial = nil, nil
  local r = {trial = job.trial, stage = job.stage, config = cfg, raw = job.raw, dir = job.dir, rung = job.rung, epochs = job.rung and job.epochs,
             seconds = H.now() - started, at = budget.at, retries = (job.retries or 0) > 0 and job.retries or nil}
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
    if type(out) == "table" and type(out.seed_scores) == "table" then r.seed_scores, r.seeds = out.seed_scores, #out.seed_scores end
  end
  return r
end

local function finish_trial(ctx, r)
  if r.raw then r.raw_exact = exact(r.raw) end
  if math.type(r.score) == "float" then r.score_exact = string.format("%a", r.score) end
  -- a rung's result first: result.json and the summary say it is done
  if r.rung then H.write_json(H.trial_file(r.dir, "rung", r.rung), r) end
  H.write_json(H.trial_file(r.dir, "result"), r)
  H.append_summary(ctx.root, r)
  ctx.results[r.trial] = r
  if r.rung then
    ctx.rung_results = ctx.rung_results or {}
    ctx.rung_results[r.trial] = ctx.rung_results[r.trial] or {}
    ctx.rung_results[r.trial][r.rung] = r
  end
end

-- Whether a handed-out job has its result: a rung's for successive halving.
local function job_done(ctx, job)
  if job.rung then return rung_result(ctx, job) end
  return result_of(ctx, job)
end

-- A worker process: claim a queued trial by renaming its file into running/
-- (rename is atomic, so one worker wins), run it, repeat until the queue is
-- empty. A Slurm array task runs exactly its own trial, taking it over from
-- running/ when its task was requeued.
local function work(ctx, only)
  local F = H.folder(ctx.root)
  H.mkdir(F.running)
  local job_id, task = os.getenv("SLURM_ARRAY_JOB_ID"), os.getenv("SLURM_ARRAY_TASK_ID")
  local me = job_id and ("slurm" .. job_id .. "_" .. (task or "0")) or tostring(H.pid())
  -- A local worker serves its master's search only (not a second master's,
  -- which is refused), waits for trials while the master lives (it may still
  -- be loading its data, or narrowing between stages), and leaves when the
  -- master is gone and the queue is empty.
  local master = tonumber(os.getenv("OPTLAB_SWEEP_MASTER") or "")
  if master then
    H.mkdir(F.workers)
    H.redirect(H.worker_log(ctx.root, me))
  end
  local function ours()
    if not master then return true end
    return H.lock_holder(ctx.root) == master
  end
  while true do
    local t, mine
    if only then
      t = only
      mine = H.claimed_path(ctx.root, t, me)
      if not (H.claim(ctx.root, t, me) or H.take_over(ctx.root, t, me)) then
        -- a task requeued after its trial had finished: nothing to do
        if H.finished_trial_dir(ctx.root, t) then return end
        S.fail("optlab --sweep-worker", "trial " .. t .. " is neither queued nor running in " .. ctx.root)
      end
    else
      if ours() then
        for _, q in ipairs(H.queued(ctx.root)) do
          if H.claim(ctx.root, q, me) then t = q break end
        end
      end
      if not t and not (master and H.alive(master)) then return end
      mine = t and H.claimed_path(ctx.root, t, me)
    end
    if mine then
      local job, why = H.read_json(mine)
      why = why or job_problem(ctx, job, t)
      -- (dropped: the master hands the trial out again from its own plan)
      if why then unusable(ctx, mine, why, "the claim is dropped") job = nil end
      if job then
        H.mkdir(job.dir)
        if not job_done(ctx, job) then finish_trial(ctx, run_trial(ctx, job)) end
      end
      os.remove(mine)
      if only then return end
    else
      H.sleep(0.05)
    end
  end
end

S.decode, S.trial_dir, S.result_of, S.plan_stage, S.narrowed_space = decode, trial_dir, result_of, plan_stage, narrowed_space
S.quantile, S.behind, S.budget_for, S.run_trial, S.finish_trial, S.work = quantile, behind, budget_for, run_trial, finish_trial, work
S.assign, S.observations, S.rung_result, S.job_done, S.inside, S.exact = assign, observations, rung_result, job_done, inside, exact
S.unusable = unusable
