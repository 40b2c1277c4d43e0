-- hp.search and nn.Ensemble.top: the stages of a search, whichever backend
-- runs them, and the ensemble of its best trials.
local P, S, hp, nn, tensor = ...
-- The sweep role the host gave (nil in process), read once: hp.search marks
-- it when a search has begun, so a second one under optlab sweep is refused.
local role
local function sweep_role()
  if role == nil then role = P.host.role() or false end
  return role or nil
end
local H = P.hp
-- The samplers `method =` may name (Samplers.all): "random", "tpe" or "grid".
local samplers = H.samplers()
local function sampler_named(name)
  for _, k in ipairs(samplers) do if k.name == name then return k end end
end
local function sampler_names(keep)
  local names = {}
  for _, k in ipairs(samplers) do if not keep or keep(k) then names[#names + 1] = string.format("%q", k.name) end end
  return #names == 1 and names[1] or table.concat(names, ", ", 1, #names - 1) .. " or " .. names[#names]
end
local plan_stage, result_of, narrowed_space, work = S.plan_stage, S.result_of, S.narrowed_space, S.work
local new_view, backends = S.new_view, S.backends
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
    local nextspace, warnings
    if s < #stages then nextspace, warnings = narrowed_space(space, results) end
    ctx.view:stage_done(s, jobs, space, nextspace, warnings)
    for _, w in ipairs(warnings or {}) do ctx.stage_warnings[#ctx.stage_warnings + 1] = "stage " .. s .. ": " .. w end
    ctx.last_space, ctx.last_results = space, results
    space = nextspace or space
  end
  return all
end

-- Best first, border warnings for the best, the lock released.
local function conclude(ctx, all)
  -- (under successive halving, a trial that reached a higher rung ranks above any that stopped below it)
  table.sort(all, function(a, b)
    local oa, ob = a.status == "ok", b.status == "ok"
    if oa ~= ob then return oa end
    local ra, rb = ctx.asha and (a.rung or 0) or 0, ctx.asha and (b.rung or 0) or 0
    if ra ~= rb then return ra > rb end
    local sa, sb = a.status == "ok" and a.score or -math.huge, b.status == "ok" and b.score or -math.huge
    if sa ~= sb then return sa > sb end
    return a.trial < b.trial
  end)
  local best = all[1]
  if best and best.status ~= "ok" then best = nil end
  -- at the original range's edges, and the score still rising toward an edge of the last stage's range
  local last = {}
  for _, r in ipairs(ctx.last_results or {}) do if r.status == "ok" and r.raw then last[#last + 1] = {raw = r.raw, score = r.score} end end
  local warnings = best and H.borders(ctx.space, best.raw, ctx.last_space, last) or {}
  for i, w in ipairs(ctx.stage_warnings) do table.insert(warnings, i, w) end
  ctx.view:finish(best, warnings)
  H.unlock(ctx.root)
  return {best = best, trials = all, warnings = warnings, dir = ctx.root}
end

local search_options = {"name", "dir", "space", "trial", "stages", "trials", "seed", "seeds", "workers", "score", "quiet", "method", "prune", "scheduler"}
P.option_keys["hp.search"] = search_options

-- scheduler = {kind = "asha", min_epochs = 1, max_epochs = 27, eta = 3}, checked; nil without one.
local function scheduler_of(o, bad, sampler)
  local sc = o.scheduler
  if sc == nil or sc == false then return nil end
  if type(sc) ~= "table" then bad("option 'scheduler' must be a table like {kind = \"asha\", min_epochs = 0.5, max_epochs = 16, eta = 3}, got " .. P.kind(sc)) end
  P.check_options("hp.search", 1, sc, {"kind", "min_epochs", "max_epochs", "eta"}, "scheduler")
  if sc.kind ~= "asha" then bad("scheduler.kind must be \"asha\" (asynchronous successive halving), got " .. tostring(sc.kind)) end
  local a = {min_epochs = sc.min_epochs or 1, max_epochs = sc.max_epochs, eta = sc.eta or 3}
  if type(a.max_epochs) ~= "number" or not (a.max_epochs > 0) or a.max_epochs > 1e6 then
    bad("scheduler.max_epochs must be a positive number of epochs, got " .. tostring(sc.max_epochs))
  end
  if type(a.min_epochs) ~= "number" or not (a.min_epochs > 0) or a.min_epochs > a.max_epochs then
    bad("scheduler.min_epochs must be a positive number of epochs up to max_epochs (" .. a.max_epochs .. "), got " .. tostring(sc.min_epochs))
  end
  if math.type(a.eta) ~= "integer" or a.eta < 2 then bad("scheduler.eta must be an integer of 2 or more, got " .. tostring(sc.eta)) end
  if o.stages and #o.stages > 1 then
    bad("scheduler = asha runs one stage (its rungs are its stages); give trials = N, not " .. #o.stages .. " stages")
  end
  if o.stages and o.stages[1] and o.stages[1].epochs then bad("with scheduler = asha, the rungs set each trial's epochs (not stage 1's epochs)") end
  if type(o.prune) == "table" or o.prune == true then bad("scheduler = asha stops trials itself; drop option 'prune'") end
  if not sampler.asha then
    bad("scheduler = asha samples its trials as it starts them: method must be " .. sampler_names(function(k) return k.asha end))
  end
  a.budgets = S.asha.budgets(a)
  return a
end

-- A smoke run (OPTLAB_TINY): each stage at most 3 trials of at most 1 epoch;
-- ASHA's rungs scaled down together, so they keep their ratios.
local function shrunk_for_smoke_run(stages, asha)
  local tiny = H.tiny()
  if not tiny then return stages end
  local out, cut = {}, false
  for i, st in ipairs(stages) do
    out[i] = {trials = math.min(st.trials or 10, tiny.trials), epochs = st.epochs and math.min(st.epochs, tiny.epochs)}
    cut = cut or out[i].trials ~= (st.trials or 10) or out[i].epochs ~= st.epochs
  end
  if asha and asha.max_epochs > tiny.epochs then
    asha.min_epochs = asha.min_epochs * tiny.epochs / asha.max_epochs
    asha.max_epochs, cut = tiny.epochs, true
  end
  if cut then H.announce_tiny() end
  return out
end

-- hp.search{name=, dir="runs", space={...}, trial=function(cfg, budget) ... end,
--           stages={{trials=40, epochs=1}, ...} or trials=N, seed=0, score="val_acc",
--           method="random", "tpe" or "grid", prune={factor=1.5, min_trials=4, warmup=0.5} or false,
--           scheduler={kind="asha", min_epochs=1, max_epochs=27, eta=3}}
function hp.search(o)
  local function bad(msg) P.argument_error("hp.search", 1, msg) end
  if type(o) ~= "table" then bad("table expected, got " .. P.kind(o)) end
  P.check_options("hp.search", 1, o, search_options)
  if type(o.trial) ~= "function" then bad("option 'trial' must be a function") end
  if type(o.space) ~= "table" then bad("option 'space' must be a table of hp distributions") end
  local sampler = sampler_named(o.method or "random")
  if not sampler then bad("option 'method' must be " .. sampler_names() .. ", got " .. tostring(o.method)) end
  local asha = scheduler_of(o, bad, sampler)
  local seeds = o.seeds or 1
  if math.type(seeds) ~= "integer" or seeds < 1 or seeds > 100 then bad("option 'seeds' must be a whole number from 1 to 100, got " .. tostring(o.seeds)) end
  if seeds > 1 and asha then bad("seeds = " .. seeds .. " with scheduler = asha: a rung would need every seed; use stages") end
  local prune = nil
  if o.prune ~= false and not asha then
    local p = type(o.prune) == "table" and o.prune or {}
    if o.prune ~= nil and type(o.prune) ~= "table" and o.prune ~= true then bad("option 'prune' must be a table or false") end
    P.check_options("hp.search", 1, p, {"factor", "min_trials", "warmup"}, "prune")
    prune = {factor = p.factor or 1.5, min_trials = p.min_trials or 4, warmup = p.warmup or 0.5}
    if type(prune.factor) ~= "number" or prune.factor <= 1 then
      bad("prune.factor must be a number above 1, got " .. tostring(p.factor))
    end
  end
  for name, spec in pairs(o.space) do
    if type(spec) ~= "table" or type(spec.kind) ~= "string" then
      bad("space." .. tostring(name) .. " must be an hp distribution (hp.loguniform, hp.uniform, hp.int, hp.choice), got " .. type(spec))
    end
  end
  local valid, why = pcall(H.check_space, o.space)   -- the bounds, checked before anything is written
  if not valid then bad(tostring(why):match("%((.*)%)$") or tostring(why)) end
  local stages = o.stages or {{trials = o.trials or 20}}
  if type(stages) ~= "table" or #stages == 0 then bad("option 'stages' must be a list like {{trials = 40, epochs = 1}, ...}") end
  for i, st in ipairs(stages) do
    if type(st) == "table" then P.check_options("hp.search", 1, st, {"trials", "epochs"}, "stage " .. i) end
    if type(st) ~= "table" or (st.trials ~= nil and (math.type(st.trials) ~= "integer" or st.trials < 1))
       or (st.epochs ~= nil and (type(st.epochs) ~= "number" or not (st.epochs > 0))) then
      bad("stage " .. i .. " must be a table like {trials = 40, epochs = 1} (a positive integer of trials, positive epochs)")
    end
  end
  stages = shrunk_for_smoke_run(stages, asha)
  local ctx = {space = o.space, trial = o.trial, seed = o.seed or 0, key = o.score or "val_acc", method = sampler.name,
               sampler = sampler, prune = prune, stage_warnings = {}, results = {}, reports = {}, name = o.name or "search", asha = asha,
               seeds = seeds, seed_generator = tensor.seed}
  if asha then ctx.observations = S.asha.observations end
  if type(ctx.name) ~= "string" then bad("option 'name' must be a string, got " .. P.kind(o.name)) end
  if o.dir ~= nil and type(o.dir) ~= "string" then bad("option 'dir' must be a string, got " .. P.kind(o.dir)) end
  ctx.root = H.search_root(o.dir or "runs", ctx.name)
  H.mkdir(ctx.root)
  H.refuse_links(ctx.root)
  local sweep = sweep_role()
  if sweep and sweep.mode == "worker" then
    work(ctx, sweep.trial)
    os.exit(0)
  end
  if sweep then
    -- workers serve the script's first search and leave; a second would wait for them forever
    if sweep.searched then
      P.fail("hp.search", "optlab sweep runs one search per script (this is the second); run the others in their own scripts, or in process with optlab " ..
        (sweep.script or "script.lua"))
    end
    sweep.searched = true
    P.host.began_search()
  end
  H.write_json(H.folder(ctx.root).space, o.space)
  local workers = sweep and sweep.workers or o.workers or 1
  local backend_name = sweep and sweep.backend or (workers > 1 and "local" or "inline")
  if workers > 1 and not sweep then
    P.fail("hp.search", "workers > 1 needs the master, which runs the script in its own processes: optlab sweep " ..
      (arg and arg[0] or "script.lua") .. " --workers " .. workers)
  end
  ctx.workers, ctx.sweep = workers, sweep
  ctx.view = new_view(ctx, o.quiet, backend_name)
  H.lock(ctx.root)
  local backend = backends[backend_name]
  -- (an error here is the search's own or an interrupt: keep where it came from)
  S.own_failure = false
  local ok, all = xpcall(run_stages, function(e)
    if S.own_failure or tostring(e):find("interrupted") then return e end
    return debug.traceback(tostring(e), 2)
  end, ctx, stages, backend)
  if not ok then
    if backend.cancel then backend.cancel(ctx) end
    H.unlock(ctx.root)
    ctx.view:abandon()
    error(all, 0)
  end
  if backend.finish then backend.finish(ctx) end
  return conclude(ctx, all)
end

-- nn.Ensemble.checkpoints(dir, k): the k best checkpoints of one run (the
-- notes' cheap ensemble: one training run, several of its epochs).
function nn.Ensemble.checkpoints(dir, k)
  if type(dir) ~= "string" then P.argument_error("nn.Ensemble.checkpoints", 1, "string expected, got " .. P.kind(dir)) end
  if math.type(k) ~= "integer" or k < 1 then P.argument_error("nn.Ensemble.checkpoints", 2, "a positive integer expected, got " .. P.kind(k)) end
  local scored = H.checkpoints(dir)
  if #scored == 0 then P.fail("nn.Ensemble.checkpoints", dir .. " holds no checkpoint (train.fit with log = that folder writes them)") end
  table.sort(scored, function(a, b) if a.score ~= b.score then return a.score > b.score end return a.epoch > b.epoch end)
  local paths = {}
  for i = 1, math.min(k, #scored) do paths[i] = scored[i].path end
  return nn.Ensemble.load(paths)
end

-- nn.Ensemble.top(k, dir): the k best trials' best checkpoints, as one ensemble.
function nn.Ensemble.top(k, root)
  if math.type(k) ~= "integer" or k < 1 then P.argument_error("nn.Ensemble.top", 1, "a positive integer expected, got " .. P.kind(k)) end
  if type(root) ~= "string" then P.argument_error("nn.Ensemble.top", 2, "string expected, got " .. P.kind(root)) end
  local paths = H.top_checkpoints(root, k)
  if #paths == 0 then P.fail("nn.Ensemble.top", "no trial in " .. root .. " has a checkpoint (train with log = cfg.dir)") end
  return nn.Ensemble.load(paths)
end
