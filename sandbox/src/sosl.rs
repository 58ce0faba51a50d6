//! A hand-written parser and search engine for the SOSL subset of §3.1:
//!
//! ```text
//! FIND {search expression} [IN ALL|NAME|EMAIL|PHONE|SIDEBAR FIELDS]
//!   [RETURNING Object[(field, … [WHERE condition] [ORDER BY …] [LIMIT n])], …] [LIMIT n]
//! search expression := words, "quoted phrases", AND, OR, AND NOT, parentheses; * and ? wildcards
//! ```
//!
//! Reserved characters (`? & | ! { } [ ] ( ) ^ ~ * : \ " ' + -`) must be escaped with a backslash inside the braces;
//! unescaped, `*` and `?` are wildcards, `"` quotes a phrase and parentheses group, and any other one is a 400
//! `MALFORMED_SEARCH`. Inside a quoted phrase only `"` and `\` need escaping (unverified). A term needs two
//! characters or more. The `RETURNING` clauses reuse `soql`'s field lists, conditions and ORDER BY.
//!
//! Matching: text is split into lowercase tokens on spaces, punctuation and letter/digit changes, as Salesforce's
//! index does; a word matches a token (wildcards allowed), a phrase matches consecutive tokens of one field. Phone
//! fields also match a term whose digits equal theirs, with a national number and the same number with `1`/`+1` in
//! front treated alike (`org::phone_key`), unless the org's phone match is `strict`. Results come in RETURNING
//! order, most recently modified first within an object (the org has no relevance ranking). Converted Leads are
//! returned unless the query filters them (`WHERE IsConverted = false`) or the org is set not to; records created
//! less than `search_index_lag_ms` ago are not found yet.

use crate::OrgState;
use crate::errors::ApiError;
use crate::org::{Record, phone_key};
use crate::schema::{FieldType, ObjectDef};
use crate::settings::PhoneMatch;
use crate::soql::{self, Filter, OrderKey, Parser};
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

/// A search expression, from between the braces.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expression {
    /// One word, unescaped, as written (wildcards kept as `*`/`?` only when unescaped: see `wildcards`).
    Word {
        text: String,
        wildcards: Vec<bool>,
    },
    Phrase(String),
    And(Vec<Expression>),
    Or(Vec<Expression>),
    AndNot(Box<Expression>, Box<Expression>),
}

const RESERVED: &str = "?&|!{}[]()^~*:\\\"'+-";

/// Which fields a search looks in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    All,
    Name,
    Email,
    Phone,
}

/// One `RETURNING` object.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Returning {
    pub object: String,
    pub fields: Vec<String>,
    pub condition: Option<soql::Condition>,
    pub order_by: Vec<OrderKey>,
    pub limit: Option<usize>,
}

/// A parsed FIND.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Search {
    pub expression: Expression,
    pub scope: Scope,
    pub returning: Vec<Returning>,
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
enum TermToken {
    Word { text: String, wildcards: Vec<bool> },
    Phrase(String),
    Open,
    Close,
    And,
    Or,
    Not,
}

fn unescaped_reserved(character: char, position: usize) -> ApiError {
    ApiError::malformed_search(format!(
        "line 1:{position} unescaped reserved character '{character}' in the search term: escape it with a backslash"
    ))
}

/// Splits the text between the braces into words, phrases, operators and parentheses.
fn lex_term(term: &str, offset: usize) -> Result<Vec<TermToken>, ApiError> {
    let chars: Vec<char> = term.chars().collect();
    let mut tokens = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let character = chars[at];
        match character {
            _ if character.is_whitespace() => at += 1,
            '(' => {
                tokens.push(TermToken::Open);
                at += 1;
            }
            ')' => {
                tokens.push(TermToken::Close);
                at += 1;
            }
            '"' => {
                let mut phrase = String::new();
                at += 1;
                loop {
                    match chars.get(at) {
                        None => {
                            return Err(ApiError::malformed_search("unterminated quoted phrase in the search term"));
                        }
                        Some('"') => break,
                        Some('\\') => {
                            phrase.extend(chars.get(at + 1));
                            at += 2;
                        }
                        Some(other) => {
                            phrase.push(*other);
                            at += 1;
                        }
                    }
                }
                at += 1;
                tokens.push(TermToken::Phrase(phrase));
            }
            _ => {
                let (mut text, mut wildcards) = (String::new(), Vec::new());
                while let Some(&character) =
                    chars.get(at).filter(|next| !next.is_whitespace() && !matches!(next, '(' | ')'))
                {
                    match character {
                        '\\' => {
                            let escaped =
                                *chars.get(at + 1).ok_or_else(|| unescaped_reserved('\\', offset + at + 1))?;
                            text.push(escaped);
                            wildcards.push(false);
                            at += 2;
                            continue;
                        }
                        '*' | '?' => wildcards.push(true),
                        _ if RESERVED.contains(character) => {
                            return Err(unescaped_reserved(character, offset + at + 1));
                        }
                        _ => wildcards.push(false),
                    }
                    text.push(character);
                    at += 1;
                }
                tokens.push(match text.as_str() {
                    "AND" => TermToken::And,
                    "OR" => TermToken::Or,
                    "NOT" => TermToken::Not,
                    _ => TermToken::Word { text, wildcards },
                });
            }
        }
    }
    Ok(tokens)
}

