//! The wallet side: code generation per profile.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ed25519_dalek::Signer;

fn wallet(c: &mut Criterion) {
    let run = common::Run::start("wallet");
    let mut g = c.benchmark_group("wallet");
    let step = common::step();

    let hmac = common::hmac_wallets(7..8).pop().unwrap();
    let mut counter = 0u32;
    g.bench_function("hmac_generate", |b| {
        b.iter(|| {
            counter = counter.wrapping_add(1);
            hmac.code_for(black_box(step), counter)
        })
    });
    g.bench_function("hmac_generate_text", |b| {
        b.iter(|| {
            counter = counter.wrapping_add(1);
            hmac.code_for(black_box(step), counter).to_qr_text()
        })
    });
    let code = hmac.code_for(step, 1);
    g.bench_function("numeric_generate", |b| b.iter(|| hmac.numeric(black_box(&code)).unwrap().to_digits()));

    let issuer = common::issuer();
    let ed = common::ed25519_wallet(&issuer, 0, 1_000);
    g.bench_function("ed25519_generate", |b| {
        b.iter(|| {
            counter = counter.wrapping_add(1);
            ed.code_for(black_box(step), counter)
        })
    });
    // Its floor: ed25519-dalek signing the same 164-byte input.
    let signing = ed25519_dalek::SigningKey::from_bytes(
        paycode::hazmat::keys::derive(
            &common::device_seed(0),
            paycode::hazmat::keys::LABEL_DEVICE_KEY,
            &0u32.to_be_bytes(),
        )
        .expose(),
    );
    assert_eq!(signing.verifying_key().to_bytes(), ed.credential().fields().device_key);
    let input = ed.code_for(step, 1).signing_input();
    g.bench_function("dalek_sign", |b| b.iter(|| signing.sign(black_box(&input))));

    g.finish();
    run.finish("");
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = wallet
}
criterion_main!(benches);
