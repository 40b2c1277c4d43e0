-- A small test harness: test(name, fn), expectations that say what they
-- compared, and a closing line "lua: N passed, M failed".
local H = {passed = 0, failed = 0, failures = {}}

function H.test(name, fn)
  local ok, err = xpcall(fn, debug.traceback)
  if ok then
    H.passed = H.passed + 1
  else
    H.failed = H.failed + 1
    H.failures[#H.failures + 1] = name
    io.stderr:write("FAIL ", name, "\n", tostring(err), "\n")
  end
end

local function fail(msg, level) error(msg, (level or 1) + 2) end

function H.eq(got, want, what)
  if got ~= want then fail(string.format("%s: expected %s, got %s", what or "value", tostring(want), tostring(got))) end
end

function H.close(got, want, tol, what)
  tol = tol or 1e-6
  local err = math.abs(got - want) / math.max(math.abs(got), math.abs(want), 1e-12)
  if not (err <= tol) then
    fail(string.format("%s: expected %.17g, got %.17g (rel err %.3g > %.3g)", what or "value", want, got, err, tol))
  end
end

-- Elementwise comparison of a tensor (or table) with a table of numbers.
function H.all_close(got, want, tol, what)
  local g = type(got) == "table" and got or got:reshape{-1}:totable()
  if type(g) == "number" then g = {g} end
  H.eq(#g, #want, (what or "tensor") .. " length")
  for i = 1, #want do H.close(g[i], want[i], tol, string.format("%s[%d]", what or "tensor", i)) end
end

-- fn must raise an error whose message contains `fragment` (plain text).
function H.raises(fn, fragment)
  local ok, err = pcall(fn)
  if ok then fail("expected an error containing '" .. fragment .. "', got none") end
  if not tostring(err):find(fragment, 1, true) then
    fail("expected an error containing '" .. fragment .. "', got: " .. tostring(err))
  end
  return err
end

function H.finish()
  print(string.format("lua: %d passed, %d failed", H.passed, H.failed))
  return H.failed == 0
end

return H
