local H, file = ...
local test = function(name, fn) H.test(file .. ": " .. name, fn) end
-- autograd.Function, functions as layers, and the module fields and state
-- that Lua code needs to model with.

local Square = autograd.Function{name = "Square",
  forward = function(ctx, x) ctx:save(x); return x * x end,
  backward = function(ctx, g) local x = ctx:saved(); return g * x * 2 end}

-- The multiclass SVM loss with its gradient by hand (labels 1..C), the notes' example.
local SVM = autograd.Function{name = "SVM",
  forward = function(ctx, s, y)
    local n, c = s:shape()[1], s:shape()[2]
    local correct = s:gather(2, y:reshape{n, 1})
    local margins = (s - correct + 1):clamp(0, nil)
    local mask = (s - correct + 1):gt(0) * (1 - y:reshape{n, 1}:one_hot(c):reshape{n, c})
    ctx:kink((s - correct + 1):gt(0))
    ctx:save(mask, y, n, c)
    return (margins * mask):sum() / n
  end,
  backward = function(ctx, g)
    local mask, y, n, c = ctx:saved()
    local ds = mask - y:reshape{n, 1}:one_hot(c):reshape{n, c} * mask:sum(2):reshape{n, 1}
    return ds * g / n, nil
  end}

test("a hand-written backward gives the gradient, and check.grad agrees in f64", function()
  local w = tensor.from({1, -2, 3}, "f64"):requires_grad()
  Square(w):sum():backward()
  H.all_close(w.grad, {2, -4, 6}, 0)
  local w32 = tensor.randn{4}:requires_grad()
  local r = check.grad(function() return Square(w32):sum() end, {w32})
  H.eq(r.ok, true, tostring(r))
  H.eq(w32:dtype(), "f32", "the parameter is back in f32")
  H.eq(tostring(Square), "autograd.Function(Square)")
end)

test("the SVM with a hand-written backward matches the built-in loss and its kinks are recorded", function()
  tensor.seed(2)
  local s = tensor.randn({6, 4}, "f64"):requires_grad()
  local y = tensor.from({1, 2, 3, 4, 1, 2}, "i32")
  local mine = SVM(s, y)
  local builtin = nn.MulticlassSVM()(s, y)
  H.close(mine:item(), builtin:item(), 1e-12, "the loss")
  mine:backward()
  local g1 = s.grad:clone(); s.grad = nil
  builtin:backward()
  H.all_close(g1:reshape{-1}, s.grad:reshape{-1}:totable(), 1e-12, "the gradient")
  local r = check.grad(function() return SVM(s, y) end, {s}, {per_param = 24})
  H.eq(r.ok, true, tostring(r))
  H.eq(r.kinks, true, "the objective has kinks (recorded by ctx:kink)")
end)

