//! A hand-written parser and evaluator for the SOQL subset the sync engine and its tests use (§3.3):
//!
//! ```text
//! SELECT field, Rel.Field, … FROM Object
//!   [WHERE condition] [ORDER BY field [ASC|DESC] [NULLS FIRST|LAST], …] [LIMIT n] [OFFSET n]
//! condition := term ((AND term)* | (OR term)*)     -- mixing AND and OR needs parentheses, as in SOQL
//! term      := NOT term | ( condition ) | field (= | != | <> | < | <= | > | >=) literal
//!            | field [NOT] IN (literal, …) | field LIKE 'pattern'
//! literal   := 'string' | number | true | false | null | 2026-11-25 | 2026-11-25T10:00:00Z
//! ```
//!
//! String literals take only the documented escapes (`\n \r \t \b \f \" \' \\`, and `\_ \%` inside LIKE); any
//! other backslash sequence is `MALFORMED_QUERY`. Text compares case-insensitively, ids in either length. Unknown
//! columns are `INVALID_FIELD`, unknown objects `INVALID_TYPE`. Relationship fields (`Owner.Name`, `Who.Name`,
//! `Account.Name`) work one level deep or more. No aggregates, subqueries, date functions or paging: results are
//! always `done: true`.
//!
//! The SOSL parser (`sosl`) reuses this module's lexer, field lists, conditions and ORDER BY for its `RETURNING`.

use crate::OrgState;
use crate::errors::ApiError;
use crate::org::{Record, Records};
use crate::schema::{FieldType, ObjectDef, Schema};
use callpop_core::record::RecordId;
use serde_json::{Map, Value, json};
use std::cmp::Ordering;

/// A lexical token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Token {
    /// A name or keyword, possibly dotted (`Owner.Name`).
    Word(String),
    /// A quoted string's raw text, escapes not yet decoded.
    Text(String),
    /// A number, date or datetime literal, as written.
    Number(String),
    Comma,
    Open,
    Close,
    Operator(&'static str),
}

/// Splits SOQL text into tokens. `malformed` makes the error (`MALFORMED_QUERY` or `MALFORMED_SEARCH`).
pub(crate) fn lex(text: &str, malformed: fn(String) -> ApiError) -> Result<Vec<Token>, ApiError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let character = chars[at];
        if character.is_whitespace() {
            at += 1;
            continue;
        }
        let start = at;
        let token = match character {
            ',' => Token::Comma,
            '(' => Token::Open,
            ')' => Token::Close,
            '\'' => {
                let mut raw = String::new();
                at += 1;
                loop {
                    match chars.get(at) {
                        None => return Err(malformed(format!("unterminated string literal at column {}", start + 1))),
                        Some('\'') => break,
                        Some('\\') => {
                            raw.push('\\');
                            at += 1;
                            match chars.get(at) {
                                Some(escaped) => raw.push(*escaped),
                                None => {
                                    return Err(malformed(format!(
                                        "unterminated string literal at column {}",
                                        start + 1
                                    )));
                                }
                            }
                        }
                        Some(other) => raw.push(*other),
                    }
                    at += 1;
                }
                Token::Text(raw)
            }
            '=' => Token::Operator("="),
            '!' if chars.get(at + 1) == Some(&'=') => {
                at += 1;
                Token::Operator("!=")
            }
            '<' | '>' => {
                let operator = match (character, chars.get(at + 1)) {
                    ('<', Some('=')) => "<=",
                    ('>', Some('=')) => ">=",
                    ('<', Some('>')) => "<>",
                    ('<', _) => "<",
                    _ => ">",
                };
                at += operator.len() - 1;
                Token::Operator(operator)
            }
            _ if character.is_ascii_digit()
                || (character == '-' && chars.get(at + 1).is_some_and(char::is_ascii_digit)) =>
            {
                let mut literal = String::from(character);
                while let Some(next) =
                    chars.get(at + 1).filter(|next| next.is_ascii_alphanumeric() || ".:-+".contains(**next))
                {
                    literal.push(*next);
                    at += 1;
                }
                Token::Number(literal)
            }
            _ if character.is_alphanumeric() || character == '_' => {
                let mut word = String::from(character);
                while let Some(next) =
                    chars.get(at + 1).filter(|next| next.is_alphanumeric() || **next == '_' || **next == '.')
                {
                    word.push(*next);
                    at += 1;
                }
                Token::Word(word)
            }
            other => return Err(malformed(format!("unexpected character '{other}' at column {}", start + 1))),
        };
        tokens.push(token);
        at += 1;
    }
    Ok(tokens)
}

