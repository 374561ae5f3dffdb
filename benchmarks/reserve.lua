-- wrk script of the reservation benchmark (benchmarks/bench_reservations.py).
--
--   wrk -t THREADS -s benchmarks/reserve.lua URL -- REQUESTS_FILE PATH OFFSET THREADS
--
-- Each line of REQUESTS_FILE is "<edge pass>\t<JSON body>": a distinct resident (an ID number
-- and the pass that lets its account act for it) and a fresh idempotency key. Thread i of n
-- takes lines OFFSET+i, OFFSET+i+n, ... so no two requests of a run repeat a person.
--
-- Retry-After: a 429 or 503 answer delays one of the thread's next requests by Retry-After
-- seconds (wrk's delay() hook), so the clients as a whole back off as a browser following the
-- header does. wrk cannot pair a response with its request, so the refused body is not sent
-- again: the next request is another person's. Counts per status class are reported by done()
-- as one JSON line.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  local file, offset = args[1], tonumber(args[3] or "0")
  path = args[2]
  lines = {}
  for line in io.lines(file) do
    lines[#lines + 1] = line
  end
  step = tonumber(args[4] or "1") -- the number of wrk threads
  pos = offset + id
  counts = { accepted = 0, replayed = 0, refused = 0, busy = 0, unavailable = 0, other = 0 }
  pending_delays = 0
  retry_ms = 1000
end

function request()
  local line = lines[pos]
  pos = pos + step
  if pos > #lines then
    pos = id -- wrapped: persons repeat from here on (answered as duplicates or quota refusals)
  end
  local tab = string.find(line, "\t", 1, true)
  local pass, body = string.sub(line, 1, tab - 1), string.sub(line, tab + 1)
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["Cookie"] = "crisisgov_edge=" .. pass,
  }, body)
end

function delay()
  if pending_delays > 0 then
    pending_delays = pending_delays - 1
    return retry_ms
  end
  return 0
end

function response(status, headers, body)
  if status == 201 then
    counts.accepted = counts.accepted + 1
  elseif status == 200 then
    counts.replayed = counts.replayed + 1
  elseif status == 409 then
    counts.refused = counts.refused + 1
  elseif status == 429 or status == 503 then
    if status == 429 then
      counts.busy = counts.busy + 1
    else
      counts.unavailable = counts.unavailable + 1
    end
    local after = tonumber(headers["Retry-After"] or headers["retry-after"] or "1")
    retry_ms = after * 1000
    pending_delays = pending_delays + 1
  else
    counts.other = counts.other + 1
  end
end

function done(summary, latency, requests)
  local total = { accepted = 0, replayed = 0, refused = 0, busy = 0, unavailable = 0, other = 0 }
  for _, thread in ipairs(threads) do
    local c = thread:get("counts")
    for k, v in pairs(c) do
      total[k] = total[k] + v
    end
  end
  io.write(string.format(
    '{"seconds": %.3f, "responses": %d, "accepted": %d, "replayed": %d, "refused": %d, '
      .. '"busy": %d, "unavailable": %d, "other": %d, "socket_errors": %d, '
      .. '"timeouts": %d, "p50_ms_all": %.2f, "p99_ms_all": %.2f}\n',
    summary.duration / 1e6, summary.requests, total.accepted, total.replayed, total.refused,
    total.busy, total.unavailable, total.other,
    summary.errors.connect + summary.errors.read + summary.errors.write,
    summary.errors.timeout, latency:percentile(50) / 1000, latency:percentile(99) / 1000
  ))
end
