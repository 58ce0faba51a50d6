//! The `salesforce/` metadata project (an SFDX project an administrator deploys with `sf project deploy start`):
//! converted to Metadata API format by Salesforce's own CLI, which parses every file, then checked against the names
//! callpop writes (`callpop_core::write_plan`), so the project and the code cannot drift apart.
//!
//! No org is reachable from here: this proves the project is well-formed and complete, not that an org accepts it
//! (the README says what was and was not verified).

use crate::tools::{ensure_salesforce_cli, root, run, target_dir};
use anyhow::{Context, bail};
use callpop_core::voice::DISPOSITION_FIELD;
use callpop_core::write_plan::{CALL_ID_FIELD, LEAD_ID_FIELD};
use quick_xml::events::Event;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// The permission set that lets callpop's integration user write its fields.
const PERMISSION_SET: &str = "callpop_Integration";

/// Converts the project with `sf project convert source` and checks what the package holds.
pub(crate) fn check() -> anyhow::Result<()> {
    let sf = ensure_salesforce_cli()?;
    let out = target_dir().join("salesforce-mdapi");
    if out.exists() {
        std::fs::remove_dir_all(&out).with_context(|| format!("removing {}", out.display()))?;
    }
    run(Command::new(&sf)
        .args(["project", "convert", "source", "--root-dir", "force-app", "--output-dir"])
        .arg(&out)
        .current_dir(root().join("salesforce"))
        // The CLI runs `sf` for its own hooks: the one it is.
        .env("PATH", path_with(sf.parent().context("sf's directory")?)?)
        // No telemetry, no update check, no prompt: a build step, not a person at the terminal.
        .env("SF_DISABLE_TELEMETRY", "true")
        .env("SF_AUTOUPDATE_DISABLE", "true")
        .env("SF_SKIP_NEW_VERSION_CHECK", "true"))
    .context("Salesforce's CLI could not convert salesforce/ (its message is above)")?;
    let members = package_members(&out.join("package.xml"))?;
    let expected: BTreeMap<&str, Vec<String>> = BTreeMap::from([
        (
            "CustomField",
            vec![
                format!("Activity.{CALL_ID_FIELD}"),
                format!("Lead.{LEAD_ID_FIELD}"),
                format!("VoiceCall.{DISPOSITION_FIELD}"),
            ],
        ),
        ("PermissionSet", vec![PERMISSION_SET.to_owned()]),
    ]);
    let found: BTreeMap<&str, Vec<String>> =
        members.iter().map(|(kind, names)| (kind.as_str(), names.clone())).collect();
    if found != expected {
        bail!("salesforce/ holds {found:?}; callpop needs exactly {expected:?}");
    }
    let permissions = std::fs::read_to_string(out.join(format!("permissionsets/{PERMISSION_SET}.permissionset")))?;
    for field in
        [format!("Task.{CALL_ID_FIELD}"), format!("Lead.{LEAD_ID_FIELD}"), format!("VoiceCall.{DISPOSITION_FIELD}")]
    {
        if !permissions.contains(&format!("<field>{field}</field>")) {
            bail!("the permission set {PERMISSION_SET} does not grant {field}");
        }
    }
    println!("salesforce/: {} converted and checked ({})", out.display(), describe(&found));
    Ok(())
}

/// `PATH` with `dir` first.
fn path_with(dir: &Path) -> anyhow::Result<std::ffi::OsString> {
    let rest = std::env::var_os("PATH").unwrap_or_default();
    Ok(std::env::join_paths(std::iter::once(dir.to_path_buf()).chain(std::env::split_paths(&rest)))?)
}

/// `package.xml`'s members by type, each list sorted.
fn package_members(path: &Path) -> anyhow::Result<BTreeMap<String, Vec<String>>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut reader = quick_xml::Reader::from_str(&text);
    let (mut members, mut by_type) = (Vec::new(), BTreeMap::new());
    let mut element = String::new();
    loop {
        match reader.read_event().context("package.xml is not XML")? {
            Event::Start(start) => element = AsRef::<str>::as_ref(&start.name()).to_owned(),
            Event::Text(text) => {
                let value = text.xml10_content().trim().to_owned();
                match element.as_str() {
                    "members" => members.push(value),
                    "name" => {
                        members.sort();
                        by_type.insert(value, std::mem::take(&mut members));
                    }
                    _ => {}
                }
            }
            Event::End(_) => element.clear(),
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(by_type)
}

fn describe(found: &BTreeMap<&str, Vec<String>>) -> String {
    found.iter().map(|(kind, names)| format!("{kind}: {}", names.join(", "))).collect::<Vec<_>>().join("; ")
}