/// One character of a LIKE pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LikePart {
    /// `%`: any run of characters.
    AnyRun,
    /// `_`: any one character.
    AnyOne,
    Literal(char),
}

fn illegal_escape(raw: &str, escaped: char) -> ApiError {
    ApiError::malformed_query(format!(
        "Invalid string literal '{raw}'. Illegal character sequence '\\{escaped}' in string literal."
    ))
}

/// Decodes a string literal's escapes (§3.3). `\_` and `\%` are allowed only in a LIKE pattern.
fn decode_text(raw: &str, like: bool) -> Result<Vec<LikePart>, ApiError> {
    let mut parts = Vec::new();
    let mut chars = raw.chars();
    while let Some(character) = chars.next() {
        let part = match character {
            '\\' => {
                let escaped = chars.next().unwrap_or('\\');
                match escaped {
                    'n' => LikePart::Literal('\n'),
                    'r' => LikePart::Literal('\r'),
                    't' => LikePart::Literal('\t'),
                    'b' => LikePart::Literal('\u{8}'),
                    'f' => LikePart::Literal('\u{c}'),
                    '"' | '\'' | '\\' => LikePart::Literal(escaped),
                    '_' | '%' if like => LikePart::Literal(escaped),
                    other => return Err(illegal_escape(raw, other)),
                }
            }
            '%' if like => LikePart::AnyRun,
            '_' if like => LikePart::AnyOne,
            other => LikePart::Literal(other),
        };
        parts.push(part);
    }
    Ok(parts)
}

/// Decodes a plain (non-LIKE) string literal.
pub(crate) fn unescape(raw: &str) -> Result<String, ApiError> {
    Ok(decode_text(raw, false)?
        .into_iter()
        .map(|part| match part {
            LikePart::Literal(character) => character,
            LikePart::AnyRun => '%',
            LikePart::AnyOne => '_',
        })
        .collect())
}

/// A literal value in a condition.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Text(String),
    Number(f64),
    Boolean(bool),
    Null,
    /// A date or datetime literal, compared as text with the stored ISO value.
    Date(String),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Comparison {
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

/// A WHERE condition.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Condition {
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    Compare { field: String, comparison: Comparison, value: Literal },
    In { field: String, values: Vec<Literal>, negated: bool },
    Like { field: String, pattern: Vec<LikePart> },
}

/// One ORDER BY key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OrderKey {
    pub field: String,
    pub descending: bool,
    pub nulls_last: bool,
}

/// A parsed SELECT.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Query {
    pub fields: Vec<String>,
    pub object: String,
    pub condition: Option<Condition>,
    pub order_by: Vec<OrderKey>,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

/// A recursive-descent parser over tokens.
#[derive(Debug)]
pub(crate) struct Parser {
    tokens: Vec<Token>,
    at: usize,
    malformed: fn(String) -> ApiError,
}

impl Parser {
    pub(crate) fn new(tokens: Vec<Token>, malformed: fn(String) -> ApiError) -> Self {
        Self { tokens, at: 0, malformed }
    }

    fn error(&self, expected: &str) -> ApiError {
        let found = match self.tokens.get(self.at) {
            None => "end of query".to_owned(),
            Some(Token::Word(word) | Token::Number(word)) => format!("'{word}'"),
            Some(Token::Text(text)) => format!("'{text}'"),
            Some(Token::Operator(operator)) => format!("'{operator}'"),
            Some(Token::Comma) => "','".to_owned(),
            Some(Token::Open) => "'('".to_owned(),
            Some(Token::Close) => "')'".to_owned(),
        };
        (self.malformed)(format!("unexpected token: {found}, expected {expected}"))
    }

