#!/usr/bin/env python3
"""Turn criterion's output into benches/REPORT.md and benches/ratios.svg.

    python3 scripts/bench-report.py            collect, then render
    python3 scripts/bench-report.py --render   render from benches/results.json only
    python3 scripts/bench-report.py --check    fail if rendering results.json changes the report

Collecting reads every criterion directory given with --criterion (default:
target/criterion, and target/bench-simd/criterion when it exists): each
benchmark's median (new/estimates.json) and throughput (new/benchmark.json),
and the run records the benches write to <criterion dir>/paycode/*.json
(backend selected, CPU features detected, load average, replay memory). It
adds the machine (/proc/cpuinfo) and crate versions (Cargo.lock), and writes
all of it to benches/results.json. Rendering reads only results.json, so the
committed report can be checked against the committed data anywhere.

Standard library only.
"""

import argparse
import json
import math
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "benches")
RESULTS = os.path.join(OUT, "results.json")
REPORT = os.path.join(OUT, "REPORT.md")
SVG = os.path.join(OUT, "ratios.svg")

# Crates whose versions the report lists (from Cargo.lock).
CRATES = ["curve25519-dalek", "ed25519-dalek", "sha2", "hmac", "hkdf", "subtle", "qrcode", "criterion", "totp-rs"]

# The ed25519 group is named per backend; "{ed}" stands for it below.
ED = "{ed}"

