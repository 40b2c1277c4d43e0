local H, file = ...
local test = function(name, fn) H.test(file .. ": " .. name, fn) end

test("argument errors read like lauxlib's", function()
  local x = tensor.zeros(2, 3)
  H.raises(function() x:matmul(nil) end, "bad argument #1 to 'matmul' (tensor expected, got nil)")
  H.raises(function() x:matmul("w") end, "bad argument #1 to 'matmul' (tensor expected, got string)")
  H.raises(function() tensor.zeros("a") end, "bad argument #1 to 'zeros'")
  H.raises(function() tensor.zeros({2}, "f16") end, "unknown dtype 'f16'")
  H.raises(function() x:sum("x") end, "bad argument #1 to 'sum' (number expected, got string)")
  H.raises(function() x.matmul(nil, x) end, "calling 'matmul' on bad self")
  H.raises(function() return x + {} end, "tensor or number expected, got table")
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
