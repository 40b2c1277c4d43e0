local H, file = ...
-- Calls every function and method of the tensor API with random argument
-- lists under pcall: the process must never crash, and every failure must be
-- a Lua error with a message. OPTLAB_FUZZ_CALLS sets the count (scripts/fuzz
-- runs 200,000; the test suite 30,000).
local calls = tonumber(os.getenv("OPTLAB_FUZZ_CALLS") or "") or 30000

local function pool()
  local t = {
    nil, true, false, 0, 1, 2, 3, -1, -7, 0.5, 100, 0 / 0, math.huge, -math.huge, 1e300, -1e300,
    2 ^ 53, math.maxinteger, math.mininteger, "", "f64", "i32", "f32", "x", "1", "retain_graph",
    {}, {1, 2}, {2, 3}, {{1, 2}, {3, 4}}, {{1, 2}, {3}}, {-1, 3}, {1e10, 1e10}, {a = 1}, {correction = 1},
    {retain_graph = true}, {0 / 0}, {"a"}, {1, 2, 3, 4, 5, 6, 7, 8, 9}, {true},
    function() end, function() error("boom") end, function() return tensor.zeros(2) end,
    tensor.zeros(0), tensor.from(3), tensor.from{1, 2, 3}, tensor.randn{2, 3}, tensor.randn({3, 2}, "f64"),
    tensor.from({1, 3, 2}, "i32"), tensor.from({0, 7}, "i32"), tensor.randn{2, 3, 4}, tensor.randn{2, 2}:requires_grad(),
    tensor.randn{1, 3}, tensor.from{0 / 0, math.huge, -math.huge}, io.stdout, coroutine.create(function() end),
  }
  return t, 56
end

local values, nvalues = pool()
-- Objects of every kind, so methods meet their own kind (and others).
local model = nn.Sequential{nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)}
local ds = data.spiral{classes = 2, per_class = 5}
local opt = optim.SGD(model, {lr = 0.1, momentum = 0.5})
local Block = nn.Module:extend("FuzzBlock")
function Block:init() self.fc = nn.Linear(3, 3); self.k = nn.Parameter(tensor.ones{1}) end
function Block:forward(x) return self.fc(x) * self.k end
local objects = {model, nn.Linear(2, 2), nn.Conv2d(1, 2, 3), ds, opt, optim.step_decay(opt, {every = 1}),
  Block(), nn.Sequential{nn.Linear(3, 3), function(x) return x:relu() end}, nn.Lambda(function(x) return x end),
  optim.EMA(model), optim.LBFGS({tensor.zeros(2):requires_grad()}), nn.SoftmaxCrossEntropy(), nn.MSE()}
for _, o in ipairs(objects) do nvalues = nvalues + 1; values[nvalues] = o end
local function random_value() return values[math.random(nvalues)] end