    pub(crate) fn at_end(&self) -> bool {
        self.at >= self.tokens.len()
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    /// Consumes `keyword` (any case) when it is next.
    pub(crate) fn keyword(&mut self, keyword: &str) -> bool {
        let found = matches!(self.peek(), Some(Token::Word(word)) if word.eq_ignore_ascii_case(keyword));
        if found {
            self.at += 1;
        }
        found
    }

    pub(crate) fn expect_keyword(&mut self, keyword: &str) -> Result<(), ApiError> {
        if self.keyword(keyword) { Ok(()) } else { Err(self.error(keyword)) }
    }

    fn token(&mut self, wanted: &Token) -> bool {
        let found = self.peek() == Some(wanted);
        if found {
            self.at += 1;
        }
        found
    }

    pub(crate) fn open(&mut self) -> bool {
        self.token(&Token::Open)
    }

    pub(crate) fn expect_close(&mut self) -> Result<(), ApiError> {
        if self.token(&Token::Close) { Ok(()) } else { Err(self.error("')'")) }
    }

    pub(crate) fn comma(&mut self) -> bool {
        self.token(&Token::Comma)
    }

    /// A name (not a reserved word of the clauses).
    pub(crate) fn name(&mut self) -> Result<String, ApiError> {
        const RESERVED: [&str; 10] = ["FROM", "WHERE", "ORDER", "LIMIT", "OFFSET", "AND", "OR", "NOT", "IN", "LIKE"];
        match self.peek() {
            Some(Token::Word(word)) if !RESERVED.iter().any(|reserved| reserved.eq_ignore_ascii_case(word)) => {
                let word = word.clone();
                self.at += 1;
                Ok(word)
            }
            _ => Err(self.error("a name")),
        }
    }

    /// `a, b, c`.
    pub(crate) fn field_list(&mut self) -> Result<Vec<String>, ApiError> {
        let mut fields = vec![self.name()?];
        while self.comma() {
            fields.push(self.name()?);
        }
        Ok(fields)
    }

    fn literal(&mut self) -> Result<Literal, ApiError> {
        let literal = match self.peek() {
            Some(Token::Text(raw)) => Literal::Text(unescape(raw)?),
            Some(Token::Number(number)) if number.contains('-') && !number.starts_with('-') => {
                Literal::Date(number.clone())
            }
            Some(Token::Number(number)) => Literal::Number(number.parse().map_err(|_| self.error("a number"))?),
            Some(Token::Word(word)) if word.eq_ignore_ascii_case("true") => Literal::Boolean(true),
            Some(Token::Word(word)) if word.eq_ignore_ascii_case("false") => Literal::Boolean(false),
            Some(Token::Word(word)) if word.eq_ignore_ascii_case("null") => Literal::Null,
            _ => return Err(self.error("a value")),
        };
        self.at += 1;
        Ok(literal)
    }

    /// A WHERE condition.
    pub(crate) fn condition(&mut self) -> Result<Condition, ApiError> {
        let first = self.term()?;
        let mut terms = vec![first];
        let mut joiner: Option<&'static str> = None;
        loop {
            let next = if self.keyword("AND") {
                "AND"
            } else if self.keyword("OR") {
                "OR"
            } else {
                break;
            };
            if joiner.is_some_and(|joiner| joiner != next) {
                return Err((self.malformed)(format!("unexpected token: '{next}': use parentheses to mix AND and OR")));
            }
            joiner = Some(next);
            terms.push(self.term()?);
        }
        Ok(match (joiner, terms.len()) {
            (_, 1) => terms.remove(0),
            (Some("OR"), _) => Condition::Any(terms),
            _ => Condition::All(terms),
        })
    }

    fn term(&mut self) -> Result<Condition, ApiError> {
        if self.keyword("NOT") {
            return Ok(Condition::Not(Box::new(self.term()?)));
        }
        if self.open() {
            let inner = self.condition()?;
            self.expect_close()?;
            return Ok(inner);
        }
        let field = self.name()?;
        if self.keyword("LIKE") {
            let Some(Token::Text(raw)) = self.peek().cloned() else { return Err(self.error("a string")) };
            self.at += 1;
            return Ok(Condition::Like { field, pattern: decode_text(&raw, true)? });
        }
        let negated = self.keyword("NOT");
        if self.keyword("IN") {
            if !self.open() {
                return Err(self.error("'('"));
            }
            let mut values = vec![self.literal()?];
            while self.comma() {
                values.push(self.literal()?);
            }
            self.expect_close()?;
            return Ok(Condition::In { field, values, negated });
        }
        if negated {
            return Err(self.error("IN"));
        }
        let comparison = match self.peek() {
            Some(Token::Operator("=")) => Comparison::Equal,
            Some(Token::Operator("!=" | "<>")) => Comparison::NotEqual,
            Some(Token::Operator("<")) => Comparison::Less,
            Some(Token::Operator("<=")) => Comparison::LessOrEqual,
            Some(Token::Operator(">")) => Comparison::Greater,
            Some(Token::Operator(">=")) => Comparison::GreaterOrEqual,
            _ => return Err(self.error("an operator")),
        };
        self.at += 1;
        Ok(Condition::Compare { field, comparison, value: self.literal()? })
    }

    /// The keys after `ORDER BY`.
    pub(crate) fn order_keys(&mut self) -> Result<Vec<OrderKey>, ApiError> {
        let mut keys = Vec::new();
        loop {
            let field = self.name()?;
            let descending = if self.keyword("DESC") {
                true
            } else {
                self.keyword("ASC");
                false
            };
            let mut nulls_last = descending;
            if self.keyword("NULLS") {
                nulls_last = if self.keyword("LAST") {
                    true
                } else {
                    self.expect_keyword("FIRST")?;
                    false
                };
            }
            keys.push(OrderKey { field, descending, nulls_last });
            if !self.comma() {
                return Ok(keys);
            }
        }
    }

    /// A non-negative integer (after `LIMIT` or `OFFSET`).
    pub(crate) fn count(&mut self) -> Result<usize, ApiError> {
        match self.peek() {
            Some(Token::Number(number)) => {
                let count = number.parse().map_err(|_| self.error("a whole number"))?;
                self.at += 1;
                Ok(count)
            }
            _ => Err(self.error("a whole number")),
        }
    }
}

/// Parses a SELECT statement.
pub(crate) fn parse(text: &str) -> Result<Query, ApiError> {
    let mut parser = Parser::new(lex(text, ApiError::malformed_query)?, ApiError::malformed_query);
    parser.expect_keyword("SELECT")?;
    let fields = parser.field_list()?;
    parser.expect_keyword("FROM")?;
    let object = parser.name()?;
    let condition = if parser.keyword("WHERE") { Some(parser.condition()?) } else { None };
    let order_by = if parser.keyword("ORDER") {
        parser.expect_keyword("BY")?;
        parser.order_keys()?
    } else {
        Vec::new()
    };
    let limit = if parser.keyword("LIMIT") { Some(parser.count()?) } else { None };
    let offset = if parser.keyword("OFFSET") { Some(parser.count()?) } else { None };
    if !parser.at_end() {
        return Err(parser.error("end of query"));
    }
    Ok(Query { fields, object, condition, order_by, limit, offset })
}

/// A field reference resolved against the schema: the references to follow, then the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldPath {
    /// `(reference field, relationship name)` for each hop, e.g. `("OwnerId", "Owner")`.
    pub hops: Vec<(String, String)>,
    pub field: String,
    pub field_type: FieldType,
}

