//! Field-value templates: the text an admin writes into a trigger's field mapping, such as
//! `Call from {{caller_number}} via {{tracking_source|an unknown source}}`.
//!
//! Hand-written on purpose: the syntax is five rules, and a template engine crate (handlebars, tera, minijinja)
//! would bring expressions, loops and helpers that callpop must not offer and the Wasm must not carry.
//!
//! The syntax, completely:
//! - `{{name}}` inserts the call's value for `name` (see [`super::VARIABLES`]); spaces inside the braces are ignored.
//!   Lists are joined with `, `, `answered` is `yes` or `no`, whole numbers have no decimal point.
//! - `{{name|fallback}}` inserts `fallback` when the value is blank. The fallback is plain text without braces.
//! - `\{`, `\}` and `\\` write a literal `{`, `}` and `\`. Any other backslash is itself.
//! - A single `{` or `}` is literal text, but `}}` outside a tag is an error, and so is a `{` inside a tag.
//! - Nothing else: no expressions, no filters, no nesting. A value is inserted as text and never read as a template,
//!   so a caller named `{{caller_number}}` stays exactly that.
//!
//! This module only parses and renders; which names exist is the validator's business (`super::validate`).

use std::fmt;

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    segments: Vec<Segment>,
}

/// One piece of a template: literal text or a variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Literal(String),
    Variable { name: String, fallback: Option<String> },
}

/// Why a template does not parse, and where: `at` counts characters from 0.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at character {at}: {kind}")]
pub struct TemplateError {
    pub at: usize,
    pub kind: TemplateErrorKind,
}

/// The kinds of template mistakes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TemplateErrorKind {
    #[error("`{{{{` is never closed with `}}}}`")]
    Unclosed,
    #[error("`}}}}` closes nothing; write `\\}}\\}}` for literal braces")]
    StrayClose,
    #[error("a tag holds no variable name")]
    EmptyName,
    #[error("a variable name holds only letters, digits, `_` and `.`")]
    BadName,
    #[error("braces cannot be nested inside a tag")]
    NestedBrace,
}

impl Template {
    /// Parses a template.
    pub fn parse(source: &str) -> Result<Self, TemplateError> {
        let chars: Vec<char> = source.chars().collect();
        let mut segments = Vec::new();
        let mut literal = String::new();
        let mut index = 0;
        while index < chars.len() {
            let next = chars.get(index + 1).copied();
            match (chars[index], next) {
                ('\\', Some(escaped @ ('{' | '}' | '\\'))) => {
                    literal.push(escaped);
                    index += 2;
                }
                ('{', Some('{')) => {
                    let (segment, after) = parse_tag(&chars, index)?;
                    if !literal.is_empty() {
                        segments.push(Segment::Literal(std::mem::take(&mut literal)));
                    }
                    segments.push(segment);
                    index = after;
                }
                ('}', Some('}')) => return Err(TemplateError { at: index, kind: TemplateErrorKind::StrayClose }),
                (other, _) => {
                    literal.push(other);
                    index += 1;
                }
            }
        }
        if !literal.is_empty() {
            segments.push(Segment::Literal(literal));
        }
        Ok(Self { segments })
    }

    /// The pieces, in order.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Each variable the template reads, with whether it has a fallback.
    pub fn variables(&self) -> impl Iterator<Item = (&str, bool)> {
        self.segments.iter().filter_map(|segment| match segment {
            Segment::Variable { name, fallback } => Some((name.as_str(), fallback.is_some())),
            Segment::Literal(_) => None,
        })
    }

    /// Renders the template, asking `value` for each variable's text (`None` or blank text uses the fallback).
    pub fn render_with(&self, mut value: impl FnMut(&str) -> Option<String>) -> String {
        let mut out = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Literal(text) => out.push_str(text),
                Segment::Variable { name, fallback } => match value(name).filter(|text| !text.trim().is_empty()) {
                    Some(text) => out.push_str(&text),
                    None => out.push_str(fallback.as_deref().unwrap_or_default()),
                },
            }
        }
        out
    }
}

/// Writes the template back in its canonical source form; parsing that gives the same template.
impl fmt::Display for Template {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        for segment in &self.segments {
            match segment {
                Segment::Literal(text) => {
                    for character in text.chars() {
                        if matches!(character, '{' | '}' | '\\') {
                            formatter.write_str("\\")?;
                        }
                        write!(formatter, "{character}")?;
                    }
                }
                Segment::Variable { name, fallback: None } => write!(formatter, "{{{{{name}}}}}")?,
                Segment::Variable { name, fallback: Some(fallback) } => {
                    write!(formatter, "{{{{{name}|{fallback}}}}}")?;
                }
            }
        }
        Ok(())
    }
}

