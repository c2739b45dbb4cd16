//! Shared set-up of the paycode fuzz targets (see `fuzz/README.md`).

pub mod fixture;
