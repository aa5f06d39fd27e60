#!/usr/bin/env bash
# A continental federation on one machine: the 55 African Union members as
# lmx nodes on loopback, in three topologies, at N = 5, 20 and 55 members.
#
#   mesh         every member pulls from every other
#   hubmesh      members pull from their REC hub; each REC hub pulls from its
#                members and from every other REC hub
#   continental  members pull from their REC hub; REC hubs pull from their
#                members and from one continental hub (the first REC hub,
#                which pulls from its members and every other REC hub)
#
# The first N members of the list below are split, in order, into RECs of
# about 7: 8 at N=55, 3 at N=20, 2 at N=5 (GROUPS_<N>=K overrides); the
# first member of each REC is its hub. With 2 RECs, hubmesh and continental
# are the same graph.
#
# Per (topology, N), in one run:
# - convergence: as soon as every node takes publishes, every member
#   publishes ROWS flow rows (bench/gen.py), all at once; the time from the
#   first publish until every node holds every origin at its version;
# - RSS of the nodes after it (sum of VmRSS), TCP connections among the
#   nodes against the pull links configured (the sum of the --peers lists);
# - idle CPU: 5 s after convergence, utime+stime of the nodes over 10 s;
# - publish-to-visible: PUBLISHES one-row batches, each at a different random
#   member, timed from the publish's acknowledgement until every other member
#   holds the new version (p50, max).
# Versions are read at each node with `lmx peers` (POLL=cli, the default),
# one node after another, the nodes that already hold what is waited for
# not asked again; or with POLL=http through each node's JSON API
# (/api/v1/Federation/Peers, on keep-alive connections; the nodes then also
# serve HTTP, which costs each a few threads and MB). A time is when the
# poll that found the last node holding returned: an upper bound; "poll
# sweep" is how long one pass over all nodes takes, the resolution.
#
#   SIZES="5 20 55" TOPOLOGIES="mesh hubmesh continental" ROWS=2000 \
#   PUBLISHES=10 POLL=cli CONVERGE_DEADLINE=180 VISIBLE_DEADLINE=30 \
#   START_DEADLINE=60 bench/continent.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
sizes=(${SIZES:-5 20 55})
topologies=(${TOPOLOGIES:-mesh hubmesh continental})
rows=${ROWS:-2000}
publishes=${PUBLISHES:-10}
poll=${POLL:-cli}
converge_deadline=${CONVERGE_DEADLINE:-180}
visible_deadline=${VISIBLE_DEADLINE:-30}
start_deadline=${START_DEADLINE:-60}
min_free=${MIN_FREE_MB:-2048}  # a wait gives up when the machine has less available
au=(DZA AGO BEN BWA BFA BDI CPV CMR CAF TCD COM COG COD CIV DJI EGY GNQ ERI SWZ
  ETH GAB GMB GHA GIN GNB KEN LSO LBR LBY MDG MWI MLI MRT MUS MAR MOZ NAM NER NGA
  RWA ESH STP SEN SYC SLE SOM ZAF SSD SDN TZA TGO TUN UGA ZMB ZWE)
declare -A title=([mesh]="full mesh" [hubmesh]="hierarchy, REC hubs in a mesh"
  [continental]="hierarchy, one continental hub")
