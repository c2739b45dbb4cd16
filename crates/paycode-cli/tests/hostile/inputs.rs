//! The hostile inputs, derived from the genuine codes of a [`World`].

use paycode_test_support::SplitMix64;

use crate::oracle::{ALPHABET, World, b45_decode, b45_encode};

/// One hostile input and how it was made.
pub struct Case {
    pub what: String,
    pub input: Vec<u8>,
}

/// How thoroughly to substitute in ed25519 codes: each is a signature check.
#[derive(Clone, Copy, PartialEq)]
pub enum Ed25519Substitutions {
    /// Every position, a few substitutes each.
    Sample,
    /// Every position, every byte value: of the text (ASCII) and of the payload.
    Every,
    /// None (the caller covers them elsewhere).
    Skip,
}

/// Hostile inputs derived from `world`'s genuine codes.
pub fn hostile_cases(world: &World, ed25519: Ed25519Substitutions) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut add = |what: String, input: Vec<u8>| cases.push(Case { what, input });
    for (gi, g) in world.genuine.iter().enumerate() {
        let g = g.as_bytes();
        let is_ed = g.len() > 100;
        let substitute_ed = if is_ed { ed25519 } else { Ed25519Substitutions::Every };
        if substitute_ed != Ed25519Substitutions::Skip {
            // Every single-byte substitution of the text: ASCII here; bytes
            // >= 0x80 make it non-UTF-8, covered below.
            for pos in 0..g.len() {
                for b in 0..=127u8 {
                    let keep = match substitute_ed {
                        Ed25519Substitutions::Sample => {
                            // One alphabet and one other character per position.
                            b == ALPHABET[(pos * 7 + 1) % 45] || b == [b'a', 0, b'#', 0x7f][pos % 4]
                        }
                        _ => true,
                    };
                    if b != g[pos] && keep {
                        let mut v = g.to_vec();
                        v[pos] = b;
                        add(format!("code {gi}: byte {pos} := {b:#04x}"), v);
                    }
                }
            }
        }
        // Non-UTF-8: a high byte in every position.
        for pos in 0..g.len() {
            let b = [0x80, 0xc3, 0xff, 0xe9][pos % 4];
            let mut v = g.to_vec();
            v[pos] = b;
            add(format!("code {gi}: byte {pos} := {b:#04x} (not UTF-8)"), v);
        }
        // Payload substitutions, re-encoded canonically: these pass Base45
        // and reach the checks behind it.
        if let Some(payload) = g.strip_prefix(b"PC3:").and_then(b45_decode)
            && substitute_ed != Ed25519Substitutions::Skip
        {
            for pos in 0..payload.len() {
                for b in 0..=255u8 {
                    let keep = match substitute_ed {
                        Ed25519Substitutions::Sample => b == payload[pos] ^ (1 << (pos % 8)),
                        _ => true,
                    };
                    if b != payload[pos] && keep {
                        let mut p = payload.clone();
                        p[pos] = b;
                        add(format!("code {gi}: payload byte {pos} := {b:#04x}"), qr(&p));
                    }
                }
            }
        }
        // Truncations.
        for len in 0..g.len() {
            add(format!("code {gi}: first {len} bytes"), g[..len].to_vec());
        }
        // Extensions.
        let suffixes: [&[u8]; 12] =
            [b"0", b"00", b"000", b"A", b"AA", b" ", b":", b"PC3:", b"0000", b"\xc3\xa9", b"\0", b"%%%"];
        for s in suffixes {
            add(format!("code {gi} + {:?}", String::from_utf8_lossy(s)), [g, s].concat());
            add(format!("{:?} + code {gi}", String::from_utf8_lossy(s)), [s, g].concat());
        }
        add(format!("code {gi} twice"), [g, g].concat());
        // Surrounding whitespace (Unicode spaces included).
        for ws in
            [" ", "\t", "\n", "\r\n", "\r", "\u{a0}", "\u{3000}", "\u{feff}", "\u{200b}", "\x0b", "\x0c"]
        {
            let ws = ws.as_bytes();
            add(format!("{ws:?} around code {gi}"), [ws, g, ws].concat());
            add(format!("{ws:?} before code {gi}"), [ws, g].concat());
            add(format!("code {gi} then {ws:?}"), [g, ws].concat());
        }
        // Control characters, NUL included, at the start, middle and end.
        for c in (0u8..0x20).chain([0x7f]) {
            for at in [0, g.len() / 2, g.len()] {
                let mut v = g.to_vec();
                v.insert(at, c);
                add(format!("code {gi}: control {c:#04x} inserted at {at}"), v);
            }
        }
        // Non-ASCII look-alikes in the middle.
        for s in ["é", "Ａ", "٠", "０", "\u{fffd}", "🙂", "\u{301}", "ß", "İ", "\u{2028}"] {
            let mut v = g.to_vec();
            let at = g.len() / 2;
            v.splice(at..at + 1, s.bytes());
            add(format!("code {gi}: byte {at} := {s:?}"), v);
        }
        if let Some(rest) = g.strip_prefix(b"PC3:") {
            // Wrong prefixes.
            for p in [
                "",
                "pc3:",
                "Pc3:",
                "PC1:",
                "PC2:",
                "PC0:",
                "PC3",
                "PC3;",
                "PC3::",
                "PC3: ",
                "PC:",
                "PC01:",
                "HC1:",
                "PC3:PC3:",
                "\u{feff}PC3:",
                "ＰＣ１:",
                "PC3\0:",
            ] {
                add(format!("code {gi} with prefix {p:?}"), [p.as_bytes(), rest].concat());
            }
            // Lowercase Base45, whole and one letter.
            add(format!("code {gi} lowercase"), [b"PC3:", rest.to_ascii_lowercase().as_slice()].concat());
            add(format!("code {gi} all lowercase"), g.to_ascii_lowercase());
            if let Some(i) = rest.iter().position(u8::is_ascii_uppercase) {
                let mut v = g.to_vec();
                v[4 + i] = v[4 + i].to_ascii_lowercase();
                add(format!("code {gi}: one letter lowercase"), v);
            }
        } else {
            // The numeric form: lengths, signs, separators, other digits.
            let digits = std::str::from_utf8(g).unwrap();
            for s in [
                format!("+{}", &digits[1..]),
                format!("-{}", &digits[1..]),
                format!("{} {}", &digits[..12], &digits[12..]),
                format!("{}-{}", &digits[..12], &digits[12..]),
                format!("{}.0", &digits[..22]),
                format!("0x{}", &digits[2..]),
                format!("{}e5", &digits[..22]),
                format!("PC3:{digits}"),
                "9".repeat(24),
                "604462909807314587353088".to_owned(),
                format!("{}", u128::MAX),
                "٠".repeat(24),
                "０".repeat(12),
            ] {
                add(format!("numeric variant {s:?}"), s.into_bytes());
            }
        }
    }
    // Overlong inputs, 10 kB and more.
    let first = world.genuine[0].as_bytes();
    for len in [10_000usize, 10_001, 10_002, 65_536, 200_000] {
        add(format!("{len} x 'A'"), vec![b'A'; len]);
        add(format!("PC3: + {len} x '0'"), [b"PC3:".as_slice(), &vec![b'0'; len]].concat());
        add(format!("code 0 repeated to {len}"), first.iter().copied().cycle().take(len).collect());
        add(format!("{len} digits"), vec![b'7'; len]);
        add(format!("{len} NUL bytes"), vec![0; len]);
        add(format!("{len} x 0xff"), vec![0xff; len]);
    }
    // Huge payloads: the version byte decides first, then the profile, then the length.
    for len in [10_000usize, 100_000] {
        for head in [[1u8, 1], [0, 1], [0xff, 0xff], [2, 1], [3, 0], [3, 3], [3, 0xff], [3, 1], [3, 2]] {
            let mut p = vec![0u8; len];
            p[..2].copy_from_slice(&head);
            add(format!("payload of {len} bytes starting {head:?}"), qr(&p));
        }
    }
    // Short payloads of every length below the real ones.
    for len in 0..=210usize {
        for profile in [1u8, 2] {
            let p: Vec<u8> = [2, profile].into_iter().chain((0..len).map(|i| i as u8)).take(len).collect();
            add(format!("payload of {len} bytes, profile {profile}"), qr(&p));
        }
    }
    // Pseudo-random strings: alphabet only, and any ASCII.
    let mut rng = SplitMix64::new(0x9e37_79b9_7f4a_7c15);
    for i in 0..300 {
        let len = (rng.next_u64() % 400) as usize;
        let body: Vec<u8> = if i % 2 == 0 {
            (0..len).map(|_| ALPHABET[(rng.next_u64() % 45) as usize]).collect()
        } else {
            (0..len).map(|_| (rng.next_u64() % 128) as u8).collect()
        };
        add(format!("random {i}, {len} characters after PC3:"), [b"PC3:".as_slice(), &body].concat());
    }
    cases
}

