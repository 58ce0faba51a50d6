//! The call center definition file an administrator imports in Salesforce Setup → Call Centers (`opencti.md` §6):
//! the import format (`<callCenter>`, no namespace), written with a real XML writer so every value is escaped.
//!
//! `GET /api/v1/call-center.xml` and `callpop call-center-xml --account …` both print this. For Salesforce Voice,
//! `contact_center_xml` writes the contact-center definition in the same import format (Setup → Contact Centers →
//! Import): `reqGeneralInfo` naming the vendor (`reqVendorInfoApiName`) and `reqHvcc` with the Telephony Integration
//! certificate, the one Salesforce checks callpop's tokens with.

use crate::model::Account;
use callpop_core::voice::VENDOR_INFO_API_NAME;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

/// The softphone's size in Salesforce, in pixels. It works from 200 × 400 up; Lightning accepts widths 200–1,920
/// and heights 240–2,560.
pub const SOFTPHONE_WIDTH: u32 = 320;
pub const SOFTPHONE_HEIGHT: u32 = 460;

/// The custom section callpop adds, and its items (read by the adapter through `getCallCenterSettings` as
/// `/callpopSettings/<name>`).
pub const CUSTOM_SECTION: &str = "callpopSettings";

/// One `<item>`: its name, label and value. Sort orders follow the list order.
struct Item {
    name: &'static str,
    label: &'static str,
    value: String,
}

/// One `<section>` and its items. Sort orders follow the list order.
struct Section {
    name: &'static str,
    label: &'static str,
    items: Vec<Item>,
}

fn item(name: &'static str, label: &'static str, value: impl Into<String>) -> Item {
    Item { name, label, value: value.into() }
}

/// `reqInternalName`: at most 40 alphanumerics, starting with a letter, unique per org (it carries the account's
/// public id).
pub fn internal_name(account: &Account) -> String {
    let mut name: String =
        "callpop".chars().chain(account.public_id.chars()).filter(char::is_ascii_alphanumeric).collect();
    name.truncate(40);
    name
}

/// The softphone page's absolute URL on the account's public base URL.
pub fn adapter_url(account: &Account) -> String {
    format!("{}/softphone/", account.public_base_url.trim_end_matches('/'))
}

fn sections(account: &Account, open_cti_version: &str) -> Vec<Section> {
    let display_name: String = format!("callpop: {}", account.name).chars().take(1000).collect();
    vec![
        Section {
            name: "reqGeneralInfo",
            label: "General Information",
            items: vec![
                item("reqInternalName", "Internal Name", internal_name(account)),
                item("reqDisplayName", "Display Name", display_name),
                item("reqAdapterUrl", "CTI Adapter URL", adapter_url(account)),
                item("reqUseApi", "Use CTI API", "true"),
                item("reqSoftphoneHeight", "Softphone Height", SOFTPHONE_HEIGHT.to_string()),
                item("reqSoftphoneWidth", "Softphone Width", SOFTPHONE_WIDTH.to_string()),
                item("reqSalesforceCompatibilityMode", "Salesforce Compatibility Mode", "Classic_and_Lightning"),
            ],
        },
        // callpop's server dials with full E.164 numbers, so Salesforce adds no prefix of its own.
        Section {
            name: "reqDialingOptions",
            label: "Dialing Options",
            items: vec![
                item("reqOutsidePrefix", "Outside Prefix", ""),
                item("reqLongDistPrefix", "Long Distance Prefix", ""),
                item("reqInternationalPrefix", "International Prefix", ""),
            ],
        },
        Section {
            name: CUSTOM_SECTION,
            label: "callpop",
            items: vec![
                item("callpopServerUrl", "callpop Server URL", account.public_base_url.trim_end_matches('/')),
                item("callpopAccountId", "callpop Account ID", account.public_id.clone()),
                item("callpopOpenCtiVersion", "Open CTI API Version", open_cti_version),
            ],
        },
    ]
}

/// The account's call center definition, as UTF-8 XML.
pub fn call_center_xml(account: &Account, open_cti_version: &str) -> std::io::Result<String> {
    definition_xml(&sections(account, open_cti_version))
}

