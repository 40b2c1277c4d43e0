-- Modules written in Lua (Torch7's nn, PyTorch's nn.Module):
--
--   local Residual = nn.Module:extend("Residual")
--   function Residual:init(d) self.fc1, self.fc2 = nn.Linear(d, d), nn.Linear(d, d) end
--   function Residual:forward(x) return x + self.fc2(self.fc1(x):relu()) end
--   local block = Residual(128)
--
-- An instance is a Module like any built-in one (a Swift LuaDefinedModule): the
-- modules and nn.Parameter tensors assigned to its fields become its
-- children and parameters, in assignment order, named by field; every other
-- field lives in the instance's own table, whose metatable leads to its class.
local P, nn, A = ...

-- What the Swift side calls (through protected calls): field reads and
-- writes of the instance table, forward, and the copy clone() makes.
local support = {}
function support.lookup(inst, key) return inst[key] end
function support.store(inst, key, value) rawset(inst, key, value) end
function support.invoke(inst, self, x)
  local forward = inst.forward
  if type(forward) ~= "function" then
    local class = getmetatable(inst).class.name
    P.fail("Module call", class .. " has no forward method (define function " .. class .. ":forward(x))")
  end
  A.note_module(self, inst, x)
  return forward(self, x)
end
function support.copy(inst)
  local copy = setmetatable({}, getmetatable(inst))
  for k, v in pairs(inst) do copy[k] = v end
  return copy
end

local Class = {}
function Class.__tostring(C) return "nn.Module class " .. C.name end
function Class.__call(C, ...)
  local inst = setmetatable({}, C.instance_mt)
  local m = P.nn.lua_module(C.name, inst)
  local init = C.init
  if init then init(m, ...) end
  return m
end
function Class.__index(C, key)
  local super = rawget(C, "super")
  return super and super[key]
end

-- nn.Module:extend(name [, {help=}]) makes a class; Class:extend(name) a subclass.
local function extend(base, name, opts)
  if type(name) ~= "string" or not name:match("^[%a_][%w_]*$") then
    P.argument_error("Module:extend", 1, "a class name expected, like \"Residual\", got " .. P.kind(name))
  end
  P.check_options("Module:extend", 2, opts, {"help"})
  local super = getmetatable(base) == Class and base or nil
  local C = setmetatable({name = name, super = super, extend = extend}, Class)
  C.instance_mt = {__index = C, class = C}
  if opts and opts.help then C.help = opts.help end
  return C
end
nn.Module.extend = extend

-- nn.Parameter(t): t, marked to become a parameter of the module whose field it is assigned to.
function nn.Parameter(t)
  if P.kind(t) ~= "Tensor" then P.argument_error("nn.Parameter", 1, "tensor expected, got " .. P.kind(t)) end
  return P.nn.parameter(t)
end

return support