/// Parses the search expression: OR binds loosest, then AND (also implied between neighbours), then AND NOT.
struct TermParser {
    tokens: Vec<TermToken>,
    at: usize,
}

impl TermParser {
    fn peek(&self) -> Option<&TermToken> {
        self.tokens.get(self.at)
    }

    fn or(&mut self) -> Result<Expression, ApiError> {
        let mut alternatives = vec![self.and()?];
        while self.peek() == Some(&TermToken::Or) {
            self.at += 1;
            alternatives.push(self.and()?);
        }
        Ok(if alternatives.len() == 1 { alternatives.remove(0) } else { Expression::Or(alternatives) })
    }

    fn and(&mut self) -> Result<Expression, ApiError> {
        let mut all = vec![self.primary()?];
        loop {
            match self.peek() {
                Some(TermToken::And) if self.tokens.get(self.at + 1) == Some(&TermToken::Not) => {
                    self.at += 2;
                    let kept = if all.len() == 1 { all.remove(0) } else { Expression::And(all) };
                    all = vec![Expression::AndNot(Box::new(kept), Box::new(self.primary()?))];
                }
                Some(TermToken::And) => {
                    self.at += 1;
                    all.push(self.primary()?);
                }
                Some(TermToken::Word { .. } | TermToken::Phrase(_) | TermToken::Open) => all.push(self.primary()?),
                _ => break,
            }
        }
        Ok(if all.len() == 1 { all.remove(0) } else { Expression::And(all) })
    }

    fn primary(&mut self) -> Result<Expression, ApiError> {
        let token = self.peek().cloned();
        self.at += 1;
        match token {
            Some(TermToken::Word { text, wildcards }) => Ok(Expression::Word { text, wildcards }),
            Some(TermToken::Phrase(phrase)) => Ok(Expression::Phrase(phrase)),
            Some(TermToken::Open) => {
                let inner = self.or()?;
                if self.peek() != Some(&TermToken::Close) {
                    return Err(ApiError::malformed_search("unbalanced parentheses in the search term"));
                }
                self.at += 1;
                Ok(inner)
            }
            _ => {
                Err(ApiError::malformed_search("the search term is missing a word where an operator left room for one"))
            }
        }
    }
}

fn searchable_length(expression: &Expression) -> usize {
    match expression {
        Expression::Word { wildcards, .. } => wildcards.iter().filter(|wildcard| !**wildcard).count(),
        Expression::Phrase(phrase) => phrase.trim().chars().count(),
        Expression::And(all) | Expression::Or(all) => all.iter().map(searchable_length).max().unwrap_or(0),
        Expression::AndNot(kept, _) => searchable_length(kept),
    }
}

