/// `hp.search`, written in Lua because the trial is a Lua function. The
/// Swift half (HPLibrary) samples, narrows, warns and writes files atomically.
enum SearchLua {
    static let source = #"""
local sample, narrow, borders, write_json, read_json, read_lines, lock, mkdir =
  hp.__sample, hp.__narrow, hp.__borders, hp.__write_json, hp.__read_json, hp.__read_lines, hp.__lock, hp.__mkdir
for _, k in ipairs{"__sample", "__narrow", "__borders", "__write_json", "__read_json", "__read_lines", "__lock", "__mkdir"} do hp[k] = nil end

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
  if o.workers and o.workers ~= 1 then
    error("hp.search: workers > 1 runs through `optlab sweep`, which is not built yet; use workers = 1", 2)
  end
  local name, dir, seed, key = o.name or "search", o.dir or "runs", o.seed or 0, o.score or "val_acc"
  local stages = o.stages or {{trials = o.trials or 20}}
  local root = dir .. "/" .. name
  mkdir(root)
  lock(root .. "/master.lock")
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
        cfg.dir, cfg.trial = tdir, t
        local budget = {stage = s, epochs = stage.epochs, trials = stage.trials}
        local ok, out = pcall(o.trial, cfg, budget)
        cfg.dir, cfg.trial = nil, nil
        r = {trial = t, stage = s, config = cfg, raw = raw, dir = tdir}
        if not ok then
          r.status, r.error = "failed", tostring(out)
        else
          local score = type(out) == "number" and out or (type(out) == "table" and out[key])
          if type(score) ~= "number" or score ~= score then
            r.status, r.error = "failed", "the trial returned no number (expected a number or a table with '" .. key .. "')"
          else
            r.status, r.score = "ok", score
            if type(out) == "table" then
              for k, v in pairs(out) do if type(v) == "number" and k ~= key then r[k] = v end end
            end
          end
        end
        write_json(tdir .. "/result.json", r)
        write_json(root .. "/summary.jsonl", r, true)
      end
      results[#results + 1] = r
      all[#all + 1] = r
      if not o.quiet then print(row(names, r)) end
    end
    if s < #stages then
      local finished = {}
      for _, r in ipairs(results) do if r.status == "ok" then finished[#finished + 1] = {score = r.score, raw = r.raw} end end
      local narrowed = narrow(space, finished)
      for n, spec in pairs(space) do if spec.__hp == "choice" then narrowed[n] = spec end end
      space = narrowed
    end
  end
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
