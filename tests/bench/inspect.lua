-- inspect.lua -- wrk script: POST one periodic inspection result per request, each for a
-- different elevator (ids SEREG_FIRST_ID onwards, shared out between wrk threads) and with a
-- new report number, as an accredited agency.
local token = os.getenv("SEREG_TOKEN")
local first = tonumber(os.getenv("SEREG_FIRST_ID"))
local count = tonumber(os.getenv("SEREG_COUNT"))
local run = os.getenv("SEREG_RUN") or "r"
local counter, threads = 0, 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function request()
  counter = counter + 1
  local id = first + ((tid - 1) * 1000003 + counter) % count
  local body = string.format('{"equipment_id":%d,"report_number":"%s-%d-%d","kind":"periodic",'
    .. '"inspected_on":"2021-05-20","conclusion":"pass","inspector":"压测","defects":[]}', id, run, tid, counter)
  return wrk.format("POST", "/api/v1/inspections",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }, body)
end

function done(summary, latency, requests)
  io.write(string.format("p50_ms %.2f\np99_ms %.2f\nerrors %d\n", latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout))
end
