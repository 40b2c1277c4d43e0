local H, file = ...
local test = function(name, fn) H.test(file .. ": " .. name, fn) end

test("creation, shape, dtype", function()
  local x = tensor.zeros{2, 3}
  H.eq(x:dim(), 2); H.eq(x:numel(), 6); H.eq(x:dtype(), "f32")
  H.eq(x:shape()[1], 2); H.eq(x:shape()[2], 3); H.eq(x:size(2), 3)
  H.eq(tensor.zeros(2, 3):numel(), 6, "varargs shape")
  H.eq(tensor.ones({2}, "f64"):dtype(), "f64")
  H.all_close(tensor.full({2, 2}, 0.5), {0.5, 0.5, 0.5, 0.5})
  H.all_close(tensor.arange(5), {0, 1, 2, 3, 4})
  H.all_close(tensor.arange(1, 2, 0.25), {1, 1.25, 1.5, 1.75})
  H.all_close(tensor.eye(2), {1, 0, 0, 1})
  H.eq(#tensor.zeros(7, 2), 7, "#x is the first size")
end)

test("from nested tables and back", function()
  local x = tensor.from{{1, 2, 3}, {4, 5, 6}}
  H.eq(x:shape()[1], 2); H.eq(x:shape()[2], 3)
  local t = x:totable()
  H.eq(t[2][3], 6); H.eq(t[1][1], 1)
  H.eq(tensor.from(2.5):item(), 2.5)
  H.raises(function() tensor.from{{1, 2}, {3}} end, "not rectangular")
  H.raises(function() tensor.from{{1, "a"}} end, "expected a number")
end)

test("1-based indexing is a view; assignment writes through", function()
  local x = tensor.arange(6):reshape{2, 3}
  H.eq(x[2][1], 3)
  x[2][1] = 10
  H.eq(x:totable()[2][1], 10, "x[2][1] = 10 wrote into x")
  x[1] = 7
  H.all_close(x[1], {7, 7, 7})
  x[2] = tensor.from{1, 2, 3}
  H.all_close(x, {7, 7, 7, 1, 2, 3})
  H.raises(function() return x[3] end, "out of range 1..2")
  H.raises(function() return x[0] end, "out of range")
end)

test("arithmetic with numbers on either side, broadcasting", function()
  local x = tensor.from{1, 2, 3}
  H.all_close(x + 1, {2, 3, 4}); H.all_close(1 + x, {2, 3, 4})
  H.all_close(2 * x, {2, 4, 6}); H.all_close(x * 2, {2, 4, 6})
  H.all_close(10 - x, {9, 8, 7}); H.all_close(6 / x, {6, 3, 2})
  H.all_close(x ^ 2, {1, 4, 9}); H.all_close(2 ^ x, {2, 4, 8}); H.all_close(-x, {-1, -2, -3})
  local m = tensor.from{{1, 2, 3}, {4, 5, 6}}
  H.all_close(m + x, {2, 4, 6, 5, 7, 9}, 0, "row broadcast")
  H.all_close(m * tensor.from{{10}, {100}}, {10, 20, 30, 400, 500, 600}, 0, "column broadcast")
  H.raises(function() return m + tensor.zeros(4) end, "do not broadcast")
end)

test("elementwise functions against closed forms", function()
  local x = tensor.from({-2, -0.5, 0.5, 2}, "f64")
  H.all_close(x:exp(), {math.exp(-2), math.exp(-0.5), math.exp(0.5), math.exp(2)}, 1e-15)
  H.all_close(x:abs():log(), {math.log(2), math.log(0.5), math.log(0.5), math.log(2)}, 1e-15)
  H.all_close(x:relu(), {0, 0, 0.5, 2}, 0)
  H.all_close(x:leaky_relu(0.1), {-0.2, -0.05, 0.5, 2}, 1e-15)
  H.all_close(x:clamp(-1, 1), {-1, -0.5, 0.5, 1}, 0)
  H.all_close(x:sigmoid(), {1 / (1 + math.exp(2)), 1 / (1 + math.exp(0.5)), 1 / (1 + math.exp(-0.5)), 1 / (1 + math.exp(-2))}, 1e-15)
  local t = (math.exp(4) - 1) / (math.exp(4) + 1)
  H.close(x:tanh():totable()[4], t, 1e-15, "tanh(2)")
  H.all_close(x:gt(0), {0, 0, 1, 1}, 0); H.all_close(x:le(-0.5), {1, 1, 0, 0}, 0)
  H.all_close(tensor.where(x:gt(0), x, x * 10), {-20, -5, 0.5, 2}, 1e-15)
end)

test("reductions, 1-based dims and argmax", function()
  local m = tensor.from{{1, 5, 3}, {4, 2, 6}}
  H.eq(m:sum():item(), 21); H.close(m:mean():item(), 3.5)
  H.all_close(m:sum(1), {5, 7, 9}); H.all_close(m:sum(2), {9, 12}); H.all_close(m:sum(-1), {9, 12})
  H.eq(m:sum(2, true):shape()[2], 1, "keepdim")
  local v, i = m:max(2)
  H.all_close(v, {5, 6}); H.all_close(i, {2, 3})
  H.all_close(m:argmax(1), {2, 1, 2}); H.all_close(m:argmin(2), {1, 2})
  H.eq(m:max():item(), 6); H.eq(m:min():item(), 1)
  -- var of 1..6: mean 3.5, sum of squares 17.5: unbiased 3.5, population 17.5/6
  H.close(m:var():item(), 3.5, 1e-6); H.close(m:var{correction = 0}:item(), 17.5 / 6, 1e-6)
  H.close(m:std():item(), math.sqrt(3.5), 1e-6)
  H.close(m:norm():item(), math.sqrt(91), 1e-6)
  H.raises(function() m:sum(3) end, "dimension 3 out of range")
  H.raises(function() m:var{corection = 1} end, "unknown option 'corection'")
end)

test("shape ops: reshape, t, permute, slice, cat, squeeze", function()
  local x = tensor.arange(6):reshape{2, 3}
  H.all_close(x:t(), {0, 3, 1, 4, 2, 5}, 0)
  H.eq(x:reshape{3, -1}:shape()[2], 2)
  H.all_close(x:slice(2, 2, 3), {1, 2, 4, 5}, 0)
  H.all_close(x:slice(2, -1, -1), {2, 5}, 0)
  H.all_close(tensor.cat({x, x}, 1):sum(1), {6, 10, 14}, 0)
  H.eq(tensor.cat({x, x}, 2):shape()[2], 6)
  local p = tensor.arange(24):reshape{2, 3, 4}:permute(3, 1, 2)
  H.eq(p:shape()[1], 4); H.eq(p[2][1][1], 1); H.eq(p[1][2][1], 12)
  H.eq(x:unsqueeze(1):dim(), 3); H.eq(x:unsqueeze(1):squeeze():dim(), 2)
  H.raises(function() x:reshape{4, -1} end, "cannot reshape")
end)

test("labels are 1-based: index_select, gather, one_hot, cross_entropy", function()
  local scores = tensor.from{{1, 2, 3}, {3, 2, 1}}
  H.all_close(scores:index_select(2, {3, 1}), {3, 1, 1, 3}, 0)
  local y = tensor.from({3, 1}, "i32")
  H.all_close(scores:gather(2, y:unsqueeze(2)), {3, 3}, 0)
  H.all_close(y:one_hot(3), {0, 0, 1, 1, 0, 0}, 0)
  -- both rows put score 3 on the right class: loss = -log(e^3 / (e + e^2 + e^3))
  local want = -math.log(math.exp(3) / (math.exp(1) + math.exp(2) + math.exp(3)))
  H.close(scores:cross_entropy(y):item(), want, 1e-6)
  H.close(tensor.zeros(4, 10):cross_entropy{1, 2, 3, 10}:item(), math.log(10), 1e-6, "ln(C) on zero scores")
  H.raises(function() scores:cross_entropy{4, 1} end, "out of range")
end)

test("matmul against numpy", function()
  tensor.seed(3)
  local a, b = tensor.randn({5, 4}, "f64"), tensor.randn({4, 3}, "f64")
  local dir = os.tmpname(); os.remove(dir)
  a:save(dir .. "a.npy"); b:save(dir .. "b.npy")
  local ok = os.execute(string.format(
    [[python3 -c "import numpy as np; np.save('%sc.npy', np.load('%sa.npy') @ np.load('%sb.npy'))"]], dir, dir, dir))
  H.eq(ok, true, "python3 with numpy ran")
  local c = tensor.load(dir .. "c.npy")
  H.all_close(a:matmul(b), c:reshape{-1}:totable(), 1e-13)
  for _, f in ipairs{"a.npy", "b.npy", "c.npy"} do os.remove(dir .. f) end
end)

test("printing: common format, elided middle, footer", function()
  local s = tostring(tensor.from{{0.5, -2}, {3, 4}})
  H.eq(s, " 0.5000 -2.0000\n 3.0000  4.0000\n[f32 tensor, shape 2×2]")
  local big = tostring(tensor.arange(100))
  H.eq(big:find("...", 1, true) ~= nil, true, "long rows are elided")
  H.eq(big:find("[f32 tensor, shape 100]", 1, true) ~= nil, true, "footer")
  H.eq(tostring(tensor.from({1, 2}, "i32")), "1 2\n[i32 tensor, shape 2]")
end)

test("seeded generator: reproducible, and the state can be replayed", function()
  tensor.seed(7); local a = tensor.randn(5):totable()
  tensor.seed(7); local b = tensor.randn(5):totable()
  for i = 1, 5 do H.eq(a[i], b[i], "same seed, same numbers") end
  local s = tensor.rng_state()
  local c = tensor.rand(3):totable()
  tensor.set_rng_state(s)
  local d = tensor.rand(3):totable()
  for i = 1, 3 do H.eq(c[i], d[i], "replayed state") end
end)

test("files: npy and safetensors round trips", function()
  local base = os.tmpname(); os.remove(base)
  local w = tensor.randn{3, 4}
  w:save(base .. ".npy")
  H.all_close(tensor.load(base .. ".npy"), w:reshape{-1}:totable(), 0)
  tensor.save(base .. ".safetensors", {w = w, b = tensor.ones(4)}, {epoch = "3"})
  local ts, meta = tensor.load(base .. ".safetensors")
  H.all_close(ts.w, w:reshape{-1}:totable(), 0); H.all_close(ts.b, {1, 1, 1, 1}, 0)
  H.eq(meta.epoch, "3")
  H.raises(function() tensor.load(base .. ".missing.npy") end, "cannot open")
  os.remove(base .. ".npy"); os.remove(base .. ".safetensors")
end)

test("require works as well as the globals", function()
  H.eq(require("optlab.tensor"), tensor)
end)
