-- signSGD with momentum (Bernstein et al. 2018), the rule the benchmark tests judge.
local Signum = optim.Optimizer:extend("Signum", {lr = 1e-3, beta = 0.9})
function Signum:update(p, g, state, group)
  state.m = state.m or tensor.zeros(p:shape(), p:dtype())
  state.m:mul_(group.beta):add_(g, 1 - group.beta)
  p:sub_(state.m:sign(), group.lr)
end
return Signum
