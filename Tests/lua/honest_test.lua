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
