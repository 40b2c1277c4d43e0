local H, file = ...
local test = function(name, fn) H.test(file .. ": " .. name, fn) end
-- The pure-Lua parts of hp.search, loaded from their source files with
-- stubbed primitives: the pruning rule, narrowing, the live table's layout.

local root = (arg[0]:match("^(.*)/Tests/lua/[^/]*$") or ".") .. "/Sources/OptLabLua/Lua/search/"

-- Primitives that keep "files" in a table and a clock the test moves.
local function stubs(opts)
  local files, clock = {}, {t = 0}
  local P = {fail = function(fn, msg) error(fn .. ": " .. msg, 2) end, kind = type, check_options = function() end}
  P.hp = {
    read_lines = function(path) return files[path] or {} end,
    read_json = function(path) return files[path] end,
    write_json = function(path, v, append)
      if append then files[path] = files[path] or {}; table.insert(files[path], v) else files[path] = v end
    end,
    now = function() return clock.t end,
    narrow = function(space, finished) opts.narrowed_with = finished; return {lr = {kind = "loguniform", lo = 1e-3, hi = 1e-2}} end,
    mkdir = function() end,
    trial_dir = function(root, s, t) return string.format("%s/s%d-t%03d", root, s, t) end,
    trial_file = function(dir, name, k) return dir .. "/" .. (name == "rung" and ("rung" .. k .. ".json") or name == "progress" and "progress.jsonl" or (name .. ".json")) end,
  }
  -- the host's redraw, as the optlab executable does it
  P.host = {terminal = function() return opts.rows, opts.cols end,
            draw = function(lines, previous)
              if previous > 0 then io.write(string.format("\27[%dF\27[J", previous)) end
              io.write(table.concat(lines, "\n") .. "\n")
            end}
  local S = {}
  for _, name in ipairs{"trials", "view"} do
    local chunk = assert(loadfile(root .. name .. ".lua"))
    chunk(P, S)
  end
  return S, files, clock
end

-- Trials 1..5 of stage 1, each with a report at 0.75 epochs.
local function with_reports(files, losses)
  for t, loss in ipairs(losses) do
    files[string.format("runs/s/s1-t%03d/progress.jsonl", t)] = {{at = 0.75, loss = loss}}
  end
end

local function job(t) return {trial = t, stage = 1, first = 1, last = 5, epochs = 2, dir = string.format("runs/s/s1-t%03d", t)} end

test("pruning: far behind the median of the others at the same point, and only then", function()
  local S, files = stubs{}
  local ctx = {root = "runs/s", prune = {factor = 1.5, min_trials = 4, warmup = 0.5}, results = {}, reports = {}}
  with_reports(files, {1.0, 1.1, 0.9, 1.2, 3.0})
  -- the median of trials 1-4 at 0.75 is 1.05; trial 5's 3.0 is 2.9x
  local why = S.behind(ctx, job(5), {at = 0.75, loss = 3.0})
  H.eq(type(why), "string", "trial 5 is stopped")
  H.eq(why:find("2.9× the median 1.05 of 4 trials", 1, true) ~= nil, true, why)
  H.eq(S.behind(ctx, job(5), {at = 0.75, loss = 1.5}), nil, "1.43x the median is not far behind")
  H.eq(S.behind(ctx, job(5), {at = 0.25, loss = 3.0}), nil, "before the warm-up nothing stops")
  H.eq(S.behind(ctx, job(5), {at = 2, loss = 3.0}), nil, "the last point of its budget is not pruned")
  ctx.prune.min_trials = 5
  H.eq(S.behind(ctx, job(5), {at = 0.75, loss = 3.0}), nil, "fewer others than min_trials: no verdict")
  ctx.prune = nil
  H.eq(S.behind(ctx, job(5), {at = 0.75, loss = 3.0}), nil, "prune = false stops nothing")
end)

test("pruning by validation error at an epoch's end", function()
  local S, files = stubs{}
  local ctx = {root = "runs/s", prune = {factor = 1.5, min_trials = 4, warmup = 0.5}, results = {}, reports = {}}
  for t, acc in ipairs{0.9, 0.92, 0.88, 0.91} do files[string.format("runs/s/s1-t%03d/progress.jsonl", t)] = {{at = 1, val_acc = acc}} end
  -- errors 0.1, 0.08, 0.12, 0.09: median 0.095; 0.8 val_acc is error 0.2 = 2.1x
  H.eq(type(S.behind(ctx, job(5), {at = 1, val_acc = 0.8})), "string")
  H.eq(S.behind(ctx, job(5), {at = 1, val_acc = 0.87}), nil, "error 0.13 is 1.37x")
end)

