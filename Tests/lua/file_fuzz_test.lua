local H, file = ...
local test = function(name, fn) H.test(file .. ": " .. name, fn) end
-- Mutates valid files of every format optlab reads (.npy, safetensors,
-- checkpoints, optimizer state, IDX raw and gzipped, CSV) and loads each
-- mutant: the process must never crash, and every refusal must be an error
-- that names the loader, at the caller's line. OPTLAB_FILE_FUZZ_CASES sets
-- the count (scripts/fuzz runs 100,000; the test suite 3,000).
local cases = tonumber(os.getenv("OPTLAB_FILE_FUZZ_CASES") or "") or 3000
math.randomseed(tonumber(os.getenv("OPTLAB_FUZZ_SEED") or "") or 20261201)

local dir = os.tmpname()
os.remove(dir)
assert(os.execute('mkdir -p "' .. dir .. '"'))
local function path(name) return dir .. "/" .. name end
local function read(p) local f = assert(io.open(p, "rb")); local s = f:read("a"); f:close(); return s end
local function write(p, s) local f = assert(io.open(p, "wb")); f:write(s); f:close() end

-- The seeds: one valid file of each kind, written by optlab or by hand.
local seeds = {}
-- (loaders go by the file's extension, so a mutant keeps its seed's)
local function seed(name, bytes, load)
  local ext = name:find("npy") and ".npy" or name:find("idx") and ".idx" or name:find("csv") and ".csv" or ".safetensors"
  seeds[#seeds + 1] = {name = name, bytes = bytes, load = load, ext = ext}
end

tensor.save(path("a.npy"), tensor.randn{3, 4})
seed("npy f32", read(path("a.npy")), function(p) return tensor.load(p):sum() end)
tensor.save(path("b.npy"), tensor.from({1, 2, 3}, "i32"))
seed("npy i32", read(path("b.npy")), function(p) return tensor.load(p):sum() end)
do -- a Fortran-order, big-endian f8 file as numpy writes it
  local h = "{'descr': '>f8', 'fortran_order': True, 'shape': (2, 3), }"
  h = h .. string.rep(" ", 64 - (10 + #h + 1) % 64) .. "\n"
  local data = {}
  for i = 1, 6 do data[i] = string.pack(">d", i / 7) end
  seed("npy fortran", "\147NUMPY\1\0" .. string.pack("<I2", #h) .. h .. table.concat(data),
    function(p) return tensor.load(p):sum() end)
end
tensor.save(path("c.safetensors"), {w = tensor.randn{2, 3}, b = tensor.ones(3), n = tensor.from({4, 5}, "i32")}, {epoch = "3"})
seed("safetensors", read(path("c.safetensors")), function(p)
  local n = 0
  for _, t in pairs(tensor.load(p)) do n = n + t:numel() end
  return n
end)
local model = nn.Sequential{nn.Linear(4, 5), nn.BatchNorm(5), nn.ReLU(), nn.Linear(5, 3)}
model:save(path("m.safetensors"))
seed("checkpoint", read(path("m.safetensors")), function(p) return nn.load(p)(tensor.randn{2, 4}) end)
seed("load_weights", read(path("m.safetensors")), function(p) return model:load_weights(p, {strict = false}) end)
local opt = optim.Adam(model, {lr = 1e-3})
opt:save(path("o.safetensors"))
seed("optimizer state", read(path("o.safetensors")), function(p) return opt:load(p) end)

local function idx_images(n, h, w)
  local px = {}
  for i = 1, n * h * w do px[i] = string.char((i * 37) % 256) end
  return string.pack(">I4>I4>I4>I4", 0x803, n, h, w) .. table.concat(px)
end
local function idx_labels(n)
  local l = {}
  for i = 1, n do l[i] = string.char(i % 10) end
  return string.pack(">I4>I4", 0x801, n) .. table.concat(l)
end
write(path("labels.idx"), idx_labels(6))
seed("idx images", idx_images(6, 4, 5), function(p) return data.idx(p, path("labels.idx")) end)
write(path("images.idx"), idx_images(6, 4, 5))
seed("idx labels", idx_labels(6), function(p) return data.idx(path("images.idx"), p) end)
write(path("g.idx"), idx_images(6, 4, 5))
assert(os.execute('gzip -kf "' .. path("g.idx") .. '"'))
seed("idx gzip", read(path("g.idx.gz")), function(p)
  local gz = p .. ".gz"
  os.rename(p, gz)
  local ok, r = pcall(data.idx, gz, path("labels.idx"))
  os.remove(gz)
  if not ok then error(r, 0) end
  return r
end)
seed("csv", "a,b,label\n1,2,x\n3.5,-4,y\n0,1e3,x\n\"5\",6,y\r\n", function(p) return data.csv(p, {label = "label"}) end)

-- Mutations, most of them near the start where the headers are.
local interesting = {0, 1, 0x7f, 0x80, 0xff, 0x20, 0x22, 0x2c, 0x7b, 0x7d, 0x0a}
local function position(s)
  if #s == 0 then return 1 end
  if math.random() < 0.7 then return math.random(math.min(#s, 160)) end
  return math.random(#s)
end
local mutations = {
  function(s) if #s == 0 then return s end
    local i = position(s); return s:sub(1, i - 1) .. string.char(s:byte(i) ~ (1 << math.random(0, 7))) .. s:sub(i + 1) end,
  function(s) local i = position(s); return s:sub(1, i - 1) .. string.char(interesting[math.random(#interesting)]) .. s:sub(i + 1) end,
  function(s)
    local i = position(s)
    local v = ({0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 46340, 65536})[math.random(7)]
    return s:sub(1, i - 1) .. string.pack(math.random() < 0.5 and "<I4" or ">I4", v) .. s:sub(i + 4)
  end,
  function(s) return s:sub(1, math.random(0, #s)) end,  -- truncated
  function(s) local i = position(s); local n = math.random(1, 16)
    local junk = {}
    for k = 1, n do junk[k] = string.char(math.random(0, 255)) end
    return s:sub(1, i - 1) .. table.concat(junk) .. s:sub(i) end,
  function(s) local i = position(s); return s:sub(1, i - 1) .. s:sub(i + math.random(1, 32)) end,
  function(s) local i = position(s); local j = math.min(#s, i + math.random(1, 64)); return s:sub(1, j) .. s:sub(i, j) .. s:sub(j + 1) end,
  function(s) -- a digit changed: sizes, offsets and shapes in text headers
    local spots = {}
    for k in s:sub(1, 400):gmatch("()%d") do spots[#spots + 1] = k end
    if #spots == 0 then return s end
    local i = spots[math.random(#spots)]
    local with = ({"0", "9", "99999999999", "-1", "1.5", "", "1e9", "18446744073709551615"})[math.random(8)]
    return s:sub(1, i - 1) .. with .. s:sub(i + 1)
  end,
}

test("mutated files of every format are loaded or refused with a message, never a crash", function()
  local refused, loaded, bad = 0, 0, {}
  for n = 1, cases do
    local s = seeds[(n - 1) % #seeds + 1]
    local target = path("mutant" .. s.ext)
    local bytes = s.bytes
    for _ = 1, math.random(1, 3) do bytes = mutations[math.random(#mutations)](bytes) end
    write(target, bytes)
    local ok, err = pcall(s.load, target)
    if ok then
      loaded = loaded + 1
    else
      refused = refused + 1
      -- the caller's position (this file), then the function's name, then why
      local msg = tostring(err)
      if not (type(err) == "string" and msg:match("file_fuzz_test%.lua:%d+: [%w_.:]+[%w_]: .+")) then
        bad[#bad + 1] = s.name .. ": " .. msg
      end
    end
  end
  H.eq(#bad, 0, "messages without position or name (first: " .. tostring(bad[1]) .. ")")
  H.eq(refused > cases / 4, true, "most mutants are refused (" .. refused .. " of " .. cases .. ")")
  H.eq(loaded > 0, true, "some mutants still load (a changed value, say): " .. loaded)
  print(string.format("  file fuzz: %d mutants, %d refused with a message, %d loaded", cases, refused, loaded))
end)

test("every seed file loads unchanged", function()
  for _, s in ipairs(seeds) do
    write(path("seed" .. s.ext), s.bytes)
    local ok, err = pcall(s.load, path("seed" .. s.ext))
    H.eq(ok, true, s.name .. ": " .. tostring(err))
  end
end)

os.execute('rm -rf "' .. dir .. '"')
