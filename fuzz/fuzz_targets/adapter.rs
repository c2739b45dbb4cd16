//! The conformance adapter's message loop (`paycode conformance adapter`)
//! on any bytes: no panic; every line it writes is one JSON object with a
//! `seq` and exactly one of `output`, `error` or the `hello` fields, and
//! nothing follows a `stop`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use paycode_conformance::builtin::serve;

fuzz_target!(|data: &[u8]| {
    let mut out = Vec::new();
    // Input that is not UTF-8 ends the loop with an I/O error, which is fine.
    let _ = serve(data, &mut out);
    let text = std::str::from_utf8(&out).expect("the adapter writes UTF-8");
    let requests = data.split(|&b| b == b'\n').count();
    let mut lines = 0;
    for line in text.lines() {
        lines += 1;
        let v: serde_json::Value = serde_json::from_str(line).expect("every line is JSON");
        let m = v.as_object().expect("every line is an object");
        assert!(m.contains_key("seq"), "{line}");
        let kinds = ["output", "error", "contract"].iter().filter(|k| m.contains_key(**k)).count();
        assert_eq!(kinds, 1, "{line}");
    }
    assert!(lines <= requests, "at most one answer per request line");
});
