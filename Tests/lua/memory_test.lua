local H, file = ...
-- The collector knows tensor memory: a loop allocating 1 MB tensors, with no
-- collectgarbage() call, keeps its resident memory within 1.5x of what it
-- had after the first 1,000 iterations. OPTLAB_MEMORY_ITERS sets the count.
local iterations = tonumber(os.getenv("OPTLAB_MEMORY_ITERS") or "") or 100000

local function rss_bytes()
  local f = io.open("/proc/self/statm")
  local pages = f:read("n"); pages = f:read("n")
  f:close()
  return pages * 4096
end

H.test(file .. ": " .. iterations .. " iterations of 1 MB tensors in flat memory", function()
  local x = tensor.ones(262144)           -- 1 MB of f32
  local baseline, peak
  for i = 1, iterations do
    local y = x * 2                        -- a fresh 1 MB tensor every iteration
    if i == 1000 then baseline = rss_bytes() end
    if i > 1000 and i % 500 == 0 then
      local r = rss_bytes()
      if not peak or r > peak then peak = r end
    end
    y = nil
  end
  peak = peak or baseline
  io.stderr:write(string.format("  memory: RSS %.0f MB after 1,000 iterations, peak %.0f MB after %d\n",
    baseline / 2^20, peak / 2^20, iterations))
  H.eq(peak <= 1.5 * baseline, true, string.format("peak %.0f MB within 1.5x of %.0f MB", peak / 2^20, baseline / 2^20))
end)
