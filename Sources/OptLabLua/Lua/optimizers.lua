-- Update rules written in Lua (mlx-swift's applySingle, PyTorch's Optimizer):
--
--   local Lion = optim.Optimizer:extend("Lion", {lr = 1e-4, beta1 = 0.9, beta2 = 0.99})
--   function Lion:update(p, g, state, group)
--     state.m = state.m or tensor.zeros(p:shape(), p:dtype())
--     local c = state.m * group.beta1 + g * (1 - group.beta1)
--     p:add_(c:sign(), -group.lr)
--     state.m:mul_(group.beta2):add_(g, 1 - group.beta2)
--   end
--   local opt = Lion(model, {lr = 3e-4})
--
-- An instance is an optimizer like the built-in ones (a Swift Optimizer
-- whose rule calls update): schedules, opt:lr(), opt:ratios(), opt:save(),
-- train.fit and parameter groups work unchanged. update runs without
-- recording, once per parameter that has a gradient; state is that
-- parameter's own table (tensors and numbers in it are saved and loaded).
local P, optim = ...

local support = {}

-- One group's rule: the class, the group's hyperparameters, each parameter's state.
function support.update(rule, p, g, index, lr, step)
  local st = rule.state[index]
  if not st then st = {}; rule.state[index] = st end
  rule.group.lr, rule.group.step = lr, step
  rule.class.update(rule, p, g, st, rule.group)
end

-- The state as named tensors and numbers ("lua.<index>.<key>"), and back.
function support.export(rule)
  local tensors, numbers = {}, {}
  for i, st in pairs(rule.state) do
    for k, v in pairs(st) do
      local name = "lua." .. i .. "." .. tostring(k)
      if P.kind(v) == "Tensor" then tensors[name] = v elseif type(v) == "number" then numbers[name] = v end
    end
  end
  return tensors, numbers
end
function support.import(rule, tensors, numbers)
  for name, v in pairs(tensors) do
    local i, k = name:match("^lua%.(%d+)%.(.+)$")
    if i then
      local st = rule.state[tonumber(i)] or {}
      rule.state[tonumber(i)] = st
      if P.kind(st[k]) == "Tensor" then st[k]:copy_(v) else st[k] = v:clone() end
    end
  end
  for name, v in pairs(numbers) do
    local i, k = name:match("^lua%.(%d+)%.(.+)$")
    if i then
      local st = rule.state[tonumber(i)] or {}
      rule.state[tonumber(i)] = st
      st[k] = v
    end
  end
end

local Class = {}
function Class.__tostring(C) return "optim.Optimizer class " .. C.name end
function Class.__index(C, key)
  local super = rawget(C, "super")
  return super and super[key]
end

-- Builds the optimizer: params is a model, a list of tensors, or a list of
-- groups {params = ..., <option> = ...}; opts override the class's defaults.
function Class.__call(C, params, opts)
  if type(C.update) ~= "function" then
    P.fail("optim.Optimizer", C.name .. " has no update method (define function " .. C.name .. ":update(p, g, state, group))")
  end
  local allowed = {"weight_decay"}
  for k in pairs(C.defaults) do allowed[#allowed + 1] = k end
  P.check_options(C.name, 2, opts, allowed)
  local base = {}
  for k, v in pairs(C.defaults) do base[k] = v end
  for k, v in pairs(opts or {}) do base[k] = v end
  if type(base.lr) ~= "number" or not (base.lr > 0) then
    P.argument_error(C.name, 2, "option 'lr' must be a positive number, got " .. P.kind(base.lr))
  end
  local groups = {}
  local function group_of(list, extra, k)
    local hyper = {}
    for key, v in pairs(base) do hyper[key] = v end
    for key, v in pairs(extra or {}) do
      if key ~= "params" then
        P.check_options(C.name, 1, {[key] = v}, allowed, "group " .. k)
        hyper[key] = v
      end
    end
    -- params, the rule object (the class, the group's hyperparameters, each parameter's state), lr, weight decay
    return list, {class = C, group = hyper, state = {}}, hyper.lr, hyper.weight_decay or 0
  end
  if type(params) == "table" and type(params[1]) == "table" and params[1].params then
    for k, g in ipairs(params) do table.move({group_of(g.params, g, k)}, 1, 4, #groups + 1, groups) end
  else
    groups = {group_of(params, nil, 1)}
  end
  return P.optim.lua_optimizer(C.name, base.lr, table.unpack(groups))
end

-- optim.Optimizer:extend(name, defaults): defaults are the hyperparameters
-- (lr among them) that update finds in its group table.
local function extend(base, name, defaults)
  if type(name) ~= "string" or not name:match("^[%a_][%w_]*$") then
    P.argument_error("Optimizer:extend", 1, "a class name expected, like \"Lion\", got " .. P.kind(name))
  end
  if defaults ~= nil and type(defaults) ~= "table" then
    P.argument_error("Optimizer:extend", 2, "a table of default hyperparameters expected, got " .. P.kind(defaults))
  end
  local super = getmetatable(base) == Class and base or nil
  local merged = {}
  if super then for k, v in pairs(super.defaults) do merged[k] = v end end
  for k, v in pairs(defaults or {}) do
    if type(k) ~= "string" or type(v) ~= "number" then
      P.fail("Optimizer:extend", "default " .. tostring(k) .. " must be a named number, got " .. P.kind(v))
    end
    merged[k] = v
  end
  merged.lr = merged.lr or 1e-3
  return setmetatable({name = name, super = super, defaults = merged, extend = extend}, Class)
end
optim.Optimizer.extend = extend

return support
