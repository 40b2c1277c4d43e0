-- The Lua half of the REPL: whether an entry is complete, running it with its
-- values printed, pretty printing, completion and timing. The optlab
-- executable loads it with a clock and whether to use colours, and keeps the
-- table it returns.
local now, colors = ...
local repl = {}
local c = colors and {
  num = "\27[36m", str = "\27[32m", key = "\27[33m", dim = "\27[90m", err = "\27[31m", off = "\27[0m",
} or setmetatable({}, {__index = function() return "" end})

-- lua.c's rule: a syntax error at <eof> means the entry continues on the next line.
function repl.status(code)
  if load("return " .. code, "=stdin") then return "expression" end
  local f, err = load(code, "=stdin")
  if f then return "statement" end
  if err:sub(-5) == "<eof>" then return "incomplete" end
  return "error", err
end

local show
local function key_string(k)
  if type(k) == "string" and k:match("^[%a_][%w_]*$") then return c.key .. k .. c.off end
  return "[" .. show(k, 0, {}) .. "]"
end

-- A long array shows as numpy shows a long array: its first and last three
-- items around the count of those left out (a 4,000-step loss is one line).
local long_array, edge_items = 100, 3
-- An array of numbers stays on lines of at most this many characters.
local line_width = 100

-- The width a text takes on the screen: its colours' escapes take none.
local function visible(s) return #(s:gsub("\27%[[%d;]*m", "")) end

