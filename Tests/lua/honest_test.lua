local H, file = ...
local test = function(name, fn) H.test(file .. ": " .. name, fn) end
-- Issue 34: every verdict optlab gives is right when the user strays from
-- the demo's path. Each test below failed on the code before that issue.

test("check.grad{h = 'sweep'} never picks an h that compared nothing, and passes a correct model", function()
  for seed = 1, 4 do
    tensor.seed(seed)
    local model = nn.Sequential{nn.Linear(50, 64), nn.Tanh(), nn.Linear(64, 10)}   -- the default init: std 0.01
    local x = tensor.randn{16, 50}
    local y = tensor.from({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 2, 3, 4, 5, 6}, "i32")
    local r = check.grad(function() return nn.SoftmaxCrossEntropy()(model(x), y) end, model, {h = "sweep"})
    H.eq(r.ok, true, "seed " .. seed .. ":\n" .. tostring(r))
    local chosen
    for _, s in ipairs(r.sweep) do if s.h == r.h then chosen = s end end
    H.eq(chosen.compared, 40, "the chosen h compared every sampled dimension")
    H.eq(r.sweep[#r.sweep].compared, 0, "h = 1e-10 compares nothing in floating point")
    H.eq(r.sweep_choice:find("chose h = ", 1, true) ~= nil, true, r.sweep_choice)
    H.eq(tostring(r):find("1e-10→none compared", 1, true) ~= nil, true, tostring(r))
  end
end)

test("normalize returns only the set: a call as the last argument leaks nothing into options", function()
  tensor.seed(1)
  local d = data.spiral{classes = 3, per_class = 20}
  local tr, te = d:split(0.5, {seed = 1})
  local n = select("#", tr:normalize())
  H.eq(n, 1, "normalize's results")
  tr = tr:normalize()
  local model = nn.Sequential{nn.Linear(2, 3)}
  -- the README's line: before, normalize's second result (the stats) went in as train.accuracy's options
  local acc = train.accuracy(model, te:normalize(tr))
  H.eq(type(acc), "number")
  local s = tr:normalization()
  H.all_close(te:normalize(tr):inputs(), ((te:inputs() - s.mean) / s.std):reshape{-1}:totable(), 1e-6, "with the training part's statistics")
  H.all_close(te:normalize(s):inputs(), te:normalize(tr):inputs():reshape{-1}:totable(), 0, "a stats table does the same")
  H.eq(te:normalization(), nil, "a set not normalized has none")
  H.raises(function() local stats; te:normalize(stats) end, "normalize returns only the set now: pass the training set, val:normalize(tr)")
  H.raises(function() tr:normalize(te) end, "was not normalized")
end)

test("non-finite inputs are refused when a set is built or normalized, naming how many and the first", function()
  local x = tensor.randn{4, 3}
  x[{2, 3}] = 0 / 0
  x[{4, 1}] = 1 / 0
  H.raises(function() data.dataset(x, {1, 2, 1, 2}) end, "data.dataset: 2 of the inputs are not finite (the first: nan at example 2, feature 3)")
  -- a set with NaN made another way (its inputs changed in place) is refused by normalize
  local d = data.dataset(tensor.randn{4, 3}, {1, 2, 1, 2})
  d:inputs()[{1, 2}] = 0 / 0
  H.raises(function() d:normalize() end, "Dataset:normalize: 1 of the inputs is not finite (the first: nan at example 1, feature 2)")
end)

test("0-based labels are told as such, with the fix", function()
  H.raises(function() data.dataset(tensor.randn{3, 2}, {0, 1, 2}) end,
    "labels are 1..C in optlab (Lua counts from 1); these start at 0 (at position 1): 0-based labels, as numpy's? pass labels + 1")
  H.raises(function() data.dataset(tensor.randn{3, 2}, tensor.from({1, 0, 1}, "i32")) end, "at position 2")
end)

test("regression targets make a regression set", function()
  local x = tensor.randn{5, 2}
  H.raises(function() data.dataset(x, tensor.from{0.5, 1.25, -2, 3.5, 0}) end, "label 0.5 at position 1 is not an integer (real-valued targets: data.dataset(x, y, {targets = \"values\"}))")
  local d = data.dataset(x, tensor.from{0.5, 1.25, -2, 3.5, 0}, {targets = "values"})
  H.eq(d:classes(), nil, "a regression set has no classes")
  H.all_close(d:labels(), {0.5, 1.25, -2, 3.5, 0}, 0, "its values, as given")
  H.eq(tostring(d), "Dataset: 5 examples, inputs 2, values [N]")
  local ints = data.dataset(x, {1, 2, 3, 4, 5}, {targets = "values"})
  H.eq(ints:classes(), nil, "integral values asked for as values")
  H.raises(function() data.dataset(x, {1, 2, 3, 4, 5}, {targets = "labels"}) end, "option 'targets' must be \"classes\" or \"values\"")
end)
