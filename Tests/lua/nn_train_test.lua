local H, file = ...
local test = function(name, fn) H.test(file .. ": " .. name, fn) end

test("layers, models and their printing", function()
  local model = nn.Sequential{nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)}
  H.eq(#model:parameters(), 4)
  H.eq(model:parameters()[1].name, "1.weight")
  H.eq(model:num_parameters(), 4 * 8 + 8 + 8 * 3 + 3)
  H.eq(tostring(model[1]), "Linear(4 -> 8)")
  H.eq(model(tensor.zeros(5, 4)):shape()[2], 3)
  H.eq(model.training, true); model:evaluate(); H.eq(model.training, false)
  H.raises(function() model(tensor.zeros(5, 7)) end, "expected 4 input features, got shape [5,7] (in layer 1, Linear(4 -> 8))")
  H.raises(function() nn.Linear(4, 8, {bais = false}) end, "unknown option 'bais'")
  H.raises(function() nn.Sequential{nn.Linear(2, 2), 3} end, "entry 2 is number, expected a module")
  H.eq(model:parameters()[1] == model:parameters()[1], true, "the same parameter compares equal")
end)

test("losses at initialisation: ln(C) and C-1", function()
  local s, y = tensor.zeros(4, 10), tensor.from({1, 5, 10, 2}, "i32")
  H.close(nn.SoftmaxCrossEntropy()(s, y):item(), math.log(10), 1e-6)
  H.close(nn.MulticlassSVM()(s, y):item(), 9, 1e-6)
  H.close(nn.MulticlassSVM{margin = 2}(s, y):item(), 18, 1e-6)
  H.close(nn.MSE()(tensor.ones(2, 2), tensor.zeros(2, 2)):item(), 1, 1e-6)
  H.raises(function() nn.SoftmaxCrossEntropy()(s, tensor.from({11, 1, 1, 1}, "i32")) end, "out of range")
end)

test("label smoothing: PyTorch's value, chance at zero scores, its errors", function()
  local v = {}
  for i = 0, 11 do v[#v + 1] = ((i * 7) % 12) * 0.37 end
  local s, y = tensor.from(v, "f64"):reshape(4, 3), tensor.from({3, 1, 2, 2}, "i32")
  -- torch.nn.functional.cross_entropy(s, y - 1, label_smoothing=0.1), f64
  local smoothed = nn.SoftmaxCrossEntropy{label_smoothing = 0.1}
  H.close(smoothed(s, y):item(), 1.6192391721938804, 1e-13)
  H.eq(tostring(smoothed), "nn.SoftmaxCrossEntropy(label_smoothing 0.1)")
  H.close(smoothed(tensor.zeros(4, 10), tensor.from({1, 5, 10, 2}, "i32")):item(), math.log(10), 1e-6)
  H.raises(function() nn.SoftmaxCrossEntropy{label_smoothing = 1} end, "bad argument #1 to 'nn.SoftmaxCrossEntropy' (label_smoothing must be in [0, 1), got 1)")
end)

test("save and load rebuild the model; the file runs no code", function()
  local path = os.tmpname() .. ".safetensors"
  local m = nn.Sequential{nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)}
  m:save(path, {note = "hello"})
  local m2, meta = nn.load(path)
  H.eq(meta.note, "hello")
  local x = tensor.randn{5, 3}
  H.all_close(m2(x), m(x):reshape{-1}:totable(), 0)
  local e = nn.Ensemble.load{path, path}
  H.all_close(e(x):exp(), m(x):softmax(2):reshape{-1}:totable(), 1e-5)
  os.remove(path)
end)

test("optimizers: the notes' first SGD step, bad settings refused", function()
  local w = tensor.from({1, 2}, "f64"):requires_grad()
  local opt = optim.SGD({w}, {lr = 0.1});
  (w * w):sum():backward()             -- dw = 2w
  opt:step()
  H.all_close(w, {0.8, 1.6}, 1e-15)
  H.eq(opt:lr(), 0.1); opt:set_lr(0.01); H.eq(opt:lr(), 0.01)
  H.raises(function() optim.SGD({w}, {lr = -1}) end, "learning rate must be positive")
  H.raises(function() optim.SGD({w}, {lr = 0.1, momentum = 1, nesterov = true}) end, "momentum must be in [0, 1)")
  H.raises(function() optim.Adam({w}, {lr = 0.1, eps = 0}) end, "eps must be positive")
  H.raises(function() optim.SGD({w}, {lr = 0.1, momentun = 0.9}) end, "unknown option 'momentun'")
  H.raises(function() optim.SGD({w}, {}) end, "'lr' (the learning rate) is required")
  local sched = optim.step_decay(opt, {every = 2, factor = 0.5})
  sched:step(); sched:step(); H.close(opt:lr(), 0.005, 1e-15)
end)

