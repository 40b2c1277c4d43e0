/// Lua code run once in every state after the Swift libraries are
/// registered: `help`, written in Lua because it only walks tables.
enum Prelude {
    static let source = #"""
local docs, modules = ...
local summaries = {}
for _, m in ipairs(modules) do summaries[m[1]] = m[2] end

-- qualified name of a value: "tensor.zeros", "Tensor:matmul", or a module name
local function name_of(x)
  for _, m in ipairs(modules) do
    local t = _G[m[1]]
    if x == t then return m[1], true end
    if type(t) == "table" then
      for k, v in pairs(t) do
        if v == x and docs[m[1] .. "." .. k] then return m[1] .. "." .. k end
      end
    end
  end
  local methods = tensor and tensor.Tensor
  if methods then
    for k, v in pairs(methods) do
      if v == x then return "Tensor:" .. k end
    end
  end
end

local function list(prefix, sep)
  local names = {}
  for q in pairs(docs) do
    if q:sub(1, #prefix + 1) == prefix .. sep then names[#names + 1] = q end
  end
  table.sort(names)
  local out = {}
  for _, q in ipairs(names) do
    local sig = docs[q]:match("^[^\n]*")
    local line = docs[q]:match("\n\n([^\n]*)") or ""
    out[#out + 1] = string.format("  %-44s %s", sig, line)
  end
  return table.concat(out, "\n")
end

function help(x)
  if x == nil then
    local out = {"optlab modules (help(module) lists its functions, help(f) explains one):"}
    for _, m in ipairs(modules) do out[#out + 1] = string.format("  %-10s %s", m[1], m[2]) end
    out[#out + 1] = "  Tensor     methods of tensors: help(tensor.Tensor) or help(x) for a tensor x"
    print(table.concat(out, "\n"))
    return
  end
  if type(x) == "string" then
    if docs[x] then print(docs[x]) return end
    if summaries[x] then x = _G[x] else print("no help for '" .. x .. "'") return end
  end
  if tensor and (x == tensor.Tensor or tensor.is_tensor(x)) then
    print("Tensor methods:\n" .. list("Tensor", ":"))
    return
  end
  local q, is_module = name_of(x)
  if is_module then
    print(q .. ": " .. summaries[q] .. "\n" .. list(q, "."))
  elseif q and docs[q] then
    print(docs[q])
  else
    print("no help for this " .. type(x) .. " value")
  end
end
"""#
}