fn no_such_column(name: &str, object: &str) -> ApiError {
    ApiError::invalid_field(format!(
        "No such column '{name}' on entity '{object}'. If you are attempting to use a custom field, be sure to append \
         the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate \
         names."
    ))
}

/// Resolves `Owner.Name` or `Phone` on `object`.
pub(crate) fn resolve(schema: &Schema, object: &ObjectDef, name: &str) -> Result<FieldPath, ApiError> {
    let mut parts: Vec<&str> = name.split('.').collect();
    if parts.len() > 1 && parts[0].eq_ignore_ascii_case(&object.name) {
        parts.remove(0);
    }
    let (last, relationships) = parts.split_last().ok_or_else(|| no_such_column(name, &object.name))?;
    let mut current: Vec<&ObjectDef> = vec![object];
    let mut hops = Vec::new();
    for relationship in relationships {
        let reference = current
            .iter()
            .flat_map(|object| object.fields.iter())
            .find(|field| field.relationship_name().is_some_and(|known| known.eq_ignore_ascii_case(relationship)))
            .ok_or_else(|| no_such_column(relationship, &current[0].name))?;
        hops.push((reference.name.clone(), reference.relationship_name().unwrap_or_default().to_owned()));
        current = reference.reference_to.iter().filter_map(|target| schema.object(target)).collect();
    }
    let field = current
        .iter()
        .find_map(|object| object.field(last))
        .ok_or_else(|| no_such_column(last, current.first().map_or(object.name.as_str(), |object| &object.name)))?;
    Ok(FieldPath { hops, field: field.name.clone(), field_type: field.field_type })
}

/// Reads a resolved field from a record, following references through `records`.
pub(crate) fn value_of(records: &Records, record: &Record, path: &FieldPath) -> Value {
    let mut current = record.clone();
    for (reference, _) in &path.hops {
        let target = current.text(reference).and_then(|id| RecordId::parse(id).ok()).and_then(|id| records.get(&id));
        match target {
            Some(target) => current = target.clone(),
            None => return Value::Null,
        }
    }
    current.to_json("").get(&path.field).cloned().unwrap_or(Value::Null)
}

fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// Compares a stored value with a literal; `None` when they cannot be ordered (a null, or different kinds).
fn compare(value: &Value, literal: &Literal, field_type: FieldType) -> Option<Ordering> {
    match (value, literal) {
        (Value::Null, _) | (_, Literal::Null) => None,
        (Value::Number(number), Literal::Number(wanted)) => number.as_f64()?.partial_cmp(wanted),
        (Value::Bool(flag), Literal::Boolean(wanted)) => Some(flag.cmp(wanted)),
        (Value::String(text), Literal::Text(wanted)) if matches!(field_type, FieldType::Id | FieldType::Reference) => {
            let same =
                RecordId::parse(text).ok().zip(RecordId::parse(wanted).ok()).is_some_and(|(left, right)| left == right);
            Some(if same { Ordering::Equal } else { text.to_lowercase().cmp(&wanted.to_lowercase()) })
        }
        (Value::String(text), Literal::Text(wanted) | Literal::Date(wanted)) => {
            Some(text.to_lowercase().cmp(&wanted.to_lowercase()))
        }
        _ => None,
    }
}

fn like(text: &[char], pattern: &[LikePart]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((LikePart::AnyRun, rest)) => (0..=text.len()).any(|skip| like(&text[skip..], rest)),
        Some((LikePart::AnyOne, rest)) => !text.is_empty() && like(&text[1..], rest),
        Some((LikePart::Literal(wanted), rest)) => {
            text.first().is_some_and(|found| found.to_lowercase().eq(wanted.to_lowercase())) && like(&text[1..], rest)
        }
    }
}

/// A condition with its fields resolved, ready to test records.
#[derive(Debug, Clone)]
pub(crate) struct Filter {
    condition: Condition,
    paths: Vec<(String, FieldPath)>,
}

impl Filter {
    /// Resolves every field the condition names; unknown ones are `INVALID_FIELD`.
    pub(crate) fn new(schema: &Schema, object: &ObjectDef, condition: Condition) -> Result<Self, ApiError> {
        let mut names = Vec::new();
        collect_fields(&condition, &mut names);
        let paths = names
            .into_iter()
            .map(|name| resolve(schema, object, &name).map(|path| (name, path)))
            .collect::<Result<_, _>>()?;
        Ok(Self { condition, paths })
    }

    fn path(&self, name: &str) -> &FieldPath {
        &self.paths.iter().find(|(known, _)| known == name).expect("every field of the condition was resolved").1
    }

    pub(crate) fn accepts(&self, records: &Records, record: &Record) -> bool {
        self.holds(&self.condition, records, record)
    }

    fn holds(&self, condition: &Condition, records: &Records, record: &Record) -> bool {
        match condition {
            Condition::All(conditions) => conditions.iter().all(|condition| self.holds(condition, records, record)),
            Condition::Any(conditions) => conditions.iter().any(|condition| self.holds(condition, records, record)),
            Condition::Not(inner) => !self.holds(inner, records, record),
            Condition::Compare { field, comparison, value } => {
                let path = self.path(field);
                let stored = value_of(records, record, path);
                let ordering = compare(&stored, value, path.field_type);
                match (comparison, value) {
                    (Comparison::Equal, Literal::Null) => stored.is_null(),
                    (Comparison::NotEqual, Literal::Null) => !stored.is_null(),
                    (Comparison::Equal, _) => ordering == Some(Ordering::Equal),
                    (Comparison::NotEqual, _) => ordering != Some(Ordering::Equal),
                    (Comparison::Less, _) => ordering == Some(Ordering::Less),
                    (Comparison::LessOrEqual, _) => matches!(ordering, Some(Ordering::Less | Ordering::Equal)),
                    (Comparison::Greater, _) => ordering == Some(Ordering::Greater),
                    (Comparison::GreaterOrEqual, _) => matches!(ordering, Some(Ordering::Greater | Ordering::Equal)),
                }
            }
            Condition::In { field, values, negated } => {
                let path = self.path(field);
                let stored = value_of(records, record, path);
                let found = values.iter().any(|value| match value {
                    Literal::Null => stored.is_null(),
                    _ => compare(&stored, value, path.field_type) == Some(Ordering::Equal),
                });
                found != *negated
            }
            Condition::Like { field, pattern } => {
                let stored = value_of(records, record, self.path(field));
                text_of(&stored).is_some_and(|text| like(&text.chars().collect::<Vec<_>>(), pattern))
            }
        }
    }
}

fn collect_fields(condition: &Condition, names: &mut Vec<String>) {
    match condition {
        Condition::All(conditions) | Condition::Any(conditions) => {
            conditions.iter().for_each(|condition| collect_fields(condition, names));
        }
        Condition::Not(inner) => collect_fields(inner, names),
        Condition::Compare { field, .. } | Condition::In { field, .. } | Condition::Like { field, .. } => {
            names.push(field.clone());
        }
    }
}