/// Parses the tag that opens at `open` (the first `{`); returns it and the index after its `}}`.
fn parse_tag(chars: &[char], open: usize) -> Result<(Segment, usize), TemplateError> {
    let start = open + 2;
    let mut index = start;
    loop {
        match (chars.get(index), chars.get(index + 1)) {
            (None, _) => return Err(TemplateError { at: open, kind: TemplateErrorKind::Unclosed }),
            (Some('}'), Some('}')) => break,
            (Some('{' | '}'), _) => return Err(TemplateError { at: index, kind: TemplateErrorKind::NestedBrace }),
            _ => index += 1,
        }
    }
    let inner: String = chars[start..index].iter().collect();
    let (name, fallback) = match inner.split_once('|') {
        Some((name, fallback)) => (name.trim(), Some(fallback.trim().to_owned())),
        None => (inner.trim(), None),
    };
    if name.is_empty() {
        return Err(TemplateError { at: open, kind: TemplateErrorKind::EmptyName });
    }
    if !name.chars().all(|character| character.is_ascii_alphanumeric() || matches!(character, '_' | '.')) {
        return Err(TemplateError { at: open, kind: TemplateErrorKind::BadName });
    }
    Ok((Segment::Variable { name: name.to_owned(), fallback }, index + 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(source: &str, values: &[(&str, &str)]) -> String {
        let template = Template::parse(source).unwrap();
        template.render_with(|name| values.iter().find(|(key, _)| *key == name).map(|(_, value)| (*value).to_owned()))
    }

    #[test]
    fn variables_are_replaced_by_their_values() {
        let values = [("caller_number", "+14155552671"), ("tracking_source", "Google Ads")];
        assert_eq!(
            render("Call from {{caller_number}} via {{ tracking_source }}", &values),
            "Call from +14155552671 via Google Ads"
        );
    }

    #[test]
    fn a_blank_value_uses_the_fallback_or_nothing() {
        assert_eq!(render("Hi {{caller_name|there}}!", &[("caller_name", "  ")]), "Hi there!");
        assert_eq!(render("Hi {{caller_name}}!", &[]), "Hi !");
    }

    #[test]
    fn escaped_and_single_braces_are_literal_text() {
        assert_eq!(render(r"\{\{not a tag\}\} {x} \\ \n", &[]), r"{{not a tag}} {x} \ \n");
    }

    #[test]
    fn a_value_is_never_read_as_a_template() {
        assert_eq!(render("{{caller_name}}", &[("caller_name", "{{caller_number}}")]), "{{caller_number}}");
    }

    #[test]
    fn mistakes_are_reported_with_their_position() {
        let kind = |source: &str| Template::parse(source).unwrap_err();
        assert_eq!(kind("abc {{caller"), TemplateError { at: 4, kind: TemplateErrorKind::Unclosed });
        assert_eq!(kind("abc }} def"), TemplateError { at: 4, kind: TemplateErrorKind::StrayClose });
        assert_eq!(kind("{{ }}").kind, TemplateErrorKind::EmptyName);
        assert_eq!(kind("{{caller name}}").kind, TemplateErrorKind::BadName);
        assert_eq!(kind("{{a{b}}").kind, TemplateErrorKind::NestedBrace);
        assert_eq!(kind("{{a|{b}}}").kind, TemplateErrorKind::NestedBrace);
        assert_eq!(
            kind("{{x}}}}").to_string(),
            "at character 5: `}}` closes nothing; write `\\}\\}` for literal braces"
        );
    }

    #[test]
    fn the_display_form_parses_back_to_the_same_template() {
        let template = Template::parse(r"a \{ {{ x | y }} \\ {{z}}").unwrap();
        assert_eq!(template.to_string(), r"a \{ {{x|y}} \\ {{z}}");
        assert_eq!(Template::parse(&template.to_string()).unwrap(), template);
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// A piece of a generated template, with what it must render to when every variable's value is `V`.
    #[derive(Debug, Clone)]
    enum Piece {
        Plain(String),
        EscapedBrace,
        Variable(String),
    }

    fn piece() -> impl Strategy<Value = Piece> {
        prop_oneof![
            "[^{}\\\\]{0,12}".prop_map(Piece::Plain),
            Just(Piece::EscapedBrace),
            "[a-z_]{1,12}".prop_map(Piece::Variable),
        ]
    }

    proptest! {
        #[test]
        fn parsing_any_text_never_panics_and_what_parses_round_trips(source in any::<String>()) {
            if let Ok(template) = Template::parse(&source) {
                let rendered = template.render_with(|_| Some("v".to_owned()));
                prop_assert!(rendered.len() <= source.len() * 4 + 1);
                prop_assert_eq!(Template::parse(&template.to_string()).unwrap(), template);
            }
        }

        #[test]
        fn rendering_emits_braces_only_where_the_template_escaped_them(pieces in prop::collection::vec(piece(), 0..12)) {
            // Arrange: a template built from pieces, so the expected output is known.
            let source: String = pieces.iter().map(|piece| match piece {
                Piece::Plain(text) => text.clone(),
                Piece::EscapedBrace => r"\{".to_owned(),
                Piece::Variable(name) => format!("{{{{{name}}}}}"),
            }).collect();
            // Act
            let rendered = Template::parse(&source).unwrap().render_with(|_| Some("V".to_owned()));
            // Assert: no tag survives, and every brace in the output is one the template escaped.
            let escaped = pieces.iter().filter(|piece| matches!(piece, Piece::EscapedBrace)).count();
            prop_assert_eq!(rendered.matches('{').count(), escaped);
            prop_assert!(!rendered.contains('}'), "a closing brace leaked into {:?}", rendered);
        }

        #[test]
        fn a_value_is_inserted_verbatim_whatever_it_holds(value in any::<String>()) {
            let template = Template::parse("<{{caller_name}}>").unwrap();
            let rendered = template.render_with(|_| Some(value.clone()));
            let expected = if value.trim().is_empty() { "<>".to_owned() } else { format!("<{value}>") };
            prop_assert_eq!(rendered, expected);
        }
    }
}