/// Parses a FIND statement.
pub(crate) fn parse(text: &str) -> Result<Search, ApiError> {
    let trimmed = text.trim_start();
    let offset = text.len() - trimmed.len();
    let after_find = trimmed
        .get(..4)
        .filter(|find| find.eq_ignore_ascii_case("FIND"))
        .map(|_| &trimmed[4..])
        .ok_or_else(|| ApiError::malformed_search("a search starts with FIND {term}"))?;
    let opened = after_find.trim_start();
    let term_body = opened.strip_prefix('{').ok_or_else(|| ApiError::malformed_search("expected '{' after FIND"))?;
    let mut end = None;
    let mut escaped = false;
    for (index, character) in term_body.char_indices() {
        match character {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '}' => {
                end = Some(index);
                break;
            }
            _ => {}
        }
    }
    let end = end.ok_or_else(|| ApiError::malformed_search("mismatched character '<EOF>' expecting '}'"))?;
    let term_offset = offset + 4 + (after_find.len() - opened.len()) + 1;
    let tokens = lex_term(&term_body[..end], term_offset)?;
    if tokens.is_empty() {
        return Err(ApiError::malformed_search("search term must be longer than one character"));
    }
    let mut term_parser = TermParser { tokens, at: 0 };
    let expression = term_parser.or()?;
    if term_parser.at < term_parser.tokens.len() {
        return Err(ApiError::malformed_search("unexpected token in the search term"));
    }
    if searchable_length(&expression) < 2 {
        return Err(ApiError::malformed_search("search term must be longer than one character"));
    }
    let rest = &term_body[end + 1..];
    let mut parser = Parser::new(soql::lex(rest, ApiError::malformed_search)?, ApiError::malformed_search);
    let scope = if parser.keyword("IN") {
        let scope = match parser.name()?.to_ascii_uppercase().as_str() {
            "ALL" | "SIDEBAR" => Scope::All,
            "NAME" => Scope::Name,
            "EMAIL" => Scope::Email,
            "PHONE" => Scope::Phone,
            other => return Err(ApiError::malformed_search(format!("unknown search group {other}"))),
        };
        parser.expect_keyword("FIELDS")?;
        scope
    } else {
        Scope::All
    };
    let mut returning = Vec::new();
    if parser.keyword("RETURNING") {
        loop {
            returning.push(returning_clause(&mut parser)?);
            if !parser.comma() {
                break;
            }
        }
    }
    let limit = if parser.keyword("LIMIT") { Some(parser.count()?) } else { None };
    if !parser.at_end() {
        return Err(ApiError::malformed_search("unexpected text after the search"));
    }
    Ok(Search { expression, scope, returning, limit })
}

fn returning_clause(parser: &mut Parser) -> Result<Returning, ApiError> {
    let object = parser.name()?;
    let mut clause =
        Returning { object, fields: vec!["Id".to_owned()], condition: None, order_by: Vec::new(), limit: None };
    if parser.open() {
        clause.fields = parser.field_list()?;
        if parser.keyword("WHERE") {
            clause.condition = Some(parser.condition()?);
        }
        if parser.keyword("ORDER") {
            parser.expect_keyword("BY")?;
            clause.order_by = parser.order_keys()?;
        }
        if parser.keyword("LIMIT") {
            clause.limit = Some(parser.count()?);
        }
        parser.expect_close()?;
    }
    Ok(clause)
}

/// Lowercase tokens of a text: split on anything but letters and digits, and between letters and digits.
pub(crate) fn tokens(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut previous_digit = None;
    for character in text.chars() {
        if !character.is_alphanumeric() {
            tokens.extend((!current.is_empty()).then(|| std::mem::take(&mut current)));
            previous_digit = None;
            continue;
        }
        let digit = character.is_numeric();
        if previous_digit.is_some_and(|previous| previous != digit) && !current.is_empty() {
            tokens.push(std::mem::take(&mut current));
        }
        current.extend(character.to_lowercase());
        previous_digit = Some(digit);
    }
    tokens.extend((!current.is_empty()).then_some(current));
    tokens
}

/// A glob over one token: `*` any run, `?` one character (only where `wildcards` says so).
fn token_matches(pattern: &[(char, bool)], token: &[char]) -> bool {
    match pattern.split_first() {
        None => token.is_empty(),
        Some(((_, true), rest)) if pattern[0].0 == '*' => {
            (0..=token.len()).any(|skip| token_matches(rest, &token[skip..]))
        }
        Some(((_, true), rest)) => !token.is_empty() && token_matches(rest, &token[1..]),
        Some(((wanted, false), rest)) => token.first() == Some(wanted) && token_matches(rest, &token[1..]),
    }
}

/// The searchable text of one record in the search's scope.
struct Document {
    /// The tokens of each field in scope.
    fields: Vec<Vec<String>>,
    /// The values of the phone fields in scope.
    phones: Vec<String>,
}

fn in_scope(object: &ObjectDef, scope: Scope, field: &crate::schema::FieldDef) -> bool {
    match scope {
        Scope::All => field.field_type.is_text(),
        Scope::Email => field.field_type == FieldType::Email,
        Scope::Phone => field.field_type == FieldType::Phone,
        Scope::Name => {
            let names: &[&str] = match object.name.as_str() {
                "Lead" => &["Name", "FirstName", "LastName", "Company"],
                "User" => &["Name", "FirstName", "LastName", "Username"],
                _ => &["Name", "FirstName", "LastName"],
            };
            names.contains(&field.name.as_str())
        }
    }
}

