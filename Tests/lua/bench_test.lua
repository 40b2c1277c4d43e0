local H, file = ...
local test = function(name, fn) H.test(file .. ": " .. name, fn) end
-- bench.run on quadratic_deep at a tiny budget: every rule tuned the same
-- way, SGD at twice the rate found no different from SGD, hostile rules
-- recorded rather than fatal, and the page and results written.

local function tmpdir() local d = os.tmpname(); os.remove(d); return d end
local tiny = {epochs = 3}

-- SGD with momentum written in Lua, stepping at twice its lr: with half
-- SGD's centre its grid is SGD's, so after tuning it is SGD.
local SGD2x = optim.Optimizer:extend("SGD2x", {lr = 0.015, momentum = 0.9})
function SGD2x:update(p, g, state, group)
  if state.buf then state.buf:mul_(group.momentum):add_(g) else state.buf = g:clone() end
  p:sub_(state.buf, 2 * group.lr)
end

test("the problems are registered with their targets and budgets", function()
  local q = bench.problems.quadratic_deep
  H.eq(q.metric, "val_loss"); H.eq(q.higher, false); H.eq(q.batch, 128)
  H.eq(bench.problems.fmnist_2c2d.target, 0.9198); H.eq(bench.problems.fmnist_mlp.higher, true)
  local made = q:make(tiny)
  H.eq(made.train:size(), 1000); H.eq(made.val:size(), 1000); H.eq(made.epochs, 3)
  -- the loss is ½(θ − x)ᵀQ(θ − x): at θ = x it is 0, and Q's trace is the spectrum's sum (90 in (0,1), 10 in (30,60))
  local m = made.model()
  local x = tensor.randn{4, 100}
  tensor.no_grad(function() m.theta:copy_(x[1]) end)
  H.close(m(x[{{1, 1}}]):item(), 0, 1e-9, "zero at θ = x")
  local tr = (m.hessian * tensor.eye(100)):sum():item()
  H.eq(tr > 90 * 0.2 + 300 and tr < 90 * 0.8 + 600, true, "trace " .. tr)
  -- the problem's data is built once and leaves the generator as it was
  tensor.seed(5); local a = tensor.rand{1}:item()
  tensor.seed(5); q:make("full"); H.eq(tensor.rand{1}:item(), a)
end)

