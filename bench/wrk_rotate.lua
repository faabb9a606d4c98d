-- wrk script for `make bench`: each connection rotates over request lines read from BENCH_WRK_REQUESTS
-- (method TAB path TAB cookie TAB csrf TAB json-body, one per line; "{seq}" in a body becomes an increasing
-- number from BENCH_WRK_SEQBASE), counts responses whose status is not BENCH_WRK_EXPECT, and writes a
-- JSON summary with p50/p75/p90/p95/p99 (microseconds) to BENCH_WRK_OUT.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  thread:set("nthreads", tonumber(os.getenv("BENCH_WRK_THREADS") or "2"))
  next_id = next_id + 1
  table.insert(threads, thread)
end

local entries = {}
local counter = 0
local seqbase = tonumber(os.getenv("BENCH_WRK_SEQBASE") or "0")
local expected = tonumber(os.getenv("BENCH_WRK_EXPECT") or "200")
unexpected = 0
statuses = {}

function init(args)
  local all = {}
  local f = assert(io.open(os.getenv("BENCH_WRK_REQUESTS"), "r"))
  for line in f:lines() do
    local method, path, cookie, csrf, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    if method then table.insert(all, {method, path, cookie, csrf, body}) end
  end
  f:close()
  -- each thread takes its own share of the entries, so one attempt is saved by one thread in order
  for i, e in ipairs(all) do
    if #all < nthreads or (i - 1) % nthreads == id then table.insert(entries, e) end
  end
end

function request()
  counter = counter + 1
  local e = entries[(counter % #entries) + 1]
  local headers = {}
  if e[3] ~= "" then headers["Cookie"] = e[3] end
  if e[4] ~= "" then headers["X-CSRFToken"] = e[4] end
  local body = nil
  if e[5] ~= "" then
    body = (string.gsub(e[5], "{seq}", tostring(seqbase + counter)))
    headers["Content-Type"] = "application/json"
  end
  return wrk.format(e[1], e[2], headers, body)
end

function response(status, headers, body)
  if status ~= expected then unexpected = unexpected + 1 end
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local bad = 0
  local merged = {}
  for _, t in ipairs(threads) do
    bad = bad + (t:get("unexpected") or 0)
    local s = t:get("statuses") or {}
    for k, v in pairs(s) do merged[tostring(k)] = (merged[tostring(k)] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(merged) do table.insert(parts, string.format('"%s": %d', k, v)) end
  local e = summary.errors
  local out = assert(io.open(os.getenv("BENCH_WRK_OUT"), "w"))
  out:write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "status_errors": %d, "timeouts": %d, "unexpected_status": %d, "statuses": {%s}, ' ..
    '"p50_us": %d, "p75_us": %d, "p90_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout, bad,
    table.concat(parts, ", "), latency:percentile(50), latency:percentile(75), latency:percentile(90),
    latency:percentile(95), latency:percentile(99), latency.max, latency.mean))
  out:close()
end