/// `PC3:` + Base45 of `payload`.
pub fn qr(payload: &[u8]) -> Vec<u8> {
    format!("PC3:{}", b45_encode(payload)).into_bytes()
}

/// Hostile challenge texts derived from the genuine challenge `genuine`
/// (`PT3:...`): every substitution of its text by an alphabet character and
/// a few others, every one-bit change of its 37 bytes re-encoded canonically
/// (these decode, and reach the terminal, amount, time and digest checks),
/// truncations, extensions, other prefixes, a code's text, whitespace,
/// non-UTF-8 bytes, other lengths and overlong inputs.
pub fn hostile_challenges(genuine: &str) -> Vec<Case> {
    let g = genuine.as_bytes();
    let rest = &g[4..];
    let mut cases = Vec::new();
    let mut add = |what: String, input: Vec<u8>| cases.push(Case { what, input });
    for pos in 0..g.len() {
        for &b in ALPHABET.iter().chain(b"a#\x7f\0~") {
            if b != g[pos] {
                let mut v = g.to_vec();
                v[pos] = b;
                add(format!("challenge byte {pos} := {b:#04x}"), v);
            }
        }
        let mut v = g.to_vec();
        v[pos] = [0x80, 0xc3, 0xff][pos % 3];
        add(format!("challenge byte {pos} not UTF-8"), v);
    }
    let payload = b45_decode(rest).unwrap();
    for pos in 0..payload.len() {
        for bit in 0..8 {
            let mut p = payload.clone();
            p[pos] ^= 1 << bit;
            add(format!("challenge payload byte {pos} bit {bit}"), challenge_text(&p));
        }
    }
    for len in 0..g.len() {
        add(format!("challenge: first {len} bytes"), g[..len].to_vec());
    }
    for s in [&b"0"[..], b"00", b"000", b"A", b" ", b"\n", b"PT3:", b"\xc3\xa9", b"\0"] {
        add(format!("challenge + {:?}", String::from_utf8_lossy(s)), [g, s].concat());
        add(format!("{:?} + challenge", String::from_utf8_lossy(s)), [s, g].concat());
    }
    add("challenge twice".into(), [g, g].concat());
    for p in ["", "pt3:", "PT1:", "PT2:", "PT3", "PT3::", "PC3:", "PT3: ", "\u{feff}PT3:", "ＰＴ１:"] {
        add(format!("challenge with prefix {p:?}"), [p.as_bytes(), rest].concat());
    }
    add("challenge lowercase".into(), [b"PT3:".as_slice(), &rest.to_ascii_lowercase()].concat());
    for ws in [" ", "\t", "\r\n", "\u{a0}"] {
        add(format!("{ws:?} around the challenge"), [ws.as_bytes(), g, ws.as_bytes()].concat());
    }
    // Payloads of other lengths, version 2; and the right length, other versions.
    for len in (0..=80usize).filter(|&l| l != 37) {
        let p: Vec<u8> = std::iter::once(2).chain(payload.iter().copied().cycle()).take(len).collect();
        add(format!("challenge payload of {len} bytes"), challenge_text(&p));
    }
    for v in [0u8, 1, 0xff] {
        let mut p = payload.clone();
        p[0] = v;
        add(format!("challenge version {v}"), challenge_text(&p));
    }
    // A code's text, with either prefix.
    let code = format!("PC3:{}", b45_encode(&[[paycode::VERSION, 1].as_slice(), &[0; 36]].concat()));
    add("a code as the challenge".into(), code.clone().into_bytes());
    add("a code with the challenge prefix".into(), code.replacen("PC3:", "PT3:", 1).into_bytes());
    for len in [10_000usize, 100_000] {
        add(format!("PT3: + {len} x '0'"), [b"PT3:".as_slice(), &vec![b'0'; len]].concat());
        add(format!("{len} x 'A'"), vec![b'A'; len]);
    }
    cases
}

/// `PT3:` + Base45 of `payload`.
pub fn challenge_text(payload: &[u8]) -> Vec<u8> {
    format!("PT3:{}", b45_encode(payload)).into_bytes()
}
