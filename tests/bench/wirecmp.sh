#!/usr/bin/env bash
# Is the wire the same? Runs `viv_bench tcp` of two builds (A, B: Release viv_bench binaries,
# static, so each carries its own library) with --pcap, --trace, --check 1 and --fp 1, and
# compares with cmp the captures (every frame on every link and port, with its time) and the
# trace files (every trace record: TCP states, timers, cc, frames), and the output lines with
# every field but events, fingerprint, wall_s and peak_rss_kb (a change to the library's own
# events may change those three and still put the same frames on the wire). On demand:
#
#   tests/bench/wirecmp.sh A B [viv_bench tcp options...]   one run (default --bytes 2000000)
#   tests/bench/wirecmp.sh A B --matrix                      loss 0, 0.01, 0.05 x seeds 1-5,
#                                                            and options at seeds 1 and 7
#
# One line per run: pcap, trace and fields "identical" or "DIFFER", then both builds' events
# and fingerprints. Exit status 1 if anything differed. Files go to a temporary directory.
set -uo pipefail
A=$1
B=$2
shift 2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
bad=0
one() {
    local args=(--bytes 2000000 "$@")
    "$A" tcp "${args[@]}" --fp 1 --check 1 --pcap "$dir/a.pcap" --trace "$dir/a.tr" >"$dir/a.out" ||
        echo "A failed: ${args[*]}"
    "$B" tcp "${args[@]}" --fp 1 --check 1 --pcap "$dir/b.pcap" --trace "$dir/b.tr" >"$dir/b.out" ||
        echo "B failed: ${args[*]}"
    strip() { tr ' ' '\n' <"$1" | grep -v -e '^wall_s=' -e '^events=' -e '^fingerprint=' -e '^peak_rss_kb='; }
    ev() { tr ' ' '\n' <"$1" | grep -e '^events=' -e '^fingerprint=' | tr '\n' ' '; }
    local p=identical t=identical f=identical
    cmp -s "$dir/a.pcap" "$dir/b.pcap" || { p=DIFFER; bad=1; }
    cmp -s "$dir/a.tr" "$dir/b.tr" || { t=DIFFER; bad=1; }
    diff <(strip "$dir/a.out") <(strip "$dir/b.out") >/dev/null || { f=DIFFER; bad=1; }
    [ -s "$dir/a.out" ] || { f=DIFFER; bad=1; }
    echo "${args[*]}: pcap $p ($(stat -c %s "$dir/a.pcap") bytes) trace $t ($(wc -l <"$dir/a.tr") records)" \
         "fields $f | A $(ev "$dir/a.out")| B $(ev "$dir/b.out")"
}
if [ "${1:-}" = --matrix ]; then
    for l in 0 0.01 0.05; do
        for s in 1 2 3 4 5; do one --loss $l --seed $s; done
        for o in "--rfc" "--cc cubic" "--sack 0" "--rfc --cc cubic" "--buf 32768" "--buf 8192" \
                 "--read copy" "--rfc --sack 1" "--cc cubic --sack 0"; do
            # shellcheck disable=SC2086 # the options are words
            one --loss $l $o
            # shellcheck disable=SC2086
            one --loss $l --seed 7 $o
        done
    done
else
    one "$@"
fi
exit $bad
