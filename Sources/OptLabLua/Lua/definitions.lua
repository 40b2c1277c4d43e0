-- lua-language-server definitions (a `---@meta` file) made from the registry
-- help() reads: each documented function and method with its parameters
-- from its signature, its description from its help text, and its options
-- table as a class whose fields are the keys the runtime accepts (typed by
-- the defaults the signature shows). Made, never written by hand, so they
-- cannot drift from help(). `optlab definitions DIR` writes them.
local definitions = {}

-- The parts of a parameter list at depth 0: "a, b [, {c = 1}]" → "a", "b", "[, {c = 1}]".
local function split_top(s)
  local parts, depth, start = {}, 0, 1
  for i = 1, #s do
    local ch = s:sub(i, i)
    if ch == "(" or ch == "{" or ch == "[" then depth = depth + 1
    elseif ch == ")" or ch == "}" or ch == "]" then depth = depth - 1
    elseif ch == "," and depth == 0 then parts[#parts + 1] = s:sub(start, i - 1); start = i + 1 end
  end
  parts[#parts + 1] = s:sub(start)
  local out = {}
  for _, p in ipairs(parts) do
    p = p:match("^%s*(.-)%s*$")
    if p ~= "" then out[#out + 1] = p end
  end
  return out
end

local keywords = {}
for _, k in ipairs{"and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if", "in",
  "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while"} do keywords[k] = true end

-- A signature's parameters: {name =, optional =, options = text inside {} or nil, vararg =}.
-- "f(a, b [, {k=1}])", "f{k=, j=2}", "x:m([dim [, keepdim]])".
local function parameters(sig)
  local open = sig:find("[%({]")
  if not open then return nil end
  if sig:sub(open, open) == "{" then
    return {{name = "options", options = sig:match("%b{}", open):sub(2, -2)}}
  end
  local inner = sig:match("%b()", open)
  if not inner then return nil end
  inner = inner:sub(2, -2)
  local params = {}
  -- left to right: a name, a {...} options table, "...", or a [...] group,
  -- whose contents (nested groups too) are optional
  local function walk(text, optional)
    local i = 1
    while i <= #text do
      local ch = text:sub(i, i)
      if ch:match("[%s,]") then
        i = i + 1
      elseif ch == "[" or ch == "{" then
        local group = text:match(ch == "[" and "^%b[]" or "^%b{}", i)
        if not group then return end   -- unbalanced: what is there is kept
        if ch == "[" then walk(group:sub(2, -2), true)
        else params[#params + 1] = {name = "options", optional = optional, options = group:sub(2, -2)} end
        i = i + #group
      elseif text:sub(i, i + 2) == "..." then
        params[#params + 1] = {name = "...", optional = true, vararg = true}
        i = i + 3
      else
        local word = text:match("^[^%s,%[%]{}]+", i)
        local name = word:match("^([%a_][%w_]*)") or ("arg" .. (#params + 1))
        if keywords[name] then name = name .. "_" end   -- nn.Linear(in, out)
        params[#params + 1] = {name = name, optional = optional}
        i = i + #word
      end
    end
  end
  walk(inner, false)
  -- a name used twice (shape, shape) gets a number
  local seen = {}
  for _, p in ipairs(params) do
    if not p.vararg then
      if seen[p.name] then seen[p.name] = seen[p.name] + 1; p.name = p.name .. seen[p.name] else seen[p.name] = 1 end
    end
  end
  return params
end
definitions.parameters = parameters

-- A default's Lua type, for an option field: 1e-3 → number, false → boolean, "x" → string.
local function type_of_default(v)
  if not v or v == "" or v:match("^%.%.%.") then return "any" end
  if v == "true" or v == "false" then return "boolean" end
  if v:match('^".*"$') or v:match("^'.*'$") then return "string" end
  if tonumber(v) then return "number" end   -- (reg=0 is a number; an integer default does not make a count)
  if v:match("^{") then return "table" end
  return "any"
end

-- The keys an options text shows, with their defaults: "lr=1e-3, eps = 1e-8, ..." → {lr = "1e-3", eps = "1e-8"}.
local function shown_options(text)
  local out = {}
  for _, part in ipairs(split_top(text or "")) do
    local k, v = part:match("^([%a_][%w_]*)%s*=%s*(.-)$")
    if k then out[k] = v end
  end
  return out
end

-- Help text as comment lines (its signature line left out: the definition shows it).
local function comment(text)
  local lines = {}
  for line in ((text:match("\n\n(.*)$") or "") .. "\n"):gmatch("(.-)\n") do
    lines[#lines + 1] = "---" .. (line:match("^  ") and "    " .. line or line)
  end
  while #lines > 0 and lines[#lines] == "---" do lines[#lines] = nil end
  return table.concat(lines, "\n")
end

-- "train.fit" → "optlab.options.train.fit", "Tensor:sum" → "optlab.options.Tensor.sum".
local function options_class(q) return "optlab.options." .. q:gsub(":", ".") end

-- One function's definition: its comment, its options class, @param lines,
-- an @overload for each shorter call its optional parameters allow.
local function define(q, text, accepted, out)
  local sig = text:match("^[^\n]*")
  local params = parameters(sig)
  if not params then return end
  local owner, sep, name = q:match("^(.-)([%.:])([^%.:]+)$")
  if not owner then return end
  local lines = {}
  local opts
  for _, p in ipairs(params) do if p.options then opts = p end end
  if opts or accepted then
    local shown = shown_options(opts and opts.options)
    local keys, have = {}, {}
    for _, k in ipairs(accepted or {}) do keys[#keys + 1] = k; have[k] = true end
    for k in pairs(shown) do if not have[k] then keys[#keys + 1] = k; have[k] = true end end
    table.sort(keys)
    if #keys > 0 then
      out[#out + 1] = "---@class " .. options_class(q)
      for _, k in ipairs(keys) do
        local v = shown[k]
        -- (every field optional: a signature's `val=` does not say whether a key may be left out)
        local required = false
        local default = v and v ~= "" and not v:match("^%.%.%.") and (" default " .. v) or ""
        out[#out + 1] = string.format("---@field %s%s %s%s", k, required and "" or "?", type_of_default(v), default)
      end
      out[#out + 1] = ""
    end
  end
  local c = comment(text)
  if c ~= "" then lines[#lines + 1] = c end
  local names = {}
  for _, p in ipairs(params) do
    local t = p.options and options_class(q) or "any"
    if p.vararg then lines[#lines + 1] = "---@param ... any"
    else lines[#lines + 1] = string.format("---@param %s%s %s", p.name, p.optional and "?" or "", t) end
    names[#names + 1] = p.name
  end
  -- the shorter calls: each prefix that ends before an optional parameter
  for n = #params - 1, 0, -1 do
    if params[n + 1].optional and not params[n + 1].vararg then
      local args = {}
      for i = 1, n do args[i] = params[i].name .. ": " .. (params[i].options and options_class(q) or "any") end
      lines[#lines + 1] = "---@overload fun(" .. (sep == ":" and "self" .. (n > 0 and ", " or "") or "") .. table.concat(args, ", ") .. "): any"
    end
  end
  lines[#lines + 1] = "---@return any"
  lines[#lines + 1] = string.format("function %s%s%s(%s) end", owner, sep, name, table.concat(names, ", "))
  out[#out + 1] = table.concat(lines, "\n")
  out[#out + 1] = ""
end

-- The whole file for a registry: {docs = {[qualified name] = help text},
-- modules = {{name, summary}, ...}, classes = {"Tensor", ...},
-- option_keys = {[qualified name] = {keys}}, version = "0.1.0"}.
function definitions.generate(r)
  local out = {"---@meta optlab", "-- optlab " .. (r.version or "") .. ": lua-language-server definitions, made by `optlab definitions` from help().",
    "-- Do not edit: run `optlab definitions DIR` again after an update.", ""}
  local module_list, module_names, class_names = {}, {}, {}
  for _, m in ipairs(r.modules) do
    module_list[#module_list + 1] = m[1]; module_names[m[1]] = true
    out[#out + 1] = "---" .. m[2]
    out[#out + 1] = "---@class optlab." .. m[1]
    out[#out + 1] = m[1] .. " = {}"
    out[#out + 1] = ""
  end
  for _, c in ipairs(r.classes) do
    class_names[c] = true
    out[#out + 1] = "---@class optlab." .. c
    out[#out + 1] = "local " .. c .. " = {}"
    out[#out + 1] = ""
  end
  local names = {}
  for q in pairs(r.docs) do names[#names + 1] = q end
  table.sort(names)
  -- tables a documented name hangs from (nn.Ensemble for nn.Ensemble.load)
  local declared = {}
  for _, q in ipairs(names) do
    local owner = q:match("^(.-)[%.:][^%.:]+$")
    local top = owner and owner:match("^[^%.]+")
    if owner and owner:find(".", 1, true) and not declared[owner] and (class_names[top] or module_names[top]) then
      declared[owner] = true
      out[#out + 1] = owner .. " = {}"
      out[#out + 1] = ""
    end
  end
  for _, q in ipairs(names) do
    local top = q:match("^([^%.:]+)[%.:]")
    local sig = r.docs[q]:match("^[^\n]*")
    local field, value = sig:match("^([%a_][%w_%.]*)%s*=%s*(.-)%s*$")
    if not (top and (class_names[top] or module_names[top])) then
      -- not under a library or class: nothing to hang it from
    elseif field == q then   -- a documented setting: monitor.colors = false
      local c = comment(r.docs[q])
      if c ~= "" then out[#out + 1] = c end
      out[#out + 1] = "---@type " .. type_of_default(value)
      out[#out + 1] = q .. " = " .. value
      out[#out + 1] = ""
    else
      define(q, r.docs[q], r.option_keys[q], out)
    end
  end
  -- require "optlab" returns the libraries by name
  out[#out + 1] = "---@class optlab"
  for _, m in ipairs(module_list) do out[#out + 1] = "---@field " .. m .. " optlab." .. m end
  out[#out + 1] = "local optlab = {}"
  out[#out + 1] = "return optlab"
  return table.concat(out, "\n") .. "\n"
end

return definitions
