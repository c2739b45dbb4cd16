//! QR symbols of both profiles' codes: encoding the text into a symbol, and
//! rendering that symbol as SVG.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

// The core's bench support: criterion settings, fixtures and the run record.
#[path = "../../../benches/common/mod.rs"]
mod common;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use paycode_render::qr::Symbol;

fn qr(c: &mut Criterion) {
    let run = common::Run::start("qr");
    let mut g = c.benchmark_group("qr");
    let step = common::step();
    let hmac = common::hmac_wallets(7..8).pop().unwrap();
    let ed = common::ed25519_wallet(&common::issuer(), 0, 1_000);
    for (profile, text) in
        [("hmac", hmac.code_for(step, 1).to_qr_text()), ("ed25519", ed.code_for(step, 1).to_qr_text())]
    {
        g.bench_function(format!("encode_{profile}"), |b| b.iter(|| Symbol::new(black_box(&text)).unwrap()));
        let symbol = Symbol::new(&text).unwrap();
        g.bench_function(format!("render_svg_{profile}"), |b| b.iter(|| symbol.to_svg(4)));
    }
    g.finish();
    run.finish("");
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = qr
}
criterion_main!(benches);
