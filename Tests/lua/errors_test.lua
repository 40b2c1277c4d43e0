local H, file = ...
local test = function(name, fn) H.test(file .. ": " .. name, fn) end

test("argument errors read like lauxlib's", function()
  local x = tensor.zeros(2, 3)
  H.raises(function() x:matmul(nil) end, "bad argument #1 to 'Tensor:matmul' (tensor expected, got nil)")
  H.raises(function() x:matmul("w") end, "bad argument #1 to 'Tensor:matmul' (tensor expected, got string)")
  H.raises(function() tensor.zeros("a") end, "bad argument #1 to 'tensor.zeros'")
  H.raises(function() tensor.zeros({2}, "f16") end, "unknown dtype 'f16'")
  H.raises(function() x:sum("x") end, "bad argument #1 to 'Tensor:sum' (number expected, got string)")
  H.raises(function() x.matmul(nil, x) end, "calling 'Tensor:matmul' on bad self")
  H.raises(function() return x + {} end, "bad argument #2 to 'Tensor +' (tensor or number expected, got table)")
end)

test("shape errors carry the runtime's message and the Lua position", function()
  local err = H.raises(function() tensor.zeros(64, 100):matmul(tensor.zeros(10, 100)) end,
    "matmul: shapes [64,100] and [10,100] do not align (inner 100 vs 10)")
  H.eq(err:match("^[^:]+:%d+:") ~= nil, true, "message starts with chunk:line:")
end)

test("bad sizes and huge requests are errors", function()
  H.raises(function() tensor.zeros(-1) end, "non-negative")
  H.raises(function() tensor.zeros(1e6, 1e6) end, "more than this machine's")
  H.raises(function() tensor.eye(-3) end, "non-negative")
end)

test("setting unknown fields is an error, not a silent no-op", function()
  local x = tensor.zeros(2)
  H.raises(function() x.gard = x end, "cannot set field 'gard'")
  H.eq(x.nothing, nil)
end)

-- The position of every error is the line the user wrote, never one of
-- optlab's own files, even for functions written in optlab's Lua.
local function line_of(fn)
  local ok, err = pcall(fn)
  assert(not ok, "expected an error")
  return err, tonumber(err:match("^[^:]*errors_test%.lua:(%d+):"))
end

test("errors point at the caller's line, also through optlab's Lua and pcall", function()
  local here = debug.getinfo(1, "l").currentline
  local err, l = line_of(function() monitor.hist(tensor.zeros(3), {bin = 3}) end)
  H.eq(l, here + 1, "line of monitor.hist's error (" .. err .. ")")
  H.eq(err:find("optlab/", 1, true), nil, "no optlab file in " .. err)
  err, l = line_of(function() check.preflight(1) end)
  H.eq(l, here + 4, "line of check.preflight's error (" .. err .. ")")
  err, l = line_of(function() data.spiral{classes = 2, per_class = 3}:batches(0) end)
  H.eq(l, here + 6, "line of ds:batches' error (" .. err .. ")")
  H.eq(err:find("'Dataset:batches'", 1, true) ~= nil, true, "names Dataset:batches: " .. err)
  local ok, e = pcall(tensor.zeros, "a")     -- through pcall: still this line
  H.eq(tonumber(e:match("errors_test%.lua:(%d+):")), here + 9, "line through pcall (" .. e .. ")")
  err, l = line_of(function() hp.search{space = {}, trial = function() end, stages = {{trials = 2, epoch = 1}}} end)
  H.eq(l, here + 11, "line of hp.search's error (" .. err .. ")")
end)

test("unknown options are errors that suggest the nearest key", function()
  H.raises(function() monitor.hist(tensor.zeros(3), {bin = 3}) end, "monitor.hist: unknown option 'bin' (did you mean 'bins'?)")
  H.raises(function() nn.Linear(2, 3, {bais = false}) end, "nn.Linear: unknown option 'bais' (did you mean 'bias'?)")
  H.raises(function() nn.SoftmaxCrossEntropy{label_smothing = 0.1} end, "nn.SoftmaxCrossEntropy: unknown option 'label_smothing' (did you mean 'label_smoothing'?)")
  H.raises(function() nn.SoftmaxCrossEntropy{margin = 1} end, "nn.SoftmaxCrossEntropy: unknown option 'margin' (expected one of: ignore_index, label_smoothing)")
  H.raises(function() nn.MulticlassSVM{margn = 2} end, "did you mean 'margin'?")
  H.raises(function() hp.search{space = {}, trial = function() end, stages = {{trials = 2, epoch = 1}}} end,
    "hp.search: unknown option 'epoch' in stage 1 (did you mean 'epochs'?)")
  H.raises(function() hp.search{space = {}, trial = function() end, trails = 3} end, "hp.search: unknown option 'trails' (did you mean 'trials'?)")
  H.raises(function() hp.search{space = {}, trial = function() end, prune = {factr = 2}} end, "unknown option 'factr' in prune (did you mean 'factor'?)")
  H.raises(function() data.spiral{classes = 2, per_class = 3}:batches(2, {shufle = true}) end, "Dataset:batches: unknown option 'shufle' (did you mean 'shuffle'?)")
  H.raises(function() check.preflight(nn.Sequential{nn.Linear(2, 2)}, nn.MSE(), data.spiral{classes = 2, per_class = 3}, {reg = 0, N = 3}) end,
    "check.preflight: unknown option 'N' (did you mean 'n'?)")
end)

