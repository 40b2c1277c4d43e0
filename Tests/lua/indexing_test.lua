local H, file = ...
local test = function(name, fn) H.test(file .. ": " .. name, fn) end
-- Torch7/PyTorch indexing: positions, ranges, all, negatives, masks; reads
-- copy and are differentiable, writes go into the tensor.

local function m34() return tensor.arange(1, 13):reshape{3, 4} end

test("reads: a position drops its dimension, a range keeps it, {} takes all", function()
  local x = m34()
  H.all_close(x[{2, {2, 3}}], {6, 7}); H.eq(#x[{2, {2, 3}}]:shape(), 1)
  H.all_close(x[{{}, 4}], {4, 8, 12})
  H.eq(table.concat(x[{{2}, {}}]:shape(), "x"), "1x4", "{2} keeps the dimension")
  H.all_close(x[{{2, 3}, {1, 2}}]:reshape{-1}, {5, 6, 9, 10})
  H.eq(x[{-1, -1}]:item(), 12, "negatives count from the end")
  H.all_close(x[{-2}], {5, 6, 7, 8}); H.all_close(x[-1], {9, 10, 11, 12})
  local c = tensor.arange(1, 25):reshape{2, 3, 4}
  H.all_close(c[{{}, {}, 2}]:reshape{-1}, {2, 6, 10, 14, 18, 22})
  local r = x[{1, {}}]; r[1] = 100
  H.eq(x[{1, 1}]:item(), 1, "a read is a copy")
end)

test("writes go into the tensor, the value broadcast to the region", function()
  local x = m34()
  local c = tensor.arange(1, 25):reshape{2, 3, 4}
  c[{{}, {}, 2}] = 0
  H.eq(c[{{}, {}, 2}]:abs():sum():item(), 0); H.eq(c:sum():item(), 300 - (2 + 6 + 10 + 14 + 18 + 22))
  x[{2, {2, 3}}] = tensor.from{-1, -2}
  H.all_close(x[2], {5, -1, -2, 8})
  x[{{}, 1}] = tensor.from{7}               -- one value broadcast
  H.all_close(x[{{}, 1}], {7, 7, 7})
  H.raises(function() x[{1, {}}] = tensor.from{1, 2} end, "a value of shape [2] does not fit the region of shape [4]")
end)

test("masks select and assign", function()
  local x = m34()
  H.all_close(x[x:gt(9)], {10, 11, 12})
  x[x:le(2)] = -5
  H.all_close(x[1], {-5, -5, 3, 4})
  x[x:lt(0)] = tensor.from{8, 9}
  H.all_close(x[1], {8, 9, 3, 4}, 0, "one value per selected element")
  x:masked_fill_(tensor.from{1, 0, 0, 1}, 0)    -- a row mask broadcast over the rows
  H.all_close(x[{{}, 1}], {0, 0, 0}); H.all_close(x[{{}, 4}], {0, 0, 0})
  x:index_fill_(1, {2, -1}, 1)
  H.all_close(x[3], {1, 1, 1, 1}); H.all_close(x[2], {1, 1, 1, 1})
  H.raises(function() return x[tensor.zeros(2)] end, "a mask of shape [2] for a tensor of shape [3,4]")
end)

test("a read's gradient goes back to the elements it took", function()
  local w = tensor.arange(1, 7):reshape{2, 3}:to("f64"):requires_grad()
  local y = (w[{{}, {2, 3}}] * tensor.from({{1, 2}, {3, 4}}, "f64")):sum() + w[w:gt(5)]:sum() * 10
  y:backward()
  H.all_close(w.grad:reshape{-1}, {0, 1, 2, 0, 3, 4 + 10})
  local v = tensor.randn({3, 4}, "f64"):requires_grad()
  local r = check.grad(function() return (v[{{1, 2}, -1}] ^ 2):sum() + v[{3, {}}]:sum() end, {v})
  H.eq(r.ok, true, tostring(r))
end)

test("out-of-range indices and writes into a graph are clear errors", function()
  local x = m34()
  H.raises(function() return x[{4, 1}] end, "index 4 out of range 1..3 for dimension 1")
  H.raises(function() return x[{1, {2, 9}}] end, "index 9 out of range 1..4 for dimension 2")
  H.raises(function() return x[{0}] end, "index 0 out of range 1..3")
  H.raises(function() return x[{1, 2, 3}] end, "3 indices for a 2-d tensor")
  H.raises(function() return x[{"a"}] end, "entry 1 must be an index")
  H.raises(function() x:index_fill_(2, {5}, 0) end, "index 5 is out of range 1..4 for dimension 2")
  local w = tensor.randn{3}:requires_grad()
  H.raises(function() w[{1}] = 0 end, "cannot change a leaf that requires grad in place")
  tensor.no_grad(function() w[{1}] = 0 end)
  H.eq(w[{1}]:item(), 0)
end)