impl Document {
    fn new(object: &ObjectDef, record: &Record, scope: Scope) -> Self {
        let values = record.to_json("");
        let mut document = Self { fields: Vec::new(), phones: Vec::new() };
        for field in object.fields.iter().filter(|field| in_scope(object, scope, field)) {
            let Some(text) = values.get(&field.name).and_then(Value::as_str) else { continue };
            document.fields.push(tokens(text));
            if field.field_type == FieldType::Phone {
                document.phones.push(text.to_owned());
            }
        }
        document
    }

    fn contains_phrase(&self, phrase: &[String]) -> bool {
        !phrase.is_empty() && self.fields.iter().any(|field| field.windows(phrase.len()).any(|window| window == phrase))
    }

    fn phone_matches(&self, term: &str, mode: PhoneMatch) -> bool {
        let digits: String = term.chars().filter(char::is_ascii_digit).collect();
        let only_phone_characters =
            term.chars().all(|character| character.is_ascii_digit() || "+-(). ".contains(character));
        if digits.len() < 3 || !only_phone_characters {
            return false;
        }
        self.phones.iter().any(|phone| match mode {
            PhoneMatch::Normalized => phone_key(phone) == phone_key(term),
            PhoneMatch::Strict => phone.chars().filter(char::is_ascii_digit).collect::<String>() == digits,
        })
    }

    fn matches(&self, expression: &Expression, mode: PhoneMatch) -> bool {
        match expression {
            Expression::Word { text, wildcards } => {
                if self.phone_matches(text, mode) {
                    return true;
                }
                if wildcards.iter().any(|wildcard| *wildcard) {
                    let pattern: Vec<(char, bool)> =
                        text.to_lowercase().chars().zip(wildcards.iter().copied()).collect();
                    self.fields
                        .iter()
                        .flatten()
                        .any(|token| token_matches(&pattern, &token.chars().collect::<Vec<_>>()))
                } else {
                    self.contains_phrase(&tokens(text))
                }
            }
            Expression::Phrase(phrase) => self.phone_matches(phrase, mode) || self.contains_phrase(&tokens(phrase)),
            Expression::And(all) => all.iter().all(|expression| self.matches(expression, mode)),
            Expression::Or(any) => any.iter().any(|expression| self.matches(expression, mode)),
            Expression::AndNot(kept, excluded) => self.matches(kept, mode) && !self.matches(excluded, mode),
        }
    }
}

/// The objects searched when there is no RETURNING clause.
const DEFAULT_OBJECTS: [&str; 4] = ["Account", "Contact", "Lead", "Campaign"];

fn created_before(record: &Record, cutoff: DateTime<Utc>) -> bool {
    record
        .text("CreatedDate")
        .and_then(|created| DateTime::parse_from_str(created, "%Y-%m-%dT%H:%M:%S%.3f%z").ok())
        .is_none_or(|created| created <= cutoff)
}

