//! Tidy tests over this directory's sources, read from disk so a new module is checked without anyone adding it to
//! a list (ARCHITECTURE.md, "The sync engine executes plans"): no SOQL text and no Salesforce error code here (they
//! live in `salesforce/`), and no import cycle between the engine's modules.

use std::collections::{BTreeMap, BTreeSet};

/// Every module of `src/sync/` (its file stem) and its source.
fn sources() -> BTreeMap<String, String> {
    let sources: BTreeMap<String, String> = crate::source_files::rust_files("sync")
        .into_iter()
        .filter_map(|(name, source)| Some((name.strip_suffix(".rs")?.to_owned(), source)))
        .filter(|(stem, _)| stem != "tidy")
        .collect();
    assert!(sources.len() >= 10, "the sync modules were not found");
    sources
}

/// The code of a source: its lines without comments (`//`, `//!`, `///`).
fn code(source: &str) -> String {
    source.lines().filter(|line| !line.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

#[test]
fn no_soql_or_salesforce_error_codes_in_the_sync_engine() {
    for (module, source) in sources() {
        let code = code(&source);
        for soql in ["SELECT ", " FROM ", " WHERE ", "ORDER BY"] {
            assert!(
                !code.contains(soql),
                "sync/{module}.rs writes SOQL ({soql:?}): add a builder to salesforce/soql.rs"
            );
        }
        for reading in ["has_code(", ".code ==", "duplicate_matches() ==", "\"DUPLICATE_VALUE\"", "\"INVALID_"] {
            assert!(
                !code.contains(reading),
                "sync/{module}.rs reads Salesforce's error codes ({reading:?}): name the case in salesforce/error.rs"
            );
        }
    }
}

/// The sibling modules a module uses: `super::name` anywhere, or `name` in a `use super::{…}` list.
fn uses(source: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let code = code(source);
    let mut used = BTreeSet::new();
    for (at, _) in code.match_indices("super::") {
        let rest = &code[at + "super::".len()..];
        let names: Vec<&str> = match rest.strip_prefix('{') {
            Some(list) => list.split('}').next().unwrap_or("").split(',').collect(),
            None => vec![rest],
        };
        for name in names {
            let name: String =
                name.trim().chars().take_while(|character| character.is_alphanumeric() || *character == '_').collect();
            if modules.contains(&name) {
                used.insert(name);
            }
        }
    }
    used
}

#[test]
fn the_sync_modules_import_each_other_without_cycles() {
    let sources = sources();
    let modules: BTreeSet<String> = sources.keys().filter(|module| *module != "mod").cloned().collect();
    let graph: BTreeMap<&String, BTreeSet<String>> = sources
        .iter()
        .filter(|(module, _)| modules.contains(*module))
        .map(|(module, source)| (module, uses(source, &modules)))
        .collect();
    // Depth-first search from every module: a path that comes back to a module on it is a cycle.
    fn visit<'a>(
        module: &'a String,
        graph: &'a BTreeMap<&String, BTreeSet<String>>,
        path: &mut Vec<&'a String>,
        done: &mut BTreeSet<&'a String>,
    ) {
        if let Some(start) = path.iter().position(|on_path| *on_path == module) {
            let cycle: Vec<&str> = path[start..].iter().map(|name| name.as_str()).collect();
            panic!("sync/ has an import cycle: {} -> {module}", cycle.join(" -> "));
        }
        if done.contains(module) {
            return;
        }
        path.push(module);
        for used in graph.get(module).into_iter().flatten() {
            if let Some((name, _)) = graph.get_key_value(used) {
                visit(name, graph, path, done);
            }
        }
        path.pop();
        done.insert(module);
    }
    let mut done = BTreeSet::new();
    for module in graph.keys() {
        visit(module, &graph, &mut Vec::new(), &mut done);
    }
    assert!(graph.get(&"legacy".to_owned()).is_some_and(|used| used.contains("actions")), "the scan reads imports");
}

#[test]
fn the_scan_sees_a_cycle() {
    let modules: BTreeSet<String> = ["legacy", "triggers"].map(str::to_owned).into();
    assert_eq!(uses("use super::{AuditEntry, Flow, legacy};\nfn f() { super::triggers::g() }", &modules), modules);
    assert!(uses("// use super::legacy::x;", &modules).is_empty());
}
