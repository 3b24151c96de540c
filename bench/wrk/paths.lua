-- paths.lua: wrk cycles through a list of GET paths with a bearer token
-- (bench/run). The requests are formatted once, in init, so wrk spends no
-- time building them; each thread starts at a random place in the list.
--   wrk -t2 -c64 -d10s -s bench/wrk/paths.lua http://127.0.0.1:PORT -- PATHS_FILE TOKEN
-- done() prints one line: "WRK requests rps p50_ms p99_ms errors".
local reqs = {}
local i = 0

function init(args)
  local f = assert(io.open(args[1], "r"))
  local headers = {}
  if args[2] and args[2] ~= "" then headers["Authorization"] = "Bearer " .. args[2] end
  for line in f:lines() do
    if line ~= "" then reqs[#reqs + 1] = wrk.format("GET", line, headers) end
  end
  f:close()
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
  i = math.random(#reqs)
end

function request()
  i = i % #reqs + 1
  return reqs[i]
end

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  io.write(string.format("WRK %d %.1f %.3f %.3f %d\n", summary.requests,
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, errors))
end
