//! Escaping text into SOSL search terms and SOQL string literals, so nothing a caller or an admin typed can change
//! a query's meaning.
//!
//! Hand-written because no maintained crate does it (the Rust Salesforce clients leave it to the caller):
//! - SOSL (`salesforce-api.md` §3.1): the reserved characters `? & | ! { } [ ] ( ) ^ ~ * : \ " ' + -` each get a
//!   backslash, and the term is wrapped in double quotes so that `AND`, `OR` and `NOT` are plain words and the
//!   term is one phrase. URL-encoding the whole `q` afterwards is reqwest's job.
//! - SOQL (§3.3): a string literal is single-quoted, with `\` `'` `"` and the control characters `\n \r \t \b \f`
//!   backslash-escaped, the only escapes SOQL accepts outside `LIKE`.

/// SOSL's reserved characters.
pub const SOSL_RESERVED: [char; 19] =
    ['?', '&', '|', '!', '{', '}', '[', ']', '(', ')', '^', '~', '*', ':', '\\', '"', '\'', '+', '-'];

/// Backslash-escapes SOSL's reserved characters.
pub fn sosl_escape(term: &str) -> String {
    let mut escaped = String::with_capacity(term.len() + 8);
    for character in term.chars() {
        if SOSL_RESERVED.contains(&character) {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    escaped
}

/// A FIND clause that searches for `term` as one literal phrase, e.g. `FIND {"Smith \& Sons"}`.
/// Salesforce ignores terms shorter than two characters; callers search for something longer.
pub fn sosl_find_phrase(term: &str) -> String {
    format!("FIND {{\"{}\"}}", sosl_escape(term))
}

/// A SOQL string literal holding exactly `value`, quotes included: `Bob's` becomes `'Bob\'s'`.
pub fn soql_quote(value: &str) -> String {
    let mut literal = String::with_capacity(value.len() + 2);
    literal.push('\'');
    for character in value.chars() {
        match character {
            '\\' => literal.push_str("\\\\"),
            '\'' => literal.push_str("\\'"),
            '"' => literal.push_str("\\\""),
            '\n' => literal.push_str("\\n"),
            '\r' => literal.push_str("\\r"),
            '\t' => literal.push_str("\\t"),
            '\u{8}' => literal.push_str("\\b"),
            '\u{c}' => literal.push_str("\\f"),
            other => literal.push(other),
        }
    }
    literal.push('\'');
    literal
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reserved_characters_and_operator_words_stay_literal() {
        assert_eq!(sosl_find_phrase("Smith & Sons"), r#"FIND {"Smith \& Sons"}"#);
        assert_eq!(sosl_find_phrase("+1 (415) 555-2671"), r#"FIND {"\+1 \(415\) 555\-2671"}"#);
        assert_eq!(sosl_find_phrase("cats AND dogs"), r#"FIND {"cats AND dogs"}"#);
        assert_eq!(sosl_find_phrase(r#"a"}b"#), r#"FIND {"a\"\}b"}"#);
    }

    #[test]
    fn soql_literals_escape_quotes_backslashes_and_controls() {
        assert_eq!(soql_quote("Bob's BBQ"), r"'Bob\'s BBQ'");
        assert_eq!(soql_quote("a\\b\n\"c\""), r#"'a\\b\n\"c\"'"#);
        assert_eq!(soql_quote("50% off_now"), "'50% off_now'", "no LIKE escapes in a plain literal");
    }

    /// The reserved characters as `salesforce-api.md` §3.1 lists them, kept apart from `SOSL_RESERVED` so that a
    /// character missing from the escaper is caught by the tokenizer instead of being missed by both.
    const DOCUMENTED_RESERVED: &str = r#"?&|!{}[]()^~*:\"'+-"#;

    /// What the tokenizer found in a FIND clause: the phrase's text with escapes undone.
    fn read_find_clause(clause: &str) -> Result<String, String> {
        let inner = clause.strip_prefix("FIND {").and_then(|rest| rest.strip_suffix('}')).ok_or("not FIND {...}")?;
        let mut chars = inner.chars();
        if chars.next() != Some('"') {
            return Err("the term is not one quoted phrase".to_owned());
        }
        let mut phrase = String::new();
        let mut closed = false;
        while let Some(character) = chars.next() {
            if closed {
                return Err(format!("text after the phrase: {character:?}"));
            }
            match character {
                '\\' => phrase.push(chars.next().ok_or("a dangling backslash")?),
                '"' => closed = true,
                reserved if DOCUMENTED_RESERVED.contains(reserved) => return Err(format!("unescaped {reserved:?}")),
                other => phrase.push(other),
            }
        }
        if closed { Ok(phrase) } else { Err("the phrase is not closed".to_owned()) }
    }

    /// The string literals in a SOQL query, with escapes undone; fails on an escape SOQL rejects.
    fn read_soql_literals(query: &str) -> Result<(Vec<String>, String), String> {
        let (mut literals, mut outside) = (Vec::new(), String::new());
        let mut chars = query.chars();
        while let Some(character) = chars.next() {
            if character != '\'' {
                outside.push(character);
                continue;
            }
            let mut literal = String::new();
            loop {
                match chars.next().ok_or("an unclosed literal")? {
                    '\'' => break,
                    '\\' => literal.push(match chars.next().ok_or("a dangling backslash")? {
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        'b' => '\u{8}',
                        'f' => '\u{c}',
                        kept @ ('"' | '\'' | '\\') => kept,
                        other => return Err(format!("SOQL rejects the escape \\{other}")),
                    }),
                    other => literal.push(other),
                }
            }
            literals.push(literal);
        }
        Ok((literals, outside))
    }

    /// Arbitrary text, half of it printable ASCII so that the reserved characters come up often.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![any::<String>(), "[ -~]{0,24}"]
    }

    proptest! {
        #[test]
        fn any_text_stays_a_single_sosl_phrase(term in text()) {
            prop_assert_eq!(read_find_clause(&sosl_find_phrase(&term)), Ok(term));
        }

        #[test]
        fn any_text_stays_a_single_soql_literal(value in text()) {
            let query = format!("SELECT Id FROM Campaign WHERE Name = {} AND IsActive = true LIMIT 2", soql_quote(&value));
            let (literals, outside) = read_soql_literals(&query).unwrap();
            prop_assert_eq!(literals, vec![value]);
            prop_assert_eq!(outside, "SELECT Id FROM Campaign WHERE Name =  AND IsActive = true LIMIT 2");
        }
    }

    #[test]
    fn the_tokenizers_catch_unescaped_input() {
        // The property tests are only as good as their tokenizers: these must reject what naive quoting produces.
        assert!(read_find_clause(r#"FIND {"a}b"}"#).is_err());
        assert!(read_find_clause("FIND {a OR b}").is_err());
        assert!(read_soql_literals("WHERE Name = 'Bob's'").is_err());
        assert!(read_soql_literals(r"WHERE Name = 'a\qb'").is_err());
        for reserved in DOCUMENTED_RESERVED.chars() {
            let term = format!("a{reserved}b");
            assert_eq!(read_find_clause(&sosl_find_phrase(&term)), Ok(term), "{reserved:?}");
            // An unescaped backslash reads as an escape, so only the others can be caught bare.
            if reserved != '\\' {
                assert!(read_find_clause(&format!("FIND {{\"a{reserved}b\"}}")).is_err(), "{reserved:?} unescaped");
            }
        }
    }
}