fn order_value(value: &Value) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(Value::String(text.to_lowercase())),
        other => Some(other.clone()),
    }
}

fn compare_values(left: &Value, right: &Value) -> Ordering {
    match (left, right) {
        (Value::Number(left), Value::Number(right)) => {
            left.as_f64().partial_cmp(&right.as_f64()).unwrap_or(Ordering::Equal)
        }
        (Value::Bool(left), Value::Bool(right)) => left.cmp(right),
        (Value::String(left), Value::String(right)) => left.cmp(right),
        _ => Ordering::Equal,
    }
}

/// Sorts records by ORDER BY keys (ascending puts nulls first, descending last, unless told).
pub(crate) fn sort(
    schema: &Schema,
    object: &ObjectDef,
    records: &Records,
    rows: &mut [Record],
    keys: &[OrderKey],
) -> Result<(), ApiError> {
    let resolved: Vec<(FieldPath, &OrderKey)> =
        keys.iter().map(|key| resolve(schema, object, &key.field).map(|path| (path, key))).collect::<Result<_, _>>()?;
    rows.sort_by(|left, right| {
        resolved
            .iter()
            .map(|(path, key)| {
                let (left, right) =
                    (order_value(&value_of(records, left, path)), order_value(&value_of(records, right, path)));
                match (&left, &right) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => {
                        if key.nulls_last {
                            Ordering::Greater
                        } else {
                            Ordering::Less
                        }
                    }
                    (Some(_), None) => {
                        if key.nulls_last {
                            Ordering::Less
                        } else {
                            Ordering::Greater
                        }
                    }
                    (Some(left), Some(right)) => {
                        let ordering = compare_values(left, right);
                        if key.descending { ordering.reverse() } else { ordering }
                    }
                }
            })
            .find(|ordering| *ordering != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    });
    Ok(())
}

/// The selected fields, resolved.
pub(crate) fn selection(schema: &Schema, object: &ObjectDef, fields: &[String]) -> Result<Vec<FieldPath>, ApiError> {
    fields.iter().map(|field| resolve(schema, object, field)).collect()
}

/// A record as a query returns it: `attributes`, then the selected fields, relationship fields nested under their
/// relationship name with the related record's own `attributes`.
pub(crate) fn project(records: &Records, record: &Record, selected: &[FieldPath], api_version: &str) -> Value {
    let full = record.to_json(api_version);
    let mut row = Map::new();
    row.insert("attributes".to_owned(), full["attributes"].clone());
    for path in selected {
        match path.hops.split_first() {
            None => {
                row.insert(path.field.clone(), full.get(&path.field).cloned().unwrap_or(Value::Null));
            }
            Some(((reference, relationship), rest)) => {
                let target =
                    record.text(reference).and_then(|id| RecordId::parse(id).ok()).and_then(|id| records.get(&id));
                let Some(target) = target else {
                    row.entry(relationship.clone()).or_insert(Value::Null);
                    continue;
                };
                let inner = FieldPath { hops: rest.to_vec(), field: path.field.clone(), field_type: path.field_type };
                let nested = project(records, target, &[inner], api_version);
                match row.get_mut(relationship) {
                    Some(Value::Object(existing)) => {
                        if let Value::Object(nested) = nested {
                            existing.extend(nested);
                        }
                    }
                    _ => {
                        row.insert(relationship.clone(), nested);
                    }
                }
            }
        }
    }
    Value::Object(row)
}

/// The rows of objects the org computes from its configuration: `ValidationRule` (Tooling), `DuplicateRule` and
/// `Organization` (the org itself, whose id is the one its tokens carry).
fn configuration_rows(state: &OrgState, object: &ObjectDef) -> Option<Vec<Record>> {
    let rows: Vec<Value> = match object.name.as_str() {
        "Organization" => vec![json!({"Name": "callpop local org", "TimeZoneSidKey": state.settings.time_zone,
                                      "DefaultLocaleSidKey": "en_US", "LanguageLocaleKey": "en_US"})],
        "ValidationRule" => state
            .validation_rules
            .iter()
            .map(|rule| {
                json!({"ValidationName": rule.name, "EntityDefinitionId": rule.object, "Active": rule.active,
                       "ErrorMessage": rule.message, "ErrorDisplayField": rule.error_field, "Description": rule.description})
            })
            .collect(),
        "DuplicateRule" => state
            .duplicate_rules
            .iter()
            .map(|rule| {
                json!({"DeveloperName": rule.name, "MasterLabel": rule.name.replace('_', " "),
                       "SobjectType": rule.object, "IsActive": rule.active})
            })
            .collect(),
        _ => return None,
    };
    let rows = rows.into_iter().enumerate().map(|(index, fields)| {
        let id = RecordId::mint(&object.key_prefix, index as u64 + 1);
        let mut fields = fields.as_object().cloned().unwrap_or_default();
        fields.insert("Id".to_owned(), json!(id.as_str()));
        Record { id, object: object.name.clone(), fields }
    });
    Some(rows.collect())
}

