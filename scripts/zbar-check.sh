#!/usr/bin/env bash
# Independent decoder check: zbarimg (Debian package zbar-tools, the ZBar
# library many scanning apps use) must read every QR symbol and Code 128
# barcode that tests/qr_roundtrip.rs renders, byte for byte.
#
# The round-trip tests write the very PNG files they decoded with rqrr, and the
# expected text of each, into $PAYCODE_IMAGE_DIR; this script then runs
#   zbarimg --raw -q -Sdisable -S<symbology>.enable FILE
# on each file, with only the expected symbology enabled, and compares the
# output with the expected text plus the newline zbarimg ends each symbol with.
#
# Needs: apt-get install -y zbar-tools
# Exit: 0 all read exactly; 1 any mismatch or nothing checked; 2 setup error.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v zbarimg >/dev/null; then
    echo "zbar-check: zbarimg not found; install it with: apt-get install -y zbar-tools" >&2
    exit 2
fi

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
PAYCODE_IMAGE_DIR="$dir/images" cargo test --locked --release --test qr_roundtrip -- round_trip_through

status=0
checked_total=0
# kind (file prefix) and the zbar symbology that must read it
for spec in qr-hmac:qrcode qr-ed25519:qrcode code128:code128; do
    kind=${spec%%:*}
    symbology=${spec#*:}
    checked=0
    bad=0
    for png in "$dir/images/$kind"-*.png; do
        [ -e "$png" ] || continue
        checked=$((checked + 1))
        expected="${png%.png}.txt"
        rc=0
        zbarimg --nodbus --raw -q -Sdisable "-S$symbology.enable" "$png" >"$dir/got" 2>"$dir/err" || rc=$?
        if [ "$rc" -ne 0 ] || ! { cat "$expected"; echo; } | cmp -s - "$dir/got"; then
            bad=$((bad + 1))
            echo "MISMATCH $kind $(basename "$png") (zbarimg exit $rc)"
            echo "  expected: $(cat "$expected")"
            echo "  got:      $(head -c 400 "$dir/got" | tr '\n' '|') $(head -c 200 "$dir/err" | tr '\n' ' ')"
        fi
    done
    echo "zbar-check: $kind: $((checked - bad)) of $checked read exactly by zbarimg ($symbology)"
    if [ "$checked" -eq 0 ]; then
        echo "zbar-check: $kind: no images were written" >&2
        status=1
    fi
    [ "$bad" -eq 0 ] || status=1
    checked_total=$((checked_total + checked))
done

if [ "$status" -eq 0 ]; then
    echo "zbar-check: all $checked_total images read exactly"
else
    echo "zbar-check: FAILED" >&2
fi
exit "$status"
