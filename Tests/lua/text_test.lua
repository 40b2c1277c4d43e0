local H, file = ...
local test = function(name, fn) H.test(file .. ": " .. name, fn) end
-- A character language model's path: data.text, its blocks, the
-- cross-entropy per token, train.fit judged by validation loss, generate.

local poem = ("The quick brown fox jumps over the lazy dog.\n"):rep(12)

test("data.text: the sorted vocabulary, encode and decode, the 90/10 cut", function()
  local text = data.text(poem, {block = 8})
  local chars = {}
  for c in poem:gmatch(".") do chars[c] = true end
  local sorted = {}
  for c in pairs(chars) do sorted[#sorted + 1] = c end
  table.sort(sorted)
  H.eq(table.concat(text.vocab, ""), table.concat(sorted, ""), "the vocabulary is the sorted characters")
  local ids = text:encode("fox")
  H.eq(ids:dtype(), "i32")
  H.eq(text.vocab[ids[1]], "f", "ids are 1-based into vocab")
  H.eq(text:decode(ids), "fox")
  H.eq(text:decode({1, 2}), text.vocab[1] .. text.vocab[2], "a table of ids decodes too")
  H.eq(text.tokens:numel(), #poem)
  H.eq(text.train:inputs():numel() + text.val:inputs():numel(), #poem)
  H.eq(text.train:inputs():numel(), math.floor(#poem * 0.9), "train is the first 90%")
  H.raises(function() text:encode("FOX") end, "character F at position 1 is not in the vocabulary")
  H.raises(function() text:decode({0}) end, "token 0 at position 1 is out of range 1..")
  H.raises(function() data.text(poem, {level = "word"}) end, "level must be \"char\"")
  H.raises(function() data.text("ab", {block = 8}) end, "the validation part has")
  H.raises(function() data.text("a") end, "a language model needs at least 2")
  H.raises(function() data.text(poem, {val = 1}) end, "val must be in [0, 1)")
  H.raises(function() text.train:split(0.5) end, "split by data.text's val option")
end)

test("a file's text and a string give the same set", function()
  local path = os.tmpname()
  local f = assert(io.open(path, "w")); f:write(poem); f:close()
  local a, b = data.text(path, {block = 8}), data.text(poem, {block = 8})
  os.remove(path)
  H.eq(table.concat(a.vocab), table.concat(b.vocab))
  H.eq((a.tokens - b.tokens):abs():sum():item(), 0)
end)

test("blocks: inputs are ids, targets the next tokens; batches replay with their seed", function()
  local text = data.text(poem, {block = 6, val = 0.1})
  local x, y
  for xb, yb in text.train:batches(4, {shuffle = true, seed = 7}) do x, y = xb, yb; break end
  H.eq(x:size(1) .. "x" .. x:size(2), "4x6")
  for i = 1, 4 do
    local s, t = text:decode(x[i]), text:decode(y[i])
    H.eq(s:sub(2), t:sub(1, 5), "row " .. i .. ": the targets are the inputs shifted by one")
    H.eq(poem:find(s .. t:sub(6), 1, true) ~= nil, true, "row " .. i .. " is a contiguous piece of the text")
  end
  local x2 = nil
  for xb in text.train:batches(4, {shuffle = true, seed = 7}) do x2 = xb; break end
  H.eq((x - x2):abs():sum():item(), 0, "the same seed draws the same blocks")
  local b = text.train:blocks{block = 10, per_epoch = 30}
  H.eq(b:size(), 30)
  H.eq(tostring(b):find("blocks of 10, 30 blocks an epoch", 1, true) ~= nil, true, tostring(b))
  H.raises(function() data.spiral():blocks{block = 3} end, "not a token stream")
end)

test("cross-entropy over [N, T, V] is the mean over tokens; ignore_index leaves tokens out", function()
  tensor.seed(2)
  local logits, y = tensor.randn{2, 3, 5}:to("f64"), tensor.from({{1, 2, 3}, {4, 5, 1}}, "i32")
  local per_token = nn.SoftmaxCrossEntropy()(logits:reshape{6, 5}, y:reshape{6})
  H.close(nn.SoftmaxCrossEntropy()(logits, y):item(), per_token:item(), 1e-14)
  -- by hand: −log softmax at the label, averaged over the four tokens whose label is not 1
  local lp, total = logits:log_softmax(3), 0
  for i = 1, 2 do for t = 1, 3 do
    local label = y[i][t]
    if label ~= 1 then total = total - lp[i][t][label] end
  end end
  H.close(nn.SoftmaxCrossEntropy{ignore_index = 1}(logits, y):item(), total / 4, 1e-12)
  H.close(nn.NLL{ignore_index = 1}(lp, y):item(), total / 4, 1e-12)
  H.raises(function() nn.SoftmaxCrossEntropy()(logits, tensor.from({1, 2}, "i32")) end, "expected labels of shape [2,3]")
  H.raises(function() nn.SoftmaxCrossEntropy{ignore_index = 0.5} end, "ignore_index must be an integer")
  H.raises(function() nn.NLL()(logits, tensor.from({{1, 2, 9}, {1, 1, 1}}, "i32")) end, "label 9 at position 3 is out of range 1..5")
end)

test("train.fit trains a language model and keeps the best validation loss; generate continues", function()
  tensor.seed(5)
  local text = data.text(poem, {block = 8, val = 0.2})
  local V = #text.vocab
  local Tiny = nn.Module:extend("TinyLM")
  function Tiny:init() self.emb = nn.Embedding(V, 16); self.ln = nn.LayerNorm(16)
    self.attn = nn.MultiheadAttention(16, 2, {causal = true}); self.out = nn.Linear(16, V) end
  function Tiny:forward(ids) local h = self.emb(ids); h = h + self.attn(self.ln(h)); return self.out(h) end
  local model = Tiny()
  local opt = optim.AdamW(model, {lr = 1e-2})
  local h = train.fit{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = opt, train = text.train:blocks{per_epoch = 48},
    val = text.val, epochs = 4, batch = 8, seed = 1, quiet = true}
  H.eq(#h.loss, 4 * 6, "6 iterations an epoch of 48 blocks in batches of 8")
  H.eq(h.loss[#h.loss] < h.loss[1] * 0.6, true, "the loss falls: " .. h.loss[1] .. " → " .. h.loss[#h.loss])
  local lowest, at = math.huge, 0
  for e, l in ipairs(h.val_loss) do if l < lowest then lowest, at = l, e end end
  H.eq(h.best.epoch, at, "the best epoch is the lowest validation loss")
  H.close(h.best.val_loss, lowest, 1e-12)
  H.close(h.best.val_ppl, math.exp(lowest), 1e-9)
  H.eq(h.val_loss[1] < math.log(V), true, "below chance, ln V")
  tensor.seed(9)
  local a = model:generate(text:encode("The "), 12, {top_k = 3, block = 8})
  tensor.seed(9)
  local b = model:generate(text:encode("The "), 12, {top_k = 3, block = 8})
  H.eq(a:numel(), 16)
  H.eq(text:decode(a), text:decode(b), "the same seed, the same sample")
  H.eq(text:decode(a):sub(1, 4), "The ")
  local greedy = model:generate(text:encode("The "), 1, {top_k = 1})
  local logits = model(text:encode("The "):unsqueeze(1))
  H.eq(greedy[5], logits[1][4]:argmax(1):item(), "top_k = 1 takes the most likely token")
  H.raises(function() model:generate(text:encode("The "), 2, {temperature = 0}) end, "temperature must be positive")
  H.raises(function() model:generate("The", 2) end, "a tensor of token ids")
end)

test("a language model's run replays from its seed, and resumes where it stopped", function()
  local text = data.text(poem, {block = 8, val = 0.2})
  local V = #text.vocab
  local function run(epochs, log, resume)
    tensor.seed(11)
    local model = nn.Sequential{nn.Embedding(V, 8), nn.LSTM(8, 8), nn.Linear(8, V)}
    local opt = optim.Adam(model, {lr = 1e-2})
    return train.fit{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = opt, train = text.train:blocks{per_epoch = 32},
      val = text.val, epochs = epochs, batch = 8, seed = 3, quiet = true, log = log, resume = resume, overwrite = not resume}
  end
  local dir = os.tmpname(); os.remove(dir)
  local a, b = run(2, dir .. "/a"), run(2, dir .. "/b")
  H.eq(#a.loss, 8)
  for i = 1, #a.loss do H.eq(a.loss[i], b.loss[i], "iteration " .. i .. " replays") end
  -- one epoch, then the second from the run folder: the same second epoch as the two-epoch run
  run(1, dir .. "/c")
  local c = run(2, dir .. "/c", true)
  H.eq(c.resumed_from, 1)
  for i = 5, 8 do H.close(c.loss[i], a.loss[i], 1e-6, "resumed iteration " .. i) end
  os.execute("rm -rf '" .. dir .. "'")
end)