-- A value's text, its lines after the first indented as its place in a table is
-- (a tensor inside a table keeps the table's indentation).
local function indented(text, depth)
  return (text:gsub("\n", "\n" .. string.rep("  ", depth)))
end

-- The items of an array: all of them, or the edges of a long one.
local function array_parts(v, n, depth, seen)
  local parts = {}
  if n > long_array then
    for i = 1, edge_items do parts[#parts + 1] = show(v[i], depth + 1, seen) end
    parts[#parts + 1] = c.dim .. "… " .. (n - 2 * edge_items) .. " more …" .. c.off
    for i = n - edge_items + 1, n do parts[#parts + 1] = show(v[i], depth + 1, seen) end
  else
    for i = 1, n do parts[#parts + 1] = show(v[i], depth + 1, seen) end
  end
  return parts
end

-- Numbers wrapped to lines of line_width, the continuation lines indented.
local function wrapped(parts, depth)
  local lines, line = {}, ""
  for _, p in ipairs(parts) do
    local add = line == "" and p or line .. ", " .. p
    if visible(add) > line_width and line ~= "" then lines[#lines + 1] = line .. ","; line = p else line = add end
  end
  lines[#lines + 1] = line
  return "{" .. table.concat(lines, "\n" .. string.rep("  ", depth) .. " ") .. "}"
end

function show(v, depth, seen)
  local t = type(v)
  if t == "string" then return c.str .. string.format("%q", v) .. c.off end
  if t == "number" then return c.num .. tostring(v) .. c.off end
  if t == "table" then
    if seen[v] then return c.dim .. "<cycle>" .. c.off end
    local mt = getmetatable(v)
    if mt and mt.__tostring then return indented(tostring(v), depth) end
    if depth >= 3 then return c.dim .. "{...}" .. c.off end
    seen[v] = true
    local n = #v
    local numeric = n > 0
    for i = 1, n do if type(v[i]) ~= "number" then numeric = false break end end
    local parts = array_parts(v, n, depth, seen)
    local keys = {}
    for k in pairs(v) do
      if not (math.type(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
    end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    for i, k in ipairs(keys) do
      if i > 50 then parts[#parts + 1] = c.dim .. "... (" .. (#keys - 50) .. " more)" .. c.off break end
      parts[#parts + 1] = key_string(k) .. " = " .. show(v[k], depth + 1, seen)
    end
    seen[v] = nil
    local s = "{" .. table.concat(parts, ", ") .. "}"
    if visible(s) > line_width or s:find("\n", 1, true) then
      local keyed = #parts > (n > long_array and 2 * edge_items + 1 or n)
      if numeric and not keyed then return wrapped(parts, depth) end
      s = "{\n" .. string.rep("  ", depth + 1) .. table.concat(parts, ",\n" .. string.rep("  ", depth + 1)) .. "\n" .. string.rep("  ", depth) .. "}"
    end
    return s
  end
  if t == "userdata" then return indented(tostring(v), depth) end
  return tostring(v)
end

function repl.show(...)
  local parts = {}
  for i = 1, select("#", ...) do parts[i] = show(select(i, ...), 0, {}) end
  return table.concat(parts, "\t")
end

-- An error's message with Lua's traceback, less the REPL's own frames (the kernel uses it too).
local function traceback(e)
  if type(e) ~= "string" then
    local mt = getmetatable(e)
    e = mt and mt.__tostring and tostring(e) or ("(error object is a " .. type(e) .. " value)")
  end
  -- the REPL's own frames (xpcall and what called it) are not the user's business
  local tb = debug.traceback(e, 2)
  return (tb:gsub("\n\t%[C%]: in function 'xpcall'.*$", ""))
end

repl.traceback = traceback

-- The last value an entry gave is _ and _LAST; _RESULTS holds the last
-- ten, the newest last (as trepl keeps them).
local kept_results = 10
_RESULTS = {}
local function finish(quiet, ok, ...)
  if not ok then
    io.stderr:write(c.err, (...), c.off, "\n")
    return
  end
  if select("#", ...) > 0 then
    _ = (...)
    _LAST = _
    if type(_RESULTS) ~= "table" then _RESULTS = {} end
    table.insert(_RESULTS, _LAST)
    while #_RESULTS > kept_results do table.remove(_RESULTS, 1) end
    if not quiet then print(repl.show(...)) end
  end
end

-- An entry's wall time, printed after it when it took at least `repl.timer`
-- seconds (optlab -t, :timer): nil prints none.
local function report_time(t0)
  local took = now() - t0
  if repl.timer and took >= repl.timer then
    io.stdout:write(c.dim, took >= 1 and string.format("time: %.2f s", took) or string.format("time: %.1f ms", took * 1000), c.off, "\n")
  end
end

-- Runs one entry: as an expression first (its values printed), else as a statement.
-- A trailing ";" suppresses printing.
function repl.run(code)
  local quiet = code:match(";%s*$") ~= nil
  local f = load("return " .. code, "=stdin")
  if not f then
    local err
    f, err = load(code, "=stdin")
    if not f then io.stderr:write(c.err, err, c.off, "\n") return end
  end
  local t0 = now()
  finish(quiet, xpcall(f, traceback))
  report_time(t0)
end

-- `:timer 0.5` prints the time of entries that take 0.5 s or more; `:timer off` none.
function repl.set_timer(arg, quiet)
  arg = arg:match("^%s*(.-)%s*$")
  if arg == "off" then repl.timer = nil; print("timer off") return end
  local s = tonumber(arg)
  if not s or s < 0 then io.stderr:write(c.err, ":timer: expected seconds (a number ≥ 0) or off, got '", arg, "'", c.off, "\n") return end
  repl.timer = s
  if not quiet then print(string.format("timing entries that take %g s or more", s)) end
end

-- `$ ls runs`: a shell command, run as os.execute runs it, its exit status said when not 0.
function repl.shell(command)
  io.stdout:flush()
  local ok, how, code = os.execute(command)
  if not ok then io.stderr:write(c.err, how == "signal" and ("killed by signal " .. tostring(code)) or ("exit " .. tostring(code)), c.off, "\n") end
end

-- The globals the session began with; who() lists the others.
local builtin = {}
for k in pairs(_G) do builtin[k] = true end
for _, k in ipairs{"_", "_LAST", "_RESULTS", "who", "time"} do builtin[k] = true end

local function tensor_bytes(t)
  local ok, n = pcall(function() return t:numel() * ({f32 = 4, f64 = 8, i32 = 4})[t:dtype()] end)
  return ok and n or nil
end
local function bytes_text(n)
  if n < 1000 then return n .. " bytes" end
  local units, u = {"KB", "MB", "GB", "TB"}, 0
  while n >= 1000 and u < #units do n = n / 1000; u = u + 1 end
  return string.format("%.1f %s", n, units[u])
end

-- What who() says of a value: a tensor's dtype, shape and bytes, a model's
-- parameters, a table's size, a number or a short string itself.
local function described(v)
  local t = type(v)
  local mt = getmetatable(v)
  local name = type(mt) == "table" and mt.__name
  if name == "optlab.Tensor" then
    local shape = table.concat(v:size(), " x ")
    return string.format("tensor %s [%s], %s", v:dtype(), shape == "" and "scalar" or shape, bytes_text(tensor_bytes(v) or 0))
  end
  if name == "optlab.Module" then
    local n, bytes = 0, 0
    for _, p in pairs(v:named_parameters()) do n = n + p:numel(); bytes = bytes + (tensor_bytes(p) or 0) end
    return string.format("model %s, %d parameters, %s", tostring(v):match("^[^\n]*"), n, bytes_text(bytes))
  end
  if t == "table" and not name then
    local n = 0
    for _ in pairs(v) do n = n + 1 end
    return string.format("table, %d %s", n, n == 1 and "entry" or "entries")
  end
  if t == "number" or t == "boolean" then return t .. " " .. tostring(v) end
  if t == "string" then return #v <= 40 and string.format("string %q", v) or string.format("string of %d bytes", #v) end
  return (name and name:gsub("^optlab%.", "") or t)
end

-- who(): the session's own globals, sorted, each with what it holds.
function who()
  local names = {}
  for k in pairs(_G) do if type(k) == "string" and not builtin[k] then names[#names + 1] = k end end
  table.sort(names)
  if #names == 0 then print("no globals of your own yet") return end
  local width = 0
  for _, k in ipairs(names) do width = math.max(width, #k) end
  for _, k in ipairs(names) do print(string.format("  %-" .. width .. "s  %s", k, described(_G[k]))) end
end

-- `:time expr`, and time(fn, ...) for scripts
function time(fn, ...)
  local t0 = now()
  local results = table.pack(fn(...))
  io.stdout:write(c.dim, string.format("time: %.3f ms", (now() - t0) * 1000), c.off, "\n")
  return table.unpack(results, 1, results.n)
end

function repl.time(code)
  local f, err = load("return " .. code, "=stdin")
  if not f then f, err = load(code, "=stdin") end
  if not f then io.stderr:write(c.err, err, c.off, "\n") return end
  local t0 = now()
  finish(false, xpcall(f, traceback))
  io.stdout:write(c.dim, string.format("time: %.3f ms", (now() - t0) * 1000), c.off, "\n")
end

local keywords = {"and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if", "in",
  "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while"}

-- The function whose options table the cursor is in: `train.fit{mo` or
-- `optim.SGD(model, {mo` give "train.fit" and "optim.SGD"; nil elsewhere.
local function options_call(line)
  local depth, i = 0, #line
  while i >= 1 do   -- the innermost unclosed {, with only keys and values since
    local ch = line:sub(i, i)
    if ch == "}" then depth = depth + 1 elseif ch == "{" then
      if depth == 0 then break end
      depth = depth - 1
    end
    i = i - 1
  end
  if i < 1 then return nil end
  local before = line:sub(1, i - 1):gsub("%s+$", "")
  local name = before:match("([%a_][%w_%.]*)$")
  if name then return name end
  -- f(a, b, { : the name before the unclosed (
  depth = 0
  for j = #before, 1, -1 do
    local ch = before:sub(j, j)
    if ch == ")" then depth = depth + 1 elseif ch == "(" then
      if depth == 0 then return before:sub(1, j - 1):gsub("%s+$", ""):match("([%a_][%w_%.]*)$") end
      depth = depth - 1
    end
  end
end

-- A module's own names: its parameters and children by name, and a Lua
-- module's fields (its instance table, the box's user value).
local function module_fields(obj, walk)
  local ok, params = pcall(function() return obj:named_parameters() end)
  if ok and type(params) == "table" then
    local own = {}
    for name in pairs(params) do
      local head = name:match("^([^%.]+)")
      if head and not head:match("^%d+$") then own[head] = true end
    end
    walk(own)
  end
  local uv = debug.getuservalue(obj, 1)
  if type(uv) == "table" then walk(uv) end
end

-- Completions of the name before the cursor: keywords and globals, fields of
-- tables at any depth, methods reached through metatables, a module's own
-- fields, and inside a call's options table its option keys (`line` is the
-- text before the cursor, when known).
function repl.complete(word, line)
  local base, sep, partial = word:match("^(.*)([%.:])([%w_]*)$")
  local out, seen = {}, {}
  local function add(name, value)
    if seen[name] then return end
    seen[name] = true
    out[#out + 1] = name .. ((type(value) == "function" and sep == ":") and "(" or "")
  end
  local fn = not base and line and options_call(line)
  local found, optlab = pcall(require, "optlab")
  local keys = fn and found and optlab.option_keys(fn)
  if keys and (line:match("[{,]%s*[%w_]*$")) then
    for _, k in ipairs(keys) do if k:sub(1, #word) == word then add(k) end end
    table.sort(out)
    return out
  end
  if not base then
    partial = word
    for _, k in ipairs(keywords) do if k:sub(1, #partial) == partial then add(k) end end
    for k, v in pairs(_G) do
      if type(k) == "string" and k:sub(1, #partial) == partial then add(k, v) end
    end
  else
    local obj = _G
    for part in base:gmatch("[^%.:]+") do
      if type(obj) ~= "table" and type(obj) ~= "userdata" then return {} end
      local ok, v = pcall(function() return obj[part] end)
      if not ok then return {} end
      obj = v
    end
    if obj == nil then return {} end
    local visited = {}
    local function walk(tbl)
      if type(tbl) ~= "table" or visited[tbl] then return end
      visited[tbl] = true
      for k, v in pairs(tbl) do
        if type(k) == "string" and k:sub(1, #partial) == partial and not k:match("^__") then add(k, v) end
      end
      local mt = getmetatable(tbl)
      if mt then walk(mt.__methods or (type(mt.__index) == "table" and mt.__index) or nil) end
    end
    if type(obj) == "table" then walk(obj) end
    local mt = getmetatable(obj)
    if type(obj) ~= "table" and type(mt) == "table" then walk(mt.__methods or mt.__index) end
    if type(obj) == "userdata" and type(mt) == "table" and mt.__name == "optlab.Module" and sep == "." then
      module_fields(obj, function(t) for k in pairs(t) do if type(k) == "string" and k:sub(1, #partial) == partial and not k:match("^_") then add(k) end end end)
    end
  end
  table.sort(out)
  return out
end

return repl
