-- What the user sees of a search: on a terminal, a table of the stage's
-- trials sorted by score and a progress bar with an ETA, redrawn in place;
-- on a pipe or in a file, one plain line per finished trial.
local P, S = ...
local H = P.hp
-- A job's result at the point it was handed out to (its rung, under successive halving).
local function result_of(ctx, job) return S.job_done(ctx, job) end
local function fmt(v)
  if type(v) == "number" then
    if math.type(v) == "integer" or v == math.floor(v) and math.abs(v) < 1e6 then return string.format("%d", v) end
    return string.format("%.3g", v)
  end
  return tostring(v)
end

local function clock(s)
  s = math.max(0, math.floor(s + 0.5))
  if s >= 3600 then return string.format("%dh%02dm", s // 3600, s % 3600 // 60) end
  if s >= 60 then return string.format("%dm%02ds", s // 60, s % 60) end
  return string.format("%ds", s)
end

local View = {}
View.__index = View

local function new_view(ctx, quiet, backend)
  local rows, cols
  if not quiet then rows, cols = P.host.terminal() end
  return setmetatable({ctx = ctx, quiet = quiet, rows = rows, cols = cols, drawn = 0, last = 0,
                       live = {}, state = {}, printed = {}, backend = backend}, View)
end

-- A line cut to the terminal's width, so that each takes one row and the
-- redraw moves up exactly as many rows as it drew.
local function fit(line, cols)
  local n = utf8.len(line)
  if not n or n < cols then return line end
  return line:sub(1, utf8.offset(line, cols - 1) - 1) .. "…"
end

-- Parameter names, sorted, for the columns.
function View:names()
  if not self.columns then
    self.columns = {}
    for n in pairs(self.ctx.space) do self.columns[#self.columns + 1] = n end
    table.sort(self.columns)
  end
  return self.columns
end

function View:header()
  local cells = {"trial", self.ctx.asha and "rung " or "stage"}
  for _, n in ipairs(self:names()) do cells[#cells + 1] = string.format("%-10s", n) end
  cells[#cells + 1] = "epoch "
  cells[#cells + 1] = string.format("%-8s", self.ctx.key)
  cells[#cells + 1] = "state"
  return table.concat(cells, " ")
end

-- One trial's row: a finished one from its result, a running one from its last report.
function View:row(job)
  local r, live = result_of(self.ctx, job), self.live[job.trial]
  local A = self.ctx.asha
  local cells = {string.format("%-5d", job.trial),
                 A and string.format("%-5s", job.rung and (job.rung .. "/" .. #A.budgets) or "") or string.format("%-5d", job.stage)}
  for _, n in ipairs(self:names()) do cells[#cells + 1] = string.format("%-10s", job.config and fmt(job.config[n]) or "") end
  local at = r and r.at or (live and live.at)
  cells[#cells + 1] = string.format("%-6s", at and string.format("%.4g", at) or "")
  local score = r and r.score or (live and live.val_acc)
  cells[#cells + 1] = string.format("%-8s", type(score) == "number" and string.format("%.4f", score) or "—")
  local state = r and r.status or self.state[job.trial] or "queued"
  if r and r.error and r.status ~= "ok" then
    -- the message without its first line's "script.lua:19: " (the table is narrow; result.json keeps it all)
    local msg = tostring(r.error):gsub("\n.*", ""):gsub("^[^:]*:%d+: ", "")
    state = state .. ": " .. msg
  end
  cells[#cells + 1] = state
  return table.concat(cells, " ")
end

function View:stage(s, n, stage, jobs, note)
  self.s, self.n, self.jobs, self.started, self.live, self.state = s, n, jobs, H.now(), {}, {}
  self.done0 = 0
  for _, j in ipairs(jobs) do if result_of(self.ctx, j) then self.done0 = self.done0 + 1 end end
  if self.quiet then return end
  local what = string.format("stage %d/%d: %d trials%s", s, n, #jobs, stage.epochs and (", " .. stage.epochs .. " epochs each") or "")
  local A = self.ctx.asha
  if A then
    local b = {}
    for i, e in ipairs(A.budgets) do b[i] = fmt(e) end
    what = string.format("%d trials, successive halving: rungs of %s epochs, the top 1/%d of each promoted", #jobs, table.concat(b, ", "), A.eta)
  end
  if self.backend == "local" then what = what .. ", " .. self.ctx.workers .. " workers"
  elseif self.backend == "slurm" then what = what .. ", a Slurm job array" end
  print(what .. (note and (" (" .. note .. ")") or ""))
  if not self.rows then print(self:header()) end
  self.drawn = 0
  self:draw(true)
end

-- The table, best first, cut to the terminal's height, then the stage's bar.
function View:draw(force)
  if not self.rows or not self.jobs then return end
  local now = H.now()
  if not force and now - self.last < 0.5 then return end
  self.last = now
  local order = {}
  for _, j in ipairs(self.jobs) do order[#order + 1] = j end
  local function key(j)
    local r = result_of(self.ctx, j)
    if r then return r.status == "ok" and r.score or (r.score and r.score - 1e9) or -math.huge end
    local l = self.live[j.trial]
    if l and l.val_acc then return l.val_acc end
    return self.state[j.trial] == "running" and -1e300 or -math.huge
  end
  local A = self.ctx.asha
  table.sort(order, function(a, b)
    if A and (a.rung or 0) ~= (b.rung or 0) then return (a.rung or 0) > (b.rung or 0) end
    local ka, kb = key(a), key(b)
    if ka ~= kb then return ka > kb end
    return a.trial < b.trial
  end)
  local done, running = 0, 0
  for _, j in ipairs(self.jobs) do
    if result_of(self.ctx, j) then done = done + 1 elseif self.state[j.trial] == "running" then running = running + 1 end
  end
  local lines = {self:header()}
  local room = math.max(3, self.rows - 4)
  for i, j in ipairs(order) do
    if i > room then lines[#lines + 1] = string.format("… %d more", #order - room) break end
    lines[#lines + 1] = self:row(j)
  end
  local width, total, unit = 30, #self.jobs, "done"
  if A and A.order then
    -- under successive halving, progress is in epochs: those trained of those a full run trains
    done, total = S.asha.progress(self.ctx)
    self.asha_done0 = self.asha_done0 or done
    self.done0 = self.asha_done0
    unit = "epochs"
  end
  local filled = total > 0 and math.floor(width * done / total + 0.5) or width
  local eta = ""
  if done > self.done0 and done < total then
    eta = "  ETA " .. clock((now - self.started) / (done - self.done0) * (total - done))
  end
  lines[#lines + 1] = string.format("stage %d/%d [%s%s] %s/%s %s, %d running  %s%s", self.s, self.n,
    string.rep("█", filled), string.rep("░", width - filled), fmt(done), fmt(total), unit, running, clock(now - self.started), eta)
  for i, l in ipairs(lines) do lines[i] = fit(l, self.cols) end
  -- the host draws them over the ones drawn last time (a terminal's cursor is its business)
  P.host.draw(lines, self.drawn)
  self.drawn = #lines
end

-- A trial began (in this process), reported progress, or finished.
function View:running(job) self.state[job.trial] = "running"; self:draw(true) end
function View:progress(job, r) self.live[job.trial] = r; self.state[job.trial] = "running"; self:draw(false) end
function View:finished(r)
  if self.quiet then return end
  if self.rows then self:draw(true) return end
  local key = r.trial .. "@" .. (r.rung or 0)   -- (a line per rung under successive halving)
  if not self.printed[key] then
    self.printed[key] = true
    local job
    for _, j in ipairs(self.jobs or {}) do if j.trial == r.trial then job = j end end
    if job then print(self:row(job)) io.stdout:flush() end
  end
end

-- A master's look at the run folder: who runs what (trial -> holder), how far each has got.
function View:poll(running)
  if self.quiet then return end
  for _, j in ipairs(self.jobs) do
    local r = result_of(self.ctx, j)
    if r then
      if not self.rows then self:finished(r) end
    elseif running[j.trial] then
      self.state[j.trial] = "running"
    elseif self.backend == "local" and self.state[j.trial] == "running" then
      self.state[j.trial] = "queued"   -- its worker died: queued again
    end
  end
  if not self.rows or H.now() - self.last < 0.5 then return end
  for _, j in ipairs(self.jobs) do
    if self.state[j.trial] == "running" and not result_of(self.ctx, j) then
      local reports = P.read_lines(P.hp.trial_file(j.dir, "progress"))
      self.live[j.trial] = reports[#reports]
    end
  end
  self:draw(false)
end

function View:set_state(trial, state) self.state[trial] = state end

local function range_text(spec)
  if spec.kind == "choice" then return nil end
  return fmt(spec.lo) .. " … " .. fmt(spec.hi)
end

function View:stage_done(s, jobs, space, nextspace, warnings)
  if self.quiet then return end
  for _, j in ipairs(jobs) do local r = result_of(self.ctx, j) if r then self:finished(r) end end
  self:draw(true)
  self.drawn, self.jobs = 0, nil
  local counts = {}
  for _, j in ipairs(jobs) do
    local r = result_of(self.ctx, j)
    local st = r and r.status or "lost"
    counts[st] = (counts[st] or 0) + 1
  end
  local parts = {}
  for _, st in ipairs{"ok", "stopped", "failed", "cancelled", "lost"} do
    if counts[st] then parts[#parts + 1] = counts[st] .. " " .. st end
  end
  -- (successive halving has rungs, not stages)
  print(string.format(self.ctx.asha and "successive halving done: %s" or ("stage " .. s .. " done: %s"), table.concat(parts, ", ")))
  if nextspace then
    for _, n in ipairs(self:names()) do
      local a, b = range_text(space[n]), range_text(nextspace[n])
      if a and b and a ~= b then print(string.format("  %s narrows from %s to %s", n, a, b)) end
    end
  end
  for _, w in ipairs(warnings or {}) do print("warning: " .. w) end
end

function View:finish(best, warnings)
  if self.quiet then return end
  if best then
    local cfg = {}
    for _, n in ipairs(self:names()) do cfg[#cfg + 1] = n .. " = " .. fmt(best.config[n]) end
    print(string.format("best: trial %d, %s %.4f (%s)", best.trial, self.ctx.key, best.score, table.concat(cfg, ", ")))
  else
    print("no trial finished")
  end
  for _, w in ipairs(warnings) do print("warning: " .. w) end
end

function View:abandon()
  if self.rows and self.drawn > 0 then io.write("\n") end
end

S.new_view, S.View, S.fmt, S.clock = new_view, View, fmt, clock
