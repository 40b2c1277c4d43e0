local H, file = ...
local test = function(name, fn) H.test(file .. ": " .. name, fn) end

test("monitor.hist: counts, edges, bars", function()
  local h = monitor.hist(tensor.from{1, 2, 2, 3, 3, 3, 4}, {bins = 3})
  H.eq(#h.counts, 3); H.eq(#h.edges, 4)
  H.eq(h.counts[1], 1); H.eq(h.counts[2], 2); H.eq(h.counts[3], 4)   -- [1,2): 1 | [2,3): 2,2 | [3,4]: 3,3,3,4 (numpy's)
  H.eq(h.edges[1], 1); H.eq(h.edges[4], 4)
  H.eq(tostring(h):find("7 values", 1, true) ~= nil, true)
  H.raises(function() monitor.hist(tensor.zeros(3), {bins = 0}) end, "bins must be")
end)

test("monitor.layers, ratios, plot, diagnose after real training", function()
  tensor.seed(4)
  local d = data.spiral{classes = 3, per_class = 50}
  local model = nn.Sequential{nn.Linear(2, 30, {init = "kaiming"}), nn.ReLU(), nn.Linear(30, 3)}
  local opt = optim.SGD(model, {lr = 0.1, momentum = 0.9})
  H.raises(function() monitor.layers(model) end, "no pass recorded")
  H.raises(function() monitor.ratios(opt) end, "has not taken a step")
  local h = train.fit{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = opt, train = d, val = d, epochs = 20, batch = 50, quiet = true}
  monitor.watch(model)
  nn.SoftmaxCrossEntropy()(model(d:inputs()), d:labels()):backward()
  local l = monitor.layers(model)
  H.eq(#l.rows, 3); H.eq(l.rows[2].layer, "ReLU"); H.eq(type(l.rows[2].dead), "number"); H.eq(type(l.rows[1].grad_std), "number")
  local r = monitor.ratios(opt)
  H.eq(type(r.ratios["1.weight"]), "number")
  local p = monitor.plot{loss = h.loss, epochs = 20, log = true}
  H.eq(tostring(p):find("epoch", 1, true) ~= nil and tostring(p):find("(y: log scale)", 1, true) ~= nil, true, "axes named")
  local dg = monitor.diagnose(h)
  H.eq(#dg.findings >= 1, true)
  H.eq(monitor.diagnose{loss = {2.3, 2.3, 2.3, 2.3, 2.3, 2.3, 2.3, 2.3, 2.3, 2.3, 2.3}}.findings[1].kind, "flat")
end)

test("monitor.weights writes a PNG of the first layer", function()
  local path = os.tmpname() .. ".png"
  monitor.weights(nn.Sequential{nn.Linear(784, 16), nn.ReLU()}, {file = path})
  local f = io.open(path, "rb"); local head = f:read(8); f:close()
  H.eq(head, "\137PNG\r\n\26\n")
  os.remove(path)
end)

-- A tiny base64 decoder: the notebook form must be the same PNG as the file.
local function unbase64(s)
  local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  local bits = s:gsub("[^%w+/]", ""):gsub(".", function(c)
    local v, out = alphabet:find(c, 1, true) - 1, ""
    for i = 5, 0, -1 do out = out .. ((v >> i) & 1) end
    return out
  end)
  return (bits:gsub("%d%d%d%d%d%d%d%d", function(byte) return string.char(tonumber(byte, 2)) end):gsub("[01]+$", ""))
end

test("monitor.weights without a file: the image itself, shown in a notebook", function()
  tensor.seed(4)
  local model = nn.Sequential{nn.Linear(784, 16), nn.ReLU()}
  local path = os.tmpname() .. ".png"
  local w = monitor.weights(model, {file = path})
  local f = io.open(path, "rb"); local bytes = f:read("a"); f:close()
  os.remove(path)
  local image = monitor.weights(model)
  H.eq(image.width, w.width, "same width")
  local png = unbase64(getmetatable(image).__mime(image)["image/png"])
  H.eq(png, bytes, "the notebook's PNG is the file's")
  -- the PNG's own header says the size the result reports
  H.eq(string.unpack(">I4", png, 17), image.width, "IHDR width")
  H.eq(string.unpack(">I4", png, 21), image.height, "IHDR height")
  H.eq(tostring(image):find("PNG", 1, true) ~= nil, true, "prints as a line of text")
  H.raises(function() monitor.weights(model, {fil = "x.png"}) end, "unknown option 'fil'")
end)

test("rich forms: a tensor's HTML holds its values; a histogram's SVG one bar per non-empty bin", function()
  local html = getmetatable(tensor.from{{1, 2}, {3, 4}}).__mime(tensor.from{{1, 2}, {3, 4}})["text/html"]
  local cells = {}
  for v in html:gmatch(">([%d.%-]+)</td>") do cells[#cells + 1] = tonumber(v) end
  H.eq(table.concat(cells, ","), "1,2,3,4", "the cells in order")
  local big = tensor.zeros{30, 40}
  local bightml = getmetatable(big).__mime(big)["text/html"]
  H.eq(select(2, bightml:gsub("<tr>", "")), 12, "at most 12 rows shown")
  H.eq(select(2, bightml:gsub("…", "")) > 0, true, "with an ellipsis")
  local h = monitor.hist(tensor.from{1, 1, 2, 5}, {bins = 4})
  local svg = getmetatable(h).__mime(h)["image/svg+xml"]
  H.eq(select(2, svg:gsub('fill="#1f77b4"', "")), 3, "bars for the 3 non-empty bins")
end)

test("train.fit logs ratios and layer statistics to metrics.jsonl", function()
  local dir = os.tmpname(); os.remove(dir)
  local d = data.spiral{classes = 2, per_class = 20}
  local model = nn.Sequential{nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2)}
  train.fit{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(model, {lr = 0.1}), train = d,
    epochs = 2, batch = 4, log = dir, quiet = true}
  local text = io.open(dir .. "/metrics.jsonl"):read("a")
  H.eq(text:find('"ratio/1.weight"', 1, true) ~= nil, true)
  H.eq(text:find('"layer2/saturated"', 1, true) ~= nil, true)
  os.execute('rm -rf "' .. dir .. '"')
end)

test("monitor.plot overlays several series with a legend, round ticks and named axes", function()
  local text = tostring(monitor.plot{loss = {3, 2.5, 2, 1.6, 1.2, 1.1, 1.0, 0.93}, val = {2.8, 2.6, 2.0, 1.9}, epochs = 4, height = 12})
  local lines = {}
  for l in (text .. "\n"):gmatch("(.-)\n") do lines[#lines + 1] = l end
  -- one panel: the second series drawn with its own mark in the same rows as the first
  local overlaid = 0
  for _, l in ipairs(lines) do if l:find("•", 1, true) and l:find("[\226][\160-\163]") then overlaid = overlaid + 1 end end
  H.eq(overlaid > 0, true, "both series in one chart")
  H.eq(lines[#lines]:find("loss", 1, true) ~= nil and lines[#lines]:find("•• val", 1, true) ~= nil, true, "legend: " .. lines[#lines])
  -- y labels are multiples of one round step
  local ys = {}
  for _, l in ipairs(lines) do local v = l:match("^%s*([%d.]+) ┤") if v then ys[#ys + 1] = tonumber(v) end end
  H.eq(#ys >= 3, true, "several y ticks")
  local step = ys[1] - ys[2]
  for i = 2, #ys - 1 do H.close(ys[i] - ys[i + 1], step, 1e-9, "even steps") end
  local m = step / 10 ^ math.floor(math.log(step, 10) + 1e-9)
  H.eq(math.abs(m - 1) < 1e-9 or math.abs(m - 2) < 1e-9 or math.abs(m - 5) < 1e-9, true, "a 1, 2 or 5 step: " .. step)
  -- x ticks are the whole epochs, and the axis is named
  H.eq(text:find("0%s+1%s+2%s+3%s+4") ~= nil, true, "epoch ticks")
  H.eq(text:find("epoch", 1, true) ~= nil, true, "x axis named")
  -- a log plot's ticks are powers of ten
  local logged = tostring(monitor.plot{loss = {3, 0.3, 0.03, 0.01}, log = true, height = 8})
  for v in logged:gmatch("\n%s*([%d.e-]+) ┤") do
    local x = tonumber(v)
    H.close(math.log(x, 10), math.floor(math.log(x, 10) + 0.5), 1e-9, "a power of ten: " .. v)
  end
end)

test("plots of values spanning the whole double range do not overflow (fuzz finding)", function()
  local text = tostring(monitor.plot({a = {1e308, -1e308, 5, 1e300}}))
  H.eq(text:find("1.00e+308", 1, true) ~= nil, true, "the top label")
  H.eq(text:find("-1.00e+308", 1, true) ~= nil, true, "the bottom label")
end)

-- Least squares with a known noise scale: 1,500 examples in 6 dimensions, a
-- linear model, and B_simple = tr(Σ)/|G|² worked from the examples' gradients,
-- 2·x·(x·wᵀ − y) each.
local function least_squares()
  tensor.seed(5)
  local n, d = 1500, 6
  local x = tensor.randn({n, d}, "f64")
  local y = x:matmul(tensor.randn({d, 1}, "f64")) + tensor.randn({n, 1}, "f64") * 0.5
  local model = nn.Sequential{nn.Linear(d, 1, {bias = false})}:to("f64")
  local w = model:parameters()[1]
  local g = x * ((x:matmul(w:t()) - y) * 2)
  local mean = g:mean(1, true)
  local grad_sq = (mean * mean):sum():item()
  local trace = ((g - mean) ^ 2):sum():item() / n
  return model, data.dataset(x, y, {targets = "values"}), trace / grad_sq, trace, grad_sq
end

test("monitor.noise_scale on least squares: within its stated error of tr(Σ)/|G|² worked from the examples' gradients", function()
  local model, ds, _, trace, grad_sq = least_squares()
  local r = monitor.noise_scale(model, nn.MSE(), ds, {small = 4, big = 64, steps = 150, seed = 2})
  H.eq(math.abs(r.b_simple - trace / grad_sq) <= 3 * r.b_simple_se, true,
    string.format("B_simple %.4g ± %.2g vs %.4g", r.b_simple, r.b_simple_se, trace / grad_sq))
  H.eq(r.b_simple_se < 0.3 * r.b_simple, true, "a usable error")
  H.eq(tostring(r):find("gradient noise scale", 1, true) ~= nil, true)
  H.raises(function() monitor.noise_scale(model, nn.MSE(), ds, {small = 64, big = 64}) end, "need 1 ≤ small < big, got small 64, big 64")
end)

test("monitor.landscape{trajectory =}: a path in a known plane, its principal directions and the loss over them", function()
  -- offsets from the end a·e1 + b·e2 with Σab = 0: the directions are ±e1, ±e2 and explain 20/24 and 4/24
  local c = tensor.from({1, 2, 3, 4, 5}, "f64")
  local theta = tensor.from({0.5, -0.2, 0.1, 0.3, -0.4}, "f64"):requires_grad()
  local final = theta:detach():clone()
  local e1, e2 = tensor.from({1, 1, 0, 0, 0}, "f64") / math.sqrt(2), tensor.from({0, 0, 1, 0, 0}, "f64")
  local a, b = {3, -3, 1, -1}, {1, 1, -1, -1}
  local sets = {}
  for i = 1, 4 do sets[i] = {final + e1 * a[i] + e2 * b[i]} end
  sets[5] = {final}
  local f = function() return (c * theta * theta):sum() end
  local file = os.tmpname() .. ".svg"
  local r = monitor.landscape{loss = f, params = {theta}, trajectory = sets, grid = 5, file = file}
  H.close(r.explained[1], 20 / 24, 1e-12); H.close(r.explained[2], 4 / 24, 1e-12)
  local v1, v2 = r.directions[1][1], r.directions[2][1]
  local s1, s2 = (v1 * e1):sum():item(), (v2 * e2):sum():item()
  H.close(math.abs(s1), 1, 1e-12, "the first direction is ±e1"); H.close(math.abs(s2), 1, 1e-12, "the second ±e2")
  for i = 1, 4 do
    H.close(r.path[i][1], a[i] * s1, 1e-12, "α of checkpoint " .. i); H.close(r.path[i][2], b[i] * s2, 1e-12, "β of checkpoint " .. i)
  end
  H.eq(r.path[5][1], 0); H.eq(r.path[5][2], 0)
  H.close(r.alphas[5], 1.25 * 3, 1e-12, "the grid spans the path and a quarter more")
  for i, alpha in ipairs(r.alphas) do
    for j, beta in ipairs(r.betas) do
      local p = final + v1 * alpha + v2 * beta
      H.close(r.values[i][j], (c * p * p):sum():item(), 1e-12, "the loss at grid point " .. i .. "," .. j)
    end
  end
  H.eq(theta[1], 0.5, "the parameters are put back")
  local svg = io.open(file):read("a"); os.remove(file)
  H.eq(svg:find("<polyline", 1, true) ~= nil and select(2, svg:gsub("<circle", "")) == 5, true, "the path is drawn, one dot a checkpoint")
  H.raises(function() monitor.landscape{loss = f, params = {theta}, trajectory = {sets[1], sets[5]}} end, "at least 3 checkpoints")
end)

test("train.fit's sharpness under Adam: the preconditioned top eigenvalue of D·H against Adam's own moments and edge", function()
  -- loss 1.5·‖θ‖²: H = 3·I, so D·H's top eigenvalue is 3·max 1/(√v̂ + ε) = 3·(the largest effective rate)/lr
  local Q = nn.Module:extend("HalfSquare")
  function Q:init() self.theta = nn.Parameter(tensor.from({1, -2, 0.5, 3})) end
  function Q:forward(x) return (self.theta * self.theta):sum() * 1.5 + x * 0 end
  local ds = data.dataset(tensor.zeros{8, 1}, tensor.zeros{8, 1}, {targets = "values"})
  local m = Q()
  local opt = optim.Adam(m, {lr = 0.1, beta1 = 0.8})
  local h = train.fit{model = m, loss = function(s) return s:mean() end, optimizer = opt, train = ds, batch = 2, epochs = 2, quiet = true,
    monitor = {sharpness = {every = 8, batch = 8, iters = 10}}}
  local s = h.sharpness[#h.sharpness]
  H.eq(s.step, 8)
  -- (the observer's products are one-sided differences: ~1e-8 relative)
  H.close(s.value, 3, 1e-6, "the raw sharpness")
  local rates = opt:probes({"effective_lr"}).parameters.theta
  H.close(s.preconditioned, 3 * rates.effective_lr_max / 0.1, 1e-6, "the preconditioned sharpness")
  H.close(s.preconditioned_edge, (2 + 2 * 0.8) / ((1 - 0.8) * 0.1), 1e-12, "Adam's edge (2 + 2β₁)/((1 − β₁)η)")
  -- plain SGD has no preconditioner to measure
  local q = Q()
  local sgd = train.fit{model = q, loss = function(x) return x:mean() end, optimizer = optim.SGD(q, {lr = 0.1}), train = ds, batch = 8,
    epochs = 1, quiet = true, monitor = {sharpness = {every = 1, batch = 8, iters = 5}}}
  H.eq(sgd.sharpness[1].preconditioned, nil)
  H.close(sgd.sharpness[1].value, 3, 1e-6)
end)

test("train.fit's noise-scale observer: the closed form at a standing point, and training untouched", function()
  local model, ds, exact = least_squares()
  local n, d = 1500, 6
  -- a rate of 1e-300 leaves w where it is: every measurement is of the same point, averaged
  local h = train.fit{model = model, loss = nn.MSE(), optimizer = optim.SGD(model, {lr = 1e-300}), train = ds, batch = 4, epochs = 1,
    quiet = true, monitor = {noise_scale = {every = 5, big = 64, rounds = 10, decay = 0.5}}}
  local last = h.noise_scale[#h.noise_scale]
  H.eq(#h.noise_scale, math.floor(n / 4 / 5), "one measurement every 5 steps")
  H.eq(last.batch, 4)
  H.eq(math.abs(last.value - exact) < 0.15 * exact, true, string.format("averaged B_simple %.4g vs exact %.4g", last.value, exact))
  -- with a real rate, the run is the run it would be without the observer, bit for bit
  local function fit(monitor)
    tensor.seed(9)
    local m = nn.Sequential{nn.Linear(d, 8), nn.Tanh(), nn.Dropout(0.2), nn.Linear(8, 1)}:to("f64")
    return train.fit{model = m, loss = nn.MSE(), optimizer = optim.SGD(m, {lr = 0.01, momentum = 0.9}), train = ds, batch = 32,
      epochs = 2, quiet = true, seed = 3, monitor = monitor}
  end
  local plain, watched = fit(nil), fit({noise_scale = {every = 10}})
  H.eq(#watched.noise_scale > 0, true)
  for i, l in ipairs(plain.loss) do H.eq(watched.loss[i], l, "epoch " .. i) end
  H.raises(function() fit({noise_scale = {small = 8, big = 8}}) end, "big (8) must be more than small (8)")
  H.raises(function() fit({noise_scale = {evry = 8}}) end, "takes every, small, big, rounds and decay")
end)

test("monitor.landscape: the line between two models, a checkpoint, and the plane of a closure, against closed forms", function()
  tensor.seed(6)
  local x = tensor.randn({50, 3}, "f64")
  local y = tensor.randn({50, 1}, "f64")
  local function lin() return nn.Sequential{nn.Linear(3, 1, {bias = false})}:to("f64") end
  local model, a, b = lin(), lin(), lin()
  local ds = data.dataset(x, y, {targets = "values"})
  local r = monitor.landscape{model = model, loss = nn.MSE(), data = ds, between = {a, b}, points = 5}
  -- the loss at (1 − α)·wa + α·wb, worked directly
  local wa, wb = a:parameters()[1], b:parameters()[1]
  for i, alpha in ipairs(r.alphas) do
    local w = wa * (1 - alpha) + wb * alpha
    local e = x:matmul(w:t()) - y
    H.close(r.values[i], (e * e):mean():item(), 1e-12, "α = " .. alpha)
  end
  H.eq(r.barrier, 0, "least squares is convex along the line")
  -- an end may be the measured model itself
  local r3 = monitor.landscape{model = b, loss = nn.MSE(), data = ds, between = {a, b}, points = 5}
  H.all_close(r3.values, r.values, 1e-12, "b as an end and as the model measured")
  local path = os.tmpname()
  b:save(path)
  local r2 = monitor.landscape{model = model, loss = nn.MSE(), data = ds, between = {a, path}, points = 5, file = path .. ".svg"}
  H.all_close(r2.values, r.values, 1e-12)
  H.eq(io.open(path .. ".svg") ~= nil, true, "the plot was written")
  os.remove(path); os.remove(path .. ".svg")
  -- the closure form, 2-D: f = Σ θ² is |θ0 + αd1 + βd2|²; at the centre, |θ0|²
  local theta = tensor.from({{1, 2}, {3, 4}}, "f64")
  local p = monitor.landscape{params = {theta}, loss = function() return (theta * theta):sum() end, grid = 3, span = 0.5, seed = 1}
  H.eq(#p.values, 3); H.close(p.values[2][2], 30, 1e-12)
  H.all_close(theta, {1, 2, 3, 4}, 0, "θ put back")
  H.raises(function() monitor.landscape{model = model, loss = nn.MSE(), data = ds, between = {a, tensor.zeros{2}}} end, "between[2] must be a model")
  -- a NaN weight, a loss that is not one number: told, not drawn
  local broken = lin(); broken:parameters()[1][1][2] = 0 / 0
  H.raises(function() monitor.landscape{model = model, loss = nn.MSE(), data = ds, between = {a, broken}} end,
    "b (between's second), tensor 1, holds 1 non-finite value (the first: nan)")
  H.raises(function() monitor.landscape{model = broken, loss = nn.MSE(), data = ds, grid = 3} end, "the centre (the weights), tensor 1, holds 1 non-finite value")
  H.raises(function() monitor.landscape{model = model, loss = function(s, t) return s - t end, data = ds, grid = 3} end,
    "the loss must be one number, got shape [50,1]")
end)

test("monitor.grad_norms: each example's gradient against the closed form, one pass against one a example, and the noise scale from them", function()
  tensor.seed(8)
  -- linear regression: ℓ_i = (w·x_i + b − y_i)², so ∇w = 2 r_i x_i, ∇b = 2 r_i and |∇| = 2|r_i|·√(|x_i|² + 1)
  local x, y = tensor.randn({12, 3}, "f64"), tensor.randn({12, 1}, "f64")
  local model = nn.Sequential{nn.Linear(3, 1)}:to("f64")
  local ds = data.dataset(x, y, {targets = "values"})
  local w, b = model:parameters()[1], model:parameters()[2]
  w.grad = tensor.ones({1, 3}, "f64")                  -- a gradient the measurement must leave as it was
  local r = monitor.grad_norms(model, nn.MSE(), ds)
  H.eq(r.method, "linear")
  local rs = x:matmul(w:t()) + b - y
  local sum, sumsq = tensor.zeros({4}, "f64"), 0
  for i = 1, 12 do
    local ri, xi = rs[i][1], x[i]
    local want = 2 * math.abs(ri) * math.sqrt((xi * xi):sum():item() + 1)
    H.close(r.norms[i], want, 1e-12, "example " .. i)
    sumsq = sumsq + want * want
  end
  -- the batch's gradient: the mean of the examples'
  local gw = (rs * x):mean(1) * 2
  local gb = rs:mean():item() * 2
  local g2 = (gw * gw):sum():item() + gb * gb
  H.close(r.batch_grad_norm, math.sqrt(g2), 1e-12)
  local trace = 12 / 11 * (sumsq / 12 - g2)
  H.close(r.trace_sigma, trace, 1e-10); H.close(r.grad_sq, g2 - trace / 12, 1e-10); H.close(r.b_simple, r.trace_sigma / r.grad_sq, 1e-12)
  H.all_close(w.grad, {1, 1, 1}, 0, "the model's gradient as it was")
  -- an MLP: one pass equals one pass an example; a BatchNorm model is measured an example at a time
  local mlp = nn.Sequential{nn.Linear(3, 5), nn.Tanh(), nn.Dropout(0.5), nn.Linear(5, 3)}:to("f64")
  local labels = tensor.from({1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3}, "i32")
  local cls = data.dataset(x, labels)
  local fast = monitor.grad_norms(mlp, nn.SoftmaxCrossEntropy(), cls)
  local slow = monitor.grad_norms(mlp, nn.SoftmaxCrossEntropy(), cls, {method = "loop"})
  H.eq(fast.method, "linear"); H.eq(slow.method, "loop")
  H.all_close(fast.norms, slow.norms, 1e-10, "one pass = one an example")
  H.eq(mlp.training, true, "the mode as it was")
  local bn = nn.Sequential{nn.Linear(3, 5), nn.BatchNorm(5), nn.Tanh(), nn.Linear(5, 3)}:to("f64")
  H.eq(monitor.grad_norms(bn, nn.SoftmaxCrossEntropy(), cls).method, "loop")
  -- a loss that does not average its rows (an ignored label) is caught by the two-example check
  local ignoring = monitor.grad_norms(mlp, nn.SoftmaxCrossEntropy{ignore_index = 3}, cls)
  local ignoring_slow = monitor.grad_norms(mlp, nn.SoftmaxCrossEntropy{ignore_index = 3}, cls, {method = "loop"})
  H.eq(ignoring.method, "loop"); H.all_close(ignoring.norms, ignoring_slow.norms, 0)
  H.raises(function() monitor.grad_norms(bn, nn.SoftmaxCrossEntropy(), cls, {method = "linear"}) end, "needs a Sequential whose layers with parameters are all Linear")
  H.raises(function() monitor.grad_norms(nn.Sequential{nn.Tanh()}, nn.SoftmaxCrossEntropy(), cls) end, "no parameters that require grad")
  H.raises(function() monitor.grad_norms(mlp, nn.SoftmaxCrossEntropy(), cls:take(1)) end, "at least 2 examples")
  local broken = mlp:clone(); broken:parameters()[1][2][3] = 0 / 0   -- (a data set refuses NaN inputs itself)
  H.raises(function() monitor.grad_norms(broken, nn.SoftmaxCrossEntropy(), cls) end, "the parameter 1.weight holds 1 non-finite value")
  H.raises(function() monitor.grad_norms(mlp, function(s, t) return s end, cls) end, "the loss must be one number")
  H.eq(tostring(r):find("per-example gradient norms of 12 examples", 1, true) ~= nil, true)
end)

test("monitor.landscape{workers = 2}: the same grid, bit for bit, from two worker processes; what cannot go to them is refused", function()
  tensor.seed(3)
  local x = tensor.randn({1500, 6})                    -- two batches of the thousand a pass takes
  local y = tensor.from((function() local t = {} for i = 1, 1500 do t[i] = i % 3 + 1 end return t end)(), "i32")
  local ds = data.dataset(x, y)
  local model = nn.Sequential{nn.Linear(6, 8), nn.BatchNorm(8), nn.Tanh(), nn.Linear(8, 3)}
  model(x)                                             -- BatchNorm's running statistics move off their start
  local spec = {model = model, loss = nn.SoftmaxCrossEntropy{label_smoothing = 0.1}, data = ds, grid = 5, span = 2, seed = 4}
  local before = model:parameters()[1]:clone()
  local here = monitor.landscape(spec)
  spec.workers = 2
  local dir = os.tmpname(); os.remove(dir)
  spec.dir = dir
  local started, there = pcall(monitor.landscape, spec)
  if not started then
    -- optlab as a module of plain lua5.4: no executable to start workers with, and it says so
    H.eq(tostring(there):find("cannot start worker processes", 1, true) ~= nil, true, tostring(there))
    H.eq(package.loaded.optlab ~= nil, true, "only the Lua module lacks worker processes")
    return
  end
  for i = 1, 5 do for j = 1, 5 do H.eq(there.values[i][j], here.values[i][j], "row " .. i .. ", column " .. j) end end
  H.eq(#there.rows_here, 0, "every row came from a worker")
  H.eq(here.values[1][1] ~= here.values[3][3], true, "the surface is not flat")
  -- the folder given is kept: a row a file, one number a line
  local f = io.open(dir .. "/row-4.txt"); local text = f:read("a"); f:close()
  local k = 0
  for line in text:gmatch("[^\n]+") do k = k + 1; H.eq(tonumber(line), here.values[5][k], "row 5 as written") end
  H.eq(k, 5)
  os.execute("rm -rf '" .. dir .. "'")
  H.eq((model:parameters()[1] - before):abs():max():item(), 0, "the model's parameters are where they were")
  -- a Lua function, a line, a model with a Lua module: not for workers
  local theta = tensor.from({1, 2}, "f64")
  H.raises(function() monitor.landscape{params = {theta}, loss = function() return (theta * theta):sum() end, grid = 3, workers = 2} end,
    "workers need model =, data = and a built-in loss =")
  H.raises(function() monitor.landscape{model = model, loss = nn.SoftmaxCrossEntropy(), data = ds, between = {model, model}, workers = 2} end,
    "workers evaluate 2-D grids")
  local Twice = nn.Module:extend("Twice")
  function Twice:forward(z) return z * 2 end
  local custom = nn.Sequential{nn.Linear(6, 3), Twice()}
  H.raises(function() monitor.landscape{model = custom, loss = nn.SoftmaxCrossEntropy(), data = ds, grid = 3, workers = 2} end,
    "modules defined in Lua")
  H.raises(function() monitor.landscape{model = model, loss = nn.SoftmaxCrossEntropy(), data = ds, grid = 3, workers = 2, backend = "ssh"} end,
    'backend must be "local" or "slurm", got "ssh"')
  H.raises(function() monitor.landscape{model = model, loss = nn.SoftmaxCrossEntropy(), data = ds, grid = 3, workers = 0} end, "workers must be 1…1024, got 0")
  H.raises(function() monitor.landscape{model = model, loss = nn.SoftmaxCrossEntropy(), data = ds, grid = 3, dir = "x"} end, "dir is the job folder of workers = N")
end)

test("the range test and the landscapes carry their pictures for a notebook", function()
  local ds = data.spiral{classes = 3, per_class = 20}
  local model = nn.Sequential{nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 3)}
  local r = train.lr_find{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(model, {lr = 0.1}), train = ds, steps = 20, batch = 20}
  local l = monitor.landscape{model = model, loss = nn.SoftmaxCrossEntropy(), data = ds, grid = 3}
  for _, x in ipairs{r, l} do
    local mime = getmetatable(x).__mime(x)
    H.eq(mime["text/plain"], x.report)
    H.eq(mime["image/svg+xml"]:match("^<svg") ~= nil, true, "an SVG picture")
    H.eq(tostring(x), x.report)
  end
  H.eq(r.svg:find("learning rate", 1, true) ~= nil, true, "the range test's axis")
end)
