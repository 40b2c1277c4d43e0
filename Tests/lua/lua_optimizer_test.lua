local H, file = ...
local test = function(name, fn) H.test(file .. ": " .. name, fn) end
-- Update rules written in Lua: against the built-in Adam and a transcribed
-- Lion, with schedules, ratios, saving, groups and train.fit.

local LuaAdam = optim.Optimizer:extend("LuaAdam", {lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8})
function LuaAdam:update(p, g, state, group)
  state.t = (state.t or 0) + 1
  state.m = state.m or tensor.zeros(p:shape(), p:dtype())
  state.v = state.v or tensor.zeros(p:shape(), p:dtype())
  state.m:mul_(group.beta1):add_(g, 1 - group.beta1)
  state.v:mul_(group.beta2):addcmul_(g, g, 1 - group.beta2)
  local mhat = state.m / (1 - group.beta1 ^ state.t)
  local denom = (state.v / (1 - group.beta2 ^ state.t)):sqrt_():add_(group.eps)
  p:addcdiv_(mhat, denom, -group.lr)
end

local Lion = optim.Optimizer:extend("Lion", {lr = 1e-4, beta1 = 0.9, beta2 = 0.99})
function Lion:update(p, g, state, group)
  state.m = state.m or tensor.zeros(p:shape(), p:dtype())
  local c = state.m * group.beta1 + g * (1 - group.beta1)
  p:sub_(c:sign(), group.lr)
  state.m:mul_(group.beta2):add_(g, 1 - group.beta2)
end

local function quadratic(p, target) p.grad = nil; ((p - target) ^ 2):sum():backward() end

test("Adam written with Optimizer:extend follows optim.Adam to 1e-12 (f64, 100 steps)", function()
  tensor.seed(7)
  local target = tensor.randn({6}, "f64")
  local p1 = tensor.randn({6}, "f64"):requires_grad()
  local p2 = p1:detach():clone():requires_grad()
  local a, b = optim.Adam({p1}, {lr = 0.01}), LuaAdam({p2}, {lr = 0.01})
  for _ = 1, 100 do quadratic(p1, target); quadratic(p2, target); a:step(); b:step() end
  H.eq((p1 - p2):abs():max():item() <= 1e-12, true, "largest difference " .. (p1 - p2):abs():max():item())
  H.eq(tostring(b):find("LuaAdam", 1, true) ~= nil, true, tostring(b))
end)

test("Lion against its transcription; schedules, ratios and monitor.ratios see it", function()
  local p = tensor.from({1, -2, 0.5}, "f64"):requires_grad()
  local opt = Lion({p}, {lr = 0.1})
  local x, m = {1, -2, 0.5}, {0, 0, 0}
  local sign = function(v) return v > 0 and 1 or (v < 0 and -1 or 0) end
  for _ = 1, 3 do
    p.grad = p * 2
    opt:step()
    for i = 1, 3 do
      local g = 2 * x[i]
      local c = 0.9 * m[i] + 0.1 * g
      x[i] = x[i] - 0.1 * sign(c)
      m[i] = 0.99 * m[i] + 0.01 * g
    end
  end
  H.all_close(p, x, 1e-15, "three Lion steps")
  local _, ratio = next(opt:ratios())
  local want = 0.1 * math.sqrt(3) / p:norm():item()   -- each Lion step moves every element by lr
  H.close(ratio, want, 1e-12, "the update/weight ratio from the change the step made")
  H.eq(tostring(monitor.ratios(opt)) ~= "", true)
  optim.step_decay(opt, {every = 1, factor = 0.1}):step()
  H.close(opt:lr(), 0.01, 1e-15, "the schedule set the rate update() sees")
  local before = p:totable()
  p.grad = p * 2; opt:step()
  H.close(math.abs(p:totable()[1] - before[1]), 0.01, 1e-12, "Lion's step is the rate")
end)

test("a Lua rule's state is saved and loaded: resuming continues on the same trajectory", function()
  tensor.seed(8)
  local target = tensor.randn({4}, "f64")
  local function run(split)
    local p = tensor.from({1, 2, 3, 4}, "f64"):requires_grad()
    local opt = LuaAdam({p}, {lr = 0.05})
    local path = os.tmpname()
    for i = 1, 20 do
      if split and i == 11 then
        opt:save(path)
        local q = p:detach():clone():requires_grad()
        p = q
        opt = LuaAdam({p}, {lr = 0.05})
        opt:load(path)
      end
      quadratic(p, target); opt:step()
    end
    os.remove(path)
    return p:totable()
  end
  H.all_close(run(true), run(false), 0, "bit-identical after a save and a load")
end)

test("groups, train.fit and errors", function()
  local m = nn.Sequential{nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 3)}
  local opt = LuaAdam({{params = m[1]:parameters(), lr = 0.03}, {params = m[3]:parameters()}}, {lr = 0.01})
  local h = train.fit{model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = opt, train = data.spiral{classes = 3, per_class = 40},
                      epochs = 30, batch = 40, quiet = true}
  H.eq(h.loss[#h.loss] < h.loss[1], true, "it trains")
  H.raises(function() LuaAdam({tensor.zeros(1):requires_grad()}, {lr = 0.1, beta = 0.5}) end, "LuaAdam: unknown option 'beta' (did you mean 'beta1'?)")
  local NoUpdate = optim.Optimizer:extend("NoUpdate")
  H.raises(function() NoUpdate({tensor.zeros(1)}) end, "NoUpdate has no update method")
  H.raises(function() optim.Optimizer:extend("Bad", {lr = "fast"}) end, "default lr must be a named number")
  local Failing = optim.Optimizer:extend("Failing", {lr = 0.1})
  function Failing:update() error("update fails here") end
  local p = tensor.zeros(2):requires_grad(); p.grad = tensor.ones(2)
  H.raises(function() Failing({p}):step() end, "update fails here")
end)
