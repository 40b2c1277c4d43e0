-- Trains a small model and prints its losses to all digits; module_test.sh
-- runs it in the optlab executable and in Debian's lua5.4: the same bits.
local ol = require "optlab"
local T = ol.tensor
T.seed(3)
local model = ol.nn.Sequential{ol.nn.Linear(4, 16), ol.nn.ReLU(), ol.nn.Linear(16, 3)}
local x = T.randn{64, 4}
local labels = {}
for i = 1, 64 do labels[i] = i % 3 + 1 end
local y = T.from(labels):to("i32")
local loss_fn = ol.nn.SoftmaxCrossEntropy()
local opt = ol.optim.SGD(model:parameters(), {lr = 0.1, momentum = 0.9})
for i = 1, 20 do
  opt:zero_grad()
  local l = loss_fn(model(x), y)
  l:backward()
  opt:step()
  io.write(string.format("%.17g\n", l:item()))
end
