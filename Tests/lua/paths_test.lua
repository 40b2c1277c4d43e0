-- Names and paths a user gives never lead outside their folder: a search's
-- name is one folder name; NUL bytes and empty paths are refused; symbolic
-- links inside run and search folders are refused, never followed.
local H, file = ...
local test = function(name, fn) H.test(file .. ": " .. name, fn) end
local function tmpdir() local d = os.tmpname(); os.remove(d); os.execute('mkdir -p "' .. d .. '"'); return d end
local function exists(p) local f = io.open(p) if f then f:close() return true end return false end

local function search(dir, name)
  return hp.search{name = name, dir = dir, space = {x = hp.uniform(0, 1)}, trials = 1, quiet = true, trial = function(cfg) return cfg.x end}
end
local function fit(log, o)
  tensor.seed(1)
  local d = data.spiral{classes = 3, per_class = 10}
  local m = nn.Linear(2, 3)
  local opts = {model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(m, {lr = 0.1}), train = d, epochs = 1, batch = 10, log = log, quiet = true}
  for k, v in pairs(o or {}) do opts[k] = v end
  return train.fit(opts)
end

test("hp.search's name is a single folder name", function()
  local dir = tmpdir()
  os.execute('mkdir -p "' .. dir .. '/inner"')
  local escape = "../../optlab_escape_" .. math.random(1, 1e9)
  H.raises(function() search(dir .. "/inner", escape) end, "option 'name' must be a single folder name (no '/', not '.' or '..'), got \"" .. escape .. "\": it contains '/'")
  H.raises(function() search(dir, "") end, "got \"\": it is empty")
  H.raises(function() search(dir, "..") end, "got \"..\": it names no folder of its own")
  H.raises(function() search(dir, "a\0b") end, "got \"a\\0b\": it contains a NUL byte")
  H.raises(function() search(dir, "a\nb") end, "it contains a control character")
  H.raises(function() search(dir, 7) end, "option 'name' must be a string, got number")
  H.raises(function() search("a\0b", "s") end, "option 'dir' must be a path without NUL bytes")
  H.eq(exists(dir .. "/inner/" .. escape), false)
  H.eq(#search(dir, "fine").trials, 1)
  os.execute('rm -rf "' .. dir .. '"')
end)

test("train.fit's log is a path without NUL; files are not written through a NUL", function()
  local dir = tmpdir()
  H.raises(function() fit(dir .. "/a\0/b") end, "train.fit: option 'log' must be a path without NUL bytes")
  H.raises(function() fit("") end, "train.fit: option 'log' must be a path, got the empty string")
  H.raises(function() tensor.ones{2}:save(dir .. "/t\0.npy") end, "without NUL bytes")
  H.eq(exists(dir .. "/a"), false)
  os.execute('rm -rf "' .. dir .. '"')
end)

test("a symbolic link in a run folder is refused on resume, and overwrite removes only the link", function()
  local dir = tmpdir()
  fit(dir .. "/r")
  local outside = dir .. "/outside.txt"
  io.open(outside, "w"):write("keep me\n"):close()
  os.remove(dir .. "/r/metrics.jsonl")
  os.execute('ln -s "' .. outside .. '" "' .. dir .. '/r/metrics.jsonl"')
  H.raises(function() fit(dir .. "/r", {resume = true, epochs = 2}) end,
    "train.fit: " .. dir .. "/r/metrics.jsonl is a symbolic link (to " .. outside .. "); optlab does not follow links in run and search folders")
  fit(dir .. "/r", {overwrite = true})
  H.eq(io.open(outside):read("a"), "keep me\n", "the link's target is untouched")
  local f = io.popen('test -L "' .. dir .. '/r/metrics.jsonl" && echo link || echo file'); H.eq(f:read("l"), "file"); f:close()
  os.execute('rm -rf "' .. dir .. '"')
end)

test("a symbolic link in a search folder or a trial's folder is refused", function()
  local dir = tmpdir()
  search(dir, "s")
  local outside = dir .. "/elsewhere"
  os.execute('mkdir -p "' .. outside .. '"')
  os.execute('mv "' .. dir .. '/s/s1-t001/result.json" "' .. outside .. '/result.json"; ln -s "' .. outside .. '/result.json" "' .. dir .. '/s/s1-t001/result.json"')
  H.raises(function() search(dir, "s") end, dir .. "/s/s1-t001/result.json is a symbolic link")
  os.execute('rm "' .. dir .. '/s/s1-t001/result.json"; ln -s "' .. outside .. '" "' .. dir .. '/s/s1-t002"')
  H.raises(function() search(dir, "s") end, dir .. "/s/s1-t002 is a symbolic link (to " .. outside .. ")")
  os.execute('rm -rf "' .. dir .. '"')
end)
