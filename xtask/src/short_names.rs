//! Short names between the softphone's Wasm and its JS glue.
//!
//! wasm-bindgen names each import after the JavaScript it calls plus a hash (`__wbg_querySelector_1555c239948f2bf0`,
//! about 160 of them) under the module `./callpop_adapter_bg.js`, and each export after its Rust path; each name is
//! written twice, in the Wasm and in the glue, and the hashes do not compress. binaryen's
//! `--minify-imports-and-exports-and-modules` renames them all to one or two letters and prints what it renamed;
//! `rewrite_glue` then writes the same names into the glue, so the two still match. Nothing else changes: the glue's
//! own exports (`default`, `start`) keep their names.

use anyhow::{Context, bail};
use serde_json::Value;

/// The pass's report: `{"imports": [[module, name, new name], …], "exports": [[name, new name], …]}`.
#[derive(Debug)]
pub(crate) struct Renamed {
    modules: Vec<(String, String)>,
    imports: Vec<(String, String)>,
    exports: Vec<(String, String)>,
}

/// The module every import is moved to: binaryen's pass names it `a`.
const NEW_MODULE: &str = "a";

impl Renamed {
    /// Reads the report wasm-opt printed on its standard output.
    pub(crate) fn parse(report: &str) -> anyhow::Result<Self> {
        let start = report.find('{').context("wasm-opt printed no renaming report")?;
        let report: Value = serde_json::from_str(&report[start..]).context("reading wasm-opt's renaming report")?;
        let strings = |row: &Value| -> anyhow::Result<Vec<String>> {
            row.as_array()
                .context("a row of the renaming report is not a list")?
                .iter()
                .map(|cell| cell.as_str().map(str::to_owned).context("a renamed name is not a string"))
                .collect()
        };
        let rows = |key: &str| -> anyhow::Result<Vec<Vec<String>>> {
            report[key]
                .as_array()
                .with_context(|| format!("the renaming report has no {key}"))?
                .iter()
                .map(strings)
                .collect()
        };
        let mut renamed = Self { modules: Vec::new(), imports: Vec::new(), exports: Vec::new() };
        for row in rows("imports")? {
            let [module, name, new_name] = <[String; 3]>::try_from(row)
                .map_err(|_| anyhow::anyhow!("an import row is not [module, name, new name]"))?;
            if !renamed.modules.iter().any(|(known, _)| known == &module) {
                renamed.modules.push((module, NEW_MODULE.to_owned()));
            }
            renamed.imports.push((name, new_name));
        }
        for row in rows("exports")? {
            let [name, new_name] =
                <[String; 2]>::try_from(row).map_err(|_| anyhow::anyhow!("an export row is not [name, new name]"))?;
            renamed.exports.push((name, new_name));
        }
        Ok(renamed)
    }

    /// The glue with the new names: each import's key in the imports object, the module's key, and each `wasm.name`
    /// that reads an export. Fails if a renamed import is missing from the glue or an old name is left in it, so a
    /// glue that no longer matches the Wasm is never written.
    pub(crate) fn rewrite_glue(&self, glue: &str) -> anyhow::Result<String> {
        let mut rewritten = String::with_capacity(glue.len());
        let mut rest = glue;
        let mut imports_renamed = 0;
        while let Some(start) = rest.find(is_name_char) {
            let (before, from_name) = rest.split_at(start);
            let end = from_name.find(|c: char| !is_name_char(c)).unwrap_or(from_name.len());
            let (name, after) = from_name.split_at(end);
            rewritten.push_str(before);
            let reads_export = rewritten.ends_with("wasm.");
            let new_name = if reads_export {
                self.exports.iter().find(|(old, _)| old == name).map(|(_, new)| new)
            } else {
                let import = self.imports.iter().find(|(old, _)| old == name).map(|(_, new)| new);
                imports_renamed += usize::from(import.is_some());
                import
            };
            rewritten.push_str(new_name.map_or(name, String::as_str));
            rest = after;
        }
        rewritten.push_str(rest);
        for (module, new_module) in &self.modules {
            let key = format!("\"{module}\": import0");
            if !rewritten.contains(&key) {
                bail!("the JS glue has no imports object for the module {module}");
            }
            rewritten = rewritten.replace(&key, &format!("\"{new_module}\": import0"));
        }
        if imports_renamed < self.imports.len() {
            bail!("the JS glue names {imports_renamed} of the Wasm's {} imports", self.imports.len());
        }
        if let Some((old, _)) = self.exports.iter().find(|(old, _)| contains_name(&rewritten, &format!("wasm.{old}"))) {
            bail!("the JS glue still reads the export {old} by its old name");
        }
        Ok(rewritten)
    }
}

/// A character of a JavaScript identifier as the glue and binaryen write them.
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// Whether `text` holds `name` not followed by another name character.
fn contains_name(text: &str, name: &str) -> bool {
    text.match_indices(name).any(|(at, _)| !text[at + name.len()..].starts_with(is_name_char))
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = r#"{
 "imports": [
  ["./callpop_adapter_bg.js", "__wbg_now_463ac581d2fc7ea3", "$a"],
  ["./callpop_adapter_bg.js", "__wbindgen_init_externref_table", "b"]
 ],
"exports": [
  ["memory", "c"], ["start", "d"], ["__wbindgen_malloc", "e"]
 ]
}"#;

    const GLUE: &str = r#"function __wbg_get_imports() {
    const import0 = {
        __proto__: null,
        __wbg_now_463ac581d2fc7ea3: function() { return Date.now(); },
        __wbindgen_init_externref_table: function() { const table = wasm.__wbindgen_malloc; },
    };
    return { __proto__: null, "./callpop_adapter_bg.js": import0 };
}
export function start() { wasm.start(); }
const memory = wasm.memory;
"#;

    #[test]
    fn the_glue_gets_the_new_names_and_keeps_its_own() {
        let rewritten = Renamed::parse(REPORT).unwrap().rewrite_glue(GLUE).unwrap();
        assert!(rewritten.contains("        $a: function() { return Date.now(); },"), "{rewritten}");
        assert!(rewritten.contains("        b: function() { const table = wasm.e; },"), "{rewritten}");
        assert!(rewritten.contains(r#"{ __proto__: null, "a": import0 }"#), "{rewritten}");
        assert!(rewritten.contains("export function start() { wasm.d(); }"), "{rewritten}");
        assert!(rewritten.contains("const memory = wasm.c;"), "{rewritten}");
    }

    #[test]
    fn a_glue_that_lacks_an_import_is_refused() {
        let glue = GLUE.replace("__wbg_now_463ac581d2fc7ea3", "__wbg_now_0000000000000000");
        assert!(Renamed::parse(REPORT).unwrap().rewrite_glue(&glue).is_err());
    }
}
