//! The Salesforce Voice connector's bundle: `static/connector/src/connector.js` with Salesforce's
//! `@salesforce/scv-connector-base`, bundled by esbuild into `static/connector/pkg/connector.js` (not committed),
//! with the precompressed copies and the library's licence beside it. Both npm packages come at the exact versions
//! `tools/scv-connector/package-lock.json` pins.

use crate::tools::{ensure_scv_connector_tools, root, run};
use anyhow::Context;
use std::process::Command;

/// Bundles the connector and reports its size.
pub(crate) fn build() -> anyhow::Result<()> {
    let esbuild = ensure_scv_connector_tools()?;
    crate::step("bundle the Salesforce Voice connector (esbuild)");
    let modules = root().join("tools/scv-connector/node_modules");
    let out_dir = root().join("static/connector/pkg");
    std::fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let bundle = out_dir.join("connector.js");
    run(Command::new(&esbuild)
        .arg(root().join("static/connector/src/connector.js"))
        .args(["--bundle", "--format=esm", "--minify", "--target=es2020", "--log-level=warning"])
        .arg(format!("--outfile={}", bundle.display()))
        // The bare import resolves in the tool's own node_modules, not beside the source.
        .env("NODE_PATH", &modules))?;
    // BSD-3-Clause: the library's notice travels with the bundle that contains it.
    let licence = modules.join("@salesforce/scv-connector-base/LICENSE.txt");
    std::fs::copy(&licence, out_dir.join("scv-connector-base.LICENSE.txt"))
        .with_context(|| format!("copying {}", licence.display()))?;
    let sizes = crate::precompress(&bundle)?;
    println!(
        "connector bundle in static/connector/pkg/: {} bytes, {} gzipped, {} brotli",
        sizes.plain, sizes.gzip, sizes.brotli
    );
    Ok(())
}
