//! The `salesforce/` metadata project (an SFDX project an administrator deploys with `sf project deploy start`):
//! converted to Metadata API format by Salesforce's own CLI, which parses every file, then checked against the names
//! callpop writes (`callpop_core::write_plan`), so the project and the code cannot drift apart.
//!
//! No org is reachable from here: this proves the project is well-formed and complete, not that an org accepts it
//! (the README says what was and was not verified).

use crate::tools::{ensure_salesforce_cli, root, run, target_dir};
use anyhow::{Context, bail};
use callpop_core::voice::{DISPOSITION_FIELD, VENDOR_INFO_API_NAME};
use callpop_core::write_plan::{CALL_ID_FIELD, LEAD_ID_FIELD};
use quick_xml::events::Event;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// One package directory of the project: what it must hold, and the fields its permission set must grant.
struct PackageDirectory {
    /// The directory under `salesforce/`.
    path: &'static str,
    /// What `package.xml` lists, by metadata type.
    members: BTreeMap<&'static str, Vec<String>>,
    /// The permission set and the fields (`Object.Field`) it grants.
    permission_set: &'static str,
    granted: Vec<String>,
}

/// The two package directories: `force-app` for every org (Open CTI and Salesforce Voice), `voice-app` for orgs
/// with Salesforce Voice only (VoiceCall and ConversationVendorInfo exist only there, so an Open CTI org deploys
/// `force-app` alone).
fn package_directories() -> Vec<PackageDirectory> {
    vec![
        PackageDirectory {
            path: "force-app",
            members: BTreeMap::from([
                ("CustomField", vec![format!("Activity.{CALL_ID_FIELD}"), format!("Lead.{LEAD_ID_FIELD}")]),
                ("PermissionSet", vec!["callpop_Integration".to_owned()]),
            ]),
            permission_set: "callpop_Integration",
            granted: vec![format!("Task.{CALL_ID_FIELD}"), format!("Lead.{LEAD_ID_FIELD}")],
        },
        PackageDirectory {
            path: "voice-app",
            members: BTreeMap::from([
                ("ConversationVendorInfo", vec![VENDOR_INFO_API_NAME.to_owned()]),
                ("CustomField", vec![format!("VoiceCall.{DISPOSITION_FIELD}")]),
                ("PermissionSet", vec!["callpop_Voice".to_owned()]),
            ]),
            permission_set: "callpop_Voice",
            granted: vec![format!("VoiceCall.{DISPOSITION_FIELD}")],
        },
    ]
}

/// Converts each package directory with `sf project convert source` and checks what its package holds.
pub(crate) fn check() -> anyhow::Result<()> {
    let sf = ensure_salesforce_cli()?;
    for directory in package_directories() {
        let out = target_dir().join("salesforce-mdapi").join(directory.path);
        if out.exists() {
            std::fs::remove_dir_all(&out).with_context(|| format!("removing {}", out.display()))?;
        }
        run(Command::new(&sf)
            .args(["project", "convert", "source", "--root-dir", directory.path, "--output-dir"])
            .arg(&out)
            .current_dir(root().join("salesforce"))
            // The CLI runs `sf` for its own hooks: the one it is.
            .env("PATH", path_with(sf.parent().context("sf's directory")?)?)
            // No telemetry, no update check, no prompt: a build step, not a person at the terminal.
            .env("SF_DISABLE_TELEMETRY", "true")
            .env("SF_AUTOUPDATE_DISABLE", "true")
            .env("SF_SKIP_NEW_VERSION_CHECK", "true"))
        .with_context(|| {
            format!("Salesforce's CLI could not convert salesforce/{} (its message is above)", directory.path)
        })?;
        let members = package_members(&out.join("package.xml"))?;
        let found: BTreeMap<&str, Vec<String>> =
            members.iter().map(|(kind, names)| (kind.as_str(), names.clone())).collect();
        if found != directory.members {
            bail!("salesforce/{} holds {found:?}; callpop needs exactly {:?}", directory.path, directory.members);
        }
        let set = directory.permission_set;
        let permissions = std::fs::read_to_string(out.join(format!("permissionsets/{set}.permissionset")))?;
        for field in &directory.granted {
            if !permissions.contains(&format!("<field>{field}</field>")) {
                bail!("the permission set {set} does not grant {field}");
            }
        }
        println!("salesforce/{}: converted and checked ({})", directory.path, describe(&found));
    }
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
