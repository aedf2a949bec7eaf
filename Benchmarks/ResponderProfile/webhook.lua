-- wrk script: each request is the next pre-signed webhook body from the file ResponderProfile wrote
-- (`wrk -t2 -c32 -d20s -s webhook.lua http://127.0.0.1:PORT -- FILE [FIRST]`). A new message every time, as in the
-- benchmark target: of the lines from FIRST on (default 0), thread i of 2 sends lines i, i+2, i+4 …; a request
-- answered other than 202 (a replay: the run outlasted the file) is counted and reported.
local threads = 0
local requests = {}
local index = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
  thread:set("count", threads)
end

function init(args)
  local first = tonumber(args[2] or "0")
  local n = 0
  for line in io.lines(args[1]) do
    if n >= first and n % 2 == id then
      local timestamp, signature, body = line:match("^([^\t]+)\t([^\t]+)\t(.*)$")
      requests[#requests + 1] = wrk.format("POST", "/hooks/inbound", {
        ["Content-Type"] = "application/json",
        ["X-Connectord-Timestamp"] = timestamp,
        ["X-Connectord-Signature"] = signature,
      }, body)
    end
    n = n + 1
  end
end

function request()
  index = index + 1
  if index > #requests then index = 1 end
  return requests[index]
end

local unexpected = 0

function response(status, headers, body)
  if status ~= 202 then unexpected = unexpected + 1 end
end

function done(summary, latency, requests)
  print(string.format("errors (non-2xx and socket): %d", summary.errors.status + summary.errors.connect + summary.errors.read
                      + summary.errors.write + summary.errors.timeout))
end
