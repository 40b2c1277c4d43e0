-- Prints every example help() shows (the indented lines after a function's
-- description), each after a line "=== name", for Tests/docs/docs_test.py.
local optlab = require "optlab"
local seen = {}
local function examples(name, f)
  if seen[f] then return end
  seen[f] = true
  local text = optlab.help_text(f)
  if type(text) ~= "string" then return end
  local lines = {}
  for line in ((text:match("\n\n(.*)$") or "") .. "\n"):gmatch("(.-)\n") do
    -- an example line is indented two spaces; deeper ones continue it
    if line:match("^  %S") or (#lines > 0 and line:match("^    ")) then lines[#lines + 1] = line:sub(3) end
  end
  if #lines > 0 then print("=== " .. name); print(table.concat(lines, "\n")) end
end
local function walk(t, prefix, depth)
  local keys = {}
  for k in pairs(t) do if type(k) == "string" then keys[#keys + 1] = k end end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local v = t[k]
    if type(v) == "function" then examples(prefix .. k, v)
    elseif type(v) == "table" and depth == 0 and k:match("^%u") then walk(v, prefix .. k .. ":", 1) end   -- a class's methods
  end
end
for _, m in ipairs{"tensor", "nn", "data", "optim", "train", "check", "monitor", "hp", "autograd", "stats", "bench"} do walk(optlab[m], m .. ".", 0) end
