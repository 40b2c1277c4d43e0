-- The three ways a search stage's trials run: `inline` in this process
-- (the REPL, a script), `local` in worker processes on this machine
-- (`optlab sweep file.lua --workers N`), and `slurm` as a job array
-- (`optlab sweep file.lua --backend slurm`). Each `run(ctx, s, jobs)`
-- returns once every job has a result.json; `cancel(ctx)` stops what runs.
local P, S = ...
local H = P.hp
local result_of, run_trial, finish_trial, assign = S.result_of, S.run_trial, S.finish_trial, S.assign
local job_done = S.job_done
local backends = {}

backends.inline = {}
function backends.inline.run(ctx, s, jobs)
  if ctx.asha then return S.asha.run_inline(ctx, jobs) end
  for _, job in ipairs(jobs) do
    if not result_of(ctx, job) then
      assign(ctx, job)
      ctx.view:running(job)
      local r = run_trial(ctx, job, function(j, rep) ctx.view:progress(j, rep) end)
      finish_trial(ctx, r)
      ctx.view:finished(r)
    end
  end
end

-- The trials workers hold now: trial -> the running/ file's owner.
local function holders(ctx)
  local held = {}
  for t, owner in pairs(H.holders(ctx.root)) do held[tonumber(t)] = owner end
  return held
end

-- The queue file a worker claims (the job, with its budget), unless it is queued already.
local function queue_job(ctx, job)
  H.enqueue(ctx.root, job.trial, job)
end

-- What is waiting in queue/: trial -> true.
local function queued(ctx)
  local q = {}
  for _, t in ipairs(H.queued(ctx.root)) do q[t] = true end
  return q
end

-- Hands out the jobs that have no result and are neither queued nor held by
-- a worker. An adaptive sampler's (TPE's) are sampled as they are handed out, one per free worker,
-- so each is conditioned on everything finished by then.
local function enqueue(ctx, jobs)
  local held, waiting = holders(ctx), queued(ctx)
  local free = math.huge
  if ctx.sampler.adaptive then
    local busy = #H.queued(ctx.root)
    for _ in pairs(held) do busy = busy + 1 end
    free = ctx.workers - busy
  end
  for _, job in ipairs(jobs) do
    if free <= 0 then break end
    if not result_of(ctx, job) and not held[job.trial] and not waiting[job.trial] then
      if ctx.sampler.adaptive and not job.raw then
        assign(ctx, job)
        free = free - 1
      end
      queue_job(ctx, job)
    end
  end
end

-- Worker processes on this machine. A trial whose worker died is queued
-- again once; the second death marks it failed.
local processes = {}
backends["local"] = processes
-- What is queued or held now: trial -> true.
local function busy(ctx)
  local b = {}
  for t in pairs(holders(ctx)) do b[t] = true end
  for t in pairs(queued(ctx)) do b[t] = true end
  return b
end

