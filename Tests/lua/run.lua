-- Runs every *_test.lua in this folder (or the files named on the command line).
local dir = arg[0]:match("^(.*)/[^/]*$") or "."
package.path = dir .. "/?.lua;" .. package.path
local H = require "harness"
local files = {}
if #arg > 0 then
  for i = 1, #arg do files[#files + 1] = arg[i] end
else
  local p = io.popen('ls "' .. dir .. '"/*_test.lua')
  for f in p:lines() do files[#files + 1] = f end
  p:close()
end
for _, f in ipairs(files) do
  local chunk = assert(loadfile(f))
  local name = f:match("([^/]*)%.lua$")
  chunk(H, name)
end
os.exit(H.finish() and 0 or 1)
