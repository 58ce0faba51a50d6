//! `GET /api/v1/call-center.xml`: parsed back with a real XML reader, every required item checked.

use crate::helpers::{api_test, assert_error};
use callpop_core::account::Plan;
use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};
use reqwest::StatusCode;
use std::collections::BTreeMap;

/// One parsed `<item>`: its section, sort orders and value.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ParsedItem {
    section: String,
    section_order: String,
    order: String,
    value: String,
}

/// Reads the import format: `<callCenter>` holding `<section>`s holding `<item>`s, by item name.
fn parse_call_center(xml: &str) -> (String, BTreeMap<String, ParsedItem>) {
    let mut reader = Reader::from_str(xml);
    let (mut root, mut section, mut section_order) = (String::new(), String::new(), String::new());
    let mut items = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    let mut raw_value = String::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(element) => {
                let attribute = |name: &str| {
                    element
                        .attributes()
                        .map(|attribute| attribute.expect("a well-formed attribute"))
                        .find(|attribute| attribute.key.as_ref() == name)
                        .map(|attribute| {
                            attribute.normalized_value(XmlVersion::default()).expect("an attribute value").into_owned()
                        })
                        .unwrap_or_default()
                };
                match element.name().as_ref() {
                    "callCenter" => root = "callCenter".to_owned(),
                    "section" => (section, section_order) = (attribute("name"), attribute("sortOrder")),
                    "item" => {
                        current = Some((attribute("name"), attribute("sortOrder")));
                        raw_value.clear();
                    }
                    other => panic!("unexpected element {other}"),
                }
            }
            Event::Text(text) => raw_value.push_str(&text),
            Event::GeneralRef(reference) => {
                raw_value.push_str(&format!("&{};", &*reference));
            }
            Event::End(element) if element.name().as_ref() == "item" => {
                let (name, order) = current.take().expect("an open item");
                let value = quick_xml::escape::unescape(&raw_value).expect("escaped text").into_owned();
                items.insert(
                    name,
                    ParsedItem { section: section.clone(), section_order: section_order.clone(), order, value },
                );
            }
            Event::Eof => break,
            _ => {}
        }
    }
    (root, items)
}

api_test! {
    async fn the_call_center_xml_parses_back_with_every_required_item_escaped_and_in_order(app: TestApp) {
        let acme = app.create_account("Smith & Sons <East>", Plan::Enterprise).await;
        let response = app.get(Some(&acme.admin.token), "/api/v1/call-center.xml").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/xml"));
        let xml = response.text().await.unwrap();
        let (root, items) = parse_call_center(&xml);
        assert_eq!(root, "callCenter");
        assert!(!xml.contains("xmlns"), "the import format has no namespace");
        let general = |name: &str, order: &str, value: &str| {
            let item = items.get(name).unwrap_or_else(|| panic!("{name} is missing from {xml}"));
            assert_eq!((item.section.as_str(), item.section_order.as_str()), ("reqGeneralInfo", "0"), "{name}");
            assert_eq!((item.order.as_str(), item.value.as_str()), (order, value), "{name}");
        };
        let internal_name = &items["reqInternalName"].value;
        assert!(internal_name.len() <= 40 && internal_name.chars().all(|c| c.is_ascii_alphanumeric()));
        general("reqInternalName", "0", internal_name);
        general("reqDisplayName", "1", "callpop: Smith & Sons <East>");
        general("reqAdapterUrl", "2", "https://callpop.example.com/softphone/");
        general("reqUseApi", "3", "true");
        general("reqSoftphoneHeight", "4", "460");
        general("reqSoftphoneWidth", "5", "320");
        general("reqSalesforceCompatibilityMode", "6", "Classic_and_Lightning");
        for name in ["reqOutsidePrefix", "reqLongDistPrefix", "reqInternationalPrefix"] {
            assert_eq!(items[name].section, "reqDialingOptions", "{name}");
        }
        assert_eq!(items["callpopAccountId"].value, acme.account.public_id);
        assert_eq!(items["callpopServerUrl"].value, "https://callpop.example.com");
        for user in [&acme.agent, &acme.manager, &acme.reports] {
            let (status, body) = app.get_json(user, "/api/v1/call-center.xml").await;
            assert_error(status, &body, 403, "forbidden", None);
        }
    }
}
