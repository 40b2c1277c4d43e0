-- optlab's prelude: help, and the Lua halves of check, monitor, nn.Ensemble
-- and ds:batches. P holds the Swift primitives (P.check.grad, ...), which
-- raise their errors at the user's line and under their public names.
local P, docs, modules, A = ...
local summaries, M = {}, {}
for _, m in ipairs(modules) do summaries[m[1]], M[m[1]] = m[2], m[3] end
local tensor, nn, data, optim, check, monitor = M.tensor, M.nn, M.data, M.optim, M.check, M.monitor

-- Method tables of the object kinds, by the name help shows ("Module:train").
local classes = {{"Tensor", tensor.Tensor}, {"Module", nn.Module}, {"Dataset", data.Dataset}, {"Optimizer", optim.Optimizer},
  {"Text", P.classes.Text}, {"Schedule", P.classes.Schedule}, {"Average", P.classes.Average}, {"LBFGS", P.classes.LBFGS}}

-- nn.Ensemble{m1, m2} builds one; nn.Ensemble.load{paths} from checkpoints.
local make_ensemble, load_ensemble = P.nn.Ensemble, P.nn.Ensemble_load
nn.Ensemble = setmetatable({load = load_ensemble}, {__call = function(_, members) return make_ensemble(members) end})
docs["nn.Ensemble"] = "nn.Ensemble{model, model, ...}\n\nAverages the class probabilities of its members (returns log-probabilities).\n  local e = nn.Ensemble{m1, m2}; local acc = train.accuracy(e, test)"
docs["autograd.Function"] = "autograd.Function{name=, forward=function(ctx, ...) ... end, backward=function(ctx, grad_out) ... end}\n\n" ..
  "A function with a hand-written backward pass. forward runs without recording and returns a tensor;\n" ..
  "backward gets the output's gradient and returns one gradient per argument (nil for none). ctx:save(...)\n" ..
  "keeps values for backward, ctx:saved() returns them, ctx:kink(mask) records branches for the gradient\n" ..
  "check. check.model checks every Function alone and names one whose backward is wrong.\n" ..
  "  local Square = autograd.Function{name = \"Square\", forward = function(ctx, x) ctx:save(x); return x * x end,\n" ..
  "    backward = function(ctx, g) local x = ctx:saved(); return g * x * 2 end}"
docs["Module:extend"] = "nn.Module:extend(name [, {help=}])\n\n" ..
  "A module class written in Lua. Define Class:init(...) and Class:forward(x); call Class(...) for an instance.\n" ..
  "Modules and nn.Parameter tensors assigned to its fields become its children and parameters (named by\n" ..
  "path: 2.fc1.weight); self:buffer(name, t) registers state; other fields are its own. Everything that works\n" ..
  "on a model works on it; save with model:save, load into a built model with model:load_weights.\n" ..
  "  local Residual = nn.Module:extend(\"Residual\")\n" ..
  "  function Residual:init(d) self.fc = nn.Linear(d, d) end\n" ..
  "  function Residual:forward(x) return x + self.fc(x):relu() end"
docs["nn.Parameter"] = "nn.Parameter(t)\n\nMarks t as a parameter (requires grad): assigned to a Lua module's field, it becomes one of its parameters.\n" ..
  "  local Scale = nn.Module:extend(\"Scale\")\n" ..
  "  function Scale:init() self.gain = nn.Parameter(tensor.ones{1}) end"
docs["Optimizer:extend"] = "optim.Optimizer:extend(name, {lr=1e-3, <hyperparameter>=...})\n\n" ..
  "An update rule written in Lua: define Class:update(p, g, state, group), which changes p in place (it runs\n" ..
  "without recording); state is p's own table (its tensors and numbers are saved by opt:save), group holds the\n" ..
  "hyperparameters with lr as the schedule sets it. Class(params [, opts]) is an optimizer like the built-ins.\n" ..
  "  local Signum = optim.Optimizer:extend(\"Signum\", {lr = 1e-3, beta = 0.9})\n" ..
  "  function Signum:update(p, g, state, group)\n" ..
  "    state.m = state.m or tensor.zeros(p:shape(), p:dtype())\n" ..
  "    state.m:mul_(group.beta):add_(g, 1 - group.beta)\n" ..
  "    p:sub_(state.m:sign(), group.lr)\n" ..
  "  end"
docs["nn.Ensemble.load"] = "nn.Ensemble.load{path, path, ...}\n\nAn ensemble of models loaded from checkpoints."
docs["monitor.colors"] = "monitor.colors = false\n\nWhether monitor.plot draws in ANSI colours (the REPL sets it on a colour terminal).\n  monitor.colors = true"

