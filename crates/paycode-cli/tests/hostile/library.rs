//! Hostile inputs through the library.

use paycode::Error;
use paycode_test_support::fixture;

use crate::inputs::Case;
use crate::oracle::World;

/// Verifies every case that is UTF-8 through the library at the fixture's
/// time, with an amount within the limits, and checks the verdict against the
/// oracle. hmac-derived inputs get a fresh verifier each, so the throttle
/// never hides a check; the rest share one verifier.
pub fn check_library(cases: &[Case]) -> usize {
    let world = World::fixture();
    let shared = fixture::verifier();
    let mut checked = 0;
    let mut failures = Vec::new();
    for case in cases {
        let expected = world.expect(&case.input);
        assert!(expected.is_err(), "generator made an acceptable input: {}", case.what);
        let Ok(text) = std::str::from_utf8(&case.input) else { continue };
        let fresh;
        let v = if text.len() < 100 {
            fresh = fixture::verifier();
            &fresh
        } else {
            &shared
        };
        let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            v.verify_text(text, fixture::NOW, 250).map(|_| ())
        }));
        match got {
            Err(_) => failures.push(format!("{}: PANIC", case.what)),
            Ok(verdict) if verdict != expected => {
                failures.push(format!("{}: got {verdict:?}, the spec says {expected:?}", case.what));
            }
            Ok(Err(e)) => assert_eq!(Error::from_code(e.code()), Some(e)),
            Ok(Ok(())) => unreachable!("expected is an error"),
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{} of {checked} wrong:\n{}", failures.len(), failures.join("\n"));
    eprintln!("{checked} hostile inputs through the library");
    // The genuine codes still verify: the rejections consumed nothing, and the
    // set-up can accept.
    for g in &world.genuine {
        assert_eq!(shared.verify_text(g, fixture::NOW, 250).map(|_| ()), Ok(()), "genuine {g}");
        assert_eq!(shared.verify_text(g, fixture::NOW, 250).map(|_| ()), Err(Error::Replayed));
    }
    checked
}
