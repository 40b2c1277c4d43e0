/// `hp.search`, written in Lua because the trial is a Lua function. The
/// Swift half (HPLibrary) samples, narrows, warns and writes files atomically.
enum SearchLua {
    static let source = #"""
local sample, narrow, borders, write_json, read_json, read_lines, lock, mkdir =
  hp.__sample, hp.__narrow, hp.__borders, hp.__write_json, hp.__read_json, hp.__read_lines, hp.__lock, hp.__mkdir
local spawn, alive, sleep, getpid, rename, list, kill =
  hp.__spawn, hp.__alive, hp.__sleep, hp.__pid, hp.__rename, hp.__list, hp.__kill
for _, k in ipairs{"__sample", "__narrow", "__borders", "__write_json", "__read_json", "__read_lines", "__lock", "__mkdir",
                   "__spawn", "__alive", "__sleep", "__pid", "__rename", "__list", "__kill"} do hp[k] = nil end

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

local function fmt(v)
  if type(v) == "number" then
    if math.type(v) == "integer" or v == math.floor(v) and math.abs(v) < 1e6 then return string.format("%d", v) end
    return string.format("%.3g", v)
  end
  return tostring(v)
end

local function row(names, r)
  local cells = {string.format("%-5s", r.trial), string.format("%-5s", r.stage)}
  for _, n in ipairs(names) do cells[#cells + 1] = string.format("%-10s", fmt(r.config[n])) end
  cells[#cells + 1] = string.format("%-8s", r.score and string.format("%.4f", r.score) or "—")
  cells[#cells + 1] = r.status .. (r.error and (": " .. r.error:gsub("\n.*", "")) or "")
  return table.concat(cells, " ")
end

-- Coarse to fine: the next stage's space from this stage's finished trials
-- (choices are kept as they are).
local function narrowed_space(space, results)
  local finished = {}
  for _, r in ipairs(results) do if r.status == "ok" then finished[#finished + 1] = {score = r.score, raw = r.raw} end end
  local narrowed = narrow(space, finished)
  for n, spec in pairs(space) do if spec.__hp == "choice" then narrowed[n] = spec end end
  return narrowed
end

-- Runs one trial from its job (config already sampled); returns the result record.
local function run_trial(o, key, job)
  local cfg = {}
  for k, v in pairs(job.config) do cfg[k] = v end
  cfg.dir, cfg.trial = job.dir, job.trial
  -- the first stage stops exploding trials at once (pass budget.stop_above to train.fit)
  local ok, out = pcall(o.trial, cfg, {stage = job.stage, epochs = job.epochs, trials = job.trials,
                                       stop_above = job.stage == 1 and 3 or nil})
  cfg.dir, cfg.trial = nil, nil
  local r = {trial = job.trial, stage = job.stage, config = cfg, raw = job.raw, dir = job.dir}
  if not ok then
    r.status, r.error = "failed", tostring(out)
  else
    local score = type(out) == "number" and out or (type(out) == "table" and out[key])
    if type(score) ~= "number" or score ~= score then
      r.status, r.error = "failed", "the trial returned no number (expected a number or a table with '" .. key .. "')"
    else
      r.status, r.score = "ok", score
      if type(out) == "table" then for k, v in pairs(out) do if type(v) == "number" and k ~= key then r[k] = v end end end
    end
  end
  return r
end

local function finish_trial(root, r)
  write_json(r.dir .. "/result.json", r)
  write_json(root .. "/summary.jsonl", r, true)
end

-- Worker mode (`optlab --sweep-worker script.lua`): claim queued trials by
-- renaming their file into running/, run them, and leave when the queue is empty.
local function work(o, key, root)
  mkdir(root .. "/running")
  local me = getpid()
  while true do
    local claimed
    for _, f in ipairs(list(root .. "/queue")) do
      local t = f:match("^(%d+)%.json$")
      if t and rename(root .. "/queue/" .. f, root .. "/running/" .. t .. "." .. me .. ".json") then claimed = t break end
    end
    if not claimed then return end
    local running = root .. "/running/" .. claimed .. "." .. me .. ".json"
    local job = read_json(running)
    mkdir(job.dir)
    finish_trial(root, run_trial(o, key, job))
    os.remove(running)
  end
end

-- Master mode (`optlab sweep script.lua --workers N`): queue each stage's
-- trials, keep N workers running, requeue a trial whose worker died (once;
-- the second death marks it failed), and narrow between stages.
local function master(o, key, root, stages, workers, script)
  mkdir(root .. "/queue"); mkdir(root .. "/running")
  local space, t, all, pids = o.space, 0, {}, {}
  for s, stage in ipairs(stages) do
    local jobs = {}
    for _ = 1, stage.trials or 10 do
      t = t + 1
      local tdir = string.format("%s/s%d-t%03d", root, s, t)
      jobs[#jobs + 1] = {trial = t, dir = tdir}
      if not read_json(tdir .. "/result.json") then
        local queued = io.open(string.format("%s/queue/%d.json", root, t))
        local busy = false
        for _, f in ipairs(list(root .. "/running")) do if f:match("^(%d+)%.") == tostring(t) then busy = true end end
        if queued then queued:close() elseif not busy then
          local raw = sample(space, o.seed or 0, t)
          local cfg = decode(space, raw)
          mkdir(tdir)
          write_json(tdir .. "/config.json", {trial = t, stage = s, config = cfg, raw = raw, seed = o.seed or 0})
          write_json(string.format("%s/queue/%d.json", root, t),
            {trial = t, stage = s, config = cfg, raw = raw, dir = tdir, epochs = stage.epochs, trials = stage.trials, retries = 0})
        end
      end
    end
    while true do
      local pending = 0
      for _, j in ipairs(jobs) do if not read_json(j.dir .. "/result.json") then pending = pending + 1 end end
      if pending == 0 then break end
      -- trials held by dead workers: requeue once, then fail
      for _, f in ipairs(list(root .. "/running")) do
        local tr, pid = f:match("^(%d+)%.(%d+)%.json$")
        if tr and not alive(tonumber(pid)) then
          local job = read_json(root .. "/running/" .. f)
          os.remove(root .. "/running/" .. f)
          if job and not read_json(job.dir .. "/result.json") then
            if (job.retries or 0) < 1 then
              job.retries = (job.retries or 0) + 1
              write_json(string.format("%s/queue/%s.json", root, tr), job)
            else
              local r = {trial = job.trial, stage = job.stage, config = job.config, raw = job.raw, dir = job.dir,
                status = "failed", error = "its worker died twice"}
              finish_trial(root, r)
            end
          end
        end
      end
      local live = {}
      for _, pid in ipairs(pids) do if alive(pid) then live[#live + 1] = pid end end
      pids = live
      if #list(root .. "/queue") > 0 then
        while #pids < workers do pids[#pids + 1] = spawn("optlab", "--sweep-worker", script) end
      end
      sleep(0.1)
    end
    local results = {}
    for _, j in ipairs(jobs) do
      local r = read_json(j.dir .. "/result.json")
      results[#results + 1] = r; all[#all + 1] = r
      if not o.quiet then print(string.format("trial %d (stage %d): %s%s", r.trial, r.stage, r.status,
        r.score and string.format(" %s %.4f", key, r.score) or (r.error and (": " .. r.error:gsub("\n.*", "")) or ""))) end
    end
    if s < #stages then space = narrowed_space(space, results) end
  end
  for _, pid in ipairs(pids) do while alive(pid) do sleep(0.05) end end
  return all
end

-- Best first, border warnings for the best, the lock released.
local function conclude(o, key, root, all)
  table.sort(all, function(a, b) return (a.score or -math.huge) > (b.score or -math.huge) end)
  local best = all[1]
  local warnings = best and best.score and borders(o.space, best.raw) or {}
  if not o.quiet then
    if best and best.score then print(string.format("best: trial %d, %s %.4f", best.trial, key, best.score)) end
    for _, w in ipairs(warnings) do print("warning: " .. w) end
  end
  os.remove(root .. "/master.lock")
  return {best = best, trials = all, warnings = warnings, dir = root}
end

local search_options = {name = true, dir = true, space = true, trial = true, stages = true, trials = true, seed = true,
  workers = true, score = true, quiet = true}

-- hp.search{name=, dir="runs", space={...}, trial=function(cfg, budget) ... end,
--           stages={{trials=40, epochs=1}, ...} or trials=N, seed=0, score="val_acc"}
function hp.search(o)
  if type(o) ~= "table" then error("bad argument #1 to 'search' (table expected, got " .. type(o) .. ")", 2) end
  for k in pairs(o) do
    if not search_options[k] then error("bad argument #1 to 'search' (unknown option '" .. tostring(k) .. "')", 2) end
  end
  if type(o.trial) ~= "function" then error("bad argument #1 to 'search' (option 'trial' must be a function)", 2) end
  if type(o.space) ~= "table" then error("bad argument #1 to 'search' (option 'space' must be a table of hp distributions)", 2) end
  local name, dir, seed, key = o.name or "search", o.dir or "runs", o.seed or 0, o.score or "val_acc"
  local stages = o.stages or {{trials = o.trials or 20}}
  local root = dir .. "/" .. name
  mkdir(root)
  local sweep = __optlab_sweep
  if not (sweep and sweep.mode == "worker") then write_json(root .. "/space.json", o.space) end
  if sweep and sweep.mode == "worker" then
    work(o, key, root)
    os.exit(0)
  end
  local workers = sweep and sweep.workers or o.workers or 1
  if workers > 1 and not sweep then
    error("hp.search: workers > 1 needs the master, which runs the script in its own processes: optlab sweep " ..
      (arg and arg[0] or "script.lua") .. " --workers " .. workers, 2)
  end
  lock(root .. "/master.lock")
  if workers > 1 then return conclude(o, key, root, master(o, key, root, stages, workers, sweep.script)) end
  local names = {}
  for n in pairs(o.space) do names[#names + 1] = n end
  table.sort(names)
  local header = {"trial", "stage"}
  for _, n in ipairs(names) do header[#header + 1] = string.format("%-10s", n) end
  if not o.quiet then print(table.concat(header, " ") .. " score    state") end

  local space, t, all = o.space, 0, {}
  for s, stage in ipairs(stages) do
    local results = {}
    for _ = 1, stage.trials or 10 do
      t = t + 1
      local tdir = string.format("%s/s%d-t%03d", root, s, t)
      local done = read_json(tdir .. "/result.json")
      local r
      if done then
        r = done                     -- resumed: a finished trial is never redone
      else
        mkdir(tdir)
        local raw = sample(space, seed, t)
        local cfg = decode(space, raw)
        write_json(tdir .. "/config.json", {trial = t, stage = s, config = cfg, raw = raw, seed = seed})
        r = run_trial(o, key, {trial = t, stage = s, config = cfg, raw = raw, dir = tdir, epochs = stage.epochs, trials = stage.trials})
        finish_trial(root, r)
      end
      results[#results + 1] = r
      all[#all + 1] = r
      if not o.quiet then print(row(names, r)) end
    end
    if s < #stages then space = narrowed_space(space, results) end
  end
  return conclude(o, key, root, all)
end

-- nn.Ensemble.top(k, dir): the k best trials' best checkpoints, as one ensemble.
function nn.Ensemble.top(k, root)
  local rows = read_lines(root .. "/summary.jsonl")
  table.sort(rows, function(a, b) return (a.score or -math.huge) > (b.score or -math.huge) end)
  local paths = {}
  for _, r in ipairs(rows) do
    if #paths >= k then break end
    if r.status == "ok" and r.dir then
      local best, best_score
      local p = io.popen('ls "' .. r.dir .. '" 2>/dev/null')
      for f in p:lines() do
        local score = tonumber(f:match("^ep%d+_val([%d%.]+)%.safetensors$"))
        if score and (not best_score or score > best_score) then best, best_score = f, score end
      end
      p:close()
      if best then paths[#paths + 1] = r.dir .. "/" .. best end
    end
  end
  if #paths == 0 then error("nn.Ensemble.top: no trial in " .. root .. " has a checkpoint (train with log = cfg.dir)", 2) end
  return nn.Ensemble.load(paths)
end
"""#
}
