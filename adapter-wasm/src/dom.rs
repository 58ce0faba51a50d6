//! A small element builder over web-sys. Text goes in as text nodes, never as HTML, so names from Salesforce and
//! callers show literally and cannot run.

use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, UnwrapThrowExt};
use web_sys::{Document, Element, HtmlElement};

pub(crate) fn document() -> Document {
    web_sys::window().and_then(|window| window.document()).expect("the softphone runs in a page with a document")
}

/// The element with this id, if the page has it.
pub(crate) fn by_id(id: &str) -> Option<Element> {
    document().get_element_by_id(id)
}

/// Builds an element: `El::new("p").class("status").text(status).build()`.
#[derive(Debug)]
pub(crate) struct El(Element);

impl El {
    pub(crate) fn new(tag: &str) -> Self {
        // `expect_throw` throws this sentence without formatting the browser's error, which would bring
        // `JsValue`'s `Debug` into the bundle for a tag name that is always a literal.
        Self(document().create_element(tag).expect_throw("creating an element"))
    }

    pub(crate) fn attr(self, name: &str, value: &str) -> Self {
        // Setting an attribute fails only for invalid names, which are all literals here.
        let _ = self.0.set_attribute(name, value);
        self
    }

    pub(crate) fn class(self, class: &str) -> Self {
        self.attr("class", class)
    }

    pub(crate) fn text(self, text: &str) -> Self {
        let _ = self.0.append_with_str_1(text);
        self
    }

    pub(crate) fn child(self, child: El) -> Self {
        let _ = self.0.append_child(&child.build());
        self
    }

    pub(crate) fn children(self, children: impl IntoIterator<Item = El>) -> Self {
        children.into_iter().fold(self, El::child)
    }

    pub(crate) fn build(self) -> Element {
        self.0
    }
}

/// Replaces an element's children.
pub(crate) fn replace_children(parent: &Element, children: impl IntoIterator<Item = Element>) {
    parent.set_text_content(None);
    for child in children {
        let _ = parent.append_child(&child);
    }
}

/// Moves the keyboard focus to an element.
pub(crate) fn focus(element: &Element) {
    if let Some(element) = element.dyn_ref::<HtmlElement>() {
        let _ = element.focus();
    }
}

/// Calls `handler` for each `event` on `element`, for the life of the page (the softphone's regions never go away,
/// and their listeners are delegated, so redrawing a region adds none).
pub(crate) fn listen(element: &Element, event: &str, handler: impl FnMut(web_sys::Event) + 'static) {
    let closure = Closure::<dyn FnMut(web_sys::Event)>::new(handler);
    let _ = element.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
    closure.forget();
}

/// The `data-*` attribute of the nearest element (from the event's target up) that has it.
pub(crate) fn closest_data(event: &web_sys::Event, attribute: &str) -> Option<(Element, String)> {
    let target: Element = event.target()?.dyn_into().ok()?;
    let holder = target.closest(&format!("[{attribute}]")).ok()??;
    let value = holder.get_attribute(attribute)?;
    Some((holder, value))
}
