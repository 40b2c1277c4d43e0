-- Asynchronous successive halving (ASHA; Li et al., "A System for Massively
-- Parallel Hyperparameter Tuning", 2018, Algorithm 2). Every trial starts at
-- the smallest budget (rung 1: min_epochs); whenever a worker is free, the
-- highest rung holding a finished trial in the top 1/eta of that rung's
-- results, not yet promoted, promotes it to eta times the budget, where it
-- resumes from its own resume.safetensors (train.fit's mid-epoch resume);
-- when no trial can be promoted a new one starts at rung 1. No worker waits
-- for a rung to fill. The search ends when every trial has started and
-- nothing can be promoted.
--
-- What it decides is in the run folder: asha.jsonl lists every job handed
-- out ({trial, rung}, in order) and each trial folder's rung<k>.json its
-- result there. A resumed master replays the list, runs the jobs that have
-- no result first, and then decides as it would have.
local P, S = ...
local H = P.hp
local rung_result, run_trial, finish_trial, assign = S.rung_result, S.run_trial, S.finish_trial, S.assign
local asha = {}

-- The job of trial t (the stage's jobs are its trials in order).
local function job_of(A, t) return A.jobs[t - A.jobs[1].first + 1] end

-- The rungs' budgets: min_epochs · eta^k below max_epochs, then max_epochs.
function asha.budgets(o)
  local b, e = {}, o.min_epochs
  while e < o.max_epochs * (1 - 1e-9) do b[#b + 1] = e; e = e * o.eta end
  b[#b + 1] = o.max_epochs
  return b
end

-- The scheduler's state in ctx.asha, rebuilt from the run folder.
function asha.begin(ctx, jobs)
  local A = ctx.asha
  A.jobs, A.level, A.order, A.started = jobs, {}, {}, 0
  A.log = H.folder(ctx.root).asha
  for _, rec in ipairs(H.read_lines(A.log)) do
    local t = type(rec) == "table" and math.tointeger(rec.trial)
    local job = t and job_of(A, t)
    if not (job and math.type(rec.rung) == "integer" and rec.rung >= 1 and rec.rung <= #A.budgets) then
      S.unusable(ctx, A.log, "a record names no trial and rung of this search", "it is skipped")
    else
      A.level[job.trial] = math.max(A.level[job.trial] or 0, rec.rung)
      A.order[#A.order + 1] = {trial = job.trial, rung = rec.rung}
      if rec.rung == 1 then A.started = math.max(A.started, job.trial - job.first + 1) end
    end
  end
  for t, k in pairs(A.level) do
    local job = job_of(A, t)
    job.rung, job.epochs, job.rungs = k, A.budgets[k], #A.budgets
  end
  asha.collect(ctx)
end

-- Rung k's finished trials, best first (ok ones by score, then the rest; ties by trial).
local function ranked(ctx, k)
  local A, rs = ctx.asha, {}
  for t, level in pairs(A.level) do
    if level >= k then
      local r = rung_result(ctx, job_of(A, t), k)
      if r then rs[#rs + 1] = r end
    end
  end
  table.sort(rs, function(a, b)
    local sa = a.status == "ok" and a.score or -math.huge
    local sb = b.status == "ok" and b.score or -math.huge
    if sa ~= sb then return sa > sb end
    return a.trial < b.trial
  end)
  return rs
end

-- The jobs handed out that have no result yet, in the order they were handed out.
function asha.unfinished(ctx)
  local A, out = ctx.asha, {}
  for _, h in ipairs(A.order) do
    local job = job_of(A, h.trial)
    if A.level[h.trial] == h.rung and not rung_result(ctx, job, h.rung) then out[#out + 1] = job end
  end
  return out
end

-- What a free worker should run next: {trial, rung}, or nil when nothing can start now.
function asha.next(ctx)
  local A = ctx.asha
  for k = #A.budgets - 1, 1, -1 do
    local rs = ranked(ctx, k)
    for i = 1, #rs // A.eta do
      local r = rs[i]
      if r.status == "ok" and A.level[r.trial] == k then return {trial = r.trial, rung = k + 1} end
    end
  end
  if A.started < #A.jobs then return {trial = A.jobs[A.started + 1].trial, rung = 1} end
end

-- Records the decision and readies its job (a new trial is sampled here, TPE's conditioned on what is in).
function asha.hand_out(ctx, d)
  local A = ctx.asha
  local job = job_of(A, d.trial)
  if d.rung == 1 then A.started = A.started + 1; assign(ctx, job) end
  job.rung, job.epochs, job.rungs, job.retries = d.rung, A.budgets[d.rung], #A.budgets, 0
  A.level[job.trial] = d.rung
  A.order[#A.order + 1] = {trial = job.trial, rung = d.rung}
  H.write_json(A.log, {trial = job.trial, rung = d.rung, epochs = job.epochs}, true)
  if ctx.handed then ctx.handed[job.trial] = job end
  return job
end

-- TPE under successive halving conditions on one rung (budgets differ, so
-- scores of different rungs are not compared): the highest rung with at
-- least 10 finished trials (TPE's startup; below that it samples at random),
-- with the trials handed out at rung 1 and not finished as the constant
-- liar's bad ones, as are the failed ones of that rung.
function asha.observations(ctx, space)
  local A = ctx.asha
  local k = 1
  for j = #A.budgets, 1, -1 do
    local n = 0
    for _, r in ipairs(ranked(ctx, j)) do if r.status == "ok" then n = n + 1 end end
    if n >= 10 then k = j break end
  end
  local finished, running = {}, {}
  for _, r in ipairs(ranked(ctx, k)) do
    if r.raw and S.inside(space, r.raw) then
      if r.status == "ok" and type(r.score) == "number" then finished[#finished + 1] = {raw = r.raw, score = r.score, trial = r.trial}
      else running[#running + 1] = r.raw end
    end
  end
  -- in trial order, as TPE sees them without successive halving (its ties depend on the order)
  table.sort(finished, function(a, b) return a.trial < b.trial end)
  for _, h in ipairs(A.order) do
    local job = job_of(A, h.trial)
    if h.rung == 1 and job.raw and not rung_result(ctx, job, 1) then running[#running + 1] = job.raw end
  end
  return finished, running
end

-- In this process: one job at a time, the unfinished ones of a resumed run first.
function asha.run_inline(ctx, jobs)
  asha.begin(ctx, jobs)
  local function run(job)
    ctx.view:running(job)
    local r = run_trial(ctx, job, function(j, rep) ctx.view:progress(j, rep) end)
    finish_trial(ctx, r)
    ctx.view:finished(r)
  end
  for _, job in ipairs(asha.unfinished(ctx)) do run(job) end
  while true do
    local d = asha.next(ctx)
    if not d then break end
    run(asha.hand_out(ctx, d))
  end
end

-- With workers (local processes or Slurm tasks): hands out a job whenever
-- fewer than `workers` are queued or running. `submit(job)` starts one.
function asha.feed(ctx, busy, submit)
  for _, job in ipairs(asha.unfinished(ctx)) do
    if not busy[job.trial] then submit(job); busy[job.trial] = true end
  end
  local n = 0
  for _ in pairs(busy) do n = n + 1 end
  while n < ctx.workers do
    local d = asha.next(ctx)
    if not d then break end
    local job = asha.hand_out(ctx, d)
    submit(job)
    busy[job.trial] = true
    n = n + 1
  end
end

-- Each handed-out trial's latest result, as the view and the summary show it.
function asha.collect(ctx)
  local A = ctx.asha
  for t, k in pairs(A.level) do
    local job = job_of(A, t)
    ctx.results[t] = rung_result(ctx, job, k) or (k > 1 and rung_result(ctx, job, k - 1)) or nil
  end
end

-- Whether the search is over: nothing handed out is unfinished and nothing can start.
function asha.over(ctx)
  return #asha.unfinished(ctx) == 0 and asha.next(ctx) == nil
end

-- Epochs trained so far, and those a full run trains when each rung
-- promotes exactly its top 1/eta (more when a rung promotes early): the view's bar.
function asha.progress(ctx)
  local A = ctx.asha
  local function step(k) return A.budgets[k] - (A.budgets[k - 1] or 0) end
  local done, handed = 0, {}
  for _, h in ipairs(A.order) do
    handed[h.rung] = (handed[h.rung] or 0) + 1
    if rung_result(ctx, job_of(A, h.trial), h.rung) then done = done + step(h.rung) end
  end
  local n, total = #A.jobs, 0
  for k = 1, #A.budgets do
    total = total + math.max(n, handed[k] or 0) * step(k)
    n = n // A.eta
  end
  return done, total
end

S.asha = asha
