-- autograd.Function: a function with a hand-written backward pass, the
-- thing the gradient check exists to check (PyTorch's autograd.Function).
--
--   local Square = autograd.Function{name = "Square",
--     forward = function(ctx, x) ctx:save(x); return x * x end,
--     backward = function(ctx, g) local x = ctx:saved(); return g * x * 2 end}
--   local y = Square(x)
--
-- forward runs without recording, on whatever it is given (tensors, numbers,
-- tables); backward gets the output's gradient and returns one gradient per
-- argument (nil for none, and for arguments that are not tensors).
local P, autograd, tensor = ...

local Ctx = {}
Ctx.__index = Ctx

-- ctx:save(a, b, ...) keeps values for backward; ctx:saved() gives them back.
function Ctx:save(...) rawset(self, "_saved", table.pack(...)) end
function Ctx:saved()
  local s = rawget(self, "_saved")
  if not s then return end
  return table.unpack(s, 1, s.n)
end
-- ctx:kink(mask): which branch each element took (mask non-zero or not), so
-- check.grad reports kinks crossed inside this function apart from failures.
function Ctx:kink(mask)
  if P.kind(mask) ~= "Tensor" then P.argument_error("ctx:kink", 1, "tensor expected, got " .. P.kind(mask)) end
  P.autograd.kink(rawget(self, "_function"), mask)
end

-- While check.model runs, the first call of each Function is kept with its
-- arguments, to check that Function alone afterwards.
local recording

local Function = {}
Function.__index = Function
function Function.__tostring(F) return "autograd.Function(" .. F.name .. ")" end

function Function.__call(F, ...)
  local args = table.pack(...)
  local ctx = setmetatable({_function = F.name}, Ctx)
  if recording and not recording.seen[F] then
    recording.seen[F] = true
    local copy = {n = args.n}
    for i = 1, args.n do copy[i] = P.kind(args[i]) == "Tensor" and args[i]:detach():clone() or args[i] end
    recording.calls[#recording.calls + 1] = {F = F, args = copy}
  end
  local out = tensor.no_grad(F.forward, ctx, ...)
  if P.kind(out) ~= "Tensor" then
    P.fail(F.name, "forward must return a tensor, got " .. P.kind(out))
  end
  local inputs, position = {}, {}
  for i = 1, args.n do
    if P.kind(args[i]) == "Tensor" then inputs[#inputs + 1] = args[i]; position[#inputs] = i end
  end
  local function backward(g)
    local r = table.pack(F.backward(ctx, g))
    if r.n ~= args.n then
      -- (fewer would leave an input silently untrained; PyTorch refuses it too)
      P.fail(F.name, "backward returned " .. r.n .. " gradient" .. (r.n == 1 and "" or "s") .. " for " .. args.n .. " argument"
        .. (args.n == 1 and "" or "s") .. " of forward: return one per argument (nil where one needs none)")
    end
    for i = 1, r.n do
      if r[i] ~= nil and P.kind(args[i]) ~= "Tensor" then
        P.fail(F.name, "backward returned a gradient for argument " .. i .. ", which is not a tensor (" .. P.kind(args[i]) .. "); return nil there")
      end
    end
    local grads = {}
    for k, i in ipairs(position) do grads[k] = r[i] or false end
    return grads
  end
  return P.autograd.record(F.name, out, inputs, backward)
end

function autograd.Function(spec)
  if type(spec) ~= "table" then P.argument_error("autograd.Function", 1, "table expected, got " .. P.kind(spec)) end
  P.check_options("autograd.Function", 1, spec, {"name", "forward", "backward"})
  if type(spec.forward) ~= "function" or type(spec.backward) ~= "function" then
    P.fail("autograd.Function", "forward and backward must be functions (forward(ctx, ...) and backward(ctx, grad_output))")
  end
  if spec.name ~= nil and type(spec.name) ~= "string" then P.fail("autograd.Function", "name must be a string") end
  return setmetatable({name = spec.name or "Function", forward = spec.forward, backward = spec.backward}, Function)
end

-- For check.model: record while `body` runs, then check every Function seen,
-- alone, at the arguments of its first call: d/dinputs of sum(out * R) for a
-- fixed random R, by check.grad (f64, sampled dimensions, kinks apart).
-- A Lua module's first forward while recording: checked alone afterwards
-- (its parameters and its input), so a forward that cuts the graph (a
-- detach, an item()) is found where it is.
local function note_module(m, inst, x)
  if not recording then return end
  local class = getmetatable(inst).class.name
  for _, c in ipairs(recording.modules) do if rawequal(c.m, m) or c.m == m then return end end
  recording.modules[#recording.modules + 1] = {m = m, name = class, input = x:detach():clone()}
end

local function check_functions(body, check)
  local outer = recording
  recording = {seen = {}, calls = {}, modules = {}}
  local ok, result = pcall(body)
  local calls, modules = recording.calls, recording.modules
  recording = outer
  if not ok then error(result, 0) end
  local rows = {}
  for _, c in ipairs(modules) do
    local x = c.input:to("f64"):requires_grad()
    local params = c.m:parameters()
    local leaves = {x}
    for _, p in ipairs(params) do leaves[#leaves + 1] = p end
    local weights
    local r = check.grad(function()
      local out = c.m(x)
      weights = weights or tensor.no_grad(function() return tensor.randn(out:shape(), "f64") end)
      return (out * weights):sum()
    end, leaves, {seed = 0})
    rows[#rows + 1] = {name = c.name .. " (module)", ok = r.ok, worst = r.worst, report = r.report}
  end
  for _, c in ipairs(calls) do
    local leaves, args = {}, {n = c.args.n}
    for i = 1, c.args.n do
      local a = c.args[i]
      if P.kind(a) == "Tensor" and a:dtype() ~= "i32" then
        a = a:to("f64"):requires_grad()
        leaves[#leaves + 1] = a
      end
      args[i] = a
    end
    if #leaves > 0 then
      local weights
      local r = check.grad(function()
        local out = c.F(table.unpack(args, 1, args.n))
        weights = weights or tensor.no_grad(function() return tensor.randn(out:shape(), "f64") end)
        return (out * weights):sum()
      end, leaves, {seed = 0})
      rows[#rows + 1] = {name = c.F.name, ok = r.ok, worst = r.worst, report = r.report}
    end
  end
  return result, rows
end

return {check_functions = check_functions, note_module = note_module}
