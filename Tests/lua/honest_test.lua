local H, file = ...
local test = function(name, fn) H.test(file .. ": " .. name, fn) end
-- Issue 34: every verdict optlab gives is right when the user strays from
-- the demo's path. Each test below failed on the code before that issue.

test("check.grad{h = 'sweep'} never picks an h that compared nothing, and passes a correct model", function()
  for seed = 1, 4 do
    tensor.seed(seed)
    local model = nn.Sequential{nn.Linear(50, 64), nn.Tanh(), nn.Linear(64, 10)}   -- the default init: std 0.01
    local x = tensor.randn{16, 50}
    local y = tensor.from({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 2, 3, 4, 5, 6}, "i32")
    local r = check.grad(function() return nn.SoftmaxCrossEntropy()(model(x), y) end, model, {h = "sweep"})
    H.eq(r.ok, true, "seed " .. seed .. ":\n" .. tostring(r))
    local chosen
    for _, s in ipairs(r.sweep) do if s.h == r.h then chosen = s end end
    H.eq(chosen.compared, 40, "the chosen h compared every sampled dimension")
    H.eq(r.sweep[#r.sweep].compared, 0, "h = 1e-10 compares nothing in floating point")
    H.eq(r.sweep_choice:find("chose h = ", 1, true) ~= nil, true, r.sweep_choice)
    H.eq(tostring(r):find("1e-10→none compared", 1, true) ~= nil, true, tostring(r))
  end
end)

test("normalize returns only the set: a call as the last argument leaks nothing into options", function()
  tensor.seed(1)
  local d = data.spiral{classes = 3, per_class = 20}
  local tr, te = d:split(0.5, {seed = 1})
  local n = select("#", tr:normalize())
  H.eq(n, 1, "normalize's results")
  tr = tr:normalize()
  local model = nn.Sequential{nn.Linear(2, 3)}
  -- the README's line: before, normalize's second result (the stats) went in as train.accuracy's options
  local acc = train.accuracy(model, te:normalize(tr))
  H.eq(type(acc), "number")
  local s = tr:normalization()
  H.all_close(te:normalize(tr):inputs(), ((te:inputs() - s.mean) / s.std):reshape{-1}:totable(), 1e-6, "with the training part's statistics")
  H.all_close(te:normalize(s):inputs(), te:normalize(tr):inputs():reshape{-1}:totable(), 0, "a stats table does the same")
  H.eq(te:normalization(), nil, "a set not normalized has none")
  H.raises(function() local stats; te:normalize(stats) end, "normalize returns only the set now: pass the training set, val:normalize(tr)")
  H.raises(function() tr:normalize(te) end, "was not normalized")
end)

test("non-finite inputs are refused when a set is built or normalized, naming how many and the first", function()
  local x = tensor.randn{4, 3}
  x[{2, 3}] = 0 / 0
  x[{4, 1}] = 1 / 0
  H.raises(function() data.dataset(x, {1, 2, 1, 2}) end, "data.dataset: 2 of the inputs are not finite (the first: nan at example 2, feature 3)")
  -- a set with NaN made another way (its inputs changed in place) is refused by normalize
  local d = data.dataset(tensor.randn{4, 3}, {1, 2, 1, 2})
  d:inputs()[{1, 2}] = 0 / 0
  H.raises(function() d:normalize() end, "Dataset:normalize: 1 of the inputs is not finite (the first: nan at example 1, feature 2)")
end)

test("0-based labels are told as such, with the fix", function()
  H.raises(function() data.dataset(tensor.randn{3, 2}, {0, 1, 2}) end,
    "labels are 1..C in optlab (Lua counts from 1); these start at 0 (at position 1): 0-based labels, as numpy's? pass labels + 1")
  H.raises(function() data.dataset(tensor.randn{3, 2}, tensor.from({1, 0, 1}, "i32")) end, "at position 2")
end)

test("regression targets make a regression set", function()
  local x = tensor.randn{5, 2}
  H.raises(function() data.dataset(x, tensor.from{0.5, 1.25, -2, 3.5, 0}) end, "label 0.5 at position 1 is not an integer (real-valued targets: data.dataset(x, y, {targets = \"values\"}))")
  local d = data.dataset(x, tensor.from{0.5, 1.25, -2, 3.5, 0}, {targets = "values"})
  H.eq(d:classes(), nil, "a regression set has no classes")
  H.all_close(d:labels(), {0.5, 1.25, -2, 3.5, 0}, 0, "its values, as given")
  H.eq(tostring(d), "Dataset: 5 examples, inputs 2, values [N]")
  local ints = data.dataset(x, {1, 2, 3, 4, 5}, {targets = "values"})
  H.eq(ints:classes(), nil, "integral values asked for as values")
  H.raises(function() data.dataset(x, {1, 2, 3, 4, 5}, {targets = "labels"}) end, "option 'targets' must be \"classes\" or \"values\"")
end)

local function tmpdir() local d = os.tmpname(); os.remove(d); return d end
local function read_json_lines(path)
  local out = {}
  for line in io.lines(path) do out[#out + 1] = line end
  return out
end

test("train.fit refuses an optimizer built for another model, and allows a deliberate subset", function()
  tensor.seed(1)
  local d = data.spiral{classes = 3, per_class = 10}
  local old = nn.Sequential{nn.Linear(2, 3)}
  local opt = optim.SGD(old, {lr = 0.1})
  local model = nn.Sequential{nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 3)}   -- rebuilt in the REPL, opt kept
  H.raises(function() train.fit{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = opt, train = d, epochs = 1, quiet = true} end,
    "train.fit: the optimizer holds none of the model's 4 parameters: was it built for another model?")
  -- fine-tuning only the last layer is a choice, not a slip
  local last = optim.SGD(model[3]:parameters(), {lr = 0.1})
  local before = model[1].weight:clone()
  train.fit{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = last, train = d, epochs = 1, quiet = true}
  H.all_close(model[1].weight, before:reshape{-1}:totable(), 0, "the first layer, not in the optimizer, is untouched")
end)

test("without val, train.fit keeps the last parameters and never calls a training metric validation", function()
  tensor.seed(2)
  local d = data.spiral{classes = 3, per_class = 20}
  local model = nn.Sequential{nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3)}
  local dir = tmpdir()
  local h = train.fit{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(model, {lr = 0.5}), train = d, epochs = 4,
    batch = 20, quiet = true, log = dir}
  H.eq(h.best, nil, "no validation set, no best epoch")
  H.eq(h.kept, "last")
  H.eq(#h.val_acc, 0, "no validation accuracy")
  H.eq(#h.train_acc, 4, "train accuracy, named so")
  local names = {}
  for f in io.popen('ls "' .. dir .. '"'):lines() do if f:match("^ep") then names[#names + 1] = f end end
  H.eq(#names > 0, true)
  for _, f in ipairs(names) do H.eq(f:match("^ep%d+_train[%d.]+%.safetensors$") ~= nil, true, "checkpoint " .. f .. " is named by its training accuracy") end
  -- the parameters are the last epoch's: accuracy on the set equals the last one measured (the sample is the whole set here)
  H.close(train.accuracy(model, d), h.train_acc[4], 1e-12, "the last epoch's parameters")
  os.execute('rm -rf "' .. dir .. '"')
  local v = train.fit{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(model, {lr = 0.5}), train = d, val = d, epochs = 2, quiet = true}
  H.eq(v.kept, "best"); H.eq(type(v.best.val_acc), "number")
end)

test("a single-logit binary model is measured by the sign of its logit", function()
  tensor.seed(3)
  local x = tensor.randn{200, 2}
  local y = (x[{{}, 1}] + x[{{}, 2}]):gt(0):to("i32") + 1                  -- labels 1, 2
  local d = data.dataset(x, y)
  local model = nn.Sequential{nn.Linear(2, 1)}
  local function bce(s, labels)                                           -- a script's own loss for one logit
    local t = (labels - 1):to("f32"):reshape{-1, 1}
    return (s:clamp(0, nil) - s * t + (-s:abs()):exp():add(1):log()):mean()
  end
  local h = train.fit{model = model, loss = bce, optimizer = optim.SGD(model, {lr = 0.5}), train = d, val = d, epochs = 20, batch = 50, quiet = true}
  H.eq(h.val_acc[#h.val_acc] > 0.9, true, "thresholded accuracy " .. h.val_acc[#h.val_acc] .. " (an argmax over one column was stuck at 0.5)")
  H.close(train.accuracy(model, d), h.best.val_acc, 1e-12, "train.accuracy measures it the same way")
end)

test("regression: train.fit measures the validation loss and keeps the best epoch by it", function()
  tensor.seed(4)
  local x = tensor.randn{100, 3}
  local w = tensor.from{{1.5}, {-2}, {0.5}}
  local y = x:matmul(w) + 0.3
  local d = data.dataset(x, y, {targets = "values"})
  local tr, val = d:split(0.8, {seed = 1})
  local model = nn.Sequential{nn.Linear(3, 1)}
  local h = train.fit{model = model, loss = nn.MSE(), optimizer = optim.SGD(model, {lr = 0.1}), train = tr, val = val, epochs = 15, batch = 20, quiet = true}
  H.eq(#h.val_acc, 0, "no accuracy for values"); H.eq(#h.val_loss, 15)
  local best, at = math.huge, 0
  for i, l in ipairs(h.val_loss) do if l < best then best, at = l, i end end
  H.eq(h.best.epoch, at, "the best epoch is the lowest validation loss")
  H.close(h.best.val_loss, best, 1e-12)
  H.eq(h.val_loss[#h.val_loss] < 0.01, true, "it learned the line: " .. h.val_loss[#h.val_loss])
  H.raises(function() train.accuracy(model, val) end, "has no accuracy")
end)

test("a loss that does not fit the targets is refused at the start, by name", function()
  local x = tensor.randn{10, 2}
  local model = nn.Sequential{nn.Linear(2, 1)}
  local values = data.dataset(x, tensor.randn{10, 1}, {targets = "values"})
  H.raises(function() train.fit{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(model, {lr = 0.1}), train = values, quiet = true} end,
    "train.fit: nn.SoftmaxCrossEntropy needs class labels, but the training set's targets are values")
  local classes = data.dataset(x, {1, 2, 1, 2, 1, 2, 1, 2, 1, 2})
  H.raises(function() train.fit{model = model, loss = nn.MSE(), optimizer = optim.SGD(model, {lr = 0.1}), train = classes, quiet = true} end,
    "train.fit: nn.MSE compares the scores with targets of their shape, but the training set has class labels")
end)

test("a NaN loss from NaN data names the data, not the learning rate", function()
  local d = data.dataset(tensor.randn{8, 2}, {1, 2, 1, 2, 1, 2, 1, 2})
  d:inputs()[{6, 2}] = 0 / 0                                                -- NaN after the set was built
  local model = nn.Sequential{nn.Linear(2, 2)}
  local err = H.raises(function() train.fit{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(model, {lr = 0.1}), train = d,
    batch = 8, quiet = true} end, "the batch's inputs hold 1 non-finite value (the first: nan at example")
  H.eq(err:find("the data is the cause, not the learning rate", 1, true) ~= nil, true, err)
  H.eq(err:find("learning rate (0.1) is probably too high", 1, true), nil, err)
end)

test("the checks say NaN when they see NaN, and name where it comes from", function()
  local y = tensor.from({1, 2, 3, 1, 2, 3, 1, 2}, "i32")
  local ce = nn.SoftmaxCrossEntropy()
  -- a parameter holding a NaN: the initial loss is not "too low: labels leaking"
  local m = nn.Sequential{nn.Linear(4, 3)}
  tensor.no_grad(function() m[1].weight[{2, 3}] = 0 / 0 end)
  local x = tensor.randn{8, 4}
  local r = check.initial_loss(m, ce, x, y)
  H.eq(r.ok, false)
  H.eq(tostring(r), "✗ initial loss: NaN; the parameter 1.weight holds 1 non-finite value: fix that first")
  H.eq(tostring(check.regularization(m, ce, x, y)):find("loss NaN with no regularization, NaN with strength 100; the parameter 1.weight", 1, true) ~= nil, true)
  local o = check.overfit(m, ce, x, y, {n = 8})
  H.eq(o.ok, false); H.eq(tostring(o):find("loss NaN, training accuracy", 1, true) ~= nil and tostring(o):find("the parameter 1.weight holds 1", 1, true) ~= nil, true, tostring(o))
  -- the gradient check fails on NaN instead of finding nothing wrong
  local g = check.grad(function() return ce(m(x), y) end, m)
  H.eq(g.ok, false)
  H.eq(g.rows[1].verdict, "NaN or inf")
  H.eq(tostring(g):find("verdict: FAILED: the loss or its gradient is NaN or infinite", 1, true) ~= nil, true, tostring(g))
  H.eq(tostring(check.preflight(m, ce, data.dataset(x, y))):find("gradient check on 3 examples: FAILED: the loss or its gradient is NaN", 1, true) ~= nil, true)
  -- NaN inputs given to a check directly (a data set refuses them): named by example and feature
  local clean = nn.Sequential{nn.Linear(4, 3)}
  local bad = x:clone(); bad[{3, 2}] = 0 / 0
  H.eq(tostring(check.initial_loss(clean, ce, bad, y)), "✗ initial loss: NaN; the inputs hold 1 non-finite value (the first: nan at example 3, feature 2): fix that first")
end)

test("train.fit leaves the model in the mode it found", function()
  local d = data.spiral{classes = 2, per_class = 10}
  local model = nn.Sequential{nn.Linear(2, 4), nn.Dropout(0.5), nn.Linear(4, 2)}
  H.eq(model.training, true)
  train.fit{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(model, {lr = 0.1}), train = d, epochs = 1, quiet = true}
  H.eq(model.training, true, "still training after fit (it was left evaluating)")
  model:evaluate()
  train.fit{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(model, {lr = 0.1}), train = d, epochs = 1, quiet = true}
  H.eq(model.training, false, "and evaluating when it came evaluating")
end)

test("L-BFGS in train.fit says why not, and what to do", function()
  local d = data.spiral{classes = 2, per_class = 10}
  local model = nn.Sequential{nn.Linear(2, 2)}
  H.raises(function() train.fit{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.LBFGS(model), train = d, quiet = true} end,
    "L-BFGS, a full-batch method that train.fit's minibatches would mislead")
end)

test("every iteration is logged, at its exact epoch; log_every thins it; keep = k keeps the best k and the last", function()
  tensor.seed(5)
  local d = data.spiral{classes = 3, per_class = 47}                      -- 141 examples, batch 3: 47 iterations an epoch
  local model = nn.Sequential{nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 3)}
  local dir = tmpdir()
  train.fit{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(model, {lr = 0.05}), train = d, val = d, epochs = 5, batch = 3,
    quiet = true, log = dir, keep = 2}
  local steps, ats = 0, {}
  for _, line in ipairs(read_json_lines(dir .. "/metrics.jsonl")) do
    if not line:find('"train_acc"', 1, true) then
      steps = steps + 1
      ats[steps] = tonumber(line:match('"at":([%d.e%-]+)'))
    end
  end
  H.eq(steps, 5 * 47, "one record an iteration (every 10th before)")
  H.close(ats[10], 10 / 47, 1e-12, "iteration 10 sits at 10/47 of an epoch")
  local kept = {}
  for f in io.popen('ls "' .. dir .. '"'):lines() do local e = f:match("^ep(%d+)_val") if e then kept[#kept + 1] = tonumber(e) end end
  H.eq(#kept <= 3 and #kept >= 2, true, "the best 2 and the last: " .. #kept .. " kept")
  local last = false
  for _, e in ipairs(kept) do if e == 5 then last = true end end
  H.eq(last, true, "the last epoch's checkpoint is kept")
  os.execute('rm -rf "' .. dir .. '"')
  train.fit{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(model, {lr = 0.05}), train = d, epochs = 1, batch = 3,
    quiet = true, log = dir, log_every = 10}
  local thinned = 0
  for _, line in ipairs(read_json_lines(dir .. "/metrics.jsonl")) do if not line:find('"train_acc"', 1, true) then thinned = thinned + 1 end end
  H.eq(thinned, 4, "log_every = 10: iterations 10, 20, 30 and 40 of 47")
  os.execute('rm -rf "' .. dir .. '"')
end)

test("config.json records every setting, booleans as booleans", function()
  local d = data.spiral{classes = 3, per_class = 10}
  local model = nn.Sequential{nn.Linear(2, 8, {init = "kaiming"}), nn.ReLU(), nn.Linear(8, 3, {bias = false})}
  local opt = optim.SGD(model, {lr = 0.1, momentum = 0.9, nesterov = true})
  local dir = tmpdir()
  train.fit{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = opt, schedule = optim.step_decay(opt, {every = 2, factor = 0.5}),
    train = d, epochs = 1, quiet = true, log = dir, clip = 5}
  local f = io.open(dir .. "/config.json"); local text = f:read("a"); f:close()
  local function has(fragment) H.eq(text:find(fragment, 1, true) ~= nil, true, "config.json has " .. fragment .. ":\n" .. text) end
  has('"momentum" : 0.9'); has('"nesterov" : true'); has('"name" : "SGD"')
  has('"init" : "kaiming"'); has('"init" : "small"'); has('"bias" : false'); has('"bias" : true')
  has('"every" : 2'); has('"factor" : 0.5'); has('"unit" : "epoch"')
  has('"clip" : 5'); has('"keep_best" : true'); has('"log_every" : 1')
  local adam = optim.Adam(model, {beta1 = 0.8})
  os.execute('rm -rf "' .. dir .. '"')
  train.fit{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = adam, train = d, epochs = 1, quiet = true, log = dir}
  f = io.open(dir .. "/config.json"); text = f:read("a"); f:close()
  has('"beta1" : 0.8'); has('"beta2" : 0.999'); has('"eps" : 1e-08')
  os.execute('rm -rf "' .. dir .. '"')
end)

test("the layer monitor flags the notes' vanishing activations: a deep tanh net with small weights", function()
  tensor.seed(6)
  local layers = {}
  for i = 1, 6 do layers[#layers + 1] = nn.Linear(i == 1 and 100 or 100, 100); layers[#layers + 1] = nn.Tanh() end   -- std 0.01 weights
  local model = nn.Sequential(layers)
  monitor.watch(model)
  model(tensor.randn{64, 100})
  local r = monitor.layers(model)
  H.eq(r.depth_trend ~= nil and r.depth_trend:find("shrink geometrically", 1, true) ~= nil, true, tostring(r.depth_trend))
  local flagged = 0
  for _, row in ipairs(r.rows) do for _, f in ipairs(row.flags) do if f:find("vanishing", 1, true) then flagged = flagged + 1 end end end
  H.eq(flagged, 5, "every tanh after the first is flagged")
  -- well-scaled weights keep their scale: no flag
  local good = {}
  for i = 1, 6 do good[#good + 1] = nn.Linear(100, 100, {init = "xavier"}); good[#good + 1] = nn.Tanh() end
  local m2 = nn.Sequential(good)
  monitor.watch(m2); m2(tensor.randn{64, 100})
  H.eq(monitor.layers(m2).depth_trend, nil)
end)

test("update ratios: a zero-initialised bias is not judged; a parameter that did not move is told so", function()
  tensor.seed(7)
  local model = nn.Sequential{nn.Linear(4, 3)}
  local opt = optim.SGD(model, {lr = 1e-2})
  local loss = nn.SoftmaxCrossEntropy()(model(tensor.randn{8, 4}), {1, 2, 3, 1, 2, 3, 1, 2})
  loss:backward(); opt:step()
  local r = monitor.ratios(opt)
  H.close(r.ratios["1.bias"], 1, 1e-6, "a bias from zero has ratio 1 after its first step")
  H.eq(r.advice["1.bias"]:find("not judged", 1, true) ~= nil, true, r.advice["1.bias"])
  H.eq(r.advice["1.weight"]:find("not judged", 1, true), nil, "the weight is judged: " .. r.advice["1.weight"])
end)

test("monitor.diagnose tells 'nothing moved' from 'moved too little'", function()
  local flat = {}
  for i = 1, 40 do flat[i] = 2.3 end
  local stuck = monitor.diagnose{loss = flat, train_acc = {0.1, 0.1}, val_acc = {0.1, 0.1}, update_ratio = {0, 0}}
  H.eq(stuck.findings[1].kind, "stuck"); H.eq(stuck.report:find("nothing moved", 1, true) ~= nil, true, stuck.report)
  H.eq(stuck.report:find("learning rate is probably too low", 1, true), nil, stuck.report)
  local slow = monitor.diagnose{loss = flat, train_acc = {0.1, 0.1}, val_acc = {0.1, 0.1}, update_ratio = {2e-6, 3e-6}}
  H.eq(slow.report:find("learning rate is probably too low", 1, true) ~= nil, true, slow.report)
  -- train.fit's history carries the ratios: a loss whose gradient is 0 moves nothing
  local d = data.spiral{classes = 3, per_class = 10}
  local model = nn.Sequential{nn.Linear(2, 3)}
  local h = train.fit{model = model, loss = function(s, y) return s:sum() * 0 + 1 end, optimizer = optim.SGD(model, {lr = 0.1}), train = d,
    epochs = 3, batch = 5, quiet = true}
  H.eq(monitor.diagnose(h).findings[1].kind, "stuck", monitor.diagnose(h).report)
  -- a model with every parameter frozen is refused before training
  for _, p in ipairs(model:parameters()) do p:requires_grad(false) end
  H.raises(function() train.fit{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(model, {lr = 0.1}), train = d, quiet = true} end,
    "train.fit: none of the model's 2 parameters requires a gradient (all frozen): nothing would train")
end)

test("a Function whose backward returns fewer gradients than inputs is an error naming it, not a parameter left untrained", function()
  local Scale = autograd.Function{name = "Scale",
    forward = function(ctx, x, w) ctx:save(x, w); return x * w end,
    backward = function(ctx, g) local x, w = ctx:saved(); return g * w end}   -- forgot the gradient of w
  local x, w = tensor.randn{3}:requires_grad(), tensor.randn{3}:requires_grad()
  H.raises(function() Scale(x, w):sum():backward() end,
    "Scale: backward returned 1 gradient for 2 arguments of forward: return one per argument (nil where one needs none)")
  local Fixed = autograd.Function{name = "Fixed",
    forward = function(ctx, x, w) ctx:save(x, w); return x * w end,
    backward = function(ctx, g) local x, w = ctx:saved(); return g * w, nil end}   -- a deliberate nil is fine
  Fixed(x, w):sum():backward()
  H.eq(w.grad, nil, "no gradient for w, as asked")
end)

test("a bad hp distribution is refused where it is written, with the position once", function()
  local ok, err = pcall(function() return hp.loguniform(0, 1) end)
  H.eq(ok, false)
  H.eq(err:find("hp.loguniform: needs 0 < lo < hi, got 0, 1", 1, true) ~= nil, true, err)
  local _, n = err:gsub("honest_test%.lua:%d+:", "")
  H.eq(n, 1, "the position appears once: " .. err)
  H.raises(function() hp.uniform(1, 0) end, "hp.uniform: needs lo < hi, got 1, 0")
  H.raises(function() hp.int(0, 8, {log = true}) end, "hp.int: needs lo ≤ hi (and lo > 0 on a log scale)")
end)

test("coarse to fine: exploded trials bound the next range from their side; few finished trials and a rising edge warn", function()
  local dir = tmpdir()
  local function trial(cfg)
    if cfg.lr > 0.08 then error("the loss exploded to 1e9 at epoch 1, iteration 3") end   -- training blows up above 0.08
    return -(math.log(cfg.lr, 10) + 1.5) ^ 2                                                -- best at lr = 0.03
  end
  local r
  for seed = 1, 60 do                                                                       -- a seed whose 6 trials explode 3 times (the issue's case)
    os.execute('rm -rf "' .. dir .. '"')
    r = hp.search{name = "x", dir = dir, space = {lr = hp.loguniform(1e-5, 1)}, trial = trial, seed = seed, quiet = true,
      stages = {{trials = 6}, {trials = 8}}}
    local exploded = 0
    for _, t in ipairs(r.trials) do if t.stage == 1 and t.status ~= "ok" then exploded = exploded + 1 end end
    if exploded == 3 then break end
  end
  local lowest_exploded, best1 = math.huge, nil
  for _, t in ipairs(r.trials) do
    if t.stage == 1 and t.status ~= "ok" then lowest_exploded = math.min(lowest_exploded, t.config.lr) end
    if t.stage == 1 and t.status == "ok" and (not best1 or t.score > best1.score) then best1 = t end
  end
  local hi2 = 0
  for _, t in ipairs(r.trials) do if t.stage == 2 then hi2 = math.max(hi2, t.config.lr) end end
  H.eq(hi2 <= lowest_exploded, true, string.format("stage 2 stays below the lowest exploded lr %.3g (its highest: %.3g)", lowest_exploded, hi2))
  H.eq(hi2 >= best1.config.lr, true, string.format("and reaches the best finished one %.3g (its highest: %.3g)", best1.config.lr, hi2))
  local few = false
  for _, w in ipairs(r.warnings) do if w:find("narrowed on only", 1, true) then few = true end end
  H.eq(few, true, "narrowing on few finished trials warns: " .. table.concat(r.warnings, " | "))
  os.execute('rm -rf "' .. dir .. '"')   -- (the warning of a score rising toward a stage's edge: SearchSpaceTests)
end)

test("successive halving says it is done as successive halving, not as 'stage 1'", function()
  local dir = tmpdir()
  local lines, real = {}, print
  print = function(...) local t = {} for i = 1, select("#", ...) do t[i] = tostring(select(i, ...)) end lines[#lines + 1] = table.concat(t, "\t") end
  local ok, err = pcall(hp.search, {name = "a", dir = dir, seed = 1, trials = 4, space = {lr = hp.loguniform(1e-3, 1)},
    scheduler = {kind = "asha", min_epochs = 1, max_epochs = 3, eta = 3},
    trial = function(cfg, budget) return {val_acc = -math.abs(math.log(cfg.lr, 10) + 2) + budget.epochs * 0.01} end})
  print = real
  os.execute('rm -rf "' .. dir .. '"')
  H.eq(ok, true, tostring(err))
  local text = table.concat(lines, "\n")
  H.eq(text:find("successive halving done: 4 ok", 1, true) ~= nil, true, text)
  H.eq(text:find("stage 1", 1, true), nil, text)
end)

test("sched:lr_at(t) previews a schedule without touching the optimizer; monitor.plot takes x values and refuses unknown keys", function()
  local model = nn.Sequential{nn.Linear(2, 2)}
  local opt = optim.SGD(model, {lr = 0.1})
  local sched = optim.warmup_cosine(opt, {warmup = 5, total = 50})
  local lrs = {}
  for t = 0, 49 do lrs[#lrs + 1] = sched:lr_at(t) end
  H.close(lrs[1], 0.1 / 5, 1e-15, "t = 0: the first warm-up step")
  H.close(lrs[5], 0.1, 1e-15, "t = 4: the peak")
  H.close(lrs[50], 0.5 * 0.1 * (1 + math.cos(math.pi * 44 / 45)), 1e-12, "t = 49: cosine at 44/45 of its way")
  H.close(opt:lr(), 0.1 / 5, 1e-15, "the optimizer's rate is untouched (a dry run of sched:step() left it at the end)")
  sched:step(); H.close(opt:lr(), lrs[2], 1e-15, "step gives what lr_at said")
  H.raises(function() optim.plateau(opt):lr_at(3) end, "plateau follows the watched metric")
  local dir = tmpdir(); os.execute('mkdir -p "' .. dir .. '"')
  local xs, ys = {}, {}
  for i = 1, 20 do xs[i] = 10 ^ (-6 + i * 0.3); ys[i] = (math.log(xs[i], 10) + 2) ^ 2 end
  local p = monitor.plot{x = xs, loss = ys, logx = true, xlabel = "learning rate", file = dir .. "/lr.svg"}
  H.eq(tostring(p):find("learning rate (log scale)", 1, true) ~= nil, true, tostring(p))
  H.eq(tostring(p):find("1e-05", 1, true) ~= nil or tostring(p):find("1e-5", 1, true) ~= nil, true, "decade ticks: " .. tostring(p))
  local f = io.open(dir .. "/lr.svg"); local svg = f:read("a"); f:close()
  H.eq(svg:find("(log scale)", 1, true) ~= nil, true, "the SVG's x axis is log")
  -- xlabel names the axis without x values too, in the terminal and the SVG (escaped there)
  local q = monitor.plot{acc = {0.5, 0.7, 0.8}, xlabel = "epoch <3>", file = dir .. "/acc.svg"}
  H.eq(tostring(q):find("epoch <3>", 1, true) ~= nil, true, tostring(q))
  f = io.open(dir .. "/acc.svg"); svg = f:read("a"); f:close()
  H.eq(svg:find(">epoch &lt;3&gt;</text>", 1, true) ~= nil, true, svg)
  H.raises(function() monitor.plot{loss = ys, lgo = true} end, "monitor.plot: unknown option 'lgo' (did you mean 'log'?)")
  H.raises(function() monitor.plot{x = {1, 2}, loss = ys} end, "x has 2 values but series 'loss' has 20")
  os.execute('rm -rf "' .. dir .. '"')
end)

test("help(nn) and help(optim) list every member and cut no description mid-sentence", function()
  local optlab = require "optlab"
  for _, name in ipairs{"nn", "optim"} do
    local text = optlab.help_text(_G[name])
    for k, v in pairs(_G[name]) do
      if type(v) ~= "boolean" then
        H.eq(text:find(name .. "." .. k, 1, true) ~= nil, true, name .. "." .. k .. " is listed in help(" .. name .. ")")
      end
    end
    for line in text:gmatch("[^\n]+") do
      local description = line:match("^  %S.-%s%s+(%S.*)$") or line:match("^%s%s%s%s+(%S.*)$")
      if description then
        H.eq(description:match("[%.%)!?]$") ~= nil, true, "a whole sentence: " .. line)
      end
    end
  end
  H.eq(optlab.help_text(nn):find("drops each unit with probability p while training (and scales the rest", 1, true) ~= nil, true,
    "Dropout's description goes on past its first line")
end)