for t in "${topologies[@]}"; do [[ -n "${title[$t]:-}" ]] || { echo "unknown topology $t" >&2; exit 2; }; done
for n in "${sizes[@]}"; do ((n >= 2 && n <= ${#au[@]})) || { echo "N must be 2 to ${#au[@]}" >&2; exit 2; }; done
[[ $poll == cli || $poll == http ]] || { echo "POLL is cli or http" >&2; exit 2; }

# The binaries are copied, so that a rebuild in build/ during the run does not
# change what is measured.
mkdir -p "$work/bin"
cp "$node" "$lmx" "$work/bin/"
node="$work/bin/lmx-node"; lmx="$work/bin/lmx"
tck=$(getconf CLK_TCK)
now_ms() { date +%s%3N; }
ms_to_s() { awk -v m="$1" 'BEGIN {printf "%.2f", m / 1000}'; }
mb() { awk -v k="$1" -v d="${2:-1}" 'BEGIN {printf "%.1f", k / 1024 / d}'; }

# Every member's flows file, made once.
max_n=$(printf '%s\n' "${sizes[@]}" | sort -n | tail -1)
for i in $(seq 0 $((max_n - 1))); do
  python3 "$root/bench/gen.py" flows "$rows" "${au[$i]}" "$i" >"$work/${au[$i]}.csv"
done

# The poller, one process for the whole run (so that no start-up is timed):
# per request line "DEADLINE_S T0_MS NODES WANT" it waits until each node of
# NODES holds what WANT asks, polling those that do not yet, and answers
# "ok MS" or "timeout MS COUNTRY:what-it-lacks ...", MS from T0_MS (epoch
# ms) to the return of the poll that found the last node holding. NODES:
# lines "COUNTRY GRPC_ADDR HTTP_ADDR"; WANT: lines "ORIGIN VERSION", or
# "open" (takes publishes). Every node is asked at least once, even when the
# deadline has passed before its turn.
cat >"$work/poll.py" <<'PY'
import http.client, json, subprocess, sys, time
mode, lmx, min_free_mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
conns = {}

def state(node, timeout):
    """(publishing open?, {origin: version}) as the node reports, or None."""
    country, grpc, web = node
    timeout = max(0.5, min(10.0, timeout))
    try:
        if mode == "http":
            c = conns.get(web)
            if c is None:
                host, port = web.rsplit(":", 1)
                c = conns[web] = http.client.HTTPConnection(host, int(port), timeout=timeout)
            c.timeout = timeout
            if c.sock is not None:
                c.sock.settimeout(timeout)
            c.request("GET", "/api/v1/Federation/Peers")
            r = c.getresponse(); body = r.read()
            if r.status != 200:
                return None
            d = json.loads(body)
            return (d.get("publishing") == "open",
                    {o["origin"]: int(o.get("applied", 0)) for o in d.get("origins", [])})
        p = subprocess.run([lmx, "--node=" + grpc, "peers", "--format=csv"],
                           capture_output=True, text=True, timeout=timeout)
        if p.returncode != 0:
            return None
        held = {}
        for line in p.stdout.splitlines()[1:]:
            f = line.split(",")
            if len(f) > 1 and f[1].isdigit():
                held[f[0]] = int(f[1])
        return ("publishing: open" in p.stderr, held)
    except Exception:
        c = conns.pop(web, None)
        if c is not None:
            c.close()
        return None

def mem_available_mb():
    for line in open("/proc/meminfo"):
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) // 1024
    return 1 << 30

def wait(deadline, t0, nodes, want):
    def lacks(s):
        if s is None:
            return ["unreachable"]
        if want and want[0][0] == "open":
            return [] if s[0] else ["not-open"]
        return [o for o, v in want if s[1].get(o, 0) < int(v)]
    pending = list(nodes); last = {}
    while True:
        left = []
        for i, node in enumerate(pending):
            left_s = deadline - (time.time() * 1000 - t0) / 1000
            if left_s <= 0 and node[0] in last:  # out of time, and asked before
                left.extend(pending[i:])
                break
            miss = lacks(state(node, left_s + 0.5 if left_s > 0 else 10))
            if miss:
                left.append(node); last[node[0]] = miss
        pending = left
        ms = int(time.time() * 1000) - t0
        if not pending:
            return "ok %d" % ms
        if mem_available_mb() < min_free_mb:
            return "lowmem %d %s" % (ms, " ".join(n[0] + ":lowmem" for n in pending))
        if ms > deadline * 1000:
            return "timeout %d %s" % (ms, " ".join(
                "%s:%s%s" % (n[0], ",".join(last[n[0]][:3]),
                             "+%d" % (len(last[n[0]]) - 3) if len(last[n[0]]) > 3 else "")
                for n in pending))
        time.sleep(0.01)

for line in sys.stdin:
    deadline, t0, nodes_file, want_file = line.split()
    if nodes_file == "reset":
        for c in conns.values():
            c.close()
        conns.clear(); print("ok 0", flush=True); continue
    nodes = [l.split() for l in open(nodes_file) if l.strip()]
    want = [l.split() for l in open(want_file) if l.strip()]
    print(wait(float(deadline), int(t0), nodes, want), flush=True)
PY
mkfifo "$work/poll.in" "$work/poll.out"
python3 -u "$work/poll.py" "$poll" "$lmx" "$min_free" <"$work/poll.in" >"$work/poll.out" &
poller=$!; pids+=("$poller")
exec 7>"$work/poll.in" 8<"$work/poll.out"
# wait_for DEADLINE_S T0_MS WANT_FILE INDEX...: asks the poller about those nodes.
wait_for() {
  local deadline=$1 t0=$2 want=$3 i answer; shift 3
  for i in "$@"; do echo "${members[$i]} $(addr "$i") $(web "$i")"; done >"$dir/nodes"
  echo "$deadline $t0 $dir/nodes $want" >&7
  read -r answer <&8
  echo "$answer"
}

# groups_for N: the number of RECs.
groups_for() {
  local v="GROUPS_$1"
  if [[ -n "${!v:-}" ]]; then echo "${!v}"
  elif (($1 >= 55)); then echo 8
  else local g=$((($1 + 3) / 7)); echo $((g < 2 ? 2 : g)); fi
}
ticks() {  # the CPU ticks (utime + stime, fields 14 and 15) of each given pid, a line each
  local p f  # builtins only: no process started per pid (the name, field 2, has no space)
  for p in "$@"; do
    if read -r -a f 2>/dev/null <"/proc/$p/stat"; then echo $((f[13] + f[14])); else echo 0; fi
  done
}
stop_nodes() {
  local p
  for p in "${npids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${npids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=("$poller")
  echo "0 0 reset -" >&7; read -r _ <&8
  rm -rf "$dir"
}

declare -A summary
run() {  # run TOPOLOGY N
  local topo=$1 n=$2 g i j k=0
  g=$(groups_for "$n")
  members=("${au[@]:0:n}")
  # RECs: g contiguous slices, sizes as even as possible.
  local -a hub_of hubs=() sizes_txt=()
  for ((i = 0; i < g; i++)); do
    local size=$((n / g + (i < n % g ? 1 : 0)))
    hubs+=("$k"); sizes_txt+=("$size")
    for ((j = k; j < k + size; j++)); do hub_of[$j]=$k; done
    k=$((k + size))
  done
  # gRPC ports base+i, HTTP ports (POLL=http) base+n+i.
  base=$(python3 "$root/deploy/free_ports.py" $((2 * n)))
  # The pull list of each member.
  local -a pull links_of
  local links=0
  for ((i = 0; i < n; i++)); do
    local list=() h x
    case "$topo" in
      mesh) for ((j = 0; j < n; j++)); do ((j == i)) || list+=("$j"); done ;;
      *)
        if ((hub_of[i] != i)); then list=("${hub_of[$i]}")
        else
          for ((j = 0; j < n; j++)); do ((j == i || hub_of[j] != i)) || list+=("$j"); done
          for h in "${hubs[@]}"; do
            ((h == i)) && continue
            if [[ $topo == hubmesh ]] || ((i == 0 || h == 0)); then list+=("$h"); fi
          done
        fi ;;
    esac
    local flag=()
    for x in "${list[@]}"; do flag+=("${members[$x]}=$(addr "$x")"); done
    pull[$i]=$(IFS=,; echo "${flag[*]}")
    links_of[$i]=${#list[@]}
    links=$((links + ${#list[@]}))
  done
  echo
  if [[ $topo == mesh ]]; then
    echo "== ${title[$topo]} ($topo), N=$n: ${members[0]} .. ${members[-1]}"
  else
    echo "== ${title[$topo]} ($topo), N=$n: $g RECs of $(IFS=,; echo "${sizes_txt[*]}"), hubs $(for h in "${hubs[@]}"; do printf '%s ' "${members[$h]}"; done)"
  fi

  # Every node starts at once; each knows its peers' fixed ports.
  dir="$work/$topo-$n"
  mkdir -p "$dir"
  npids=()
  local all=() t_start
  all=($(seq 0 $((n - 1))))
  t_start=$(now_ms)
  for ((i = 0; i < n; i++)); do
    local c=${members[$i]} http=()
    [[ $poll == http ]] && http=(--http_listen="$(web "$i")")
    "$node" --country="$c" --data_dir="$dir/$c" --listen="$(addr "$i")" --peers="${pull[$i]}" \
      --ready_file="$dir/$c.ready" "${http[@]}" 2>"$dir/$c.log" 7>&- 8<&- &
    npids+=($!); pids+=($!)
  done
  local pending left
  pending=("${members[@]}")
  while :; do
    left=()
    for c in "${pending[@]}"; do [[ -s "$dir/$c.ready" ]] || left+=("$c"); done
    pending=("${left[@]}")
    ((${#pending[@]})) || break
    if (($(now_ms) - t_start > start_deadline * 1000)); then
      echo "  FAILED: not serving after $start_deadline s: ${pending[*]}"
      for c in "${pending[@]:0:3}"; do echo "  $c log:"; tail -5 "$dir/$c.log" | sed 's/^/    /'; done
      stop_nodes; summary[$topo,$n]="did not start"; return 0
    fi
    sleep 0.05
  done
  local t_ready; t_ready=$(now_ms)
  # ... and until every one takes publishes (its start-up barrier).
  echo open >"$dir/want"
  local r_open
  r_open=$(wait_for "$start_deadline" "$t_start" "$dir/want" "${all[@]}")
  if [[ $r_open == lowmem* ]]; then
    local kb=0 p; for p in "${npids[@]}"; do kb=$((kb + $(awk '/VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0))); done
    echo "  FAILED: less than $min_free MB of memory left $(echo "$r_open" | cut -d' ' -f2) ms after start, before every node took publishes; nodes' RSS $(mb $kb) MB"
    stop_nodes; summary[$topo,$n]="out of memory at start"; return 0
  fi
  [[ $r_open == ok* ]] || echo "  not open for publishing after $start_deadline s (publishing anyway): ${r_open#* * }"
  local t_open; t_open=$(now_ms)

  # Convergence: every member publishes ROWS flow rows, all at once.
  local -a ver=() ppids=()
  local t0 failed=0
  t0=$(now_ms)
  for ((i = 0; i < n; i++)); do
    "$lmx" --node="$(addr "$i")" publish flows "$work/${members[$i]}.csv" >"$dir/pub$i.out" 2>&1 7>&- 8<&- &
    ppids+=($!); pids+=($!)
  done
  local retry=()
  for ((i = 0; i < n; i++)); do
    if ! wait "${ppids[$i]}"; then
      failed=$((failed + 1)); retry+=("$i")
      echo "  publish at ${members[$i]} failed: $(tail -1 "$dir/pub$i.out")"
    fi
  done
  # A failed publish is tried again, one after another, up to twice more.
  local attempt given_up=()
  for i in "${retry[@]}"; do
    for attempt in 2 3; do
      if "$lmx" --node="$(addr "$i")" publish flows "$work/${members[$i]}.csv" >"$dir/pub$i.out" 2>&1; then
        echo "  publish at ${members[$i]}: written at attempt $attempt, $(($(now_ms) - t0)) ms after the first publish"; break
      fi
      echo "  publish at ${members[$i]}, attempt $attempt, failed: $(tail -1 "$dir/pub$i.out")"
      ((attempt < 3)) || given_up+=("$i")
    done
  done
  local t_published; t_published=$(now_ms)
  for ((i = 0; i < n; i++)); do
    ver[$i]=$(sed -n 's/.*written as version \([0-9]*\).*/\1/p' "$dir/pub$i.out" | tail -1)
    ver[$i]=${ver[$i]:-0}  # never written: not waited for
  done
  for ((i = 0; i < n; i++)); do ((ver[i] == 0)) || echo "${members[$i]} ${ver[$i]}"; done >"$dir/want"
  local r_conv converged=0 conv_txt conv_s
  r_conv=$(wait_for "$converge_deadline" "$t0" "$dir/want" "${all[@]}")
  if [[ $r_conv == ok* ]]; then
    converged=1; conv_s=$(ms_to_s "$(echo "$r_conv" | cut -d' ' -f2)"); conv_txt="$conv_s s"
  else
    local behind; behind=$(echo "$r_conv" | cut -d' ' -f3-)
    conv_s=">$converge_deadline"
    [[ $r_conv == lowmem* ]] && conv_s="lowmem"
    conv_txt="NOT CONVERGED ($([[ $r_conv == lowmem* ]] && echo "gave up at $(echo "$r_conv" | cut -d' ' -f2) ms: less than $min_free MB of memory left" || echo "after $converge_deadline s; last poll returned at $(ms_to_s "$(echo "$r_conv" | cut -d' ' -f2)") s")): $(echo "$behind" | wc -w) of $n nodes lack origins (${behind:0:300})"
  fi

  # Memory and connections after convergence, then idle CPU.
  local rss_total=0 rss_max=0 rss_max_c="" rss_hubs=0 threads=0 r
  for ((i = 0; i < n; i++)); do
    r=$(awk '/VmRSS/ {print $2}' "/proc/${npids[$i]}/status" 2>/dev/null || echo 0)
    rss_total=$((rss_total + r))
    ((r <= rss_max)) || { rss_max=$r; rss_max_c=${members[$i]}; }
    ((hub_of[i] != i)) || rss_hubs=$((rss_hubs + r))
    threads=$((threads + $(awk '/Threads/ {print $2}' "/proc/${npids[$i]}/status" 2>/dev/null || echo 0)))
  done
  local pidset ports streams
  pidset=$(IFS='|'; echo "${npids[*]}")
  ports=$(for ((i = 0; i < n; i++)); do printf '%s ' $((base + i)); done)
  # A connection between two nodes: its server end is at a node's gRPC port
  # and its client end is a socket of a node too. Each is counted once.
  streams=$(ss -tnpH state established 2>/dev/null | grep -E "pid=($pidset)," |
    awk -v ports="$ports" '
      BEGIN { split(ports, p, " "); for (i in p) srv[p[i]] = 1 }
      { k = split($3, l, ":"); lport[NR] = l[k]; peer[NR] = $4; mine[$3] = 1 }
      END { for (r in peer) if ((lport[r] in srv) && (peer[r] in mine)) c++; print c + 0 }')
  local -a c0 c1
  local idle_s=10
  if [[ $conv_s == lowmem ]]; then  # no idling on a machine out of memory
    c0=(); c1=(); for ((i = 0; i < n; i++)); do c0+=(0); c1+=(0); done
  else
    sleep 5
    local w0 w1
    w0=$(now_ms); mapfile -t c0 < <(ticks "${npids[@]}")
    sleep 10
    mapfile -t c1 < <(ticks "${npids[@]}"); w1=$(now_ms)
    idle_s=$(ms_to_s $((w1 - w0)))
  fi
  local dt=0 dmax=0 dmax_c="" d
  for ((i = 0; i < n; i++)); do
    d=$((c1[i] - c0[i])); dt=$((dt + d))
    ((d <= dmax)) || { dmax=$d; dmax_c=${members[$i]}; }
  done
  local cpu cpu_max
  cpu=$(awk -v t="$dt" -v hz="$tck" -v s="$idle_s" 'BEGIN {printf "%.1f", t * 100 / hz / s}')
  cpu_max=$(awk -v t="$dmax" -v hz="$tck" -v s="$idle_s" 'BEGIN {printf "%.1f", t * 100 / hz / s}')
  [[ $conv_s != lowmem ]] || { cpu="n/a"; cpu_max="n/a"; }

  # One pass over every node: the resolution of the timings.
  echo "NONE 0" >"$dir/want"
  local s0 sweep; s0=$(now_ms)
  sweep=$(wait_for 60 "$s0" "$dir/want" "${all[@]}")
  sweep=$(echo "$sweep" | cut -d' ' -f2)

  # Publish-to-visible: one-row batches at random members, a different one
  # each time (with fewer members than publishes: each in turn, shuffled).
  local lat=() lat_txt="not measured (no convergence)" p50="n/a" pmax="n/a" slow=""
  if ((converged && sweep > visible_deadline * 1000)); then
    lat_txt="not measured: one poll sweep takes longer ($sweep ms) than the deadline (VISIBLE_DEADLINE=$visible_deadline s)"
  elif ((converged)); then
    local order=() p m out v ts res others
    while ((${#order[@]} < publishes)); do order+=($(seq 0 $((n - 1)) | shuf)); done
    for ((p = 0; p < publishes; p++)); do
      m=${order[$p]}
      printf 'period,direction,counterpart,count,occupation,sex,age,channel\n%d-%02d,OUTFLOW,SAU,17,2512,F,Y25T54,_T\n' \
        $((2100 + p / 12)) $((p % 12 + 1)) >"$dir/one.csv"
      out=$("$lmx" --node="$(addr "$m")" publish flows "$dir/one.csv" 2>&1) || { echo "  publish at ${members[$m]} failed: $out"; continue; }
      ts=$(now_ms)
      v=$(echo "$out" | sed -n 's/.*written as version \([0-9]*\).*/\1/p' | tail -1)
      [[ -n "$v" ]] || v=$((ver[m] + 1))
      ver[$m]=$v
      echo "${members[$m]} $v" >"$dir/want"
      others=()
      for ((i = 0; i < n; i++)); do ((i == m)) || others+=("$i"); done
      res=$(wait_for "$visible_deadline" "$ts" "$dir/want" "${others[@]}")
      lat+=($(echo "$res" | cut -d' ' -f2))
      [[ $res == ok* ]] || slow+=" ${members[$m]} v$v not at $(echo "$res" | cut -d' ' -f3- | wc -w) members;"
    done
    p50=$(median "${lat[@]}"); pmax=$(printf '%s\n' "${lat[@]}" | sort -n | tail -1)
    lat_txt="p50 $p50 ms, max $pmax ms over ${#lat[@]} publishes (at $(for p in "${order[@]:0:publishes}"; do printf '%s ' "${members[$p]}"; done| sed 's/ $//'))"
    [[ -z "$slow" ]] || lat_txt+="; TIMED OUT after $visible_deadline s:$slow"
  fi

  # What the nodes logged that looks like trouble.
  local trouble eg
  trouble=$(cat "$dir"/*.log | grep -icE 'error|fail|refus|reject|fork|warn|lost|timeout|nothing arrived' || true)
  eg=$(cat "$dir"/*.log | grep -iE 'error|fail|refus|reject|fork|warn|lost|timeout|nothing arrived' |
    sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z?/T/g; s/127\.0\.0\.1:[0-9]+/ADDR/g; s/\b[A-Z]{3}\b/XXX/g; s/[0-9]+/N/g' |
    sort | uniq -c | sort -rn | head -4 || true)
  local nh=${#hubs[@]} rss_txt
  rss_txt="total $(mb $rss_total) MB, $(mb $rss_total "$n") MB/node, max $(mb $rss_max) MB ($rss_max_c)"
  [[ $topo == mesh ]] || rss_txt+="; hubs $(mb $rss_hubs "$nh") MB, members $(mb $((rss_total - rss_hubs)) $((n - nh))) MB on average"
  local pub_txt="publishes acknowledged after $((t_published - t0)) ms"
  ((failed == 0)) || pub_txt+=", $failed failed at the first attempt"
  ((${#given_up[@]} == 0)) || pub_txt+=", $(for i in "${given_up[@]}"; do printf '%s ' "${members[$i]}"; done)never written: not waited for"
  printf '  %-38s %s\n' \
    "start" "all $n serving after $((t_ready - t_start)) ms, all taking publishes after $((t_open - t_start)) ms" \
    "pull links configured (--peers)" "$links (most at one node: $(printf '%s\n' "${links_of[@]}" | sort -n | tail -1))" \
    "TCP connections among the nodes" "$streams" \
    "convergence ($n x $rows rows)" "$conv_txt ($pub_txt)" \
    "RSS after convergence" "$rss_txt" \
    "threads" "$threads ($((threads / n)) per node)" \
    "idle CPU (${idle_s} s, from 5 s after)" "$cpu % of one core, $(awk -v c="$cpu" -v n="$n" 'BEGIN {printf "%.2f", c / n}') % per node (most: $cpu_max % at $dmax_c)" \
    "publish-to-visible at all others" "$lat_txt" \
    "poll sweep ($poll, all $n nodes)" "$sweep ms" \
    "node log lines: errors, refusals, cuts" "$trouble"
  [[ -z "$eg" || "$trouble" == 0 ]] || echo "$eg" | sed 's/^/      /'
  summary[$topo,$n]="$links|$streams|$conv_s|$(mb $rss_total)|$(mb $rss_total "$n")|$cpu|$p50|$pmax|$sweep"
  stop_nodes
}
addr() { echo "127.0.0.1:$((base + $1))"; }
web() { echo "127.0.0.1:$((base + ${#members[@]} + $1))"; }

t_begin=$(now)
echo "lmx continental federation bench: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
echo "lmx-node of $(date -r "$root/build/node/lmx-node" '+%F %T') (git $(git -C "$root" rev-parse --short HEAD 2>/dev/null)$(git -C "$root" diff --quiet HEAD 2>/dev/null || echo ', tree modified')); SIZES=\"${sizes[*]}\" TOPOLOGIES=\"${topologies[*]}\" ROWS=$rows PUBLISHES=$publishes POLL=$poll"
for n in "${sizes[@]}"; do
  for topo in "${topologies[@]}"; do run "$topo" "$n"; sleep 5; done  # let the machine settle
done
echo
echo "== summary: convergence from the first publish until every node holds every origin; publish-to-visible from the ack until every other member holds it; idle CPU in % of one core; times are upper bounds, to about one poll sweep"
printf '%-12s %3s %6s %6s %9s %9s %8s %8s %8s %8s %7s\n' topology N links conns converge RSS_MB MB/node idle_CPU p2v_p50 p2v_max sweep
for n in "${sizes[@]}"; do
  for topo in "${topologies[@]}"; do
    if [[ "${summary[$topo,$n]}" != *"|"* ]]; then printf '%-12s %3s %s\n' "$topo" "$n" "${summary[$topo,$n]}"; continue; fi
    IFS='|' read -r l s c mt ma cpu p50 pmax sw <<<"${summary[$topo,$n]}"
    [[ $c =~ ^[0-9.]+$ ]] && c+=s
    [[ $cpu =~ ^[0-9.]+$ ]] && cpu+=%
    [[ $p50 =~ ^[0-9]+$ ]] && p50+=ms
    [[ $pmax =~ ^[0-9]+$ ]] && pmax+=ms
    printf '%-12s %3s %6s %6s %9s %9s %8s %8s %8s %8s %5sms\n' "$topo" "$n" "$l" "$s" "$c" "$mt" "$ma" "$cpu" "$p50" "$pmax" "$sw"
  done
done
for topo in hubmesh continental; do
  [[ "${summary[$topo,55]:-}" == *"|"* ]] || continue
  p50=$(echo "${summary[$topo,55]}" | cut -d'|' -f7)
  if [[ $p50 =~ ^[0-9]+$ ]] && ((p50 <= 2000)); then verdict=met; else verdict="NOT met"; fi
  echo "target publish-to-visible p50 <= 2000 ms, 55-member hierarchy ($topo): $p50 ms, $verdict"
done
echo "whole run: $(elapsed "$t_begin" "$(now)") s"