test("check.model checks every Function alone and names the one whose backward is wrong", function()
  local Bad = autograd.Function{name = "TripleNotDouble",
    forward = function(ctx, x) ctx:save(x); return x * x end,
    backward = function(ctx, g) local x = ctx:saved(); return g * x * 3 end}
  tensor.seed(1)
  local model = nn.Sequential{nn.Linear(3, 4), function(x) return Square(x) end, nn.Linear(4, 4),
                              nn.Lambda(function(x) return Bad(x) end, "bad"), nn.Linear(4, 2)}
  local r = check.model(model, nn.SoftmaxCrossEntropy(), tensor.randn{5, 3}, tensor.from({1, 2, 1, 2, 2}, "i32"))
  H.eq(r.ok, false)
  H.eq(#r.functions, 2, "both Functions checked alone")
  local by = {}
  for _, f in ipairs(r.functions) do by[f.name] = f end
  H.eq(by.Square.ok, true); H.eq(by.TripleNotDouble.ok, false)
  H.close(by.TripleNotDouble.worst, 1 / 3, 1e-6, "its relative error: (3 - 2) / 3")
  H.eq(r.report:find("✗ TripleNotDouble", 1, true) ~= nil, true, r.report)
  H.eq(r.report:find("TripleNotDouble", 1, true) < r.report:find("data loss", 1, true), true, "named before the model's rows")
end)

test("a Function's mistakes are errors that name it", function()
  local w = tensor.randn{3}:requires_grad()
  local WrongShape = autograd.Function{name = "WrongShape", forward = function(ctx, x) return x * 2 end,
    backward = function(ctx, g) return g:sum() end}
  H.raises(function() WrongShape(w):sum():backward() end, "Tensor:backward: WrongShape's backward returned a gradient of shape [] for input 1 of shape [3]")
  local TooMany = autograd.Function{name = "TooMany", forward = function(ctx, x) return x * 2 end,
    backward = function(ctx, g) return g, g end}
  H.raises(function() TooMany(w):sum():backward() end, "TooMany: backward returned 2 gradients for 1 argument of forward")
  local NotTensor = autograd.Function{name = "NotTensor", forward = function(ctx, x) return 3 end, backward = function() end}
  H.raises(function() NotTensor(w) end, "NotTensor: forward must return a tensor, got number")
  local Boom = autograd.Function{name = "Boom", forward = function(ctx, x) error("forward fails here") end, backward = function() end}
  H.raises(function() Boom(w) end, "forward fails here")
  local ForNumber = autograd.Function{name = "ForNumber", forward = function(ctx, x, k) return x * k end,
    backward = function(ctx, g) return g, g end}
  H.raises(function() ForNumber(w, 2):sum():backward() end, "backward returned a gradient for argument 2, which is not a tensor (number)")
  H.raises(function() autograd.Function{name = "X", forward = print} end, "forward and backward must be functions")
  H.raises(function() autograd.Function{name = "X", forward = print, backward = print, backwards = print} end,
    "autograd.Function: unknown option 'backwards' (did you mean 'backward'?)")
  H.raises(function() local F = autograd.Function{forward = function(ctx) ctx:kink(3) return tensor.zeros(1) end, backward = print}; F() end,
    "bad argument #1 to 'ctx:kink' (tensor expected, got number)")
end)

test("functions as layers: Sequential takes them, nn.Lambda names them, clone keeps them", function()
  local model = nn.Sequential{nn.Linear(2, 3), function(x) return x * 2 end}
  model:add(nn.Lambda(function(x) return x:relu() end, "relu"))
  model:add(function(x) return x + 1 end)
  H.eq(#model, 4)
  H.eq(tostring(model[3]), "Lambda(relu)")
  local x = tensor.randn{4, 2}
  local want = (model[1](x) * 2):relu() + 1
  H.all_close(model(x):reshape{-1}, want:reshape{-1}:totable(), 1e-6)
  local c = model:clone()
  H.all_close(c(x):reshape{-1}, want:reshape{-1}:totable(), 1e-6, "the clone computes the same")
  H.raises(function() nn.Sequential{nn.Linear(2, 2), function(x) return 1 end}(tensor.zeros(1, 2)) end, "must return a tensor")
  H.raises(function() nn.Sequential{3} end, "entry 1 is number, expected a module or a function")
end)

test("fields, state and weights by name", function()
  local lin = nn.Linear(3, 2)
  H.eq(lin.weight:shape()[1], 2); H.eq(lin.bias:shape()[1], 2)
  H.eq(lin.weight == lin:parameters()[1], true, "the field is the parameter itself")
  local bn = nn.BatchNorm(3)
  H.eq(bn.running_mean ~= nil or bn.running_var ~= nil or next(bn:state()) ~= nil, true, "buffers are fields too")
  local model = nn.Sequential{nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)}
  local names = {}
  for name in pairs(model:named_parameters()) do names[#names + 1] = name end
  table.sort(names)
  H.eq(table.concat(names, " "), "1.bias 1.weight 3.bias 3.weight")
  local other = nn.Sequential{nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)}
  other:load_state(model:state())
  local x = tensor.randn{2, 3}
  H.all_close(other(x):reshape{-1}, model(x):reshape{-1}:totable(), 0, "same weights, same outputs")
  H.raises(function() other:load_state({["1.weight"] = tensor.zeros(4, 3)}) end, "missing 1.bias, 3.weight, 3.bias")
  local r = other:load_state({["1.weight"] = tensor.zeros(4, 3), extra = tensor.zeros(1)}, {strict = false})
  H.eq(#r.missing, 3); H.eq(r.unexpected[1], "extra")
  H.raises(function() other:load_state({["1.weight"] = tensor.zeros(3, 3)}, {strict = false}) end, "wrong shape: 1.weight is [3,3]")
  -- a model with a function inside saves its weights; nn.load says what to do instead
  local withfn = nn.Sequential{nn.Linear(3, 4), function(x) return x:tanh() end, nn.Linear(4, 2)}
  local path = os.tmpname()
  withfn:save(path)
  H.raises(function() nn.load(path) end, "holds a model with modules defined in Lua, which loading cannot rebuild")
  local again = nn.Sequential{nn.Linear(3, 4), function(x) return x:tanh() end, nn.Linear(4, 2)}
  again:load_weights(path)
  H.all_close(again(x):reshape{-1}, withfn(x):reshape{-1}:totable(), 0, "load_weights brings the weights back")
  H.raises(function() nn.Sequential{nn.Linear(3, 5)}:load_weights(path) end, "does not fit the model")
  os.remove(path)
end)