test("constructors given more than they take say so", function()
  H.raises(function() nn.ReLU(123) end, "nn.ReLU: takes no arguments, got 1")
  H.raises(function() nn.Dropout(0.5, 3) end, "nn.Dropout: takes 1 argument, got 2")
  H.raises(function() nn.Linear(2, 3, {}, 7) end, "nn.Linear: takes 3 arguments, got 4")
  H.raises(function() nn.MSE(1, 2) end, "nn.MSE: takes 1 argument, got 2")
  H.eq(tostring(nn.ReLU()), "ReLU", "no argument is fine")
end)

test("no message shows a name with two underscores", function()
  local x = tensor.zeros(2)
  local m = nn.Sequential{nn.Linear(2, 2)}
  for _, f in ipairs{function() return x + {} end, function() return -{} end, function() return x[{}] end,
                     function() x[1] = {} end, function() return m("x") end, function() return #nn.MSE() end,
                     function() return nn.MSE()(1) end, function() return m[{}] end} do
    local ok, err = pcall(f)
    if not ok then H.eq(tostring(err):find("__", 1, true), nil, "underscores in " .. tostring(err)) end
  end
end)

test("labels are checked as written: 1-based, integers, in range", function()
  local loss = nn.SoftmaxCrossEntropy()
  H.raises(function() loss(tensor.zeros(2, 2), tensor.from{0, 1}) end, "softmax_cross_entropy: label 0 at position 1 is out of range 1..2")
  H.raises(function() loss(tensor.zeros(3, 2), tensor.from{1, 1.7, 2}) end, "softmax_cross_entropy: label 1.7 at position 2 is not an integer")
  H.raises(function() nn.MulticlassSVM()(tensor.zeros(2, 3), {1, 4}) end, "multiclass_svm: label 4 at position 2 is out of range 1..3")
  H.raises(function() tensor.zeros(2, 3):cross_entropy(tensor.from{3, 9}) end, "label 9 at position 2 is out of range 1..3")
  H.raises(function() data.dataset(tensor.zeros(2, 2), tensor.from{1, 2.5}) end, "label 2.5 at position 2 is not an integer")
  H.close(loss(tensor.zeros(2, 2), tensor.from{1, 2}):item(), math.log(2), 1e-6, "in-range labels still work")
end)

test("file errors name the user's folder and the format in words", function()
  local m = nn.Sequential{nn.Linear(2, 2)}
  local here = debug.getinfo(1, "l").currentline
  local err = H.raises(function() m:save("/no/such/folder/m.safetensors") end, "Module:save: folder /no/such/folder does not exist")
  H.eq(err:match("errors_test%.lua:(%d+):"), tostring(here + 1), "at the caller's line")
  H.eq(err:find("tmp", 1, true), nil, "no temporary file in " .. err)
  local path = os.tmpname()
  local f = io.open(path, "w"); f:write("print('hello')\n"); f:close()
  H.raises(function() nn.load(path) end, "nn.load: " .. path .. " is not a safetensors file (its first 8 bytes are not a header length")
  os.remove(path)
end)

local function peak_rss_kb()
  local f = io.open("/proc/self/status")
  local kb = f:read("a"):match("VmHWM:%s*(%d+)")
  f:close()
  return tonumber(kb)
end

test("nn.load reads an architecture as strictly as model:save writes it", function()
  local path = os.tmpname() .. ".safetensors"
  local function with(arch) tensor.save(path, {}, {["optlab.architecture"] = arch}) end
  local cases = {
    {'{"type":"Sequential","config":{},"children":null}', "Sequential: children is not a list"},
    {'{"type":"Sequential","config":{},"children":[{"type":"ReLU"}]}', "ReLU: lacks its config"},
    {'{"type":"Sequential","config":[],"children":[]}', "Sequential: config is not an object"},
    {'{"type":"Sequential","config":{},"children":[],"choices":3}', "Sequential: choices is not an object"},
    {'{"type":"Sequential","config":{},"children":[],"extra":1}', "Sequential: unknown architecture key 'extra'"},
    {'{"config":{},"children":[]}', "architecture entry lacks a type"},
    {string.rep('{"type":"Sequential","config":{},"children":[', 70) .. string.rep("]}", 70), "architecture nested deeper than 64 modules"},
  }
  for _, c in ipairs(cases) do
    with(c[1])
    H.raises(function() nn.load(path) end, "nn.load: " .. path .. ": " .. c[2])
  end
  -- what model:save writes still loads
  local m = nn.Sequential{nn.Linear(2, 3), nn.ReLU(), nn.Sequential{nn.Tanh()}}
  m:save(path)
  H.eq(tostring(nn.load(path)), tostring(m))
  os.remove(path)
end)

