//! The figures a benchmark program hands to `cargo xtask bench`, which checks them against the goals (one table,
//! `xtask/src/bench.rs`) and writes BENCHMARKS.md and `target/bench/report.json`. Every benchmark program includes
//! this file (`#[path]`), so the row's shape is written once.
//!
//! A row's `id` is what the goals table names (`ingest.sqlite.calls`); its `figures` are the numbers a goal is
//! checked on (`p99_ms`, `share`, …); `measured`, `baseline` and `ratio` are the sentences BENCHMARKS.md shows.

use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

/// One line of the report: a figure, the baseline it is read against (taken in the same run) and their ratio.
pub(crate) struct Row {
    pub(crate) id: String,
    pub(crate) what: String,
    pub(crate) measured: String,
    pub(crate) baseline: String,
    pub(crate) ratio: String,
    pub(crate) figures: Value,
}

/// The rows of one benchmark program, in the order it measured them.
#[derive(Default)]
pub(crate) struct Report {
    rows: Vec<Row>,
}

impl Report {
    /// Adds a row, and prints it at once for whoever watches the run.
    pub(crate) fn add(&mut self, row: Row) {
        println!("  {}: {} (baseline {}, {})", row.what, row.measured, row.baseline, row.ratio);
        self.rows.push(row);
    }

    /// Prints the rows as a table.
    pub(crate) fn print(&self) {
        println!("\n| what | measured | baseline (same run) | ratio |\n|---|---|---|---|");
        for row in &self.rows {
            println!("| {} | {} | {} | {} |", row.what, row.measured, row.baseline, row.ratio);
        }
    }

    /// Writes the rows as JSON (`{"rows": [{id, what, measured, baseline, ratio, figures}]}`) to `path`.
    pub(crate) fn write(&self, path: &Path) -> anyhow::Result<()> {
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|row| {
                json!({ "id": row.id, "what": row.what, "measured": row.measured, "baseline": row.baseline,
                        "ratio": row.ratio, "figures": row.figures })
            })
            .collect();
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, serde_json::to_string_pretty(&json!({ "rows": rows }))?)?;
        Ok(())
    }
}

/// The `p` quantile (0.5, 0.99) of sorted values, by the nearest rank; the default when there are none.
pub(crate) fn percentile<T: Copy + Default>(sorted: &[T], p: f64) -> T {
    if sorted.is_empty() {
        return T::default();
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// A duration in milliseconds, with two decimals below one millisecond.
pub(crate) fn millis(duration: Duration) -> String {
    let ms = duration.as_secs_f64() * 1e3;
    if ms < 1.0 { format!("{ms:.2} ms") } else { format!("{ms:.1} ms") }
}
