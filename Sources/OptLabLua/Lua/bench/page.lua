-- bench.run's page (index.html: per problem a table, the curves with their
-- seed bands, the tuned-rate sensitivity; across problems the performance
-- profiles) and its printed summary.
local P, B = ...
local C = P.bench

local function esc(s) return (tostring(s):gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;"):gsub('"', "&quot;")) end
local function g(v, digits) return v == nil and "—" or string.format("%." .. (digits or 4) .. "g", v) end

local function seconds(v)
  if v == nil or v == math.huge then return "not reached" end
  return v < 10 and string.format("%.2f s", v) or string.format("%.0f s", v)
end

-- ", beta2 0.99" for a tuned second hyperparameter.
local function extra_text(extra)
  local parts = {}
  for k, v in pairs(extra or {}) do parts[#parts + 1] = string.format("%s %s", k, g(v, 3)) end
  table.sort(parts)
  return #parts > 0 and (", " .. table.concat(parts, ", ")) or ""
end

-- One row per rule: its tuned rate, the metric over the seeds, the time to target, the comparison.
local function rows(res, per)
  local out = {}
  for _, name in ipairs(per.order) do
    local s = per.rules[name]
    local v = per.versus[name]
    local versus = ""
    if v then
      versus = v.error and ("n/a: " .. v.error) or string.format("%s [%s, %s], p = %.3g%s", g(v.diff, 3), g(v.ci[1], 3), g(v.ci[2], 3), v.p,
        v.seeds_needed and string.format(" (%d seeds to resolve)", v.seeds_needed) or "")
    end
    out[#out + 1] = {
      rule = name, lr = s.lr and (g(s.lr, 3) .. extra_text(s.extra) .. (s.at_edge and " (grid edge)" or "")) or "—",
      metric = s.best and string.format("%s ± %s (n = %d)", g(s.best.mean), g(s.best.n > 1 and s.best.std or 0, 2), s.best.n) or ("— " .. (s.failed or "")),
      reached = string.format("%d/%d", s.reached or 0, #s.runs),
      time = s.time_to_target and seconds(s.time_to_target) or "—",
      steps = (s.steps_to_target and s.steps_to_target < math.huge) and string.format("%d", s.steps_to_target) or "—",
      versus = versus, failures = s,
    }
  end
  return out
end

-- How every rule was tuned, in words.
function B.tuning_text(res)
  if not res.also then return string.format("%d learning rates %g decades apart per rule", res.tune, res.decades) end
  local values = {}
  for i, v in ipairs(res.also.values) do values[i] = g(v, 3) end
  local n = res.tune * #res.also.values
  return string.format("%d runs per rule: %s's %d rates %g decades apart at %s %s, the others' %d rates over the same span", n, res.rules[1],
    res.tune, res.decades, res.also.name, table.concat(values, ", "), n)
end

function B.report(res)
  local lines = {string.format("bench: %s against %s; %d seed%s, %s", res.rules[1], table.concat(res.rules, ", ", 2), res.seeds,
    res.seeds == 1 and "" or "s", B.tuning_text(res))}
  for _, name in ipairs(res.order) do
    local per = res.problems[name]
    lines[#lines + 1] = string.format("%s: best %s over the seeds, target %s, %d epochs at batch %d", name, per.metric, g(per.target), per.epochs, per.batch)
    lines[#lines + 1] = string.format("  %-18s %-16s %-26s %-8s %-12s %-7s %s", "rule", "tuned lr", per.metric, "reached", "median time", "steps", res.rules[1] .. " − row (95% CI)")
    for _, r in ipairs(rows(res, per)) do
      lines[#lines + 1] = string.format("  %-18s %-16s %-26s %-8s %-12s %-7s %s", r.rule, r.lr, r.metric, r.reached, r.time, r.steps,
        r.versus ~= "" and r.versus:gsub("^(%-?[%d.e+-]+)", function(d) return d end) or "")
    end
    for _, rn in ipairs(per.order) do
      for _, run in ipairs(per.rules[rn].tuning) do
        if run.status == "failed" then lines[#lines + 1] = string.format("  %s at lr %s failed: %s", rn, g(run.lr, 3), run.error); break end
      end
    end
  end
  local scores = {}
  for _, rn in ipairs(res.rules) do scores[#scores + 1] = string.format("%s %.2f", rn, res.profiles[rn].score) end
  lines[#lines + 1] = "performance profile score (fraction of problems within τ× the fastest, area to τ = 4 over 3): " .. table.concat(scores, ", ")
  lines[#lines + 1] = "page: " .. tostring(res.page)
  return table.concat(lines, "\n")
end

function B.page(res, path)
  local html = {[[<!doctype html><html><head><meta charset="utf-8"><title>optlab bench: ]] .. esc(res.rules[1]) .. [[</title>
<style>body{font-family:sans-serif;margin:24px;max-width:1200px;color:#222}table{border-collapse:collapse;margin:8px 0 16px}
td,th{border-bottom:1px solid #ddd;padding:4px 10px;text-align:left;font-size:13px}th{background:#f4f4f4}
.charts{display:flex;flex-wrap:wrap;gap:12px}.note{color:#555;font-size:13px}h2{margin-top:28px}</style></head><body>]]}
  html[#html + 1] = string.format("<h1>%s against %s</h1>", esc(res.rules[1]), esc(table.concat(res.rules, ", ", 2)))
  html[#html + 1] = string.format([[<p class="note">Every rule: %s, around its own centre, tuned on seed 1;
the best rate trained again under seeds 2–%d. Metric: the best over each run's epochs. Time to target: the median over the seeds
(a run that misses counts as infinitely slow). Differences: %s minus each rule, a bootstrap 95%% interval, the t-test's p (paired by seed).</p>]],
    esc(B.tuning_text(res)), res.seeds, esc(res.rules[1]))
  for _, name in ipairs(res.order) do
    local per = res.problems[name]
    html[#html + 1] = string.format("<h2>%s</h2><p class=\"note\">%s; target %s (%s), %d epochs at batch %d.%s</p>", esc(name), esc(per.metric),
      g(per.target), per.higher and "at least" or "at most", per.epochs, per.batch, per.reference and (" " .. esc(per.reference)) or "")
    html[#html + 1] = "<table><tr><th>rule</th><th>tuned lr</th><th>" .. esc(per.metric) ..
      " over seeds</th><th>reached</th><th>median time to target</th><th>steps</th><th>" .. esc(res.rules[1]) .. " − row (95% CI)</th></tr>"
    for _, r in ipairs(rows(res, per)) do
      html[#html + 1] = string.format("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>",
        esc(r.rule), esc(r.lr), esc(r.metric), esc(r.reached), esc(r.time), esc(r.steps), esc(r.versus))
    end
    html[#html + 1] = "</table>"
    local curves, sens = {}, {}
    for _, rn in ipairs(per.order) do
      local s = per.rules[rn]
      local lists = {}
      for i, r in ipairs(s.runs) do lists[i] = r.curve or {} end
      local c = P.per_epoch(lists)   -- (false, a missing value, is not a number: left out)
      if #c.mean > 0 then
        local xs = {}
        for e = 1, #c.mean do xs[e] = e end
        curves[#curves + 1] = {name = rn, x = xs, y = c.mean, lo = c.min, hi = c.max}
      end
      -- one line per value of a second hyperparameter
      local lines, order = {}, {}
      for _, run in ipairs(s.tuning) do
        local key = rn .. extra_text(run.extra)
        if not lines[key] then lines[key] = {lrs = {}, best = {}, tips = {}}; order[#order + 1] = key end
        local l = lines[key]
        l.lrs[#l.lrs + 1], l.best[#l.best + 1] = run.lr, run.best or false
        l.tips[#l.tips + 1] = string.format("%s lr %s: %s", key, g(run.lr, 3), run.best and g(run.best) or (run.status .. ": " .. tostring(run.error)))
      end
      for _, key in ipairs(order) do
        sens[#sens + 1] = {name = key, x = lines[key].lrs, y = lines[key].best, markers = true, tips = lines[key].tips}
      end
    end
    local xs = {}
    for e = 1, per.epochs do xs[e] = e end
    local target = {}
    for e = 1, per.epochs do target[e] = per.target end
    curves[#curves + 1] = {name = "target", x = xs, y = target, dashed = true, color = "#7f7f7f"}
    html[#html + 1] = "<div class=\"charts\">" ..
      C.chart{title = name .. ": " .. per.metric .. " (mean, min–max over seeds)", xlabel = "epoch", ylabel = per.metric, series = curves} ..
      C.chart{title = name .. ": sensitivity to the learning rate (seed 1)", xlabel = "learning rate", ylabel = "best " .. per.metric,
        logx = true, series = sens} .. "</div>"
  end
  local profile = {}
  for _, rn in ipairs(res.rules) do
    local ratios = res.profiles[rn].ratios
    local taus, fraction = {}, {}
    for k = 0, 60 do
      local tau = 1 + 3 * k / 60
      local n = 0
      for _, r in ipairs(ratios) do if r <= tau then n = n + 1 end end
      taus[#taus + 1], fraction[#fraction + 1] = tau, n / #ratios
    end
    profile[#profile + 1] = {name = string.format("%s (score %.2f)", rn, res.profiles[rn].score), x = taus, y = fraction}
  end
  html[#html + 1] = "<h2>Performance profiles</h2><p class=\"note\">AlgoPerf's: the fraction of problems a rule reached the target on " ..
    "within τ times the fastest rule's median time; the score is the area from τ = 1 to 4 over 3.</p>" ..
    C.chart{title = "performance profiles over " .. #res.order .. " problem" .. (#res.order == 1 and "" or "s"), xlabel = "τ (time over the fastest)",
      ylabel = "fraction of problems", yrange = {0, 1}, series = profile}
  html[#html + 1] = "<p class=\"note\">Every run is a run folder under " .. esc(res.dir) .. " (its result.json beside its metrics); results.json holds these numbers.</p></body></html>\n"
  C.write_text(path, table.concat(html, "\n"))
  return path
end
