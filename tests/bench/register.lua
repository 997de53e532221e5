-- register.lua -- wrk script: POST one elevator registration per request, each with a fresh
-- equipment code (thread number and counter), as a city supervisor.
local token = os.getenv("SEREG_TOKEN")
local unit = os.getenv("SEREG_UNIT")
local maint = os.getenv("SEREG_MAINT")
local base = tonumber(os.getenv("SEREG_BASE") or "0") -- keeps codes of separate runs apart
local keyed = os.getenv("SEREG_IDEMPOTENCY") == "1"       -- send a fresh Idempotency-Key each time
local pause = tonumber(os.getenv("SEREG_DELAY_MS") or "") -- a pause before each request: a set rate
local counter = 0
local threads = 0

if pause then
  function delay()
    return pause
  end
end

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function request()
  counter = counter + 1
  local s = string.format("%010d", base + tid * 10000000 + counter)
  local code = "3110" .. s:sub(1, 5) .. "2019" .. s:sub(6, 10)
  local body = string.format('{"type":"elevator","equipment_code":"%s","jurisdiction":"510104",'
    .. '"user_unit":"%s","address":"压测路 %d 号","commissioned_on":"2020-05-01","attributes":'
    .. '{"variety":"3110","rated_load_kg":1000,"rated_speed_mps":1.75,"stops":12,"maintenance_unit":"%s"}}',
    code, unit, counter, maint)
  local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }
  if keyed then
    headers["Idempotency-Key"] = "bench-" .. code
  end
  return wrk.format("POST", "/api/v1/equipment", headers, body)
end

local statuses = {}
function response(status)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  io.write(string.format("p50_ms %.2f\np99_ms %.2f\nrequests %d\nseconds %.2f\nerrors %d\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests,
    summary.duration / 1e6, summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout))
end
