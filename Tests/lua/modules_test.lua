local H, file = ...
local test = function(name, fn) H.test(file .. ": " .. name, fn) end
-- Modules written in Lua: everything that works on a built-in model works on
-- one that contains them.

local function tmpdir() local d = os.tmpname(); os.remove(d); return d end

local Residual = nn.Module:extend("Residual")
function Residual:init(d)
  self.fc1 = nn.Linear(d, d)
  self.fc2 = nn.Linear(d, d)
  self.gain = nn.Parameter(tensor.ones{1})
  self.width = d
end
function Residual:forward(x) return x + self.fc2(self.fc1(x):relu()) * self.gain end

-- A module with a buffer, a dropout child, and behaviour that depends on training mode.
local Noisy = nn.Module:extend("Noisy")
function Noisy:init(d)
  self.drop = nn.Dropout(0.5)
  self.scale = nn.Parameter(tensor.ones{d})
  self:buffer("calls", tensor.zeros(1))
end
function Noisy:forward(x)
  if self.training then self.calls:add_(1) end
  return self.drop(x) * self.scale
end

local function model_with(block, d)
  return nn.Sequential{nn.Linear(2, d), block, nn.ReLU(), nn.Linear(d, 3)}
end

test("children and parameters come from the fields, named by path", function()
  local m = model_with(Residual(8), 8)
  local names = {}
  for _, p in ipairs(m:parameters()) do names[#names + 1] = p.name end
  H.eq(table.concat(names, " "), "1.weight 1.bias 2.gain 2.fc1.weight 2.fc1.bias 2.fc2.weight 2.fc2.bias 4.weight 4.bias")
  H.eq(m[2].width, 8, "a plain field"); H.eq(m[2].fc1.weight:shape()[1], 8, "a child's parameter through the field")
  H.eq(tostring(m[2]), "Residual(fc1: Linear(8 -> 8), fc2: Linear(8 -> 8))")
  H.eq(#m[2]:children(), 2)
  H.eq(m:num_parameters(), 2 * 8 + 8 + 1 + 2 * (8 * 8 + 8) + 8 * 3 + 3)
  -- reassigning a field replaces the child in its place; assigning nil removes it
  local r = Residual(4)
  r.fc2 = nn.Linear(4, 4, {bias = false})
  H.eq(#r:parameters(), 4, "fc2 lost its bias")
  r.fc2 = nil
  H.eq(#r:children(), 1)
end)

test("train/evaluate reach Lua modules, which read self.training; buffers are kept", function()
  local n = Noisy(4)
  local m = nn.Sequential{nn.Linear(4, 4), n}
  m(tensor.ones(2, 4))
  H.eq(n.calls:item(), 1)
  m:evaluate()
  H.eq(n.training, false)
  m(tensor.ones(2, 4))
  H.eq(n.calls:item(), 1, "no count in evaluate mode")
  H.eq(m:state()["2.calls"] ~= nil, true, "the buffer is in the state")
  local y = m(tensor.ones(2, 4))
  H.all_close(y:reshape{-1}, m[1](tensor.ones(2, 4)):reshape{-1}:totable(), 1e-6, "no dropout when evaluating")
end)

test("zero_grad, to('f64'), clone (a deep copy), save and load_weights", function()
  local m = model_with(Residual(4), 4)
  local x = tensor.randn{3, 2}
  m(x):sum():backward()
  H.eq(m[2].gain.grad ~= nil, true); m:zero_grad(); H.eq(m[2].gain.grad, nil)
  local c = m:clone()
  H.all_close(c(x):reshape{-1}, m(x):reshape{-1}:totable(), 0, "the clone computes the same")
  tensor.no_grad(function() c[2].gain:fill_(5) end)
  H.eq(m[2].gain:item(), 1, "the clone's parameters are its own")
  H.eq(c[2].width, 4, "plain fields are copied")
  H.eq(c[2].fc1 == m[2].fc1, false, "the clone's field reads its own child")
  tensor.no_grad(function() c[2].fc1.weight:fill_(0) end)
  H.eq(m[2].fc1.weight:abs():sum():item() > 0, true, "and that child's weights are its own")
  local r = Residual(2)
  r.gain = 3
  H.eq(r.gain, 3, "a parameter's field replaced by a plain value")
  r.gain = nn.Parameter(tensor.full({1}, 2))
  H.eq(r.gain:item(), 2, "and a parameter again: no stale plain field shadows it")
  H.eq(#r:parameters(), 5)
  local path = tmpdir() .. ".safetensors"
  m:save(path)
  local back = model_with(Residual(4), 4)
  back:load_weights(path)
  H.all_close(back(x):reshape{-1}, m(x):reshape{-1}:totable(), 0)
  H.raises(function() nn.load(path) end, "holds a model with modules defined in Lua")
  os.remove(path)
  m:to("f64")
  H.eq(m[2].gain:dtype(), "f64", "the field reads the converted parameter")
  H.eq(m(x:to("f64")):dtype(), "f64")
end)

test("check.grad and check.model, in f64 and with dropout's mask replayed", function()
  tensor.seed(5)
  local m = nn.Sequential{nn.Linear(3, 6), Residual(6), Noisy(6), nn.Linear(6, 2)}
  local x, y = tensor.randn{4, 3}, tensor.from({1, 2, 2, 1}, "i32")
  local r = check.model(m, nn.SoftmaxCrossEntropy(), x, y)
  H.eq(r.ok, true, tostring(r))
  H.eq(m[2].gain:dtype(), "f32", "back in f32 afterwards")
  local g = check.grad(function() return nn.SoftmaxCrossEntropy()(m(x), y) end, m)
  H.eq(g.ok, true, tostring(g))
end)

test("check.model checks each Lua module alone and names one that cuts the graph", function()
  local Cut = nn.Module:extend("Cut")
  function Cut:init() self.fc = nn.Linear(3, 3) end
  function Cut:forward(x) return self.fc(x):detach() + x end    -- the bug: fc never learns
  tensor.seed(3)
  local m = nn.Sequential{nn.Linear(2, 3), Residual(3), Cut(), nn.Linear(3, 2)}
  local r = check.model(m, nn.SoftmaxCrossEntropy(), tensor.randn{4, 2}, tensor.from({1, 2, 2, 1}, "i32"))
  H.eq(r.ok, false)
  local by = {}
  for _, f in ipairs(r.functions) do by[f.name] = f end
  H.eq(by["Residual (module)"].ok, true, "the residual block checks out alone")
  H.eq(by["Cut (module)"].ok, false, "the module that detaches is named")
  H.eq(r.report:find("✗ Cut (module)", 1, true) ~= nil, true, r.report)
end)

test("every optimizer, EMA and train.fit train a model made of Lua modules", function()
  local ds = data.spiral{classes = 3, per_class = 60, seed = 1}
  for _, make in ipairs{
      function(m) return optim.SGD(m, {lr = 0.3, momentum = 0.9}) end,
      function(m) return optim.Adam(m, {lr = 0.02}) end,
      function(m) return optim.RMSprop(m, {lr = 0.01}) end,
      function(m) return optim.Adagrad(m, {lr = 0.3}) end} do
    tensor.seed(2)
    local m = model_with(Residual(32), 32)
    local opt = make(m)
    local ema = optim.EMA(m, {decay = 0.9})
    local h = train.fit{model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = opt, train = ds, epochs = 40, batch = 60,
                        average = ema, quiet = true}
    H.eq(h.loss[#h.loss] < h.loss[1] * 0.6, true, tostring(opt) .. " lowers the loss: " .. h.loss[1] .. " -> " .. h.loss[#h.loss])
    H.eq(train.accuracy(m, ds) > 0.6, true, tostring(opt) .. " accuracy " .. train.accuracy(m, ds))
  end
end)

test("Nesterov, AdamW, L-BFGS, a Lua rule and Polyak averaging on a model of Lua modules", function()
  local ds = data.spiral{classes = 3, per_class = 40, seed = 2}
  local Sign = optim.Optimizer:extend("SignSGD", {lr = 0.01})
  function Sign:update(p, g, state, group) p:sub_(g:sign(), group.lr) end
  for _, make in ipairs{
      function(m) return optim.SGD(m, {lr = 0.2, momentum = 0.9, nesterov = true}) end,
      function(m) return optim.AdamW(m, {lr = 0.02}) end,
      function(m) return Sign(m, {lr = 0.01}) end} do
    tensor.seed(4)
    local m = model_with(Residual(16), 16)
    local polyak = optim.Polyak(m)
    local h = train.fit{model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = make(m), train = ds, epochs = 25, batch = 40,
                        average = polyak, quiet = true}
    H.eq(h.loss[#h.loss] < h.loss[1] * 0.8, true, "the loss falls: " .. h.loss[1] .. " -> " .. h.loss[#h.loss])
    H.eq(train.accuracy(polyak:model(), ds) > 0.4, true, "the Polyak average is a working model")
  end
  tensor.seed(5)
  local m = model_with(Residual(8), 8)
  local loss = nn.SoftmaxCrossEntropy()
  local lbfgs = optim.LBFGS(m, {max_iter = 30})
  local x, y = ds:inputs(), ds:labels()
  local l0 = loss(m(x), y):item()
  lbfgs:step(function() return loss(m(x), y) end)
  H.eq(loss(m(x), y):item() < l0 * 0.9, true, "L-BFGS lowers the loss of a model with a Lua module")
end)

test("monitor, the run folder's histograms and nn.Ensemble see Lua modules", function()
  local ds = data.spiral{classes = 2, per_class = 20}
  local m = model_with(Residual(8), 8)
  local dir = tmpdir()
  train.fit{model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(m, {lr = 0.1}), train = ds, epochs = 1,
            batch = 10, log = dir, quiet = true}
  local f = io.open(dir .. "/histograms.jsonl"); local text = f:read("a"); f:close()
  H.eq(text:find("2 Residual", 1, true) ~= nil, true, "the Lua module's output is histogrammed")
  monitor.watch(m)
  nn.SoftmaxCrossEntropy()(m(ds:inputs()), ds:labels()):backward()
  local layers = monitor.layers(m)
  H.eq(tostring(layers):find("Residual", 1, true) ~= nil, true, "monitor.layers shows it")
  local paths = {}
  for _, r in ipairs(layers.rows) do paths[#paths + 1] = r.layer:match("^(%S+)") end
  H.eq(table.concat(paths, " "), "Linear(2 Residual(fc1: ReLU Linear(8 2.fc1 2.fc2", "its children appear by their paths")
  H.eq(layers.rows[5].grad_std ~= nil, true, "with their gradients")
  local e = nn.Ensemble{m, m:clone()}
  H.close(train.accuracy(e, ds), train.accuracy(m, ds), 1e-9, "an ensemble of two copies is the model")
end)

test("mistakes in Lua modules are clear errors", function()
  local NoForward = nn.Module:extend("NoForward")
  H.raises(function() NoForward()(tensor.zeros(1, 2)) end, "NoForward has no forward method")
  local Wrong = nn.Module:extend("Wrong")
  function Wrong:forward() return 3 end
  H.raises(function() Wrong()(tensor.zeros(1)) end, "forward must return a tensor, got number")
  H.raises(function() nn.Module:extend("X", {halp = "x"}) end, "Module:extend: unknown option 'halp' (did you mean 'help'?)")
  H.raises(function() nn.Module:extend("not a name") end, "a class name expected")
  H.raises(function() local l = nn.Linear(2, 2); l.weight = tensor.zeros(2, 2) end, "cannot set field 'weight' on Linear(2 -> 2)")
  H.raises(function() nn.Linear(2, 2):buffer("b", tensor.zeros(1)) end, "buffers are registered by Lua-defined modules")
  H.raises(function() nn.Parameter(3) end, "bad argument #1 to 'nn.Parameter' (tensor expected, got number)")
  -- a subclass inherits its parent's methods
  local Wider = Residual:extend("Wider")
  function Wider:init(d) Residual.init(self, d); self.extra = nn.Linear(d, d) end
  local w = Wider(3)
  H.eq(#w:children(), 3); H.eq(w(tensor.zeros(2, 3)):shape()[2], 3)
  H.eq(tostring(Wider), "nn.Module class Wider")
  -- a module inside itself would make an endless tree (the fuzz found seq:add(seq))
  local s = nn.Sequential{nn.Linear(2, 2)}
  H.raises(function() s:add(s) end, "Module:add: a module cannot be inside itself")
  H.raises(function() s:add(nn.Sequential{s}) end, "a module cannot be inside itself")
  local r = Residual(2)
  H.raises(function() r.me = r end, "a module cannot be its own child")
  local holder = Residual(2)
  holder.inner = nn.Sequential{nn.Linear(2, 2)}
  H.raises(function() holder.inner.x = 1 end, "cannot set field 'x' on Sequential")
end)
