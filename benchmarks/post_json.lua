-- wrk script of the read benchmark (benchmarks/bench_edge_reads.py): the same JSON body on
-- every request, or a plain GET without one; done() prints one JSON line.
--   wrk -s benchmarks/post_json.lua URL -- '{"token": "..."}'

function init(args)
  if args[1] then
    wrk.method = "POST"
    wrk.body = args[1]
    wrk.headers["Content-Type"] = "application/json"
  end
end

function done(summary, latency, requests)
  io.write(string.format(
    '{"seconds": %.3f, "responses": %d, "non_2xx": %d, "socket_errors": %d, '
      .. '"p50_ms": %.2f, "p99_ms": %.2f}\n',
    summary.duration / 1e6, summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000
  ))
end
