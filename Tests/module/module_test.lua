-- `require "optlab"` from Debian's stock lua5.4 (run by module_test.sh with
-- LUA_CPATH pointing at the built module). Plain asserts: this runs without
-- optlab's harness globals.
local passed, failed = 0, 0
local function test(name, f)
  local ok, err = pcall(f)
  if ok then passed = passed + 1 else failed = failed + 1; print("FAIL " .. name .. ": " .. tostring(err)) end
end
local function eq(a, b, what) if a ~= b then error(what .. ": expected " .. tostring(b) .. ", got " .. tostring(a), 2) end end

-- A submodule first: Lua's all-in-one loader finds luaopen_optlab_nn in optlab.so.
local nn = require "optlab.nn"
local ol = require "optlab"

test("the module sets no global until asked", function()
  for _, name in ipairs{"tensor", "nn", "optim", "train", "check", "monitor", "hp", "data", "autograd", "help"} do
    eq(rawget(_G, name), nil, "global " .. name)
  end
  eq(nn, ol.nn, "require 'optlab.nn' is ol.nn")
  eq(require "optlab.tensor", ol.tensor, "require 'optlab.tensor'")
  eq(ol.version:match("^%d+%.%d+%.%d+$") ~= nil, true, "version")
end)

test("no second Lua in the process", function()
  local maps = assert(io.open("/proc/self/maps")):read("a")
  eq(maps:find("liblua5.4", 1, true), nil, "liblua5.4 mapped into the stock interpreter")
  eq(maps:find("liboptlab-lua.so", 1, true) ~= nil, true, "the module is mapped")
end)

test("tensors compute the same values as in the optlab executable", function()
  local x = ol.tensor.from{{1, 2}, {3, 4}}
  eq((x:matmul(x)):sum():item(), 54, "sum of x @ x")
  ol.tensor.seed(7)
  local a = ol.tensor.randn{3}:sum():item()
  ol.tensor.seed(7)
  eq(ol.tensor.randn{3}:sum():item(), a, "seeded draws repeat")
end)

test("a model trains and the gradient check passes", function()
  local T = ol.tensor
  T.seed(1)
  local model = ol.nn.Sequential{ol.nn.Linear(2, 8), ol.nn.Tanh(), ol.nn.Linear(8, 2)}
  local x = T.randn{16, 2}
  local y = T.from{1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2}:to("i32")
  local loss_fn = ol.nn.SoftmaxCrossEntropy()
  local r = ol.check.grad(function() return loss_fn(model(x), y) end, model)
  eq(r.ok, true, "gradient check")
  local opt = ol.optim.Adam(model:parameters(), {lr = 0.05})
  local first
  for i = 1, 100 do
    opt:zero_grad()
    local l = loss_fn(model(x), y)
    first = first or l:item()
    l:backward()
    opt:step()
  end
  local last = loss_fn(model(x), y):item()
  eq(last < first / 2, true, "loss fell from " .. first .. " to " .. last)
end)

test("errors are Lua errors that name the function, at the caller's line", function()
  local ok, err = pcall(function() return ol.tensor.zeros{2, 3} + ol.tensor.zeros{4} end)
  eq(ok, false, "shape mismatch raised")
  eq(err:find("module_test.lua:%d+:") ~= nil, true, "position in " .. err)
  local ok2, err2 = pcall(ol.nn.Linear, "three", 2)
  eq(ok2, false, "bad argument raised")
  eq(err2:find("nn.Linear", 1, true) ~= nil, true, "names nn.Linear: " .. err2)
end)

test("inside a coroutine", function()
  local co = coroutine.wrap(function()
    local t = ol.tensor.ones{3}
    coroutine.yield((t * 2):sum():item())
    return require("optlab.autograd") == ol.autograd
  end)
  eq(co(), 6, "value yielded")
  eq(co(), true, "require inside the coroutine")
end)

test("worker processes need the optlab executable, and say so", function()
  local ok, err = pcall(ol.hp.search, {name = "w", dir = os.tmpname() .. ".d", space = {lr = ol.hp.loguniform(1e-3, 1)},
    trials = 2, workers = 2, trial = function() return {val_acc = 0} end})
  eq(ok, false, "workers = 2 refused")
  eq(err:find("optlab sweep", 1, true) ~= nil, true, "says how: " .. err)
end)

test("install_globals gives the executable's globals", function()
  eq(ol.install_globals(), ol, "returns the module")
  eq(tensor, ol.tensor, "global tensor")
  eq(type(help), "function", "global help")
end)

print(string.format("module: %d passed, %d failed", passed, failed))
os.exit(failed == 0 and 0 or 1)
