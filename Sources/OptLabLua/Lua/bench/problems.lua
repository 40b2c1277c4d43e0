-- bench.problems: the registry of standard test problems. Each problem is
-- one file in bench/problems/ that calls B.register{...} (and one line in
-- LuaVM+Install.swift that loads it). A problem states its data, model,
-- loss, metric, target and budgets; :make(budget) builds what train.fit takes.
local P, bench, B, L = ...
local docs, tensor = P.docs, L.tensor

bench.problems = {}
local problem_mt = {__index = {}}
function problem_mt.__tostring(p)
  return string.format("%s: %s\n  metric %s (%s is better), target %s (quick %s); budgets: quick %d epochs, full %d epochs",
    p.name, p.description, p.metric, p.higher and "higher" or "lower", tostring(p.target), tostring(p.budgets.quick.target or p.target),
    p.budgets.quick.epochs, p.budgets.full.epochs)
end

-- The budget named ("quick", "full") or given as a table, with its target.
function problem_mt.__index.budget(p, budget)
  if type(budget) == "table" then
    local b = {}
    for k, v in pairs(p.budgets.quick) do b[k] = v end
    for k, v in pairs(budget) do b[k] = v end
    b.target = b.target or p.target
    return b
  end
  local b = p.budgets[budget or "quick"]
  if not b then P.argument_error("bench.run", 1, string.format("problem %s has no budget %q (quick or full)", p.name, tostring(budget))) end
  local copy = {}
  for k, v in pairs(b) do copy[k] = v end
  copy.target = copy.target or p.target
  return copy
end

-- What train.fit needs for this problem under a budget: the data (built once
-- per process; the generator's state is kept as it was), a model builder, the loss.
function problem_mt.__index.make(p, budget)
  budget = p:budget(budget)
  local key = tostring(budget.examples or "all") .. "/" .. tostring(budget.per_epoch or "")
  p.cache = p.cache or {}
  if not p.cache[key] then
    local state = tensor.rng_state()
    p.cache[key] = p.setup(budget)
    tensor.set_rng_state(state)
  end
  local made = {}
  for k, v in pairs(p.cache[key]) do made[k] = v end
  made.epochs, made.batch, made.target, made.budget, made.clip = budget.epochs, budget.batch or p.batch, budget.target, budget, p.clip
  return made
end

local required = {"name", "description", "metric", "target", "budgets", "setup", "batch"}
function B.register(p)
  for _, k in ipairs(required) do
    if p[k] == nil then error("bench problem " .. tostring(p.name) .. " lacks '" .. k .. "'") end
  end
  p.higher = p.metric:match("acc") ~= nil
  bench.problems[p.name] = setmetatable(p, problem_mt)
end

docs["bench.problems"] = "bench.problems\n\n" ..
  "The registered test problems by name: quadratic_deep (DeepOBS's noisy 100-dimensional quadratic),\n" ..
  "fmnist_mlp (784-256-128-10), fmnist_2c2d (DeepOBS's two-conv net) and char_transformer (Shakespeare,\n" ..
  "a 2-block character transformer; needs scripts/data/shakespeare's corpus); each with metric, higher,\n" ..
  "target, batch, budgets {quick =, full =} (epochs, examples, target) and a description. p:make(budget)\n" ..
  "builds {train, val, model = function() ... end, loss, epochs, batch, target} for train.fit.\n" ..
  "  for name, p in pairs(bench.problems) do print(p) end"