/// Runs a SOSL search: the `searchRecords` list.
pub fn run(state: &OrgState, text: &str, api_version: &str, now: DateTime<Utc>) -> Result<Vec<Value>, ApiError> {
    let search = parse(text)?;
    let returning = if search.returning.is_empty() {
        DEFAULT_OBJECTS
            .iter()
            .map(|object| Returning {
                object: (*object).to_owned(),
                fields: vec!["Id".to_owned()],
                condition: None,
                order_by: Vec::new(),
                limit: None,
            })
            .collect()
    } else {
        search.returning
    };
    let cutoff = now - Duration::milliseconds(state.settings.search_index_lag_ms as i64);
    let mut results = Vec::new();
    for clause in returning {
        let object = state
            .schema
            .object(&clause.object)
            .filter(|object| !object.tooling)
            .ok_or_else(|| ApiError::invalid_type(&clause.object))?
            .clone();
        let selected = soql::selection(&state.schema, &object, &clause.fields)?;
        let filter = clause.condition.map(|condition| Filter::new(&state.schema, &object, condition)).transpose()?;
        let hide_converted = object.name == "Lead" && !state.settings.search_returns_converted_leads;
        let mut found: Vec<Record> = state
            .records
            .of(&object.name)
            .filter(|record| created_before(record, cutoff))
            .filter(|record| !(hide_converted && record.fields.get("IsConverted") == Some(&Value::Bool(true))))
            .filter(|record| {
                Document::new(&object, record, search.scope).matches(&search.expression, state.settings.phone_match)
            })
            .filter(|record| filter.as_ref().is_none_or(|filter| filter.accepts(&state.records, record)))
            .cloned()
            .collect();
        found.sort_by(|left, right| right.text("LastModifiedDate").cmp(&left.text("LastModifiedDate")));
        soql::sort(&state.schema, &object, &state.records, &mut found, &clause.order_by)?;
        results.extend(
            found
                .iter()
                .take(clause.limit.unwrap_or(usize::MAX))
                .map(|record| soql::project(&state.records, record, &selected, api_version)),
        );
    }
    results.truncate(search.limit.unwrap_or(2000).min(2000));
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str) -> Expression {
        Expression::Word { text: text.into(), wildcards: vec![false; text.chars().count()] }
    }

    #[test]
    fn the_phone_lookup_query_parses() {
        let search = parse(
            "FIND {4155551212 OR 14155551212} IN PHONE FIELDS RETURNING Lead(Id, Name, Phone WHERE IsConverted = false LIMIT 5), Contact(Id, Name) LIMIT 20",
        )
        .unwrap();
        assert_eq!(search.expression, Expression::Or(vec![word("4155551212"), word("14155551212")]));
        assert_eq!(search.scope, Scope::Phone);
        assert_eq!(search.returning.len(), 2);
        assert_eq!(search.returning[0].limit, Some(5));
        assert!(search.returning[0].condition.is_some());
        assert_eq!(search.returning[1].fields, ["Id", "Name"]);
        assert_eq!(search.limit, Some(20));
    }

    #[test]
    fn escaped_reserved_characters_are_literal() {
        let search = parse(r"FIND {\+1 \(415\) 555\-1212} RETURNING Lead").unwrap();
        assert_eq!(search.expression, Expression::And(vec![word("+1"), word("(415)"), word("555-1212")]));
        let search = parse(r"FIND {a\}b} RETURNING Lead").unwrap();
        assert_eq!(search.expression, word("a}b"));
    }

    #[test]
    fn unescaped_reserved_characters_are_malformed() {
        for term in ["+14155551212", "415-555-1212", "a&b", "a:b", "it's", "a!", "[x]", "a^2", "~ab"] {
            let error = parse(&format!("FIND {{{term}}} RETURNING Lead")).unwrap_err();
            assert_eq!(error.code, "MALFORMED_SEARCH", "{term}");
            assert_eq!(error.status.as_u16(), 400);
        }
    }

    #[test]
    fn wildcards_phrases_and_operators_parse() {
        let search = parse(r#"FIND {"Ada Lovelace" OR hopp* AND NOT tru?t} IN NAME FIELDS"#).unwrap();
        let Expression::Or(alternatives) = search.expression else { panic!("{:?}", search.expression) };
        assert_eq!(alternatives[0], Expression::Phrase("Ada Lovelace".into()));
        assert!(matches!(alternatives[1], Expression::AndNot(..)));
    }

    #[test]
    fn terms_need_two_characters_and_closed_braces() {
        assert_eq!(parse("FIND {a}").unwrap_err().message, "search term must be longer than one character");
        assert_eq!(parse("FIND {a*}").unwrap_err().code, "MALFORMED_SEARCH");
        assert_eq!(parse("FIND {abc").unwrap_err().code, "MALFORMED_SEARCH");
        assert_eq!(parse("FIND {abc} RETURNING").unwrap_err().code, "MALFORMED_SEARCH");
        assert_eq!(parse("SEARCH {abc}").unwrap_err().code, "MALFORMED_SEARCH");
    }

    #[test]
    fn text_is_tokenized_on_punctuation_and_letter_digit_changes() {
        assert_eq!(tokens("(415) 555-2671"), ["415", "555", "2671"]);
        assert_eq!(tokens("ada@engines.example"), ["ada", "engines", "example"]);
        assert_eq!(tokens("Suite42B"), ["suite", "42", "b"]);
    }

    #[test]
    fn wildcards_match_within_a_token() {
        let pattern = |text: &str| {
            text.chars().map(|character| (character, character == '*' || character == '?')).collect::<Vec<_>>()
        };
        let token = |text: &str| text.chars().collect::<Vec<_>>();
        assert!(token_matches(&pattern("hopp*"), &token("hopper")));
        assert!(token_matches(&pattern("tur?ng"), &token("turing")));
        assert!(!token_matches(&pattern("tur?ng"), &token("turning")));
    }
}
