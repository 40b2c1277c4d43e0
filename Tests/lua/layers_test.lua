local H, file = ...
local test = function(name, fn) H.test(file .. ": " .. name, fn) end
-- The layers made from their declarations: constructors, help, checkpoints,
-- and the gradient check of the two added as the registry's proof.

test("GELU and AvgPool2d train, check, save and load like every layer", function()
  tensor.seed(3)
  local model = nn.Sequential{nn.Conv2d(1, 2, 3, {pad = 1}), nn.GELU(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(8, 3)}
  local x, y = tensor.randn{2, 1, 4, 4}, tensor.from({1, 3}, "i32")
  local loss = nn.SoftmaxCrossEntropy()
  local r = check.grad(function() return loss(model(x), y) end, model)
  H.eq(r.ok, true, "the gradient check passes:\n" .. tostring(r))
  local path = os.tmpname()
  model:save(path)
  local back = nn.load(path)
  os.remove(path)
  H.eq(tostring(back), tostring(model), "the architecture comes back")
  H.close((back(x) - model(x)):abs():max():item() + 1, 1, 1e-12, "same outputs")
  H.eq(tostring(model:clone()), tostring(model), "clone")
end)

test("GELU's values are x·Φ(x)", function()
  local g = nn.GELU()(tensor.from({-1, 0, 1, 2}, "f64"))
  H.all_close(g, {-0.15865525393145707, 0, 0.8413447460685429, 1.9544997361036416}, 1e-14)
  H.all_close(nn.AvgPool2d(2)(tensor.from({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}):reshape{1, 1, 4, 4}), {3.5, 5.5, 11.5, 13.5})
  H.all_close(nn.AvgPool2d(2, {stride = 1})(tensor.from({1, 2, 3, 4, 5, 6, 7, 8, 9}):reshape{1, 1, 3, 3}), {3, 4, 6, 7})
end)

test("every layer constructor has help and checks its arguments", function()
  for _, name in ipairs{"Linear", "Conv2d", "MaxPool2d", "AvgPool2d", "Flatten", "ReLU", "LeakyReLU", "GELU", "Tanh", "Sigmoid",
                        "Dropout", "BatchNorm", "Maxout", "Sequential"} do
    H.eq(type(nn[name]), "function", "nn." .. name)
  end
  H.raises(function() nn.GELU(1) end, "nn.GELU: takes no arguments, got 1")
  H.raises(function() nn.AvgPool2d() end, "bad argument #1 to 'nn.AvgPool2d' (kernel expected, got no value)")
  H.raises(function() nn.AvgPool2d(2, {strid = 1}) end, "nn.AvgPool2d: unknown option 'strid' (did you mean 'stride'?)")
  H.raises(function() nn.Linear(2, 3, {init = "foo"}) end, "option 'init' must be small, xavier, kaiming, got 'foo'")
  H.raises(function() nn.Conv2d(1, 2, 3, {pad = -1}) end, "option 'pad' must be a non-negative integer")
  H.eq(tostring(nn.Conv2d(1, 2, 3, {padding = 1})), "Conv2d(1 -> 2, 3×3, pad 1)", "padding and its alias pad")
end)