function processes.run(ctx, s, jobs)
  local A = ctx.asha and S.asha
  if A then A.begin(ctx, jobs) end
  -- hands out what can run: every job, or (TPE, successive halving) one per free worker
  local function feed()
    if not A then return enqueue(ctx, jobs) end
    A.collect(ctx)
    A.feed(ctx, busy(ctx), function(job) queue_job(ctx, job); ctx.view:set_state(job.trial, "queued") end)
  end
  feed()
  -- the workers `optlab sweep` started with the master, kept from stage to stage
  if not ctx.pids then
    ctx.pids = {}
    for i, pid in ipairs(ctx.sweep.pids or {}) do ctx.pids[i] = pid end
  end
  while true do
    local pending = 0
    if A then pending = A.over(ctx) and 0 or 1
    else for _, j in ipairs(jobs) do if not result_of(ctx, j) then pending = pending + 1 end end end
    -- done when every result is in and no worker still holds a claim: a worker writes result.json,
    -- then its summary line, then lets its claim go, and finish() stops the workers
    if pending == 0 and next(holders(ctx)) == nil then break end
    for _, c in ipairs(H.claims(ctx.root)) do
      local pid = math.tointeger(tonumber(c.owner))   -- local workers are named by their pid
      if pid and not H.alive(pid) then
        -- the job from this master's own plan (the claim file only adds its retries)
        local saved = H.read_json(c.path)
        os.remove(c.path)
        local job
        for _, j in ipairs(jobs) do if j.trial == c.trial then job = j end end
        if job and type(saved) == "table" and math.type(saved.retries) == "integer" then job.retries = math.max(job.retries or 0, saved.retries) end
        if job and not job_done(ctx, job) then
          if (job.retries or 0) < 1 then
            job.retries = (job.retries or 0) + 1
            queue_job(ctx, job)
          else
            finish_trial(ctx, {trial = job.trial, stage = job.stage, config = job.config, raw = job.raw, dir = job.dir,
              rung = job.rung, epochs = job.rung and job.epochs, status = "failed", error = "its worker died twice"})
          end
        end
      end
    end
    local live = {}
    for _, pid in ipairs(ctx.pids) do if H.alive(pid) then live[#live + 1] = pid end end
    ctx.pids = live
    if #H.queued(ctx.root) > 0 then
      while #ctx.pids < ctx.workers do
        -- workers that die before they take a trial would otherwise be restarted forever
        ctx.spawned = (ctx.spawned or ctx.workers) + 1
        if ctx.spawned > 3 * ctx.workers + 2 * #jobs then
          S.fail("optlab sweep", "the workers keep dying; run the script in process to see why: optlab " .. ctx.sweep.script)
        end
        ctx.pids[#ctx.pids + 1] = P.host.spawn(ctx.sweep.script)
      end
    end
    if A or ctx.sampler.adaptive then feed() end
    ctx.view:poll(holders(ctx))
    H.sleep(0.1)
  end
end

function processes.cancel(ctx)
  for _, pid in ipairs(ctx.pids or {}) do H.kill(pid) end
end

-- Every trial is done: the idle workers are stopped and reaped.
function processes.finish(ctx)
  processes.cancel(ctx)
  for _, pid in ipairs(ctx.pids or {}) do
    for _ = 1, 100 do if not H.alive(pid) then break end H.sleep(0.02) end
  end
end

-- Slurm: each stage is one job array whose task i runs trial first + i as
-- `optlab --sweep-worker script --trial T` in this folder. The master
-- watches with squeue and the run folder. A task cancelled with scancel
-- records its trial as cancelled; a task that ended otherwise without a
-- result is submitted once more; Slurm's own requeue (preemption, a node
-- failure) reruns a task, which resumes from its trial's last epoch.
local function shell_quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function shell(words)
  local quoted = {}
  for i, w in ipairs(words) do quoted[i] = shell_quote(w) end
  local p = io.popen(table.concat(quoted, " ") .. " 2>&1")
  local out = p:read("a")
  local ok, _, code = p:close()
  return ok, out, code
end

local write_text = H.write_text   -- atomic and synced

local slurm = {}
backends.slurm = slurm

function slurm.submit(ctx, s, jobs, tasks, rung)
  local F = H.folder(ctx.root)
  local dir = F.slurm
  H.mkdir(dir)
  local sweep = ctx.sweep
  local script = H.slurm_script(ctx.root, s)
  write_text(script, table.concat({
    "#!/bin/sh",
    "#SBATCH --job-name=" .. ("optlab-" .. ctx.name .. "-s" .. s):gsub("[^%w%-_.]", "_"),
    "#SBATCH --output=" .. H.slurm_output(ctx.root, "%A", "%a", sweep.cwd),
    "#SBATCH --open-mode=append",
    "#SBATCH --requeue",
    "# one trial per array task: trial = " .. jobs[1].first .. " + SLURM_ARRAY_TASK_ID",
    "cd " .. shell_quote(sweep.cwd) .. " || exit 1",
    "export OPTLAB_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1} OPENBLAS_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}",
    "exec " .. shell_quote(sweep.exe) .. " --sweep-worker " .. shell_quote(sweep.script) ..
      " --trial $((" .. jobs[1].first .. " + SLURM_ARRAY_TASK_ID))",
    ""}, "\n"))
  local array = table.concat(tasks, ",") .. (sweep.parallel and ("%" .. sweep.parallel) or "")
  local words = {"sbatch", "--parsable", "--array=" .. array}
  for _, a in ipairs(sweep.sbatch or {}) do words[#words + 1] = a end
  words[#words + 1] = script
  local ok, out = shell(words)
  local id = ok and out:match("^%s*(%d+)")
  if not id then S.fail("optlab sweep", "sbatch failed: " .. out:gsub("%s+$", "")) end
  H.write_json(F.slurm_jobs, {stage = s, job = id, first = jobs[1].first, tasks = tasks, rung = rung}, true)
  ctx.slurm_jobs[#ctx.slurm_jobs + 1] = id
  for _, i in ipairs(tasks) do
    local t = jobs[1].first + i
    ctx.tasks[t] = {job = id, task = i, retries = (ctx.tasks[t] and ctx.tasks[t].retries or -1) + 1}
  end
  return id
end

-- Task states: "J_i" -> PENDING, RUNNING, COMPLETED, CANCELLED, …; nil when squeue did not answer.
function slurm.states(ids)
  if #ids == 0 then return {} end
  local ok, out = shell{"squeue", "-h", "-r", "-t", "all", "-o", "%i %T", "-j", table.concat(ids, ",")}
  if not ok then
    if out:find("Invalid job id") then return {} end   -- every job has left the controller's memory
    return nil
  end
  local states = {}
  for id, st in out:gmatch("(%d+_%d+)%s+(%S+)") do states[id] = st end
  return states
end

local active = {PENDING = true, RUNNING = true, CONFIGURING = true, COMPLETING = true, REQUEUED = true, REQUEUE_HOLD = true,
                REQUEUE_FED = true, RESIZING = true, SUSPENDED = true, STAGE_OUT = true, SIGNALING = true}

-- What an earlier master submitted for stage s (slurm/jobs.jsonl), so a
-- resumed one watches it: each job id noted once, `each(rec, trial, task)` per task.
local function submitted(ctx, s, each)
  local path = H.folder(ctx.root).slurm_jobs
  for _, rec in ipairs(H.read_lines(path)) do
    if type(rec) ~= "table" or type(rec.tasks) ~= "table" or math.type(rec.first) ~= "integer" or type(rec.job) ~= "string" and math.type(rec.job) ~= "integer" then
      S.unusable(ctx, path, "a record is not a submission (job, first, tasks)", "it is skipped")
    elseif rec.stage == s then
      local known = false
      for _, id in ipairs(ctx.slurm_jobs) do if id == rec.job then known = true end end
      if not known then ctx.slurm_jobs[#ctx.slurm_jobs + 1] = rec.job end
      for _, i in ipairs(rec.tasks) do if math.type(i) == "integer" then each(rec, rec.first + i, i) end end
    end
  end
end

-- A task that ended without its job's result: recorded as cancelled when it
-- was cancelled or has vanished, submitted once more otherwise (`submit`),
-- failed the second time.
local function ended_without_result(ctx, s, job, tk, st, submit)
  local function record(status, why)
    finish_trial(ctx, {trial = job.trial, stage = s, config = job.config, raw = job.raw, dir = job.dir, rung = job.rung,
      epochs = job.rung and job.epochs, status = status, error = why})
  end
  if st == nil or st == "CANCELLED" then
    record("cancelled", "its Slurm task " .. tk.job .. "_" .. tk.task .. " was cancelled")
  elseif tk.retries < 1 then
    -- hand the job out afresh, noting the retry in it
    H.drop_claims(ctx.root, job.trial)
    job.retries = (job.retries or 0) + 1
    submit(job, true)
  else
    record("failed", "its Slurm task ended " .. st .. " twice (see " .. H.slurm_output(ctx.root, tk.job, tk.task) .. ")")
  end
end

-- One poll of a task whose job has no result yet: its state for the view,
-- and once it is seen ended twice (so a result being written is not
-- mistaken for none), what `ended_without_result` does.
local function watch(ctx, s, job, tk, st, gone, submit)
  local t = job.trial
  ctx.view:set_state(t, st == "RUNNING" and "running" or st == "PENDING" and "pending" or st and st:lower() or "gone")
  if st and active[st] then gone[t] = nil return end
  gone[t] = (gone[t] or 0) + 1
  if gone[t] < 2 then return end
  gone[t] = nil
  ended_without_result(ctx, s, job, tk, st, submit)
end

function slurm.run(ctx, s, jobs)
  if ctx.asha or ctx.sampler.adaptive then return slurm.run_dynamic(ctx, s, jobs) end
  local function resubmit(j) enqueue(ctx, {j}); slurm.submit(ctx, s, jobs, {j.trial - j.first}) end
  ctx.slurm_jobs, ctx.tasks = ctx.slurm_jobs or {}, ctx.tasks or {}
  submitted(ctx, s, function(rec, t, i)
    ctx.tasks[t] = {job = rec.job, task = i, retries = (ctx.tasks[t] and ctx.tasks[t].retries or -1) + 1}
  end)
  enqueue(ctx, jobs)
  local fresh = {}
  for _, j in ipairs(jobs) do if not result_of(ctx, j) and not ctx.tasks[j.trial] then fresh[#fresh + 1] = j.trial - j.first end end
  if #fresh > 0 then slurm.submit(ctx, s, jobs, fresh) end
  local gone, last_poll = {}, -math.huge
  while true do
    local pending = 0
    for _, j in ipairs(jobs) do if not result_of(ctx, j) then pending = pending + 1 end end
    if pending == 0 then break end
    if H.now() - last_poll >= 1 then
      last_poll = H.now()
      local ids = {}
      for _, j in ipairs(jobs) do local tk = ctx.tasks[j.trial] if tk then ids[tk.job] = true end end
      local list = {}
      for id in pairs(ids) do list[#list + 1] = id end
      local states = slurm.states(list)
      for _, j in ipairs(states and jobs or {}) do
        local tk = ctx.tasks[j.trial]
        if tk and not result_of(ctx, j) then watch(ctx, s, j, tk, states[tk.job .. "_" .. tk.task], gone, resubmit) end
      end
    end
    ctx.view:poll(holders(ctx))
    H.sleep(0.2)
  end
end

-- TPE and successive halving decide each job when a slot frees up, so
-- their jobs go to Slurm one at a time: each a one-task array, at most
-- `--parallel` (default 4) queued or running, watched as in `run`.
function slurm.run_dynamic(ctx, s, jobs)
  local A = ctx.asha and S.asha
  ctx.slurm_jobs, ctx.tasks = ctx.slurm_jobs or {}, ctx.tasks or {}
  ctx.workers = ctx.sweep.parallel or 4
  if A then A.begin(ctx, jobs) end
  local first = jobs[1].first
  local function job_of(t) return jobs[t - first + 1] end
  -- (for successive halving, the tasks of each trial's current rung)
  submitted(ctx, s, function(rec, t, i)
    local job = job_of(t)
    if job and (not A or rec.rung == job.rung) then
      local prev = ctx.tasks[t]
      ctx.tasks[t] = {job = rec.job, task = i, retries = prev and prev.rung == rec.rung and prev.retries + 1 or 0, rung = rec.rung}
    end
  end)
  local inflight = {}
  for t in pairs(ctx.tasks) do local job = job_of(t) if job and not job_done(ctx, job) then inflight[t] = job end end
  local function submit(job, retry)
    if not retry then ctx.tasks[job.trial] = nil end   -- a new rung starts its retries afresh
    queue_job(ctx, job)
    slurm.submit(ctx, s, jobs, {job.trial - first}, job.rung)
    ctx.tasks[job.trial].rung = job.rung
    inflight[job.trial] = job
    ctx.view:set_state(job.trial, "pending")
  end
  local function feed()
    if A then
      A.collect(ctx)
      local busy = {}
      for t in pairs(inflight) do busy[t] = true end
      A.feed(ctx, busy, submit)
      return
    end
    local n = 0
    for _ in pairs(inflight) do n = n + 1 end
    for _, job in ipairs(jobs) do
      if n >= ctx.workers then break end
      if not result_of(ctx, job) and not inflight[job.trial] then assign(ctx, job); submit(job); n = n + 1 end
    end
  end
  feed()
  local gone, last_poll = {}, -math.huge
  while true do
    for t, job in pairs(inflight) do if job_done(ctx, job) then inflight[t] = nil end end
    local left = next(inflight) ~= nil
    if A then left = left or not A.over(ctx)
    else for _, j in ipairs(jobs) do if not result_of(ctx, j) then left = true end end end
    if not left then break end
    if H.now() - last_poll >= 1 then
      last_poll = H.now()
      local ids, list = {}, {}
      for t in pairs(inflight) do ids[ctx.tasks[t].job] = true end
      for id in pairs(ids) do list[#list + 1] = id end
      local states = slurm.states(list)
      -- (a snapshot in trial order: a resubmission adds to inflight; a recorded end leaves it at the next pass)
      local watched = {}
      for _, job in pairs(states and inflight or {}) do watched[#watched + 1] = job end
      table.sort(watched, function(a, b) return a.trial < b.trial end)
      for _, job in ipairs(watched) do
        local tk = ctx.tasks[job.trial]
        if not job_done(ctx, job) then watch(ctx, s, job, tk, states[tk.job .. "_" .. tk.task], gone, submit) end
      end
      feed()
    end
    ctx.view:poll(holders(ctx))
    H.sleep(0.2)
  end
end

function slurm.cancel(ctx)
  if ctx.slurm_jobs and #ctx.slurm_jobs > 0 then
    local words = {"scancel"}
    for _, id in ipairs(ctx.slurm_jobs) do words[#words + 1] = id end
    shell(words)
  end
end

S.backends, S.holders = backends, holders