# Every benchmark the report shows, in order, with what it means and its floor
# (the cost it cannot go below, measured in the same run).
ROWS = [
    ("hmac", "raw_hmac", "floor: HMAC-SHA256 of the 46-byte MAC input, keyed state precomputed", None),
    ("hmac", "verify_decoded", "verify a decoded QR code: key lookup, throttle, MAC, window, replay", "hmac/raw_hmac"),
    ("hmac", "verify_text", "verify from QR text: Base45 decode, then as above", "hmac/raw_hmac"),
    ("hmac", "raw_hmac_numeric", "floor of the numeric form: HMAC-SHA256 of its 51-byte input", None),
    ("hmac", "verify_numeric", "verify from the 24 digits: parse, step reconstruction, MAC, window", "hmac/raw_hmac_numeric"),
    ("hmac", "totp_rs_check_sha1", "peer: totp-rs 6 `check`, skew 1, HMAC-SHA1, token of the current step", "hmac/raw_hmac"),
    ("hmac", "totp_rs_check_sha256", "peer: the same with HMAC-SHA256", "hmac/raw_hmac"),
    (ED, "dalek_verify_strict", "floor: ed25519-dalek `verify_strict`, same message and signature", None),
    (ED, "eddsa_verify", "our cofactored signature check alone (`eddsa::PublicKey::verify`)", ED + "/dalek_verify_strict"),
    (ED, "r_decode", "decode R: canonical, on the curve (a square root), not small order; per signature, batched or not", ED + "/dalek_verify_strict"),
    (ED, "challenge", "k = SHA-512(R || A || M) mod L over the 228-byte input; per signature, batched or not", ED + "/dalek_verify_strict"),
    (ED, "verify_cached", "verify a decoded code, credential verified before and cached", ED + "/dalek_verify_strict"),
    (ED, "verify_uncached", "verify a decoded code whose credential is new (two signature checks)", ED + "/dalek_verify_strict"),
    (ED, "verify_batch64", "`Verifier::verify_batch` of 64 codes from 64 wallets, per code", ED + "/dalek_verify_strict"),
    (ED, "eddsa_verify_batch64", "`eddsa::verify_batch` of 64 signatures by 64 keys, per signature", ED + "/dalek_verify_strict"),
    ("replay", "window_check", "replay window arithmetic alone (check and record)", "hmac/raw_hmac"),
    ("replay", "admit", "replay state steps C1-C5 under the shard lock, 1,000 identities", "hmac/raw_hmac"),
    ("lookup", "accounts_1e3", "account lookup among 10^3 enrolled wallets", "hmac/raw_hmac"),
    ("lookup", "accounts_1e5", "account lookup among 10^5 enrolled wallets", "hmac/raw_hmac"),
    ("lookup", "accounts_1e6", "account lookup among 10^6 enrolled wallets", "hmac/raw_hmac"),
    ("wallet", "hmac_generate", "generate an hmac code (one MAC)", "hmac/raw_hmac"),
    ("wallet", "hmac_generate_text", "generate an hmac code and its QR text", "hmac/raw_hmac"),
    ("wallet", "numeric_generate", "numeric form of a code (one MAC) and its digits", "hmac/raw_hmac_numeric"),
    ("wallet", "dalek_sign", "floor: ed25519-dalek signing of the same 164-byte input", None),
    ("wallet", "ed25519_generate", "generate an ed25519 code (one signature)", "wallet/dalek_sign"),
    ("qr", "encode_hmac", "QR symbol of an hmac code (61 chars, version 3-M)", None),
    ("qr", "render_svg_hmac", "SVG of that symbol", None),
    ("qr", "encode_ed25519", "QR symbol of an ed25519 code (310 chars, version 10-M)", None),
    ("qr", "render_svg_ed25519", "SVG of that symbol", None),
    ("throughput", "hmac_text_1_thread", "verify from QR text, 1 thread, per code", "throughput/raw_hmac_1_thread"),
    ("throughput", "raw_hmac_1_thread", "raw HMAC over the same codes' inputs, 1 thread, per code", None),
    ("throughput", "hmac_text_2_threads", "verify from QR text, 2 threads sharing one verifier, per code", "throughput/raw_hmac_2_threads"),
    ("throughput", "raw_hmac_2_threads", "raw HMAC, 2 threads sharing nothing, per code: the machine's own scaling", None),
    ("sqlite", "bare_update", "floor: a bare SQLite write transaction updating one row (WAL, synchronous=FULL)", None),
    ("sqlite", "verify_text", "verify from QR text on the SQLite store (paycode-store): one durable transaction", "sqlite/bare_update"),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--criterion", action="append", help="criterion output directory (repeatable)")
    ap.add_argument("--render", action="store_true", help="render from benches/results.json only")
    ap.add_argument("--check", action="store_true", help="exit 1 if the committed report differs from a fresh rendering")
    args = ap.parse_args()
    if args.check or args.render:
        with open(RESULTS) as f:
            results = json.load(f)
    else:
        dirs = args.criterion or default_dirs()
        text = json.dumps(collect(dirs), indent=1, sort_keys=True) + "\n"
        write(RESULTS, text)
        # Render what was written, so that --check sees the same input.
        results = json.loads(text)
    report, svg = render(results)
    if args.check:
        stale = [p for p, text in ((REPORT, report), (SVG, svg)) if read(p) != text]
        for p in stale:
            print(f"{os.path.relpath(p, ROOT)} is not what {os.path.relpath(RESULTS, ROOT)} renders to", file=sys.stderr)
        sys.exit(1 if stale else 0)
    write(REPORT, report)
    write(SVG, svg)
    print(f"wrote {os.path.relpath(REPORT, ROOT)} and {os.path.relpath(SVG, ROOT)}")


def default_dirs():
    dirs = [os.path.join(ROOT, "target", "criterion")]
    simd = os.path.join(ROOT, "target", "bench-simd", "criterion")
    if os.path.isdir(simd):
        dirs.append(simd)
    return dirs


# ---------------------------------------------------------------- collecting


def collect(dirs):
    benchmarks = {}
    records = {}
    for d in dirs:
        if not os.path.isdir(d):
            sys.exit(f"no criterion output in {d}: run `cargo bench` first")
        for dirpath, _, files in os.walk(d):
            if os.path.basename(dirpath) == "new" and "benchmark.json" in files and "estimates.json" in files:
                with open(os.path.join(dirpath, "benchmark.json")) as f:
                    meta = json.load(f)
                with open(os.path.join(dirpath, "estimates.json")) as f:
                    est = json.load(f)
                per = 1
                tp = meta.get("throughput") or {}
                if "Elements" in tp:
                    per = tp["Elements"]
                benchmarks[meta["full_id"]] = {
                    "median_ns": est["median"]["point_estimate"] / per,
                    "median_low_ns": est["median"]["confidence_interval"]["lower_bound"] / per,
                    "median_high_ns": est["median"]["confidence_interval"]["upper_bound"] / per,
                    "elements": per,
                    "source": os.path.relpath(d, ROOT),
                }
        rec_dir = os.path.join(d, "paycode")
        if os.path.isdir(rec_dir):
            for name in sorted(os.listdir(rec_dir)):
                if name.endswith(".json"):
                    with open(os.path.join(rec_dir, name)) as f:
                        rec = json.load(f)
                    rec["source"] = os.path.relpath(d, ROOT)
                    records[rec["bench"]] = rec
    return {"machine": machine(), "crates": crate_versions(), "benchmarks": benchmarks, "records": records}


def machine():
    model, flags, cpus = "unknown", set(), 0
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name":
                    model = value.strip()
                    cpus += 1
                elif key == "flags":
                    flags = set(value.split())
    except OSError:
        pass
    return {
        "cpu_model": model,
        "logical_cpus": cpus,
        "cpuinfo_flags": {f: f in flags for f in ["sha_ni", "avx2", "avx512f", "avx512ifma", "avx512vl"]},
    }


def crate_versions():
    versions = {}
    name = None
    with open(os.path.join(ROOT, "Cargo.lock")) as f:
        for line in f:
            m = re.match(r'^(name|version) = "(.*)"$', line.strip())
            if not m:
                continue
            if m.group(1) == "name":
                name = m.group(2)
            elif name in CRATES:
                versions.setdefault(name, []).append(m.group(2))
    return {k: ", ".join(sorted(v)) for k, v in sorted(versions.items())}


# ----------------------------------------------------------------- rendering


def render(r):
    b = r["benchmarks"]
    rec = r["records"]
    eds = sorted({k.split("/")[0] for k in b if k.startswith("ed25519_")})
    # The fastest backend is the one whose floor is fastest.
    fastest = min(eds, key=lambda g: b.get(g + "/dalek_verify_strict", {}).get("median_ns", math.inf)) if eds else None

    def med(bid):
        return b[bid]["median_ns"] if bid in b else None

    rows = []  # (group, id, meaning, median, floor id, ratio)
    order = []  # groups in ROWS order, the ed25519 one once per backend
    for group, _, _, _ in ROWS:
        for g in eds if group == ED else [group]:
            if g not in order:
                order.append(g)
    for g in order:
        for group, fn, meaning, floor in ROWS:
            if group != g and not (group == ED and g in eds):
                continue
            bid = f"{g}/{fn}"
            fl = floor.replace(ED, g) if floor else None
            m = med(bid)
            ratio = m / med(fl) if (m is not None and fl and med(fl)) else None
            rows.append((g, bid, meaning, m, fl, ratio))
    known = {row[1] for row in rows}
    extra = sorted(k for k in b if k not in known)

    targets = []
    def target(what, value, op, limit, detail):
        if value is None:
            targets.append((what, "not measured", f"{op} {limit}", "MISSING", detail))
            return
        ok = value <= limit if op == "<=" else value >= limit
        targets.append((what, fmt_ratio(value) if "bytes" not in what else f"{value:.1f} B", f"{op} {limit:g}", "pass" if ok else "MISS", detail))

    def ratio(a, c):
        return med(a) / med(c) if med(a) is not None and med(c) else None

    target("hmac: verify decoded code / raw HMAC", ratio("hmac/verify_decoded", "hmac/raw_hmac"), "<=", 1.3, "")
    target("hmac: verify from QR text / raw HMAC", ratio("hmac/verify_text", "hmac/raw_hmac"), "<=", 2.0, "")
    target("hmac: verify from QR text / totp-rs check, HMAC-SHA256", ratio("hmac/verify_text", "hmac/totp_rs_check_sha256"),
           "<=", 0.6, "the peer on the same hash function as ours")
    target("hmac: verify from QR text / totp-rs check, HMAC-SHA1", ratio("hmac/verify_text", "hmac/totp_rs_check_sha1"),
           "<=", 0.6, "the peer on its default hash function (SHA-1 is cheaper than SHA-256)")
    if fastest:
        target("ed25519: verify, credential cached / dalek verify_strict", ratio(f"{fastest}/verify_cached", f"{fastest}/dalek_verify_strict"),
               "<=", 1.05, f"backend {fastest[8:]} (the fastest for dalek here)")
        target("ed25519: batched / single verify, per code", ratio(f"{fastest}/verify_batch64", f"{fastest}/verify_cached"), "<=", 0.45,
               f"backend {fastest[8:]}")
    target("sqlite: verify on the SQLite store / bare one-row transaction", ratio("sqlite/verify_text", "sqlite/bare_update"),
           "<=", 1.5, "same durability (WAL, synchronous=FULL); crates/paycode-store/benches/sqlite.rs")
    mem = rec.get("replay_memory", {}).get("window_bytes_per_credential")
    target("replay state bytes per active credential at 10^6", mem, "<=", 48, "")
    t1, t2 = med("throughput/hmac_text_1_thread"), med("throughput/hmac_text_2_threads")
    r1, r2 = med("throughput/raw_hmac_1_thread"), med("throughput/raw_hmac_2_threads")
    machine_scaling = f"raw HMAC sharing nothing scales {r1 / r2:.2f}× on this machine in the same run" if r1 and r2 else ""
    target("throughput: 2 threads / 1 thread", t1 / t2 if t1 and t2 else None, ">=", 1.8,
           "codes per second, one shared verifier; " + machine_scaling)

    out = []
    w = out.append
    w("# paycode benchmark report")
    w("")
    w("Generated by `python3 scripts/bench-report.py` from criterion's output of `cargo bench` "
      "(and of the ed25519 bench rebuilt with the AVX2 backend); do not edit. "
      "Times are criterion's median per operation (per code for batches); a ratio divides a "
      "median by its floor's median from the same `cargo bench` run, so it holds on a machine whose absolute speed drifts.")
    w("")
    w("Reproduce (the second run rebuilds in its own target directory; `RUSTFLAGS` replaces "
      "the `--cfg curve25519_dalek_backend=\"avx512\"` that `.cargo/config.toml` sets):")
    w("")
    w("```sh")
    w("cargo bench --bench '*'")
    w("CARGO_TARGET_DIR=target/bench-simd RUSTFLAGS='--cfg curve25519_dalek_backend=\"simd\"' cargo bench --bench ed25519")
    w("python3 scripts/bench-report.py          # writes benches/results.json, REPORT.md, ratios.svg")
    w("python3 scripts/bench-report.py --check  # re-renders from results.json; fails on a difference")
    w("```")
    w("")
    w("## Targets")
    w("")
    w("| target | measured | required | verdict | note |")
    w("|---|---|---|---|---|")
    for what, value, req, verdict, detail in targets:
        w(f"| {what} | {value} | {req} | **{verdict}** | {detail} |")
    w("")
    w("![ratios to floor](ratios.svg)")
    w("")
    w("## Benchmarks")
    w("")
    current = None
    for g, bid, meaning, m, fl, rt in rows:
        if g != current:
            current = g
            w("")
            w(f"### {g}")
            w("")
            w("| benchmark | median | floor | ratio | what |")
            w("|---|---|---|---|---|")
        w(f"| `{bid.split('/', 1)[1]}` | {fmt_ns(m)} | {('`' + fl + '`') if fl else '—'} | {fmt_ratio(rt) if rt is not None else '—'} | {meaning} |")
    if extra:
        w("")
        w("### other benchmarks found")
        w("")
        for k in extra:
            w(f"- `{k}`: {fmt_ns(med(k))}")
    w("")
    if fastest and all(med(f"{fastest}/{n}") for n in ("r_decode", "challenge", "verify_cached", "verify_batch64", "eddsa_verify_batch64")):
        g = fastest
        fixed = med(f"{g}/r_decode") + med(f"{g}/challenge")
        single, batched, eq = med(f"{g}/verify_cached"), med(f"{g}/verify_batch64"), med(f"{g}/eddsa_verify_batch64")
        w("## What a batch can share")
        w("")
        w(f"Per code, a batch of 64 costs {fmt_ns(batched)} against {fmt_ns(single)} verified alone ({fmt_ratio(batched / single)}). "
          f"Two parts of every signature check are done per signature, batched or not: decoding R "
          f"(a square root in the field, then the small-order check), {fmt_ns(med(f'{g}/r_decode'))}, and the challenge hash, "
          f"{fmt_ns(med(f'{g}/challenge'))}; together {fmt_ns(fixed)}, already {fmt_ratio(fixed / single)} of a single verification. "
          f"The batch equation alone (those parts included) costs {fmt_ns(eq)} per signature, so its one multiscalar "
          f"multiplication over 129 points (B, 64 R_i with 128-bit and 64 A_i with 253-bit coefficients) is about "
          f"{fmt_ns(eq - fixed)} per signature, and the verifier's own work (credential cache, limits, replay window, log record) "
          + (f"{fmt_ns(batched - eq)}." if batched > eq else "too small to tell from the noise (the difference is negative)."))
        w("")
    w("## Replay state memory")
    w("")
    mr = rec.get("replay_memory")
    if mr:
        w(f"At {mr['credentials']:,} active credentials (each with one accepted code in the time window) the replay windows "
          f"take **{mr['window_bytes_per_credential']:.1f} bytes per credential**: every slot of the window tables, used or free, "
          f"at 28 bytes (8-byte serial, 20-byte window; spec R-REPLAY-6), counted by `ReplayState::window_bytes`. "
          f"The process's resident set grew by {fmt_opt(mr.get('rss_growth_bytes_per_credential'))} bytes per credential while the state was built "
          f"(an independent check from /proc/self/statm, including the allocator's own overhead). "
          f"A `HashMap<u64, Window>` holding the same windows allocates {mr['hashmap_bytes_per_credential']:.1f} bytes per credential "
          f"({mr['hashmap_pair_bytes']}-byte pairs and a control byte per bucket, buckets a power of two at most 7/8 full). "
          "The ed25519 spend ledger (limits, not replay) is a separate map and not counted here.")
    else:
        w("Not measured (no replay_memory record).")
    w("")
    w("## Machine and build")
    w("")
    m = r["machine"]
    flags = ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in m["cpuinfo_flags"].items())
    w(f"- CPU: {m['cpu_model']}, {m['logical_cpus']} logical CPUs; /proc/cpuinfo flags: {flags}")
    for name in sorted(rec):
        x = rec[name]
        feats = ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in x.get("cpu_features", {}).items())
        w(f"- run `{name}` ({x.get('source')}): curve25519-dalek backend cfg `{x.get('dalek_backend_cfg')}`, "
          f"selected at run time **{x.get('dalek_backend')}**; detected: {feats}; 1-minute load average at start {fmt_opt(x.get('load_average_1min'))}")
    w("- crates (Cargo.lock): " + ", ".join(f"{k} {v}" for k, v in r["crates"].items()))
    w("")
    limits = {"hmac/verify_decoded": 1.3, "hmac/verify_text": 2.0}
    if fastest:
        limits[f"{fastest}/verify_cached"] = 1.05
    return "\n".join(out), render_svg(rows, limits)


