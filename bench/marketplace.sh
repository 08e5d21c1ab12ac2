#!/usr/bin/env bash
# Marketplace load benchmark: builds plaza, generates a catalog of
# PRODUCTS data products (default 100,000) into a scratch data folder
# (kept between runs), starts `plaza serve` on loopback, signs in, then
# drives the search page and a product page with wrk and reports
# requests/s, latency percentiles and the server's memory (RSS).
#
#   bash bench/marketplace.sh                 # SQLite
#   PLAZA_DATABASE_URL=postgres://... bash bench/marketplace.sh
#
# Needs wrk (apt-get install wrk). Loopback only; bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
PRODUCTS=${PRODUCTS:-100000}
DURATION=${DURATION:-20s}
CONNS=${CONNS:-32}
DATA=${DATA:-/tmp/plaza-bench-$PRODUCTS}
ADDR=127.0.0.1:${PORT:-18080}
URL=http://$ADDR

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
bin=$(mktemp -d)/plaza
go build -o "$bin" ./cmd/plaza
go build -o "$(dirname "$bin")/gen" ./bench/gen

if [ ! -f "$DATA/.generated" ]; then
  rm -rf "$DATA"; mkdir -p "$DATA"
  echo "generating $PRODUCTS products into $DATA ..."
  start=$(date +%s)
  "$(dirname "$bin")/gen" --data "$DATA" --products "$PRODUCTS"
  echo "generated in $(( $(date +%s) - start ))s"
  touch "$DATA/.generated"
fi

PLAZA_DEV_LOGIN=1 PLAZA_LOG_FORMAT=json "$bin" serve --addr "$ADDR" --data "$DATA" >/dev/null 2>"$DATA/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "$URL/healthz" >/dev/null && break; sleep 0.2; done

jar=$(mktemp)
curl -s -c "$jar" -o /dev/null "$URL/signin"
csrf=$(awk '$6=="plaza_csrf"{print $7}' "$jar")
curl -s -b "$jar" -c "$jar" -o /dev/null -X POST --data "email=leo.martins%40northwind.example&_csrf=$csrf" "$URL/signin/demo"
session=$(awk '$6=="plaza_session"{print $7}' "$jar")
[ -n "$session" ] || { echo "sign-in failed"; exit 1; }
product=$(curl -s -b "$jar" "$URL/?q=revenue&sort=relevance" | grep -o 'href="/products/[^"]*"' | head -1 | cut -d'"' -f2)

rss() { awk '/VmRSS/{print $2/1024 " MB"}' /proc/$pid/status; }
echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
db=sqlite; [ -n "${PLAZA_DATABASE_URL:-}" ] && db=postgres
echo "catalog: $PRODUCTS products; database: $db"
echo "RSS before load: $(rss)"
for path in "/?q=orders" "/?q=customer%20revenue" "/?q=ord&domain=sales" "$product"; do
  echo; echo "== GET $path ($CONNS connections, $DURATION)"
  wrk -t1 -c"$CONNS" -d"$DURATION" --latency -H "Cookie: plaza_session=$session" "$URL$path" | grep -E "Requests/sec|Latency|50%|90%|99%|Non-2xx|Socket errors"
done
echo; echo "== one user at a time: GET $product (1 connection, $DURATION)"
wrk -t1 -c1 -d"$DURATION" --latency -H "Cookie: plaza_session=$session" "$URL$product" | grep -E "Requests/sec|Latency|50%|90%|99%"
echo; echo "== one user at a time, uncached searches: a different query each request (1 connection, $DURATION)"
cat > "$DATA/vary.lua" <<'LUA'
local words = {"ord", "cust", "revenue", "stock", "campaign", "loyal", "ship", "ledger", "store", "margin", "web", "suppl"}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/?q=" .. words[(n % #words) + 1] .. "&page=" .. (math.floor(n / #words) % 50 + 1))
end
LUA
wrk -t1 -c1 -d"$DURATION" --latency -s "$DATA/vary.lua" -H "Cookie: plaza_session=$session" "$URL/" | grep -E "Requests/sec|Latency|50%|90%|99%"
echo; echo "RSS after load: $(rss)"