local writes = {save = true, load = true}   -- no files named after random strings
local targets = {}
for name, f in pairs(tensor) do
  if type(f) == "function" and not writes[name] then
    targets[#targets + 1] = {"tensor." .. name, f, false}
  end
end
for name, f in pairs(tensor.Tensor) do
  if not writes[name] then targets[#targets + 1] = {"Tensor:" .. name, f, true} end
end
for _, lib in ipairs{"nn", "data", "optim", "train", "check", "monitor", "hp", "stats", "bench"} do
  for name, f in pairs(_G[lib]) do
    if type(f) == "function" and name ~= "fashion_mnist" and name ~= "weights" and name ~= "search" then targets[#targets + 1] = {lib .. "." .. name, f, false} end
  end
end
for _, class in ipairs{nn.Module, data.Dataset, optim.Optimizer} do
  for name, f in pairs(class) do
    if not writes[name] then targets[#targets + 1] = {"method " .. name, f, "object"} end
  end
end
local ops = {
  function(a, b) return a + b end, function(a, b) return a - b end, function(a, b) return a * b end,
  function(a, b) return a / b end, function(a, b) return a ^ b end, function(a) return -a end,
  function(a) return #a end, function(a) return tostring(a) end, function(a, b) return a[b] end,
  function(a, b, c) a[b] = c end,
}
for i, op in ipairs(ops) do targets[#targets + 1] = {"operator " .. i, op, true} end

-- Every message has the one shape: the caller's position (a line of this
-- file), no name with two underscores, none of optlab's own files, and an
-- argument error names a public function (its help name or an operation).
local public = {}
for _, lib in ipairs{"tensor", "nn", "data", "optim", "train", "check", "monitor", "hp", "stats", "bench"} do
  for name in pairs(_G[lib]) do public[lib .. "." .. name] = true end
end
for class, methods in pairs{Tensor = tensor.Tensor, Module = nn.Module, Dataset = data.Dataset, Optimizer = optim.Optimizer} do
  for name in pairs(methods) do public[class .. ":" .. name] = true end
end
for _, o in ipairs(objects) do
  local mt = getmetatable(o)
  local class = mt and mt.__name and mt.__name:match("^optlab%.(.*)$")
  if class and type(mt.__methods) == "table" then
    for name in pairs(mt.__methods) do public[class .. ":" .. name] = true end
  end
end
local function check_shape(target, err)
  if not err:match("^[^:]*fuzz_test%.lua:%d+: ") then error(target .. ": message without the caller's position: " .. err) end
  if err:find("__", 1, true) then error(target .. ": message with a '__' name: " .. err) end
  if err:find("optlab/", 1, true) then error(target .. ": message from inside optlab: " .. err) end
  local named = err:match("bad argument #%d+ to '([^']*)'") or err:match("calling '([^']*)' on bad self")
  if named and not public[named] and not named:match("^%u%a+ ") and named ~= "?" then
    error(target .. ": message names '" .. named .. "', which is no public function: " .. err)
  end
end

local function run_fuzz(calls, call)
  local failures, successes = 0, 0
  for _ = 1, calls do
    local target = targets[math.random(#targets)]
    local n = math.random(0, 5)
    local args = {}
    if target[3] == "object" then
      args[1] = math.random() < 0.8 and objects[math.random(#objects)] or random_value()
    elseif target[3] then
      -- methods: mostly a tensor self, sometimes anything
      args[1] = math.random() < 0.8 and values[44 + math.random(12)] or random_value()
      if args[1] == nil then args[1] = tensor.zeros(1) end
    end
    for i = #args + 1, #args + n do args[i] = random_value() end
    local ok, err = call(target[2], table.unpack(args, 1, math.max(n + (target[3] and 1 or 0), 1)))
    if ok then
      successes = successes + 1
    else
      failures = failures + 1
      if type(err) ~= "string" or #err == 0 then
        error(target[1] .. " failed without a message: " .. tostring(err))
      end
      check_shape(target[1], err)
    end
  end
  return successes, failures
end

H.test(file .. ": " .. calls .. " random calls never crash and always explain", function()
  math.randomseed(tonumber(os.getenv("OPTLAB_FUZZ_SEED") or "") or 20261129)
  local successes, failures = run_fuzz(calls, pcall)
  H.eq(successes + failures, calls, "calls made")
  H.eq(successes > calls / 20, true, "a fair share of calls succeeded (" .. successes .. ")")
  H.eq(failures > calls / 20, true, "a fair share of calls failed (" .. failures .. ")")
end)

-- The same, each call made from inside a coroutine.
H.test(file .. ": " .. calls // 3 .. " random calls from coroutines", function()
  math.randomseed((tonumber(os.getenv("OPTLAB_FUZZ_SEED") or "") or 20261129) + 1)
  local n = calls // 3
  local successes, failures = run_fuzz(n, function(f, ...)
    local co = coroutine.create(function(...) return pcall(f, ...) end)
    local resumed, ok, err = coroutine.resume(co, ...)
    if not resumed then return false, ok end
    return ok, err
  end)
  H.eq(successes + failures, n, "calls made")
  H.eq(successes > n / 20 and failures > n / 20, true, "a fair share of each (" .. successes .. ", " .. failures .. ")")
end)