/// The account's Salesforce Voice contact-center definition: its API name (`contact_center_api_name`, the tokens'
/// `sub`), callpop as the vendor, and the certificate the administrator generated (empty until they generate one:
/// they paste it later under the contact center's Telephony Integration settings).
pub fn contact_center_xml(
    account: &Account,
    contact_center_api_name: &str,
    certificate_pem: Option<&str>,
) -> std::io::Result<String> {
    let display_name: String = format!("callpop: {}", account.name).chars().take(1000).collect();
    definition_xml(&[
        Section {
            name: "reqGeneralInfo",
            label: "General Information",
            items: vec![
                item("reqInternalName", "InternalName", contact_center_api_name),
                item("reqDisplayName", "Display Name", display_name),
                item("reqVendorInfoApiName", "Conversation Vendor Info Developer Name", VENDOR_INFO_API_NAME),
            ],
        },
        Section {
            name: "reqHvcc",
            label: "Salesforce Voice",
            items: vec![item(
                "reqTelephonyIntegrationCertificate",
                "Telephony Integration Certificate",
                certificate_pem.unwrap_or_default().trim(),
            )],
        },
    ])
}

/// Writes `sections` in the import format.
fn definition_xml(sections: &[Section]) -> std::io::Result<String> {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    writer.create_element("callCenter").write_inner_content(|writer| {
        for (section_order, section) in sections.iter().enumerate() {
            writer
                .create_element("section")
                .with_attribute(("sortOrder", section_order.to_string().as_str()))
                .with_attribute(("name", section.name))
                .with_attribute(("label", section.label))
                .write_inner_content(|writer| {
                    for (item_order, item) in section.items.iter().enumerate() {
                        writer
                            .create_element("item")
                            .with_attribute(("sortOrder", item_order.to_string().as_str()))
                            .with_attribute(("name", item.name))
                            .with_attribute(("label", item.label))
                            .write_text_content(BytesText::new(&item.value))?;
                    }
                    Ok(())
                })?;
        }
        Ok(())
    })?;
    String::from_utf8(writer.into_inner()).map_err(std::io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;
    use callpop_core::account::Plan;
    use callpop_core::options::IntegrationOptions;

    fn account(name: &str) -> Account {
        Account {
            id: 1,
            public_id: "acct_Ab12Cd34Ef56Gh78".to_owned(),
            name: name.to_owned(),
            plan: Plan::Enterprise,
            default_region: "US".to_owned(),
            public_base_url: "https://callpop.example.com/".to_owned(),
            options: IntegrationOptions::default(),
        }
    }

    #[test]
    fn the_internal_name_is_alphanumeric_starts_with_a_letter_and_fits_forty_characters() {
        let name = internal_name(&account("x"));
        assert_eq!(name, "callpopacctAb12Cd34Ef56Gh78");
        assert!(name.len() <= 40 && name.starts_with(|first: char| first.is_ascii_alphabetic()));
    }

    #[test]
    fn the_contact_center_names_callpop_as_its_vendor_and_carries_the_certificate() {
        let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        let xml = contact_center_xml(&account("Acme"), "Acme_CC", Some(pem)).unwrap();
        assert!(xml.contains(r#"<section sortOrder="0" name="reqGeneralInfo""#), "{xml}");
        assert!(xml.contains(r#"name="reqInternalName" label="InternalName">Acme_CC</item>"#), "{xml}");
        assert!(
            xml.contains(
                r#"name="reqVendorInfoApiName" label="Conversation Vendor Info Developer Name">callpop</item>"#
            ),
            "{xml}"
        );
        assert!(xml.contains(r#"<section sortOrder="1" name="reqHvcc""#), "{xml}");
        assert!(xml.contains("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----</item>"), "{xml}");
        assert!(!xml.contains("reqAdapterUrl"), "Salesforce Voice finds the connector through the vendor: {xml}");
    }

    #[test]
    fn markup_in_the_account_name_is_escaped() {
        let xml = call_center_xml(&account("Smith & Sons <Sales> \"East\""), "62.0").unwrap();
        assert!(xml.contains("callpop: Smith &amp; Sons &lt;Sales&gt;"), "{xml}");
        assert!(xml.contains("<item sortOrder=\"2\" name=\"reqAdapterUrl\" label=\"CTI Adapter URL\">https://callpop.example.com/softphone/</item>"), "{xml}");
    }
}
