//! Tidy test: callpop-core stays free of I/O, so it stays testable natively and small inside the Wasm.

#[test]
fn core_depends_on_nothing_that_does_io_or_bloats_the_wasm() {
    let manifest = include_str!("../Cargo.toml");
    let forbidden =
        ["tokio", "sqlx", "web-sys", "js-sys", "wasm-bindgen", "reqwest", "phonenumber", "rust_iso3166", "chrono"];
    for line in manifest.lines().map(str::trim).filter(|line| !line.starts_with('#')) {
        let name = line.split(['=', ' ']).next().unwrap_or_default();
        assert!(!forbidden.contains(&name), "callpop-core must not depend on {name} (ARCHITECTURE.md, invariants)");
    }
}
