/// Lua code run once in every state after the Swift libraries are
/// registered: `help`, written in Lua because it only walks tables.
enum Prelude {
    static let source = #"""
local docs, modules = ...
local summaries = {}
for _, m in ipairs(modules) do summaries[m[1]] = m[2] end

-- Method tables of the object kinds, by the name help shows ("Module:train").
local classes = {{"Tensor", tensor.Tensor}, {"Module", nn.Module}, {"Dataset", data.Dataset}, {"Optimizer", optim.Optimizer}}

-- nn.Ensemble{m1, m2} builds one; nn.Ensemble.load{paths} from checkpoints.
local make_ensemble, load_ensemble = nn.__Ensemble, nn.__Ensemble_load
nn.__Ensemble, nn.__Ensemble_load = nil, nil
nn.Ensemble = setmetatable({load = load_ensemble}, {__call = function(_, members) return make_ensemble(members) end})
docs["nn.Ensemble"] = "nn.Ensemble{model, model, ...}\n\nAverages the class probabilities of its members (returns log-probabilities).\n  local e = nn.Ensemble{m1, m2}; local acc = train.accuracy(e, test)"
docs["nn.Ensemble.load"] = "nn.Ensemble.load{path, path, ...}\n\nAn ensemble of models loaded from checkpoints."

-- ds:batches(size, {shuffle=false, seed=nil}): an iterator of (inputs, labels 1..C)
-- that fetches one batch at a time, in a seeded order when shuffled.
local order, gather = data.Dataset.__order, data.Dataset.__gather
data.Dataset.__order, data.Dataset.__gather = nil, nil
function data.Dataset.batches(ds, size, opts)
  if math.type(size) ~= "integer" and not (type(size) == "number" and size == math.floor(size)) or size < 1 then
    error("bad argument #1 to 'batches' (batch size must be a positive integer)", 2)
  end
  local perm, n, start = order(ds, opts), ds:size(), 0
  return function()
    if start >= n then return nil end
    local x, y = gather(ds, perm, start, size)
    start = start + size
    return x, y
  end
end
docs["Dataset:batches"] = "ds:batches(size [, {shuffle=false, seed}])\n\nAn iterator over minibatches: inputs and labels (1..C). Shuffled batches follow the seeded generator.\n  for xb, yb in tr:batches(256, {shuffle = true}) do ... end"

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
  for _, c in ipairs(classes) do
    for k, v in pairs(c[2]) do
      if v == x and docs[c[1] .. ":" .. k] then return c[1] .. ":" .. k end
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
    out[#out + 1] = "  (objects)  help(x) lists the methods of a tensor, model, data set or optimizer x"
    print(table.concat(out, "\n"))
    return
  end
  if type(x) == "string" then
    if docs[x] then print(docs[x]) return end
    if summaries[x] then x = _G[x] else print("no help for '" .. x .. "'") return end
  end
  for _, c in ipairs(classes) do
    local mt = getmetatable(x)
    if x == c[2] or (type(x) == "userdata" and mt and mt.__name == "optlab." .. c[1]) then
      print(c[1] .. " methods:\n" .. list(c[1], ":"))
      return
    end
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