test("quantile interpolates like numpy's default", function()
  local S = stubs{}
  H.eq(S.quantile({3, 1, 2}, 0.5), 2)
  H.close(S.quantile({1, 2, 3, 4}, 0.5), 2.5)
  H.close(S.quantile({10, 0}, 0.25), 2.5)
end)

test("narrowing uses finished trials only and keeps choices as they were", function()
  local opts = {}
  local S = stubs(opts)
  local act = {kind = "choice", choices = {"relu", "tanh"}}
  local space = {lr = {kind = "loguniform", lo = 1e-5, hi = 1}, act = act}
  local next = S.narrowed_space(space, {
    {status = "ok", score = 0.9, raw = {lr = 0.003}}, {status = "failed", raw = {lr = 0.5}},
    {status = "stopped", score = 0.2, raw = {lr = 1e-5}}, {status = "ok", score = 0.8, raw = {lr = 0.005}}})
  H.eq(#opts.narrowed_with, 2, "failed and stopped trials are not used")
  H.eq(next.act, act, "the choice is kept")
  H.eq(next.lr.lo, 1e-3)
end)

test("the live table fits the terminal, best first, and redraws over itself", function()
  local S, files, clock = stubs{rows = 8, cols = 50}
  local ctx = {root = "runs/s", space = {lr = {kind = "loguniform", lo = 1e-4, hi = 1}, width = {kind = "int", lo = 8, hi = 64}},
               key = "val_acc", results = {}, reports = {}, stage_warnings = {}}
  local jobs = {}
  for t = 1, 6 do
    jobs[t] = {trial = t, stage = 1, dir = string.format("runs/s/s1-t%03d", t), config = {lr = 10 ^ -t, width = 8 * t}}
  end
  -- trials 2 and 5 have finished, 5 better than 2
  files["runs/s/s1-t002/result.json"] = {trial = 2, status = "ok", score = 0.81, at = 1, raw = {lr = 1e-2, width = 16}, config = {lr = 1e-2, width = 16}}
  files["runs/s/s1-t005/result.json"] = {trial = 5, status = "ok", score = 0.88, at = 1, raw = {lr = 1e-4, width = 40}, config = {lr = 1e-4, width = 40}}
  local out = {}
  local write, pr = io.write, print
  io.write = function(...) for _, s in ipairs{...} do out[#out + 1] = s end end
  print = function(...) out[#out + 1] = table.concat({...}, "\t") .. "\n" end
  local ok, err = pcall(function()
    local view = S.new_view(ctx, false, "inline")
    view:stage(1, 2, {trials = 6, epochs = 1}, jobs)
    clock.t = 10
    view:running(jobs[1])
    clock.t = 11
    view:progress(jobs[1], {at = 0.5, val_acc = 0.85})
  end)
  io.write, print = write, pr
  H.eq(ok, true, tostring(err))
  local text = table.concat(out)
  local frames = {}
  for frame in (text .. "\27["):gmatch("(.-)\27%[") do frames[#frames + 1] = frame end
  -- the last drawing: header, rows cut to the room left (8 - 4 = 4), "… more", the bar
  local last = text:match(".*\27%[%d+F\27%[J(.*)$")
  H.eq(last ~= nil, true, "redrawn in place")
  local lines = {}
  for l in last:gmatch("([^\n]*)\n") do lines[#lines + 1] = l end
  H.eq(#lines, 7, "header + 4 rows + more + bar")
  for _, l in ipairs(lines) do H.eq(utf8.len(l) <= 50, true, "line fits 50 columns: " .. l) end
  H.eq(lines[2]:match("^(%d+)"), "5", "the best finished trial first")
  H.eq(lines[3]:match("^(%d+)"), "1", "then the running one by its last report (0.85)")
  H.eq(lines[4]:match("^(%d+)"), "2", "then the other finished one")
  H.eq(lines[6], "… 2 more")
  H.eq(lines[7]:sub(1, 11), "stage 1/2 [", lines[7])
  local _, filled = lines[7]:gsub("█", "")
  H.eq(filled, 10, "2 of 6 done fills a third of the 30-cell bar")
  H.eq(lines[7]:find("2/6 d", 1, true) ~= nil and lines[7]:sub(-3) == "…", true, "the bar cut with an ellipsis: " .. lines[7])
  local moved = tonumber(text:match(".*\27%[(%d+)F"))
  H.eq(moved, 7, "moves up as many rows as it drew")
end)