def fmt_ns(ns):
    if ns is None:
        return "—"
    if ns >= 1e6:
        return f"{ns / 1e6:.3g} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.3g} µs"
    return f"{ns:.3g} ns"


def fmt_ratio(x):
    return f"{x:.2f}×" if x >= 0.1 else f"{x:.3f}×"


def fmt_opt(x):
    return "n/a" if x is None else f"{x}"


def render_svg(rows, limits):
    """A horizontal bar per benchmark that has a floor: its ratio on a log scale,
    with a red mark at the target limit where a target bounds that ratio."""
    bars = [(bid, rt) for _, bid, _, _, fl, rt in rows if rt is not None]
    left, right, top, row_h = 300, 760, 40, 18
    lo, hi = 1 / 64, 8
    width = right + 70
    height = top + row_h * len(bars) + 40

    def x(v):
        v = min(max(v, lo), hi)
        return left + (right - left) * (math.log2(v) - math.log2(lo)) / (math.log2(hi) - math.log2(lo))

    s = []
    s.append(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">')
    s.append(f'<rect width="{width}" height="{height}" fill="#ffffff"/>')
    s.append(f'<text x="{left}" y="16" font-size="13">median / floor median (log scale; 1 = the floor)</text>')
    k = lo
    while k <= hi * 1.001:
        xx = x(k)
        s.append(f'<line x1="{xx:.1f}" y1="{top - 6}" x2="{xx:.1f}" y2="{height - 30}" stroke="{"#333333" if k == 1 else "#dddddd"}"/>')
        label = f"{k:g}" if k >= 1 else f"1/{round(1 / k)}"
        s.append(f'<text x="{xx:.1f}" y="{height - 16}" text-anchor="middle">{label}</text>')
        k *= 2
    for i, (bid, rt) in enumerate(bars):
        y = top + i * row_h
        x0, x1 = x(lo), x(rt)
        s.append(f'<text x="{left - 6}" y="{y + 12}" text-anchor="end">{bid}</text>')
        s.append(f'<rect x="{x0:.1f}" y="{y + 3}" width="{max(x1 - x0, 1):.1f}" height="{row_h - 6}" fill="#4a7ab5"/>')
        label_x = x1 + 4
        if bid in limits:
            lx = x(limits[bid])
            s.append(f'<line x1="{lx:.1f}" y1="{y + 1}" x2="{lx:.1f}" y2="{y + row_h - 1}" stroke="#c0392b" stroke-width="2"/>')
            label_x = max(label_x, lx + 4)
        s.append(f'<text x="{label_x:.1f}" y="{y + 12}">{rt:.2f}</text>')
    s.append(f'<text x="{left}" y="{height - 2}" fill="#c0392b">red mark: the target limit of that ratio</text>')
    s.append("</svg>")
    return "\n".join(s) + "\n"


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