test("every rule gets the same tuning budget, and SGD at twice the rate is no different from SGD", function()
  local dir = tmpdir()
  local r = bench.run{rule = SGD2x, baselines = {"SGD", "Adam"}, problems = {"quadratic_deep"}, seeds = 3, tune = 3, budget = tiny,
    dir = dir, quiet = true}
  local per = r.problems.quadratic_deep
  local ref = per.rules.SGD.budget
  for _, name in ipairs{"SGD2x", "SGD", "Adam"} do
    local b = per.rules[name].budget
    H.eq(b.trials, 3, name .. " trials"); H.eq(b.epochs, ref.epochs, name .. " epochs"); H.eq(b.steps, ref.steps, name .. " steps")
    H.eq(#per.rules[name].runs, 3, name .. " seeds")
    local rates = per.rules[name].rates
    H.close(rates[3] / rates[1], 10, 1e-12, name .. ": the same spacing")
  end
  H.eq(per.rules.SGD2x.lr * 2, per.rules.SGD.lr, "the same effective rate chosen")
  local v = per.versus.SGD
  H.eq(v.paired, true)
  H.eq(v.p > 0.05, true, "no significant difference: p = " .. tostring(v.p))
  H.eq(math.abs(v.diff) < 1e-4, true, "and next to none at all: " .. v.diff)
  H.eq(per.versus.Adam.error == nil, true)
  -- results.json and the page
  local f = assert(io.open(dir .. "/results.json")); local text = f:read("a"); f:close()
  H.eq(text:find('"SGD2x"', 1, true) ~= nil, true)
  local page = assert(io.open(dir .. "/index.html")); local html = page:read("a"); page:close()
  H.eq(html:find("Performance profiles", 1, true) ~= nil and html:find("<svg", 1, true) ~= nil, true, "the page has its charts")
  H.eq(tostring(r):match("SGD2x against SGD, Adam") ~= nil, true)
  -- a second run resumes: every run read back, none run again, the same numbers
  local again = bench.run{rule = SGD2x, baselines = {"SGD", "Adam"}, problems = {"quadratic_deep"}, seeds = 3, tune = 3, budget = tiny,
    dir = dir, quiet = true}
  H.eq(again.resumed, 3 * 5, "3 rules × (3 rates + 2 seeds) read back")
  H.eq(again.problems.quadratic_deep.rules.Adam.best.mean, per.rules.Adam.best.mean)
  os.execute("rm -rf '" .. dir .. "'")
end)

test("a second hyperparameter: tuned with the rate, and the baselines get as many runs", function()
  -- SGD2x's momentum at 0 or 0.9: 3 rates × 2 values = 6 runs; SGD gets 6 rates over the same 1 decade
  local dir = tmpdir()
  local r = bench.run{rule = SGD2x, also = {name = "momentum", values = {0, 0.9}}, baselines = {"SGD"}, problems = {"quadratic_deep"},
    seeds = 2, tune = 3, budget = tiny, dir = dir, quiet = true}
  local per = r.problems.quadratic_deep
  local mine, sgd = per.rules.SGD2x, per.rules.SGD
  H.eq(mine.budget.trials, 6); H.eq(sgd.budget.trials, 6); H.eq(mine.budget.steps, sgd.budget.steps)
  H.close(sgd.rates[6] / sgd.rates[1], 10, 1e-12, "the same span, finer")
  local seen = {}
  for _, run in ipairs(mine.tuning) do seen[run.extra.momentum] = (seen[run.extra.momentum] or 0) + 1 end
  H.eq(seen[0], 3); H.eq(seen[0.9], 3)
  -- the tuned pair is the best of the six, and the other seed ran at it
  local best
  for _, run in ipairs(mine.tuning) do if run.best and (not best or run.best < best.best) then best = run end end
  H.eq(mine.lr, best.lr); H.eq(mine.extra.momentum, best.extra.momentum)
  H.eq(mine.runs[2].extra.momentum, best.extra.momentum); H.eq(mine.runs[2].lr, best.lr)
  H.eq(tostring(r):find("momentum", 1, true) ~= nil, true, "the report names the tuned value")
  H.raises(function() bench.run{rule = SGD2x, also = {name = "momentum"}} end, "option 'also' must be")
  os.execute("rm -rf '" .. dir .. "'")
end)

test("a rule that errors, goes NaN or diverges is recorded as missing the target, with why", function()
  local Boom = optim.Optimizer:extend("Boom", {lr = 0.01})
  function Boom:update() error("boom in the update") end
  local NaN = optim.Optimizer:extend("NaNRule", {lr = 0.01})
  function NaN:update(p) p:fill_(0 / 0) end
  local Wild = {name = "Wild", lr = 1e3, make = function(m, lr) return optim.SGD(m, {lr = lr}) end}
  local dir = tmpdir()
  for _, rule in ipairs{Boom, NaN, Wild} do
    local r = bench.run{rule = rule, baselines = {"SGD"}, problems = {"quadratic_deep"}, seeds = 2, tune = 2, budget = tiny,
      dir = dir .. "/" .. tostring(rule.name), quiet = true}
    local s = r.problems.quadratic_deep.rules[rule.name]
    H.eq(s.failed ~= nil, true, rule.name .. " has no result")
    H.eq(s.reached or 0, 0)
    for _, run in ipairs(s.tuning) do
      H.eq(run.status ~= "done", true, rule.name .. " " .. run.status)
      H.eq(type(run.error) == "string" and #run.error > 0, true, rule.name .. ": why")
    end
    H.eq(r.problems.quadratic_deep.versus.SGD.error ~= nil, true, "no comparison without runs")
    H.eq(r.problems.quadratic_deep.rules.SGD.best ~= nil, true, "the baseline still ran")
    H.eq(r.profiles[rule.name].score, 0)
  end
  local boom = io.open(dir .. "/Boom/quadratic_deep/Boom/lr1/seed-1/result.json"):read("a")
  H.eq(boom:find("boom in the update", 1, true) ~= nil, true, "the error is in the run's result")
  os.execute("rm -rf '" .. dir .. "'")
end)

test("bench.run refuses what it cannot run, naming it", function()
  H.raises(function() bench.run{problems = {"quadratic_deep"}} end, "option 'rule' is required")
  H.raises(function() bench.run{rule = "Nope"} end, "no built-in rule \"Nope\"")
  H.raises(function() bench.run{rule = SGD2x, problems = {"cifar"}} end, "no problem \"cifar\"")
  H.raises(function() bench.run{rule = SGD2x, seeds = 0} end, "option 'seeds' must be a whole number")
  H.raises(function() bench.run{rule = "SGD"} end, "two rules are named SGD")
  H.raises(function() bench.run{rule = {name = "x", make = function() end}} end, "needs name (a string) and lr")
  H.raises(function() bench.run{rule = SGD2x, budget = "long", problems = {"quadratic_deep"}} end, "has no budget \"long\"")
end)
