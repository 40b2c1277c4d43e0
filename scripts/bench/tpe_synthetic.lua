-- optlab's side of scripts/bench/tpe_vs_optuna.py: the best score that
-- hp.search finds in `trials` trials of a fixed synthetic objective, for
-- seeds 0…seeds-1, printed as one line per seed: method seed best.
-- Usage: optlab scripts/bench/tpe_synthetic.lua [trials=40] [seeds=10]
local trials, seeds = tonumber(arg[1]) or 40, tonumber(arg[2]) or 10

-- Branin on (x, y) plus a log-scale parameter whose best value is 10^-2.5
-- (the same function as tpe_vs_optuna.py and TPETests); higher is better.
local function objective(c)
  local b, cc, t = 5.1 / (4 * math.pi ^ 2), 5 / math.pi, 1 / (8 * math.pi)
  local branin = (c.y - b * c.x ^ 2 + cc * c.x - 6) ^ 2 + 10 * (1 - t) * math.cos(c.x) + 10
  return -(branin + 3 * (math.log(c.lr, 10) + 2.5) ^ 2)
end

local root = os.tmpname(); os.remove(root)
for _, method in ipairs{"tpe", "random"} do
  for seed = 0, seeds - 1 do
    local r = hp.search{name = method .. seed, dir = root, seed = seed, method = method, trials = trials, quiet = true, prune = false,
      space = {x = hp.uniform(-5, 10), y = hp.uniform(0, 15), lr = hp.loguniform(1e-5, 1)},
      trial = function(cfg) return {val_acc = objective(cfg)} end}
    print(string.format("%s %d %.17g", method, seed, r.best.score))
  end
end
os.execute('rm -rf "' .. root .. '"')