test("data: batches cover every example once, labels 1-based", function()
  local d = data.spiral{classes = 3, per_class = 10}
  H.eq(d:size(), 30); H.eq(d:classes(), 3)
  local seen, lo, hi = 0, math.huge, -math.huge
  for xb, yb in d:batches(8, {shuffle = true, seed = 1}) do
    seen = seen + xb:size(1)
    lo, hi = math.min(lo, yb:min():item()), math.max(hi, yb:max():item())
  end
  H.eq(seen, 30); H.eq(lo, 1); H.eq(hi, 3)
  local a, b = d:split(0.8, {seed = 2})
  H.eq(a:size() + b:size(), 30)
  H.raises(function() data.idx("/nonexistent/images", "/nonexistent/labels") end, "cannot open")
end)

test("train.fit learns the spiral, with a custom Lua loss as well", function()
  tensor.seed(3)
  local d = data.spiral{classes = 3, per_class = 100}
  local model = nn.Sequential{nn.Linear(2, 100, {init = "kaiming"}), nn.ReLU(), nn.Linear(100, 3)}
  local h = train.fit{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(model, {lr = 0.5, momentum = 0.9}),
    train = d, epochs = 150, batch = 300, reg = 1e-3, quiet = true}
  H.eq(#h.loss, 150); H.eq(#h.train_acc, 150)
  H.eq(train.accuracy(model, d) > 0.95, true, "spiral learned (" .. train.accuracy(model, d) .. ")")
  local m2 = nn.Sequential{nn.Linear(2, 100, {init = "kaiming"}), nn.ReLU(), nn.Linear(100, 3)}
  local calls = 0
  local h2 = train.fit{model = m2, loss = function(scores, y) calls = calls + 1; return scores:cross_entropy(y) end,
    optimizer = optim.Adam(m2, {lr = 0.01}), train = d, epochs = 100, batch = 300, quiet = true}
  H.eq(calls, 100)
  H.eq(train.accuracy(m2, d) > 0.9, true, "custom loss trains")
end)

test("train.fit stops on a NaN loss and names the step", function()
  local d = data.spiral{classes = 3, per_class = 20}
  local model = nn.Sequential{nn.Linear(2, 3)}
  H.raises(function()
    train.fit{model = model, loss = function(s, y) return s:sum() * (0 / 0) end, optimizer = optim.SGD(model, {lr = 0.1}),
      train = d, epochs = 2, quiet = true}
  end, "the loss became nan at epoch 1, iteration 1")
  -- nothing lost: the history so far is in train.last
  local calls = 0
  local err = H.raises(function()
    train.fit{model = model, loss = function(s, y) calls = calls + 1; return calls > 5 and s:sum() * (0 / 0) or nn.SoftmaxCrossEntropy()(s, y) end,
      optimizer = optim.SGD(model, {lr = 0.1}), train = d, epochs = 3, batch = 20, quiet = true}
  end, "the history so far (5 iterations) is in train.last")
  H.eq(#train.last.loss, 5, "the five finished iterations"); H.eq(#train.last.train_acc, 1, "and the epoch that finished")
  H.raises(function() train.fit{model = model, train = d, loss = nn.MSE()} end, "option 'optimizer' is required")
end)

test("train.fit writes a run folder", function()
  local dir = os.tmpname(); os.remove(dir)
  local d = data.spiral{classes = 2, per_class = 20}
  local model = nn.Sequential{nn.Linear(2, 2)}
  train.fit{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(model, {lr = 0.1}), train = d, val = d,
    epochs = 2, batch = 10, log = dir, quiet = true}
  local ls = io.popen('ls "' .. dir .. '"'):read("a")
  H.eq(ls:find("config.json", 1, true) ~= nil, true)
  H.eq(ls:find("metrics.jsonl", 1, true) ~= nil, true)
  H.eq(ls:match("ep002_val%d%.%d%d%d%d%.safetensors") ~= nil, true, "checkpoint named with its score: " .. ls)
  os.execute('rm -rf "' .. dir .. '"')
end)

test("help reaches every module", function()
  local out = {}
  local print0 = print
  print = function(s) out[#out + 1] = s end
  help(nn.Linear); help(optim.Adam); help(train.fit); help(data.fashion_mnist)
  print = print0
  H.eq(out[1]:find("nn.Linear(in, out", 1, true) ~= nil, true)
  H.eq(out[2]:find("optim.Adam(params", 1, true) ~= nil, true)
  H.eq(out[3]:find("train.fit{", 1, true) ~= nil, true)
  H.eq(out[4]:find("dataset-fashion-mnist", 1, true) ~= nil, true)
end)

test("L-BFGS reaches a stationary point of a convex problem", function()
  tensor.seed(1)
  local d = data.spiral{classes = 3, per_class = 50}
  local model = nn.Sequential{nn.Linear(2, 3)}:to("f64")
  local x, y = d:inputs():to("f64"), d:labels()
  local loss_fn = nn.SoftmaxCrossEntropy()
  local opt = optim.LBFGS(model, {max_iter = 200, tolerance_grad = 1e-10, tolerance_change = 1e-14})
  opt:step(function() return loss_fn(model(x), y) + nn.l2(model, 1e-2, {biases = true}) end)
  model:zero_grad()
  local loss = loss_fn(model(x), y) + nn.l2(model, 1e-2, {biases = true})
  loss:backward()
  for _, p in ipairs(model:parameters()) do
    H.eq(p.grad:abs():max():item() < 1e-6, true, p.name .. " gradient " .. p.grad:abs():max():item())
  end
end)

test("train.fit stop_above stops an exploding loss", function()
  tensor.seed(1)
  local d = data.spiral{classes = 3, per_class = 20}
  local model = nn.Sequential{nn.Linear(2, 3)}
  H.raises(function()
    train.fit{model = model, loss = function(s, y) return nn.SoftmaxCrossEntropy()(s, y) * (1 + s:abs():sum() * 1e3) end,
      optimizer = optim.SGD(model, {lr = 10}), train = d, epochs = 3, batch = 10, stop_above = 3, quiet = true}
  end, "the loss exploded to")
  H.raises(function() train.fit{model = model, loss = nn.MSE(), optimizer = optim.SGD(model, {lr = 1}), train = d, stop_above = 0.5} end,
    "must be a factor above 1")
end)

test("train.fit refuses a log folder with files that are not a run's, or a previous run's, unless told", function()
  local m = nn.Sequential{nn.Linear(2, 2)}
  local ds = data.spiral{classes = 2, per_class = 4}
  local function fit(dir, extra)
    local o = {model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(m, {lr = 0.1}), train = ds, epochs = 1,
               batch = 8, log = dir, quiet = true}
    for k, v in pairs(extra or {}) do o[k] = v end
    return train.fit(o)
  end
  H.raises(function() fit("/") end, "log folder / holds files that are not an optlab run's")
  local dir = os.tmpname(); os.remove(dir)
  fit(dir)                      -- new: fine
  -- a previous run: a second one would append to its logs, so it must say what it wants
  H.raises(function() fit(dir) end, "holds a previous run; resume = true continues it, overwrite = true replaces it")
  local h = fit(dir, {resume = true, epochs = 2})
  H.eq(h.resumed_from, 1, "resume continues the previous run")
  local f = io.open(dir .. "/notes.txt", "w"); f:write("mine"); f:close()
  H.raises(function() fit(dir) end, "(notes.txt); log into a new folder, or pass overwrite = true")
  fit(dir, {overwrite = true})
  local epochs = 0
  for line in io.lines(dir .. "/metrics.jsonl") do if line:find('"train_acc"', 1, true) then epochs = epochs + 1 end end
  H.eq(epochs, 1, "overwrite replaced the previous run's log (its 2 epochs are gone)")
  local checkpoints = 0
  for name in io.popen('ls "' .. dir .. '"'):lines() do if name:match("^ep%d+_") then checkpoints = checkpoints + 1 end end
  H.eq(checkpoints, 1, "and its checkpoints")
  local g = io.open(dir .. "/notes.txt"); H.eq(g:read("a"), "mine", "overwrite writes the run's files and leaves others be"); g:close()
  os.execute('rm -rf "' .. dir .. '"')
end)

test("after train.fit, monitor.layers shows the last training pass; L-BFGS has zero_grad", function()
  local m = nn.Sequential{nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2)}
  train.fit{model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(m, {lr = 0.1}), train = data.spiral{classes = 2, per_class = 10},
            epochs = 1, batch = 10, quiet = true}
  local layers = monitor.layers(m)
  H.eq(#layers.rows, 3)
  H.eq(layers.rows[1].grad_std ~= nil, true, "with the gradients of that pass")
  local p = tensor.ones(2):requires_grad(); p.grad = tensor.ones(2)
  local opt = optim.LBFGS({p})
  opt:zero_grad()
  H.eq(p.grad, nil)
end)

test("the plateau schedule makes no change smaller than PyTorch's eps", function()
  local p = tensor.zeros(1):requires_grad()
  local opt = optim.SGD({p}, {lr = 1e-8})
  local s = optim.plateau(opt, {factor = 0.5, patience = 0})
  s:step(1); s:step(0.5)            -- no improvement: would halve 1e-8, a change of 5e-9 < 1e-8
  H.eq(opt:lr(), 1e-8)
  local opt2 = optim.SGD({p}, {lr = 0.1})
  local s2 = optim.plateau(opt2, {factor = 0.5, patience = 0})
  s2:step(1); s2:step(0.5)
  H.close(opt2:lr(), 0.05, 1e-15)
end)

-- train.distill on the spiral with 30% of the training labels flipped: the student trained on labels
-- alone learns the noise; distilled from an ensemble of five, it learns the teacher's function.
-- (The members keep their best epoch on a validation split with the same noise, as the notes advise.)
test("train.distill: a distilled student beats the same student trained on labels alone", function()
  local function mlp(w, seed)
    tensor.seed(seed)
    return nn.Sequential{nn.Linear(2, w, {init = "kaiming"}), nn.ReLU(), nn.Linear(w, w, {init = "kaiming"}), nn.ReLU(), nn.Linear(w, 3)}
  end
  local function noisy(d, seed)
    math.randomseed(seed)
    local y = d:labels():totable()
    for i = 1, #y do if math.random() < 0.3 then y[i] = (y[i] + math.random(1, 2) - 1) % 3 + 1 end end
    return data.dataset(d:inputs(), tensor.from(y):to("i32"))
  end
  for seed = 1, 3 do
    local tr = noisy(data.spiral{per_class = 60, noise = 0.2, seed = seed}, seed)
    local members_val = noisy(data.spiral{per_class = 60, noise = 0.2, seed = seed + 50}, seed + 50)
    local val = data.spiral{per_class = 300, noise = 0.2, seed = seed + 100}
    local members = {}
    for k = 1, 5 do
      members[k] = mlp(64, seed * 10 + k)
      train.fit{model = members[k], loss = nn.SoftmaxCrossEntropy(), optimizer = optim.Adam(members[k], {lr = 0.01}), train = tr,
        val = members_val, epochs = 100, batch = 16, reg = 3e-3, quiet = true}
    end
    local teacher = nn.Ensemble(members)
    local alone, distilled = mlp(64, seed + 7), mlp(64, seed + 7)
    train.fit{model = alone, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.Adam(alone, {lr = 0.01}), train = tr, epochs = 300, batch = 16,
      quiet = true, keep_best = false}
    local h = train.distill{teacher = teacher, student = distilled, optimizer = optim.Adam(distilled, {lr = 0.01}), train = tr, epochs = 300,
      batch = 16, quiet = true, keep_best = false, temperature = 4, alpha = 0.9}
    local a, b = train.accuracy(alone, val), train.accuracy(distilled, val)
    H.eq(b > a + 0.05, true, string.format("seed %d: distilled %.3f, labels alone %.3f, teacher %.3f", seed, b, a, train.accuracy(teacher, val)))
    H.eq(#h.loss, 300 * math.ceil(180 / 16), "the student's history")
  end
  H.raises(function() train.distill{student = mlp(4, 1), optimizer = optim.SGD(mlp(4, 1), {lr = 0.1}), train = data.spiral{}} end, "option 'teacher' is required")
  local m = mlp(4, 1)
  H.raises(function() train.distill{teacher = m, student = m, optimizer = optim.SGD(m, {lr = 0.1}), train = data.spiral{}} end, "must be different models")
  H.raises(function() train.distill{teacher = mlp(4, 2), student = m, optimizer = optim.SGD(m, {lr = 0.1}), train = data.spiral{}, alpha = 2} end, "alpha must be in [0, 1]")
  H.raises(function() train.distill{teacher = mlp(4, 2), student = m, optimizer = optim.SGD(m, {lr = 0.1}), train = data.spiral{}, loss = nn.MSE()} end, "unknown option 'loss'")
end)

test("nn.Ensemble.checkpoints: one run's k best checkpoints", function()
  local dir = os.tmpname(); os.remove(dir)
  tensor.seed(2)
  local d = data.spiral{per_class = 30}
  local m = nn.Sequential{nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3)}
  train.fit{model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(m, {lr = 0.1, momentum = 0.9}), train = d, val = d, epochs = 6, batch = 10, log = dir, quiet = true,
    keep = 6}
  -- by hand: the checkpoints by score, ties to the later epoch, the first three
  local found = {}
  for f in io.popen('ls "' .. dir .. '"'):lines() do
    local ep, s = f:match("^ep(%d+)_val([%d.]+)%.safetensors$")
    if ep then found[#found + 1] = {path = dir .. "/" .. f, epoch = tonumber(ep), score = tonumber(s)} end
  end
  H.eq(#found, 6, "a checkpoint an epoch")
  table.sort(found, function(a, b) if a.score ~= b.score then return a.score > b.score end return a.epoch > b.epoch end)
  local e = nn.Ensemble.checkpoints(dir, 3)
  H.eq(#e:children(), 3, "three members")
  local x = d:inputs()
  local by_hand = nn.Ensemble.load{found[1].path, found[2].path, found[3].path}(x)
  H.eq((e(x) - by_hand):abs():max():item() < 1e-12, true, "the ensemble of the three best, by hand")
  H.raises(function() nn.Ensemble.checkpoints(dir, 0) end, "a positive integer expected")
  H.raises(function() nn.Ensemble.checkpoints("/nonexistent-folder", 2) end, "holds no checkpoint")
  os.execute('rm -rf "' .. dir .. '"')
end)

test("train.accuracy with flip averages an image's probabilities with its mirror's", function()
  -- two-pixel images (a, b); scores (2a, b). For (0, 0.9): plain scores (0, 0.9)
  -- pick class 2; the mirror's (1.8, 0) give softmax (0.858, 0.142), and with
  -- the plain (0.289, 0.711) the sum (1.147, 0.853) picks class 1.
  local m = nn.Sequential{nn.Flatten(), nn.Linear(2, 2)}
  m[2].weight:copy(tensor.from({2, 0, 0, 1}, "f32"):reshape(2, 2))
  m[2].bias:copy(tensor.zeros(2))
  local x = tensor.from({0, 0.9, 0.9, 0}, "f32"):reshape(2, 1, 1, 2)
  local d = data.dataset(x, tensor.from({1, 1}, "i32"))
  H.eq(train.accuracy(m, d), 0.5, "plain: (0.9, 0) is class 1, (0, 0.9) class 2")
  H.eq(train.accuracy(m, d, {flip = true}), 1, "with its mirror, (0, 0.9) becomes class 1")
  H.eq(train.accuracy(m, d, {flip = false}), 0.5)
  local flat = data.dataset(tensor.zeros(2, 2), tensor.from({1, 1}, "i32"))
  H.raises(function() train.accuracy(nn.Linear(2, 2), flat, {flip = true}) end, "train.accuracy: flip needs images [N, C, H, W], got inputs of shape [2,2]")
  H.raises(function() train.accuracy(m, d, {flop = true}) end, "unknown option 'flop'")
end)

test("train.lr_find: the curve, three suggestions, their spread over seeds, and nothing changed", function()
  tensor.seed(1)
  local ds = data.spiral{classes = 3, per_class = 60}
  local model = nn.Sequential{nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3)}
  local opt = optim.SGD(model, {lr = 0.5, momentum = 0.9})
  local before = {}
  for i, p in ipairs(model:parameters()) do before[i] = p:clone() end
  local svg = os.tmpname()
  local r = train.lr_find{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = opt, train = ds, steps = 60, batch = 30, seeds = 2, file = svg}
  local text = io.open(svg):read("a"); os.remove(svg)
  H.eq(text:find("<svg", 1, true) ~= nil and text:find("seed 1", 1, true) ~= nil, true, "the SVG draws both seeds")
  H.eq(#r.lrs, #r.losses); H.eq(#r.lrs, #r.smoothed)
  H.close(r.lrs[1], 1e-7, 1e-12)
  -- exponential: each rate the one before times (10 / 1e-7)^(1/59)
  H.close(r.lrs[2] / r.lrs[1], (10 / 1e-7) ^ (1 / 59), 1e-12)
  -- the smoothed curve: the bias-corrected EMA of the losses (beta 0.98)
  local avg = 0
  for i = 1, 3 do avg = 0.98 * avg + 0.02 * r.losses[i] end
  H.close(r.smoothed[3], avg / (1 - 0.98 ^ 3), 1e-12)
  H.eq(type(r.suggestions.steepest), "number"); H.eq(type(r.suggestions.valley), "number")
  H.eq(#r.seeds, 2); H.eq(r.spread.min10[1] <= r.spread.min10[2], true)
  H.eq(tostring(r):find("learning-rate range test", 1, true) ~= nil, true)
  H.eq(opt:lr(), 0.5, "the optimizer's rate is back")
  for i, p in ipairs(model:parameters()) do H.eq((p - before[i]):abs():max():item(), 0, "parameter " .. i .. " restored") end
  H.raises(function() train.lr_find{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = opt, train = ds, start = 1, stop = 0.1} end,
    "start and stop must be positive with start < stop")
  H.raises(function() train.lr_find{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = opt} end, "option 'train' is required")
end)

test("train.fit monitor.sharpness: λ_max of least squares is the top eigenvalue of (2/N)·XᵀX, beside 2/lr, and logged", function()
  tensor.seed(8)
  local n = 64
  local x = tensor.randn({n, 5}, "f64")
  local y = tensor.randn({n, 1}, "f64")
  local model = nn.Sequential{nn.Linear(5, 1, {bias = false})}:to("f64")
  local dir = os.tmpname(); os.remove(dir)
  local h = train.fit{model = model, loss = nn.MSE(), optimizer = optim.SGD(model, {lr = 0.05}), train = data.dataset(x, y, {targets = "values"}),
    batch = 16, epochs = 2, quiet = true, log = dir, monitor = {sharpness = {every = 3, batch = n, iters = 10}}}
  local top = (x:t():matmul(x) * (2 / n)):eigh():totable()[5]
  H.eq(#h.sharpness, 2, "steps 3 and 6 of 8")
  for _, s in ipairs(h.sharpness) do
    H.close(s.value, top, 1e-6, "λ_max at step " .. s.step)
    H.close(s.edge, 2 / 0.05, 1e-12)
  end
  local logged = 0
  for line in io.lines(dir .. "/metrics.jsonl") do if line:find('"sharpness":', 1, true) then logged = logged + 1 end end
  H.eq(logged, 2, "both measurements in metrics.jsonl")
  os.execute("rm -rf " .. dir)
  H.raises(function() train.fit{model = model, loss = nn.MSE(), optimizer = optim.SGD(model, {lr = 0.05}),
    train = data.dataset(x, y, {targets = "values"}), monitor = {sharpness = {every = 0}}} end, "monitor.sharpness.every must be a positive whole number")
end)

test("the edge of stability: full-batch gradient descent at lr 1.2 holds the sharpness at 2/lr (Cohen et al. 2021)", function()
  -- at lr 0.2 this network sharpens past 2.3; at lr 1.2 (2/lr = 1.67) gradient descent cannot, and settles on the edge
  tensor.seed(3)
  local x = tensor.randn{200, 4}
  local y = x:matmul(tensor.randn{4, 2}):tanh()
  local ds = data.dataset(x, y, {targets = "values"})
  local function run(lr, steps)
    tensor.seed(4)
    local model = nn.Sequential{nn.Linear(4, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 2)}
    return train.fit{model = model, loss = nn.MSE(), optimizer = optim.SGD(model, {lr = lr}), train = ds, batch = 200,
      epochs = steps, quiet = true, monitor = {sharpness = {every = 100, batch = 200, iters = 20}}}.sharpness
  end
  local slow = run(0.2, 300)
  H.eq(slow[2].value > 2 / 1.2 * 1.2, true, "at lr 0.2 the sharpness rises past 2/1.2: " .. slow[2].value)
  local edge = run(1.2, 1500)
  for k = #edge - 4, #edge do
    H.eq(math.abs(edge[k].value - 2 / 1.2) < 0.05 * (2 / 1.2), true,
      string.format("step %d: λ_max %.4f against 2/lr %.4f", edge[k].step, edge[k].value, 2 / 1.2))
  end
end)
