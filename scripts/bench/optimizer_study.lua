-- Issue 36's optimizer study: SGD with Nesterov momentum, AdamW, Lion,
-- Schedule-Free AdamW and Muon (the hidden matrices; AdamW at 1e-3 for the
-- rest), each with its learning rate tuned by the same search (five rates
-- half a decade apart, seed 1; a rate tuned at the grid's edge is marked), then the best rate trained again under
-- fresh seeds (2, 3, 4, ...). Two problems:
--   mlp  Fashion-MNIST 784-256-128-10 ReLU, batch 128, 4 epochs, constant
--        rates, best validation accuracy; target 0.89
--   gpt  the character transformer of scripts/shakespeare_char.lua (4 layers,
--        width 128, context 64, batch 12, clipped at 1), 300 iterations as
--        3 "epochs" of 100, validation loss on 480 fixed blocks; target 2.45
-- Each row: the tuned rate, the best validation metric over the seeds as mean
-- ± std (min–max), and the epochs to the target (the first evaluation at or
-- past it; its seconds as that many of the run's mean epoch time).
-- Usage: optlab scripts/bench/optimizer_study.lua [mlp|gpt|both] [seeds] [quick]
-- (quick: one rate per rule, the middle of its grid; what the suite runs).
-- The targets were set after a pilot run of this script (at 0.87 every rule
-- reached the MLP's in its first epoch).
local which, seeds, quick = arg[1] or "both", tonumber(arg[2]) or 3, arg[3] == "quick"
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"

local function split_last_matrix(model)
  local matrices, rest = optim.select(model, {ndim = 2})
  table.insert(rest, table.remove(matrices))   -- the output layer goes to AdamW
  return matrices, rest
end

-- rule name, rates to try, and the optimizer for a model at a rate
local rules = {
  {"SGD+Nesterov", {0.003, 0.01, 0.03, 0.1, 0.3}, function(m, lr) return optim.SGD(m, {lr = lr, momentum = 0.9, nesterov = true}) end},
  {"AdamW", {1e-4, 3e-4, 1e-3, 3e-3, 1e-2}, function(m, lr) return optim.AdamW(m, {lr = lr, weight_decay = 0.01}) end},
  {"Lion", {3e-5, 1e-4, 3e-4, 1e-3, 3e-3}, function(m, lr) return optim.Lion(m, {lr = lr}) end},
  {"ScheduleFreeAdamW", {3e-4, 1e-3, 3e-3, 1e-2, 3e-2}, function(m, lr) return optim.ScheduleFreeAdamW(m, {lr = lr}) end},
  {"Muon+AdamW", {0.001, 0.003, 0.01, 0.03, 0.1}, function(m, lr, matrices, rest)
    return optim.Multi{{params = matrices, opt = optim.Muon, lr = lr},
                       {params = rest, opt = optim.AdamW, lr = 1e-3, weight_decay = 0}}
  end},
}

local problems = {}

function problems.mlp()
  local full = data.fashion_mnist()
  local tr, val = full:split(0.9, {seed = 1})
  tr = tr:flatten():normalize(); val = val:flatten():normalize(tr)
  return {name = "Fashion-MNIST MLP", metric = "val_acc", higher = true, target = 0.89, epochs = 4, batch = 128,
    model = function()
      return nn.Sequential{nn.Linear(784, 256, {init = "kaiming"}), nn.ReLU(), nn.Linear(256, 128, {init = "kaiming"}), nn.ReLU(),
                           nn.Linear(128, 10, {init = "kaiming"})}
    end,
    split = split_last_matrix, train = tr, val = val}
end

function problems.gpt()
  local GPT = dofile(dir .. "../char_gpt.lua")
  local text = data.shakespeare{block = 64}
  return {name = "character transformer", metric = "val_loss", higher = false, target = 2.45, epochs = 3, batch = 12, clip = 1,
    model = function() return GPT{vocab = #text.vocab, block = 64, width = 128, heads = 4, layers = 4} end,
    split = function(model) return optim.select(model, {ndim = 2, not_kind = {"Embedding"}}) end,
    train = text.train:blocks{per_epoch = 100 * 12}, val = text.val:blocks{per_epoch = 480}}
end

-- one run: the best metric, the epochs to the target (nil: not reached) and the seconds per epoch
local function run(p, rule, lr, seed)
  tensor.seed(seed)
  local model = p.model()
  local matrices, rest = p.split(model)
  local opt = rule[3](model, lr, matrices, rest)
  local h = train.fit{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = opt, train = p.train, val = p.val,
    epochs = p.epochs, batch = p.batch, clip = p.clip, seed = seed, quiet = true, train_sample = 240}
  local curve = h[p.metric]
  local best, reached = curve[1], nil
  for e, v in ipairs(curve) do
    if (p.higher and v > best) or (not p.higher and v < best) then best = v end
    if not reached and ((p.higher and v >= p.target) or (not p.higher and v <= p.target)) then reached = e end
  end
  if best ~= best then best = p.higher and 0 or math.huge end   -- a diverged run ranks last
  return best, reached, h.seconds / #curve
end

local function stats(xs)
  local n, sum = #xs, 0
  for _, x in ipairs(xs) do sum = sum + x end
  local mean, var = sum / n, 0
  for _, x in ipairs(xs) do var = var + (x - mean) ^ 2 end
  local lo, hi = math.min(table.unpack(xs)), math.max(table.unpack(xs))
  return mean, n > 1 and math.sqrt(var / (n - 1)) or 0, lo, hi
end

local names = which == "both" and {"mlp", "gpt"} or {which}
for _, key in ipairs(names) do
  local p = problems[key]()
  print(string.format("### %s: best %s over %d seeds (tuned on seed 1); target %s %g", p.name, p.metric, seeds,
    p.higher and "≥" or "≤", p.target))
  print("| rule | rates tried → tuned | best " .. p.metric .. " mean ± std (min–max) | epochs to target (seeds reaching it) | seconds to target |")
  print("|---|---|---|---|---|")
  for _, rule in ipairs(rules) do
    local grid = quick and {rule[2][3]} or rule[2]
    local tuned, tuned_score
    for _, lr in ipairs(grid) do
      local score = run(p, rule, lr, 1)
      if not tuned_score or (p.higher and score > tuned_score) or (not p.higher and score < tuned_score) then tuned, tuned_score = lr, score end
    end
    local bests, epochs, seconds = {}, {}, {}
    for s = 2, seeds + 1 do
      local best, reached, per_epoch = run(p, rule, tuned, s)
      bests[#bests + 1] = best
      if reached then epochs[#epochs + 1] = reached; seconds[#seconds + 1] = reached * per_epoch end
    end
    local mean, std, lo, hi = stats(bests)
    local to_target, time = "not reached", "–"
    if #epochs > 0 then
      local e, _, elo, ehi = stats(epochs)
      to_target = string.format("%.1f (%d–%d; %d/%d)", e, elo, ehi, #epochs, seeds)
      time = string.format("%.1f s", (stats(seconds)))
    end
    local edge = #grid > 1 and (tuned == grid[1] or tuned == grid[#grid]) and " (edge)" or ""
    print(string.format("| %s | %s → %g%s | %.4f ± %.4f (%.4f–%.4f) | %s | %s |", rule[1],
      table.concat((function() local t = {} for i, v in ipairs(grid) do t[i] = string.format("%g", v) end return t end)(), ", "),
      tuned, edge, mean, std, lo, hi, to_target, time))
  end
end
print("study done")
