-- search.lua -- wrk script: GET /api/v1/equipment?q=... as the token in SEREG_TOKEN, cycling
-- through the queries of the file SEREG_QUERIES (one URL-encoded query a line), each thread from
-- its own place in the file. Prints p50_ms, p99_ms, requests and errors at the end.
local token = os.getenv("SEREG_TOKEN")
local extra = os.getenv("SEREG_EXTRA") or ""
local queries = {}
for line in io.lines(os.getenv("SEREG_QUERIES")) do
  queries[#queries + 1] = line
end
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local i = nil
function request()
  i = (i or tid * 7919) % #queries + 1
  return wrk.format("GET", "/api/v1/equipment?q=" .. queries[i] .. extra, { ["Authorization"] = "Bearer " .. token })
end

local bad = 0
function response(status)
  if status ~= 200 then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  io.write(string.format("p50_ms %.2f\np99_ms %.2f\nrequests %d\nerrors %d\n", latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.requests, summary.errors.status + summary.errors.connect
      + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