test("nn.load checks a file's tensors against its architecture before building anything", function()
  -- a few hundred bytes whose architecture claims 3 x Linear(20000, 20000): 4.8 GB of
  -- f32 weights the file does not hold. Loading must fail without allocating them.
  local arch = '{"type":"Sequential","config":{},"children":['
    .. string.rep('{"type":"Linear","config":{"in":20000,"out":20000,"bias":1},"children":[]}', 3, ",") .. ']}'
  local path = os.tmpname() .. ".safetensors"
  tensor.save(path, {["1.bias"] = tensor.zeros(4)}, {["optlab.architecture"] = arch})
  local before = peak_rss_kb()
  local err = H.raises(function() nn.load(path) end, "nn.load: " .. path .. " does not fit its own architecture: it lacks tensor '1.weight'")
  H.eq(err:find("has tensor '1.bias' of shape [4], the architecture needs [20000]", 1, true) ~= nil, true, err)
  H.eq(err:find("and 1 more", 1, true) ~= nil, true, "long lists are cut: " .. err)
  H.eq(peak_rss_kb() - before < 50 * 1024, true, "peak RSS grew by " .. (peak_rss_kb() - before) .. " kB")
  -- a file with a tensor its architecture does not have, or of another dtype
  local m = nn.Sequential{nn.Linear(2, 3)}
  m:save(path)
  local ts, meta = tensor.load(path)
  ts.extra = tensor.zeros(1)
  tensor.save(path, ts, meta)
  H.raises(function() nn.load(path) end, "it has tensor 'extra', which the architecture does not")
  ts.extra = nil
  ts["1.bias"] = tensor.zeros(3, "f64")
  tensor.save(path, ts, meta)
  H.raises(function() nn.load(path) end, "it mixes dtypes (f32, f64)")
  ts["1.weight"] = ts["1.weight"]:to("f64")
  tensor.save(path, ts, meta)
  H.eq(nn.load(path)["1"].weight:dtype(), "f64", "an all-f64 file loads as f64")
  os.remove(path)
end)

test("failures after a Lua callback returned carry the caller's position and name", function()
  local here = debug.getinfo(1, "l").currentline
  local err = H.raises(function() check.grad(function() return 1 end, {tensor.zeros(2):requires_grad()}) end,
    "check.grad: the function must return the loss as a tensor")
  H.eq(err:match("errors_test%.lua:(%d+):"), tostring(here + 1), "position of check.grad's failure")
  local model = nn.Sequential{nn.Linear(2, 2)}
  err = H.raises(function()
    train.fit{model = model, loss = function() return 3 end, optimizer = optim.SGD(model, {lr = 0.1}),
      train = data.spiral{classes = 2, per_class = 2}, epochs = 1, batch = 2, quiet = true}
  end, "train.fit: the loss function must return a tensor")
  H.eq(err:match("^[^:]*errors_test%.lua:%d+: ") ~= nil, true, "position in " .. err)
  local p = tensor.zeros(2):requires_grad()
  H.raises(function() optim.LBFGS({p}):step(function() end) end, "LBFGS: the closure must return the loss")
end)

test("help() explains schedules, averages, L-BFGS and nn.Ensemble.top too", function()
  local out = {}
  local saved = print
  print = function(...) out[#out + 1] = table.concat({...}, "\t") end
  local m = nn.Linear(2, 2)
  local ok, err = pcall(function()
    help(optim.step_decay(optim.SGD(m, {lr = 0.1}), {every = 1}))
    help(optim.EMA(m)); help(optim.LBFGS(m)); help(nn.Ensemble.top)
  end)
  print = saved
  H.eq(ok, true, tostring(err))
  local text = table.concat(out, "\n")
  for _, want in ipairs{"Schedule methods:", "sched:step([metric])", "Average methods:", "LBFGS methods:", "opt:zero_grad()", "nn.Ensemble.top(k"} do
    H.eq(text:find(want, 1, true) ~= nil, true, "help shows " .. want)
  end
  H.eq(text:find("no help", 1, true), nil, text)
end)
