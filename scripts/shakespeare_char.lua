-- A character-level GPT on Shakespeare: nanoGPT's CPU configuration of
-- train_shakespeare_char (4 layers, 4 heads, width 128, context 64, batch 12,
-- dropout 0, AdamW lr 1e-3 warmed up over 100 iterations then cosine down to
-- 1e-4 at 2000, gradients clipped at norm 1), trained by train.fit: an "epoch"
-- is 250 iterations, after each the validation loss on 2,400 fixed blocks.
-- Prints the validation loss and a sample of the model's Shakespeare.
-- Usage: optlab scripts/shakespeare_char.lua [iterations] [seed]
-- nanoGPT reports a validation loss of 1.88 after these 2000 iterations (about
-- 3 minutes on a laptop CPU) on karpathy's tiny-shakespeare, a different 1 MB
-- cut of the plays: this corpus (data.shakespeare) is all 42 Gutenberg texts.
local iterations, seed = tonumber(arg and arg[1]) or 2000, tonumber(arg and arg[2]) or 1
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local GPT = dofile(dir .. "char_gpt.lua")
tensor.seed(seed)

local per_epoch = math.min(250, iterations)
local text = data.shakespeare{block = 64}
local tr = text.train:blocks{per_epoch = per_epoch * 12}
local val = text.val:blocks{per_epoch = 2400}
local model = GPT{vocab = #text.vocab, block = 64, width = 128, heads = 4, layers = 4}
local opt = GPT.optimizer(model, 1e-3)
local h = train.fit{model = model, loss = nn.SoftmaxCrossEntropy(), optimizer = opt,
  schedule = optim.warmup_cosine(opt, {warmup = 100, total = iterations, min = 1e-4}),
  train = tr, val = val, epochs = iterations / per_epoch, batch = 12, clip = 1, seed = seed, train_sample = 240}

tensor.seed(seed)
local sample = model:generate(text:encode("\n"), 300, {block = 64, top_k = 20})
print(text:decode(sample))
print(string.format("validation loss %.4f (perplexity %.2f) after %d iterations in %.1f s",
  h.val_loss[#h.val_loss], math.exp(h.val_loss[#h.val_loss]), #h.loss, h.seconds))
