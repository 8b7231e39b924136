-- wrk script for every case: rotates through the paths in $WRK_PATHS_FILE,
-- sends $WRK_METHOD with a JSON body for creates/updates ($WRK_BODY) and the
-- bearer token ($WRK_TOKEN), and prints one JSON line from done().

local method = os.getenv("WRK_METHOD") or "GET"
local body_kind = os.getenv("WRK_BODY") or ""
local token = os.getenv("WRK_TOKEN") or ""
local nonce = os.getenv("WRK_NONCE") or "0"

local paths = {}
for line in io.lines(os.getenv("WRK_PATHS_FILE")) do
  if #line > 0 then paths[#paths + 1] = line end
end

local headers = {}
if token ~= "" then headers["Authorization"] = "Bearer " .. token end
if body_kind ~= "" then headers["Content-Type"] = "application/json" end

local thread_count = 0
local threads = {}
function setup(thread)
  thread_count = thread_count + 1
  thread:set("tid", thread_count)
  threads[#threads + 1] = thread
end

local counter = 0
function init(args)
  -- each thread starts at a different place in the rotation
  counter = ((tid or 1) - 1) * math.floor(#paths / 2)
end

function request()
  counter = counter + 1
  local path = paths[(counter % #paths) + 1]
  local body = nil
  if body_kind == "create" then
    body = string.format(
      '{"title":"Bench article %s %d %d","body":"Written by wrk.","status":"draft","tags":["bench-a","bench-b"]}',
      nonce, tid or 1, counter)
  elseif body_kind == "update" then
    body = string.format('{"title":"Bench update %s %d %d"}', nonce, tid or 1, counter)
  end
  return wrk.format(method, path, headers, body)
end

-- The first non-2xx answer of each thread, so that a failure says what it was.
first_failure = nil
function response(status, headers, body)
  if (status < 200 or status > 299) and first_failure == nil then
    first_failure = status .. " " .. string.sub(body or "", 1, 300):gsub("%s+", " ")
  end
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    local failure = thread:get("first_failure")
    if failure then io.write("WRK_FAILURE " .. failure .. "\n") end
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"non2xx":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
