-- The Lua half of the notebook kernel (`optlab --kernel`): running a cell
-- with its value shown in its richest form, completion, inspection and the
-- is-complete rule, on top of repl.lua's. The kernel loads it with repl.lua's
-- table, help_text, and a function that sends a display message.
local repl, help_text, send_display, input_line = ...
local kernel = {}

-- io.read (and io.stdin:read) in a cell ask the notebook for a line, in
-- Lua's formats: "l" (the default), "L" (with its newline), "n", "a", a count.
local function read_input(...)
  local formats = select("#", ...) == 0 and {"l"} or {...}
  local out = {}
  for i, f in ipairs(formats) do
    local line = input_line()
    f = type(f) == "string" and f:gsub("^%*", "") or f
    if f == "n" then out[i] = tonumber(line)
    elseif f == "L" then out[i] = line .. "\n"
    elseif math.type(f) == "integer" then out[i] = line:sub(1, f)
    else out[i] = line end
  end
  return table.unpack(out, 1, #formats)
end
io.read = read_input
local file_methods = getmetatable(io.stdin).__index
local file_read = file_methods.read
function file_methods.read(f, ...)
  if f == io.stdin then return read_input(...) end
  return file_read(f, ...)
end

-- A value's forms: what its __mime gives (strings by mime type), and always text/plain.
local function forms(...)
  local data = {}
  if select("#", ...) == 1 then
    local v = ...
    local mt = getmetatable(v)
    local mime = type(mt) == "table" and rawget(mt, "__mime") or nil
    if type(mime) == "function" then
      local ok, r = pcall(mime, v)
      if ok and type(r) == "table" then
        for k, x in pairs(r) do if type(k) == "string" and type(x) == "string" then data[k] = x end end
      elseif not ok then
        data["text/plain"] = repl.show(v) .. "\n(its rich form failed: " .. tostring(r) .. ")"
      end
    end
  end
  data["text/plain"] = data["text/plain"] or repl.show(...)
  return data
end
kernel.forms = forms

-- display(x, ...) in a notebook: each value as its own output.
function display(...)
  for i = 1, select("#", ...) do send_display(forms((select(i, ...)))) end
end

local traceback = repl.traceback

local function lines(s)
  local out = {}
  for line in (s .. "\n"):gmatch("(.-)\n") do out[#out + 1] = line end
  return out
end

-- Runs a cell: "ok" and the forms of its value (nil when it has none, or
-- ends with ";"), or "error", the error's name, its message and traceback lines.
-- A cell is compiled as an expression (its value shown); else, as in
-- IPython, as statements whose last lines are an expression (the longest
-- such tail); else as statements. Line numbers stay the cell's own.
-- (The value is passed through an identity function: a plain `return f()`
-- would be a tail call, and an error in f would lose its frame in the traceback.)
local keep = "return (function(...) return ... end)("
local function compile(code, chunkname)
  local f = load(keep .. code .. "\n)", chunkname)
  if f then return f end
  local lines = {}
  for line in (code .. "\n"):gmatch("(.-)\n") do lines[#lines + 1] = line end
  while #lines > 1 and lines[#lines]:match("^%s*$") do lines[#lines] = nil end
  for k = 2, #lines do
    local g = load(table.concat(lines, "\n", 1, k - 1) .. "\n" .. keep .. table.concat(lines, "\n", k) .. "\n)", chunkname)
    if g then return g end
  end
  return load(code, chunkname)
end

function kernel.execute(code, chunkname)
  local quiet = code:match(";%s*$") ~= nil
  local f, err = compile(code, chunkname)
  if not f then return "error", "SyntaxError", err, {err} end
  local results = table.pack(xpcall(f, traceback))
  if not results[1] then
    local tb = lines(results[2])
    local message = tb[1]
    local name = message:find("interrupted", 1, true) and "Interrupted" or "LuaError"
    return "error", name, message, tb
  end
  if results.n < 2 or quiet then return "ok" end
  _ = results[2]
  return "ok", forms(table.unpack(results, 2, results.n))
end

-- Jupyter's is_complete: complete, incomplete (Lua stopped at <eof>), or invalid.
function kernel.is_complete(code)
  if code:match("^%s*$") then return "complete" end
  local status = repl.status(code)
  if status == "incomplete" then return "incomplete" end
  if status == "error" then return "invalid" end
  return "complete"
end

-- The name (a.b.c or a:b) that ends at or runs through the cursor.
local function name_at(code, cursor)
  local before, after = code:sub(1, cursor), code:sub(cursor + 1)
  local head = before:match("[%w_%.:]*$") or ""
  local tail = after:match("^[%w_]*") or ""
  return head .. tail, head
end

-- Completion: the matches for the name before the cursor, and where the part they replace starts.
function kernel.complete(code, cursor)
  local _, head = name_at(code, cursor)
  local matches = repl.complete(head, code:sub(1, cursor))
  local partial = head:match("[%w_]*$") or ""
  local out = {}
  for i, m in ipairs(matches) do out[i] = m end
  return out, cursor - #partial
end

-- Inspection: help's text for the name at the cursor (help_text("nn.Linear")),
-- or for the value that name holds.
function kernel.inspect(code, cursor)
  local name = name_at(code, cursor)
  name = name:gsub("[.:]$", "")
  if name == "" then return nil end
  local text, found = help_text(name)
  if found ~= false then return text end
  local value = _G
  for part in name:gmatch("[^.:]+") do
    if type(value) ~= "table" and type(value) ~= "userdata" then return nil end
    local ok, v = pcall(function() return value[part] end)
    if not ok or v == nil then return nil end
    value = v
  end
  text, found = help_text(value)
  if found == false then return name .. " = " .. repl.show(value) end
  return text
end

return kernel