-- An argument of a Lua-written public function must be of its kind (P.kind
-- names optlab's objects: "Dataset", "Module", ...; other values by type).
-- optim.Multi's parts may name their rule by its constructor (opt = optim.Muon)
local multi = optim.Multi
optim.Multi = function(parts, ...)
  if type(parts) == "table" then
    local named = {}
    for i, part in ipairs(parts) do
      named[i] = part
      if type(part) == "table" and type(part.opt) == "function" then
        local copy = {}
        for k, v in pairs(part) do copy[k] = v end
        for name, f in pairs(optim) do if f == part.opt then copy.opt = name end end
        named[i] = copy
      end
    end
    parts = named
  end
  return multi(parts, ...)
end

local function expect(fname, i, v, kind)
  local got = P.kind(v)
  if got ~= kind then P.argument_error(fname, i, kind:lower() .. " expected, got " .. got) end
end

-- check: results print as their report; the Swift functions are wrapped here.
local report_mt = {__tostring = function(r) return r.report end}

-- Rich forms, for hosts that show more than text (the notebook kernel):
-- a value's __mime returns {[mime type] = data}, binary data base64-encoded
-- as Jupyter carries it. A report shows as its text, with the ✗ lines in red.
local function html_escape(s) return (s:gsub("[&<>\"]", {["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;"})) end
local function html_report(text)
  local lines = {}
  for line in (text .. "\n"):gmatch("(.-)\n") do
    local l = html_escape(line)
    if line:find("✗", 1, true) or line:find("FAILED", 1, true) then l = '<span style="color:#c00">' .. l .. "</span>"
    elseif line:find("✓", 1, true) then l = '<span style="color:#080">' .. l .. "</span>" end
    lines[#lines + 1] = l
  end
  return '<pre style="font-family:monospace;line-height:1.25">' .. table.concat(lines, "\n") .. "</pre>"
end
report_mt.__mime = function(r) return {["text/plain"] = r.report, ["text/html"] = html_report(r.report)} end
-- optlab's later Lua files (bench/) add their help and print their reports the same way
P.docs, P.report_mt = docs, report_mt
local function reported(r) setmetatable(r, report_mt); if r.data then setmetatable(r.data, report_mt); setmetatable(r.reg, report_mt) end; return r end
local cgrad, cmodel, cinit, creg, cover = P.check.grad, P.check.model, P.check.initial_loss, P.check.regularization, P.check.overfit
function check.grad(f, params, opts) return reported(cgrad(f, params, opts)) end
-- check.model also checks every autograd.Function the model ran, alone, at
-- the arguments it received: a wrong backward is named before the model's rows.
function check.model(model, loss, x, y, opts)
  local r, functions = A.check_functions(function() return cmodel(model, loss, x, y, opts) end, check)
  r = reported(r)
  if #functions > 0 then
    local lines = {"Lua modules and functions with a hand-written backward, each checked alone at the inputs it received:"}
    for _, f in ipairs(functions) do
      r.ok = r.ok and f.ok
      lines[#lines + 1] = string.format("  %s %-20s worst relative error %.2e%s", f.ok and "✓" or "✗", f.name, f.worst,
        f.ok and "" or "  ← its backward is wrong")
    end
    r.functions = functions
    r.report = table.concat(lines, "\n") .. "\n\n" .. r.report
  end
  return r
end
-- check.hvp and check.hessian take a closure and its parameters, or a model,
-- its loss and a batch (the loss of model(x) against y).
local function curvature_args(name, a, b, c, d, e, f)
  if type(a) == "function" then return a, b, c, d end
  expect(name, 1, a, "Module")
  local mt = type(b) ~= "function" and getmetatable(b)
  if type(b) ~= "function" and not (type(mt) == "table" and mt.__call) then
    P.argument_error(name, 2, "a loss or function(scores, labels) expected, got " .. P.kind(b))
  end
  return function() return b(a(c), d) end, a, e, f
end
local chvp, chess = P.check.hvp, P.check.hessian
function check.hvp(a, b, c, d, e, g)
  local f, params, v, opts = curvature_args("check.hvp", a, b, c, d, e, g)
  local product = chvp(f, params, v, opts)
  if #product == 1 and type(v) ~= "table" then return product[1] end
  return product
end
-- The model form also measures λ1 on each half of the batch (unless
-- stability = false): how much the top eigenvalue depends on which examples
-- were taken is what tells whether the batch was large enough (PyHessian#5).
local function is_tensor(t) local mt = getmetatable(t); return type(mt) == "table" and mt.__name == "optlab.Tensor" end
function check.hessian(a, b, c, d, e)
  local f, params, opts = curvature_args("check.hessian", a, b, c, d, e)
  local stability = true
  if type(a) ~= "function" and type(opts) == "table" and opts.stability ~= nil then
    stability = opts.stability
    if type(stability) ~= "boolean" then P.argument_error("check.hessian", 5, "option 'stability' must be true or false, got " .. P.kind(stability)) end
    local copy = {}
    for k, v in pairs(opts) do if k ~= "stability" then copy[k] = v end end
    opts = copy
  end
  local r = chess(f, params, opts)
  if type(a) ~= "function" and is_tensor(c) and is_tensor(d) then
    local n = c:size(1)
    r.examples = n
    local note = string.format("\non a batch of %d examples", n)
    if stability and n >= 4 and d:size(1) == n then
      local o = {top = 1}
      for _, k in ipairs{"iters", "tol", "seed", "difference"} do o[k] = opts and opts[k] end
      -- the odd and the even examples: halves alike even when the batch is sorted by class
      local function top(first)
        local picked = {}
        for i = first, n, 2 do picked[#picked + 1] = i end
        local idx = tensor.from(picked, "i32")
        local xs, ys = c:index_select(1, idx), d:index_select(1, idx)
        return chess(function() return b(a(xs), ys) end, params, o).eigenvalues[1]
      end
      local l1, l2 = top(1), top(2)
      local spread = math.abs(l1 - l2) / math.max(math.abs(r.eigenvalues[1]), 1e-300)
      r.halves, r.halves_spread = {l1, l2}, spread
      note = note .. string.format("; λ1 on its odd and even examples: %.4g and %.4g (%.1f%% of λ1 apart)", l1, l2, 100 * spread)
      if spread > 0.1 then
        note = note .. "\n  warning: the top eigenvalue depends on which examples are taken; measure on a larger batch"
      end
    end
    r.report = r.report .. note
  end
  return reported(r)
end
function check.initial_loss(model, loss, x, y, classes) return reported(cinit(model, loss, x, y, classes)) end
function check.regularization(model, loss, x, y) return reported(creg(model, loss, x, y)) end
function check.overfit(model, loss, x, y, opts) return reported(cover(model, loss, x, y, opts)) end
-- preflight: every check in order, as a checklist with advice.
function check.preflight(model, loss, ds, opts)
  expect("check.preflight", 1, model, "Module")
  expect("check.preflight", 3, ds, "Dataset")
  P.check_options("check.preflight", 4, opts, {"reg", "n"})
  opts = opts or {}
  local x, y = ds:inputs(), ds:labels()
  local few = math.min(3, ds:size())
  local lines, all = {}, true
  local function add(r)
    all = all and r.ok
    lines[#lines + 1] = r.report or tostring(r)
  end
  add(check.initial_loss(model, loss, x, y, ds:classes()))
  add(check.regularization(model, loss, x, y))
  local g = check.model(model, loss, x:narrow(1, 1, few), y:narrow(1, 1, few), {reg = opts.reg or 0})
  all = all and g.ok
  local failed = "FAILED (print the result for the table)"
  for _, row in ipairs(g.data.rows or {}) do
    if row.verdict == "NaN or inf" then failed = "FAILED: the loss or its gradient is NaN or infinite (see the initial loss above)" end
  end
  lines[#lines + 1] = (g.ok and "✓ " or "✗ ") .. "gradient check on " .. few .. " examples: " .. (g.ok and "the gradients check out" or failed)
  add(check.overfit(model, loss, x, y, {n = opts.n or 20}))
  lines[#lines + 1] = all and "preflight: all checks passed; go train" or "preflight: fix the ✗ items before training"
  return setmetatable({ok = all, grad = g, report = table.concat(lines, "\n")}, report_mt)
end
-- printed as its report; in a notebook, its picture beside it
local pictured_mt = {__tostring = function(r) return r.report end,
  __mime = function(r) return {["text/plain"] = r.report, ["image/svg+xml"] = r.svg} end}
local train, clrfind = M.train, P.train.lr_find
function train.lr_find(opts) return setmetatable(clrfind(opts), pictured_mt) end
docs["train.lr_find"] = "train.lr_find{model=, loss=, optimizer=, train=, start=1e-7, stop=10, steps=100, batch=64, smooth=0.98, diverge=4, seed=0, seeds=1, clip=, file=, log=}\n\n" ..
  "The learning-rate range test (Smith 2017; fastai's lr_find): steps with the rate growing exponentially\nfrom start to stop, " ..
  "the loss smoothed by a bias-corrected moving average, stopped when it passes diverge× its\nbest. " ..
  "Returns r.lrs, r.losses, r.smoothed and r.suggestions: steepest (the fastest fall per decade),\nmin10 (a tenth of the " ..
  "minimum's rate) and valley (fastai's); with seeds = k each seed's (r.seeds)\nand their spread (r.spread). The model, its " ..
  "buffers, the optimizer's state and rate and the\ngenerator are restored bit for bit afterwards. Prints the curve; file = \"lr.svg\" draws every\nseed's; " ..
  "log = \"runs/x\" keeps it in that run's folder (lr_find.json) for the run's page.\n" ..
  "  local r = train.lr_find{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = opt, train = tr}; print(r)"
local checkdocs = {
  ["check.grad"] = "check.grad(f, params [, {h=1e-5 or \"sweep\", per_param=10, seed=0, burn_in={steps=, optimizer=}}])\n\nThe notes' gradient check: centred differences in f64 on the parameters (a model or tensors), a few\nsampled dimensions of every parameter, randomness replayed, kinks detected, the notes' verdicts.\n  local r = check.grad(function() return loss_fn(model(x), y) end, model); print(r); assert(r.ok)",
  ["check.hvp"] = "check.hvp(model, loss, x, y, v [, {difference=\"central\"}]) or check.hvp(f, params, v [, {...}])\n\nThe Hessian of the loss times v (a list of tensors shaped like the parameters; a tensor for one\nparameter): the central difference of two gradients in f64, displacement 1e-5 (~1e-10 relative), or with\ndifference = \"forward\" one gradient a product against the centre's (~1e-8); the parameters restored\nafterwards. Returns a list shaped like v.\n  local hv = check.hvp(model, nn.SoftmaxCrossEntropy(), x, y, model:parameters())",
  ["check.hessian"] = "check.hessian(model, loss, x, y [, {top=1, trace=false, samples=100, iters=100, tol=1e-6, seed=0, density=false, difference=\"central\", stability=true}]) or check.hessian(f, params [, {...}])\n\nThe top eigenvalues of the loss's Hessian (Lanczos with full reorthogonalisation from a seeded random\nstart, stopped when each residual ‖Hu − λu‖ is within tol·|λ|; r.eigenvalues largest first,\nr.eigenvectors, r.residuals, r.iterations, r.converged) and, with trace = true, Hutchinson's trace\nestimate over Rademacher samples with its standard error (r.trace, r.trace_se). density = true (or\n{runs = 4, steps = 60}) adds the spectral density by stochastic Lanczos quadrature: r.density.nodes and\n.weights (the fraction of the spectrum at each node), .grid and .values (smoothed), a histogram in the\nreport. Products crossing a kink are counted (r.kinked). The model form also measures λ1 on the odd and\nthe even examples " ..
  "(r.halves, r.halves_spread; stability = false skips it) and warns when they differ by over\n10% of λ1: the batch is too " ..
  "small for a stable estimate. Prints as a report.\n  local r = check.hessian(model, nn.SoftmaxCrossEntropy(), x, y, {top = 2}); print(r.eigenvalues[1])",
  ["check.model"] = "check.model(model, loss, x, y [, {reg=0}])\n\nChecks the data loss with regularization off, then the regularization term alone, and warns when\nregularization would dominate the gradient at reg.",
  ["check.initial_loss"] = "check.initial_loss(model, loss, x, y)\n\nThe loss at initialisation against chance: ln(C) for softmax, margin·(C-1) for the SVM.",
  ["check.regularization"] = "check.regularization(model, loss, x, y)\n\nMore regularization must mean more loss.",
  ["check.overfit"] = "check.overfit(model, loss, x, y [, {n=20, steps=300}])\n\nTrains a copy on n examples (no regularization): it should reach ~zero loss and 100% accuracy.",
  ["check.preflight"] = "check.preflight(model, loss, dataset [, {reg=0, n=20}])\n\nAll of the above in order, as a checklist with advice.\n  print(check.preflight(model, nn.SoftmaxCrossEntropy(), tr:take(200)))",
}
for k, v in pairs(checkdocs) do docs[k] = v end

-- "2.weight" before "10.weight": names compared part by part, numbers as numbers.
local function natural_less(a, b)
  local pa, pb = {}, {}
  for part in a:gmatch("[^.]+") do pa[#pa + 1] = part end
  for part in b:gmatch("[^.]+") do pb[#pb + 1] = part end
  for i = 1, math.min(#pa, #pb) do
    if pa[i] ~= pb[i] then
      local na, nb = tonumber(pa[i]), tonumber(pb[i])
      if na and nb then return na < nb end
      return pa[i] < pb[i]
    end
  end
  return #pa < #pb
end
-- monitor: results print as their report.
local mhist, mlayers, mratios, mplot, mdiag = P.monitor.hist, P.monitor.layers, P.monitor.ratios, P.monitor.plot, P.monitor.diagnose
monitor.colors = false   -- the REPL sets this on a terminal
local hist_mt = {__tostring = report_mt.__tostring, __mime = function(h)
  return {["text/plain"] = h.report, ["image/svg+xml"] = P.monitor.svg_hist(h.counts, h.edges, "histogram")}
end}
function monitor.hist(t, opts) return setmetatable(mhist(t, opts), hist_mt) end
-- monitor.layers shows as a table with a histogram per layer, monitor.ratios as a chart against the notes' band.
local layers_mt = {__tostring = report_mt.__tostring, __mime = function(l)
  return {["text/plain"] = l.report, ["text/html"] = P.monitor.html_layers(l.rows)}
end}
local ratios_mt = {__tostring = report_mt.__tostring, __mime = function(r)
  local names, values = {}, {}
  for name in pairs(r.ratios) do names[#names + 1] = name end
  table.sort(names, natural_less)
  for i, name in ipairs(names) do values[i] = r.ratios[name] end
  return {["text/plain"] = r.report, ["image/svg+xml"] = P.monitor.svg_ratios(names, values)}
end}
function monitor.layers(model) return setmetatable(mlayers(model), layers_mt) end
function monitor.ratios(opt) return setmetatable(mratios(opt), ratios_mt) end
local mland = P.monitor.landscape
function monitor.landscape(spec) return setmetatable(mland(spec), pictured_mt) end
docs["monitor.landscape"] = "monitor.landscape{model=, loss=, data=, between={a, b}, points=25} or {model=, loss=, data=, grid=21, span=1, seed=0, trajectory=} or {params={...}, loss=function() ... end, ...}\n\n" ..
  "Loss landscapes. 1-D (between = {a, b}: models, checkpoints' paths or lists of tensors in the\nparameters' order): the " ..
  "loss at (1 − α)·a + α·b for points values of α from 0 to 1, and the barrier\n(the largest rise above the straight line " ..
  "between the ends). 2-D: the loss on a grid × grid plane\naround the current parameters along two random filter-normalised " ..
  "directions (Li et al. 2018: each\nfilter scaled to the weights' filter norm; biases and norms left out), α and β in [−span, span]. " ..
  "With\ntrajectory = {checkpoint, ..., checkpoint} (the last is the centre): the plane of the path's two principal\n" ..
  "directions (the top singular vectors of the checkpoints' offsets from the last), the span fitted to the path,\n" ..
  "r.path (each checkpoint's α, β), r.explained (each direction's share) and r.directions. The\nmodel form averages the " ..
  "loss over data in evaluation mode; the parameters are put back afterwards.\n" ..
  "file = \"x.svg\" writes the plot (the path drawn over the plane). r.alphas, r.values (r.betas and a grid of values for 2-D),\n" ..
  "r.seconds (the grid's time). log = \"runs/x\" keeps the result in that run's folder for its page\n(landscape-line.json, landscape-plane.json; the latest of each kind).\n" ..
  "workers = N evaluates a 2-D grid in N other processes, each every N-th row (the model, a built-in loss and\nthe batches " ..
  "go to them in a job folder; the same values bit for bit): local processes of one\nthread each, or with " ..
  "backend = \"slurm\" the N tasks of a job array (sbatch = {options}; the folder,\ndir = or one in the current directory, " ..
  "must be on a file system the nodes share). Rows a worker\ndid not deliver are evaluated here and listed in r.rows_here.\n" ..
  "  local r = monitor.landscape{model = model, loss = nn.SoftmaxCrossEntropy(), data = tr:take(200), grid = 5}; print(r)"
local mgradnorms = P.monitor.grad_norms
function monitor.grad_norms(model, loss, ds, opts) return setmetatable(mgradnorms(model, loss, ds, opts), report_mt) end
docs["monitor.grad_norms"] = "monitor.grad_norms(model, loss, dataset [, {method = \"auto\" | \"linear\" | \"loop\"}])\n\n" ..
  "Each example's own gradient norm |∇θ loss(x_i, y_i)| over the data set's examples, in evaluation mode.\nA Sequential " ..
  "whose layers with parameters are all Linear, on [N, features] inputs, takes one pass\n(each example's weight gradient is " ..
  "its output gradient times its input: Goodfellow 2015); any other\nmodel one pass an example (r.method says which). " ..
  "r.norms, r.batch_grad_norm, and from them\nunbiased tr(Σ) and |G|² and B_simple = tr(Σ)/|G|² (one batch's rough noise " ..
  "scale; monitor.noise_scale\naverages many). The model's gradients are left as they were.\n" ..
  "  local r = monitor.grad_norms(model, nn.SoftmaxCrossEntropy(), tr:take(64)); print(r)"
local mnoise = P.monitor.noise_scale
function monitor.noise_scale(model, loss, ds, opts) return setmetatable(mnoise(model, loss, ds, opts), report_mt) end
docs["monitor.noise_scale"] = "monitor.noise_scale(model, loss, dataset [, {small=32, big=512, steps=20, seed=0}])\n\n" ..
  "The gradient noise scale B_simple = tr(Σ)/|G|² (McCandlish et al. 2018): the batch size beyond which\na larger batch stops " ..
  "speeding training up proportionally. Unbiased estimates of |G|² and tr(Σ) from\nthe gradient norms of batches of two sizes " ..
  "(examples drawn with replacement), steps rounds;\nr.b_simple with its jackknife standard error r.b_simple_se, " ..
  "r.trace_sigma, r.grad_sq. The\nparameters are not changed. Prints as a report.\n" ..
  "  local r = monitor.noise_scale(model, nn.SoftmaxCrossEntropy(), tr, {small = 32, big = 256, steps = 5}); print(r)"
function monitor.diagnose(h) return setmetatable(mdiag(h), report_mt) end
local plot_mt = {__tostring = report_mt.__tostring, __mime = function(r)
  return {["text/plain"] = r.report, ["image/svg+xml"] = P.monitor.svg_plot(r.spec)}
end}
function monitor.plot(series)
  expect("monitor.plot", 1, series, "table")
  local s = {}
  for k, v in pairs(series) do s[k] = v end
  if s.colors == nil then s.colors = monitor.colors end
  local spec = {}
  for k, v in pairs(series) do if k ~= "file" and k ~= "colors" then spec[k] = v end end
  return setmetatable({report = mplot(s), spec = spec}, plot_mt)
end
-- monitor.weights: the first layer's weights as an image (a PNG in a notebook, a file with file=).
local mweights = P.monitor.weights
local weights_mt = {__tostring = report_mt.__tostring, __mime = function(w)
  return {["text/plain"] = w.report, ["image/png"] = (P.monitor.png_weights(w.model, w.scale, w.max_tiles))}
end}
function monitor.weights(model, opts)
  local width, height, scale, max_tiles = mweights(model, opts)
  local file = type(opts) == "table" and opts.file or nil
  return setmetatable({model = model, width = width, height = height, scale = scale, max_tiles = max_tiles, file = file,
    report = string.format("first-layer weights, a %d×%d PNG%s", width, height, file and (" written to " .. file) or "")}, weights_mt)
end

-- Tensors show as a table of their values, models as their layers and parameters.
local registry = debug.getregistry()
if registry["optlab.Tensor"] then
  registry["optlab.Tensor"].__mime = function(t) return {["text/plain"] = tostring(t), ["text/html"] = P.monitor.html_tensor(t)} end
end
if registry["optlab.Module"] then
  registry["optlab.Module"].__mime = function(m)
    local named, names, total = m:named_parameters(), {}, 0
    for name in pairs(named) do names[#names + 1] = name end
    table.sort(names, natural_less)
    local rows = {}
    for _, name in ipairs(names) do
      local p = named[name]
      local shape = table.concat(p:size(), "×")
      total = total + p:numel()
      rows[#rows + 1] = string.format('<tr><td style="padding:1px 8px">%s</td><td style="padding:1px 8px">%s</td><td style="padding:1px 8px;text-align:right">%d</td></tr>',
        html_escape(name), shape, p:numel())
    end
    local html = '<pre style="font-family:monospace">' .. html_escape(tostring(m)) .. '</pre><table style="font-family:monospace;border-collapse:collapse">' ..
      '<tr><th style="text-align:left;padding:1px 8px">parameter</th><th style="text-align:left;padding:1px 8px">shape</th><th style="padding:1px 8px">count</th></tr>' ..
      table.concat(rows) .. string.format('<tr><td style="padding:1px 8px"><b>total</b></td><td></td><td style="padding:1px 8px;text-align:right"><b>%d</b></td></tr></table>', total)
    return {["text/plain"] = tostring(m), ["text/html"] = html}
  end
end

docs["display"] = "display(x, ...)\n\nShows each value in its richest form: in a notebook, plots and histograms as images, tensors and models\nas tables; elsewhere, as its text.\n  display(monitor.plot{loss = h.loss})"
-- display(x, ...): shows each value in its richest form where the host can
-- (the notebook kernel replaces this global); here, as its text.
local function display(...)
  for i = 1, select("#", ...) do print(tostring((select(i, ...)))) end
end
local monitordocs = {
  ["monitor.hist"] = "monitor.hist(t [, {bins=20, range={lo, hi}}])\n\nA histogram (numpy's bins) that prints as bars; h.counts and h.edges for scripts.\n  print(monitor.hist(model:parameters()[1]))",
  ["monitor.layers"] = "monitor.layers(model)\n\nAfter a forward and backward pass of a watched model: per layer, activation mean/std, saturated\nand dead fractions, gradient mean/std, a compact histogram, and flags.\n  monitor.watch(model); loss_fn(model(x), y):backward(); print(monitor.layers(model))",
  ["monitor.ratios"] = "monitor.ratios(opt)\n\nPer parameter, the update/weight norm ratio of the last step (the notes: ~1e-3), with advice.",
  ["monitor.plot"] = "monitor.plot{name = values, ... [, x = values, log=false, logx=false, epochs=n, width=60, height=15, file=\"loss.svg\", title=, xlabel=]}\n\nLine plots in the terminal (braille); with epochs, every series spans the epochs at its own resolution;\nwith x, every series is plotted against those x values (logx: on a log axis); file also writes an SVG.\nA key that is neither a series (a list of numbers) nor an option is refused.\n  print(monitor.plot{loss = h.loss, val = h.val_acc, epochs = #h.val_acc, file = \"curves.svg\"})\n  print(monitor.plot{x = lrs, loss = losses, logx = true, xlabel = \"learning rate\"})",
  ["monitor.weights"] = "monitor.weights(model [, {file=\"w1.png\", scale=2, max_tiles=256}])\n\nThe first layer's weights as an image grid (each Linear row as the input image,\nor each conv filter), every tile normalised: shown in a notebook, written as PNG with file.\n  monitor.weights(model, {file = \"w1.png\"})",
  ["monitor.diagnose"] = "monitor.diagnose(history)\n\nReads a train.fit history and says what the notes would: flat, exploding or noisy loss,\noverfitting, underfitting.",
}
for k, v in pairs(monitordocs) do docs[k] = v end
docs["hp.search"] = "hp.search{space=, trial=function(cfg, budget) ... end, stages=, ...}\n\nRandom search (reproducible from seed and trial number; method=\"tpe\" for TPE after 10 random trials, as Optuna's;\nmethod=\"grid\" for comparison), coarse to fine: after each\nstage every numeric range narrows to the best trials' span. Each trial gets its folder cfg.dir and a budget: pass\nboth to train.fit (log = cfg.dir, budget = budget) for its epochs, checkpoints, stop_above=3 in stage 1, resume\nfrom its last epoch, and early stopping: a trial whose loss (or error) is over factor x the median of its stage's\nothers at the same point stops (prune=false keeps all). A custom loop calls budget.report{at=epochs_done, loss=,\nval_acc=} and stops when it answers. summary.jsonl lists finished trials; running it again resumes. Warns when the best\nvalue sits at a range's edge. The same script runs under `optlab sweep script.lua --workers N` (N worker\nprocesses) or `optlab sweep script.lua --backend slurm [--parallel P]` (one Slurm job array per stage).\nOptions: name, dir=\"runs\", space, trial, stages={{trials=40, epochs=1}, ...} (or trials=N), seed=0,\nscore=\"val_acc\", method=\"random\", \"tpe\" or \"grid\", prune={factor=1.5, min_trials=4, warmup=0.5} or false, quiet,\nscheduler={kind=\"asha\", min_epochs=1, max_epochs=27, eta=3}: asynchronous successive halving (each trial starts at\nmin_epochs; the top 1/eta of a rung goes on to eta times the epochs, resuming from its own checkpoint);\nseeds=k runs each configuration k times, cfg.seed = 1..k (the generator seeded with it; pass it to train.fit's seed),\neach in cfg.dir = <trial>/seed-<s>, and scores it by the mean (score_std and seed_scores beside it).\n  local r = hp.search{name = \"mlp\", space = {lr = hp.loguniform(1e-4, 1)}, trials = 20,\n    trial = function(cfg, budget)\n      local m = nn.Sequential{nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 10)}\n      local h = train.fit{model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(m, {lr = cfg.lr}),\n        train = tr, val = val, log = cfg.dir, budget = budget}\n      return {val_acc = h.best.val_acc}\n    end}"
docs["nn.Ensemble.checkpoints"] = "nn.Ensemble.checkpoints(dir, k)\n\nAn ensemble of one run's k best checkpoints (by the score in their names): the notes' cheap ensemble.\n  local e = nn.Ensemble.checkpoints(\"runs/exp1\", 4)"
docs["nn.Ensemble.top"] = "nn.Ensemble.top(k, \"runs/<name>\")\n\nAn ensemble of the k best trials' best checkpoints."

-- ds:batches(size, {shuffle=false, seed=nil}): an iterator of (inputs, labels 1..C)
-- that fetches one batch at a time, in a seeded order when shuffled.
local order, gather = P.data.order, P.data.gather
function data.Dataset.batches(ds, size, opts)
  if math.type(size) ~= "integer" and not (type(size) == "number" and size == math.floor(size)) or size < 1 then
    P.argument_error("Dataset:batches", 1, "batch size must be a positive integer")
  end
  local perm, n, start = order(ds, opts), ds:size(), 0
  return function()
    if start >= n then return nil end
    local x, y = gather(ds, perm, start, size)
    start = start + size
    return x, y
  end
end
docs["Dataset:batches"] = "ds:batches(size [, {shuffle=false, seed}])\n\nAn iterator over minibatches: inputs and labels (1..C). Shuffled batches follow the seeded generator.\n  for xb, yb in tr:batches(256, {shuffle = true}) do opt:zero_grad(); loss_fn(model(xb), yb):backward(); opt:step() end"

-- model:generate(ids, n, {temperature=1, top_k=, block=}): a language model's
-- continuation, one token at a time: the last position's logits (of at most
-- `block` tokens of context), divided by the temperature, cut to the top_k,
-- sampled from the global generator (tensor.seed replays it).
local generate_options = {"temperature", "top_k", "block"}
local function shape_text(t) return "[" .. table.concat(t:size(), ", ") .. "]" end
P.option_keys["Module:generate"] = generate_options
function nn.Module.generate(model, ids, n, opts)
  if P.kind(model) ~= "Module" then P.argument_error("Module:generate", 0, "a model expected (call it as model:generate(...)), got " .. P.kind(model)) end
  P.check_options("Module:generate", 3, opts, generate_options)
  opts = opts or {}
  if P.kind(ids) ~= "Tensor" then P.argument_error("Module:generate", 1, "a tensor of token ids ([T] or [B, T]) expected, got " .. P.kind(ids)) end
  if ids:dim() < 1 or ids:dim() > 2 or ids:numel() == 0 then
    P.argument_error("Module:generate", 1, "token ids [T] or [B, T] expected, got shape " .. shape_text(ids))
  end
  if math.type(n) ~= "integer" or n < 0 then P.argument_error("Module:generate", 2, "a count of tokens (a non-negative integer) expected, got " .. tostring(n)) end
  local temperature, top_k, block = opts.temperature or 1, opts.top_k, opts.block
  if type(temperature) ~= "number" or temperature <= 0 then P.argument_error("Module:generate", 3, "temperature must be positive, got " .. tostring(temperature)) end
  if top_k ~= nil and (math.type(top_k) ~= "integer" or top_k < 1) then P.argument_error("Module:generate", 3, "top_k must be a positive integer, got " .. tostring(top_k)) end
  if block ~= nil and (math.type(block) ~= "integer" or block < 1) then P.argument_error("Module:generate", 3, "block must be a positive integer, got " .. tostring(block)) end
  local single = ids:dim() == 1
  local out = (single and ids:unsqueeze(1) or ids):to("i32")
  local was_training = model.training
  model:evaluate()
  local ok, err = pcall(tensor.no_grad, function()
    for _ = 1, n do
      local t = out:size(2)
      local context = (block and t > block) and out:narrow(2, t - block + 1, block) or out
      local logits = model(context)
      if logits:dim() ~= 3 then
        P.fail("Module:generate", "the model should give logits [B, T, V] for ids [B, T], got shape " .. shape_text(logits))
      end
      logits = logits:narrow(2, logits:size(2), 1):squeeze(2) / temperature
      if top_k and top_k < logits:size(2) then
        local kth = logits:topk(top_k, 2):narrow(2, top_k, 1)
        logits = logits:masked_fill(logits:lt(kth), -math.huge)
      end
      out = tensor.cat({out, logits:softmax(2):multinomial(1):to("i32")}, 2)
    end
  end)
  if was_training then model:train() else model:evaluate() end
  if not ok then error(err, 0) end
  return single and out:squeeze(1) or out
end
docs["Module:generate"] = "model:generate(ids, n [, {temperature=1, top_k, block}])\n\n" ..
  "A language model's continuation of ids ([T] or [B, T] token ids): n more tokens, each sampled from the\n" ..
  "softmax of the last position's logits / temperature, kept to the top_k most likely when given, the model\n" ..
  "seeing at most block tokens of context. The model maps ids [B, T] to logits [B, T, V]. Runs in evaluation\n" ..
  "mode without a graph; the draws follow tensor.seed. Returns the ids with the new tokens appended.\n" ..
  "  local lm = nn.Sequential{nn.Embedding(#text.vocab, 16), nn.Linear(16, #text.vocab)}\n" ..
  "  print(text:decode(lm:generate(text:encode(\"To \"), 40, {top_k = 5, block = 16})))"

-- qualified name of a value: "tensor.zeros", "Tensor:matmul", or a module name
local function name_of(x)
  for _, m in ipairs(modules) do
    local t = m[3]
    if x == t then return m[1], true end
    if type(t) == "table" then
      for k, v in pairs(t) do
        if v == x and docs[m[1] .. "." .. k] then return m[1] .. "." .. k end
      end
    end
  end
  for k, v in pairs(nn.Ensemble) do   -- nn.Ensemble.load, nn.Ensemble.top
    if v == x and docs["nn.Ensemble." .. k] then return "nn.Ensemble." .. k end
  end
  for _, c in ipairs(classes) do
    for k, v in pairs(c[2]) do
      if v == x and docs[c[1] .. ":" .. k] then return c[1] .. ":" .. k end
    end
  end
end

-- The first sentence of a help text's description, whole (its lines joined;
-- the examples, indented, left out): a listing never cuts one mid-sentence.
local function first_sentence(text)
  local paragraph = {}
  for line in ((text:match("\n\n(.*)$") or "") .. "\n"):gmatch("(.-)\n") do
    if line:match("^  ") or line == "" then break end
    paragraph[#paragraph + 1] = line
  end
  local s = table.concat(paragraph, " ")
  local from = 1
  while true do   -- the first ". " that ends a sentence (not "e.g. ", "i.e. ", "etc. ", "vs. ")
    local at = s:find("%.%s", from)
    if not at then return s end
    local word = s:sub(1, at):match("(%S+)$") or ""
    if not (word == "e.g." or word == "i.e." or word == "etc." or word == "vs." or word == "al.") then return s:sub(1, at) end
    from = at + 1
  end
end

-- Every member of a module (or the methods of a class): each documented
-- function, those documented under another name whose signature is the
-- module's (nn.Module:extend), and the module's classes.
local function list(prefix, sep)
  local names, seen = {}, {}
  for q, text in pairs(docs) do
    local sig = text:match("^[^\n]*")
    if q:sub(1, #prefix + 1) == prefix .. sep or (sep == "." and sig:sub(1, #prefix + 1) == prefix .. ".") then
      names[#names + 1] = q; seen[q] = true
    end
  end
  table.sort(names, function(a, b) return docs[a]:match("^[^\n]*") < docs[b]:match("^[^\n]*") end)
  local out = {}
  for _, q in ipairs(names) do
    local sig = docs[q]:match("^[^\n]*")
    out[#out + 1] = #sig <= 44 and string.format("  %-44s %s", sig, first_sentence(docs[q]))
      or string.format("  %s\n  %-44s %s", sig, "", first_sentence(docs[q]))
  end
  for _, c in ipairs(classes) do
    if M[prefix] and M[prefix][c[1]] == c[2] then
      out[#out + 1] = string.format("  %-44s %s", prefix .. "." .. c[1], "the " .. c[1] .. " class: help(" .. prefix .. "." .. c[1] .. ") lists its methods.")
    end
  end
  return table.concat(out, "\n")
end

-- What help(x) prints, as a string (the notebook kernel's inspection uses it).
local function help_text(x)
  if x == nil then
    local out = {"optlab modules (help(module) lists its functions, help(f) explains one):"}
    for _, m in ipairs(modules) do out[#out + 1] = string.format("  %-10s %s", m[1], m[2]) end
    out[#out + 1] = "  (objects)  help(x) lists the methods of a tensor, model, data set or optimizer x"
    return table.concat(out, "\n")
  end
  if type(x) == "string" then
    if docs[x] then return docs[x] end
    if summaries[x] then x = M[x] else return "no help for '" .. x .. "'", false end
  end
  for _, c in ipairs(classes) do
    local mt = getmetatable(x)
    if x == c[2] or (type(x) == "userdata" and mt and mt.__name == "optlab." .. c[1]) then
      return c[1] .. " methods:\n" .. list(c[1], ":")
    end
  end
  local q, is_module = name_of(x)
  if is_module then
    return q .. ": " .. summaries[q] .. "\n" .. list(q, ".")
  elseif q and docs[q] then
    return docs[q]
  end
  return "no help for this " .. type(x) .. " value", false
end

local function help(x) print((help_text(x))) end

-- What help() knows, for the editor definitions (definitions.lua): every
-- documented name's text, the libraries, the classes, the option keys.
local function registry()
  local copy, mods, names, keys = {}, {}, {}, {}
  for q, text in pairs(docs) do copy[q] = text end
  for _, m in ipairs(modules) do mods[#mods + 1] = {m[1], m[2]} end
  for _, c in ipairs(classes) do names[#names + 1] = c[1] end
  for q, list in pairs(P.option_keys) do keys[q] = list end
  return {docs = copy, modules = mods, classes = names, option_keys = keys}
end

return help, help_text, display, registry