/// Runs a SOQL query; `include_deleted` for `queryAll`, `tooling` for `tooling/query`.
pub fn run(
    state: &OrgState,
    text: &str,
    api_version: &str,
    include_deleted: bool,
    tooling: bool,
) -> Result<Vec<Value>, ApiError> {
    let query = parse(text)?;
    let object = state
        .schema
        .object(&query.object)
        .filter(|object| !object.tooling || tooling)
        .ok_or_else(|| ApiError::invalid_type(&query.object))?
        .clone();
    let selected = selection(&state.schema, &object, &query.fields)?;
    let filter = query.condition.map(|condition| Filter::new(&state.schema, &object, condition)).transpose()?;
    let mut rows = match configuration_rows(state, &object) {
        Some(rows) => rows,
        None => {
            let live = state.records.of(&object.name);
            let deleted = state.records.deleted_of(&object.name).filter(|_| include_deleted);
            live.chain(deleted).cloned().collect()
        }
    };
    rows.retain(|record| filter.as_ref().is_none_or(|filter| filter.accepts(&state.records, record)));
    sort(&state.schema, &object, &state.records, &mut rows, &query.order_by)?;
    Ok(rows
        .iter()
        .skip(query.offset.unwrap_or(0))
        .take(query.limit.unwrap_or(usize::MAX))
        .map(|record| project(&state.records, record, &selected, api_version))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn condition(text: &str) -> Result<Condition, ApiError> {
        parse(&format!("SELECT Id FROM Lead WHERE {text}")).map(|query| query.condition.expect("a WHERE clause"))
    }

    #[test]
    fn a_full_select_parses() {
        let query = parse("select Id, Owner.Name from Campaign where Name = 'Spring Promo' and IsActive = true order by CreatedDate desc limit 2").unwrap();
        assert_eq!(query.fields, ["Id", "Owner.Name"]);
        assert_eq!(query.object, "Campaign");
        assert_eq!(query.limit, Some(2));
        assert_eq!(query.order_by, [OrderKey { field: "CreatedDate".into(), descending: true, nulls_last: true }]);
        assert_eq!(
            query.condition,
            Some(Condition::All(vec![
                Condition::Compare {
                    field: "Name".into(),
                    comparison: Comparison::Equal,
                    value: Literal::Text("Spring Promo".into())
                },
                Condition::Compare {
                    field: "IsActive".into(),
                    comparison: Comparison::Equal,
                    value: Literal::Boolean(true)
                },
            ]))
        );
    }

    #[test]
    fn documented_escapes_decode() {
        let Condition::Compare { value, .. } = condition(r#"Name = 'Bob\'s \\ BBQ\n\t\"x\"'"#).unwrap() else {
            panic!()
        };
        assert_eq!(value, Literal::Text("Bob's \\ BBQ\n\t\"x\"".into()));
    }

    #[test]
    fn other_escapes_are_malformed() {
        let error = condition(r"Name = 'a\q'").unwrap_err();
        assert_eq!(error.code, "MALFORMED_QUERY");
        assert!(error.message.contains(r"'\q'"), "{}", error.message);
        // `\_` and `\%` only mean something inside LIKE.
        assert_eq!(condition(r"Name = '100\%'").unwrap_err().code, "MALFORMED_QUERY");
        assert!(condition(r"Name LIKE '100\%'").is_ok());
    }

    #[test]
    fn unterminated_strings_and_stray_characters_are_malformed() {
        assert_eq!(condition("Name = 'open").unwrap_err().code, "MALFORMED_QUERY");
        assert_eq!(condition("Name = ?").unwrap_err().code, "MALFORMED_QUERY");
        assert_eq!(parse("SELECT Id FROM Lead LIMIT").unwrap_err().code, "MALFORMED_QUERY");
        assert_eq!(parse("SELECT FROM Lead").unwrap_err().code, "MALFORMED_QUERY");
    }

    #[test]
    fn mixing_and_with_or_needs_parentheses() {
        assert!(condition("A = 1 AND B = 2 OR C = 3").is_err());
        let parsed = condition("(A = 1 AND B = 2) OR NOT C IN ('x', null)").unwrap();
        assert!(matches!(parsed, Condition::Any(ref terms) if terms.len() == 2));
    }

    #[test]
    fn like_patterns_honour_wildcards_and_escapes() {
        let Condition::Like { pattern, .. } = condition(r"Name LIKE 'a\_b%'").unwrap() else { panic!() };
        let chars = |text: &str| text.chars().collect::<Vec<_>>();
        assert!(like(&chars("A_Bcdef"), &pattern));
        assert!(!like(&chars("axbcdef"), &pattern));
        let Condition::Like { pattern, .. } = condition("Name LIKE 'h_pper'").unwrap() else { panic!() };
        assert!(like(&chars("Hopper"), &pattern));
    }

    #[test]
    fn dates_and_numbers_are_literals() {
        let Condition::Compare { value, .. } = condition("ActivityDate = 2026-11-25").unwrap() else { panic!() };
        assert_eq!(value, Literal::Date("2026-11-25".into()));
        let Condition::Compare { value, .. } = condition("CallDurationInSeconds >= -1.5").unwrap() else { panic!() };
        assert_eq!(value, Literal::Number(-1.5));
    }
}

/// The queries a call's Task `WhatId` needs: open Cases and Opportunities, newest first, answered as Salesforce
/// answers them (`IsClosed` from the Case's status and the Opportunity's stage).
#[cfg(test)]
mod related_records {
    use crate::{OrgState, SandboxConfig};
    use chrono::{Duration, Utc};
    use serde_json::{Value, json};

    fn org() -> OrgState {
        OrgState::new("http://127.0.0.1".to_owned(), None, &SandboxConfig { seed: false, ..SandboxConfig::default() })
    }

    fn insert(state: &mut OrgState, object: &str, fields: &Value, days_ago: i64) -> String {
        let mut fields = fields.as_object().cloned().expect("an object");
        // What the write engine computes on save (`dml::derive_fields`).
        let closed = match object {
            "Case" => Some(fields["Status"] == "Closed"),
            "Opportunity" => Some(fields["StageName"].as_str().is_some_and(|stage| stage.starts_with("Closed"))),
            _ => None,
        };
        if let Some(closed) = closed {
            fields.insert("IsClosed".to_owned(), json!(closed));
        }
        state.records.insert(object, fields, Utc::now() - Duration::days(days_ago)).as_str().to_owned()
    }

    fn ids(state: &OrgState, text: &str, column: &str) -> Vec<String> {
        super::run(state, text, "v62.0", false, false)
            .expect("the query runs")
            .iter()
            .filter_map(|row| row[column].as_str().map(str::to_owned))
            .collect()
    }

    #[test]
    fn the_newest_open_case_of_a_contact_and_opportunity_of_an_account_are_found() {
        let mut state = org();
        let account = insert(&mut state, "Account", &json!({"Name": "Analytical Engines"}), 30);
        let contact = insert(&mut state, "Contact", &json!({"LastName": "Lovelace", "AccountId": account}), 30);
        let _older = insert(&mut state, "Case", &json!({"ContactId": contact, "Status": "New"}), 3);
        let newer = insert(&mut state, "Case", &json!({"ContactId": contact, "Status": "Working"}), 2);
        let _closed = insert(&mut state, "Case", &json!({"ContactId": contact, "Status": "Closed"}), 1);
        let open_case = format!(
            "SELECT Id FROM Case WHERE ContactId = '{contact}' AND IsClosed = false ORDER BY CreatedDate DESC LIMIT 1"
        );
        assert_eq!(ids(&state, &open_case, "Id"), [newer]);

        assert_eq!(
            ids(&state, &format!("SELECT AccountId FROM Contact WHERE Id = '{contact}'"), "AccountId"),
            std::slice::from_ref(&account)
        );
        let open = insert(
            &mut state,
            "Opportunity",
            &json!({"Name": "Engine", "StageName": "Prospecting", "AccountId": account}),
            5,
        );
        let _won = insert(
            &mut state,
            "Opportunity",
            &json!({"Name": "Won", "StageName": "Closed Won", "AccountId": account}),
            1,
        );
        let open_opportunity = format!(
            "SELECT Id FROM Opportunity WHERE AccountId = '{account}' AND IsClosed = false ORDER BY CreatedDate DESC \
             LIMIT 1"
        );
        assert_eq!(ids(&state, &open_opportunity, "Id"), [open]);
    }
}
