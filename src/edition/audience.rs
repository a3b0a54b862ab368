//! Who of the list an edition is for: `audience = 'regio = "Oost" and not tag:pers'`, a small
//! expression over the readers' fields and tags.
//!
//! ```text
//! expr  := and ("or" and)*
//! and   := unary ("and" unary)*
//! unary := "not" unary | "(" expr ")" | "tag:" NAME | NAME ("=" | "!=") VALUE
//! ```
//!
//! A NAME is a field (a column of the list, in any case); a VALUE is quoted with `"` or `'`.
//! Values compare without regard to case or surrounding spaces, as spreadsheets are typed.
//! Tags are the field `tags`, separated by commas or semicolons.

use std::fmt;

use serde::Deserialize;

use super::value::ValueError;

/// A parsed audience, with the text it was written as.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Audience {
    text: String,
    expr: Expr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Tag(String),
    Equals(String, String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Value(String),
    Eq,
    NotEq,
    Open,
    Close,
}

impl TryFrom<String> for Audience {
    type Error = ValueError;
    fn try_from(text: String) -> Result<Audience, ValueError> {
        let tokens = tokens(&text)?;
        let mut parser = Parser { tokens, at: 0 };
        let expr = parser.or()?;
        if let Some(extra) = parser.tokens.get(parser.at) {
            return Err(ValueError::new(format!(
                "the audience has {} where it should end; join conditions with `and` or `or`",
                describe(extra)
            )));
        }
        Ok(Audience { text, expr })
    }
}

impl fmt::Display for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Audience {
    /// Whether a reader with these `fields` is in the audience.
    pub fn includes(&self, fields: &crate::fields::Fields) -> bool {
        self.expr.eval(fields)
    }

    /// The fields the audience names, for a warning when the list has none of them.
    pub fn fields(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.expr.fields(&mut out);
        out
    }
}

impl Expr {
    fn eval(&self, fields: &crate::fields::Fields) -> bool {
        let same = |a: &str, b: &str| a.trim().to_lowercase() == b.trim().to_lowercase();
        match self {
            Expr::Or(a, b) => a.eval(fields) || b.eval(fields),
            Expr::And(a, b) => a.eval(fields) && b.eval(fields),
            Expr::Not(a) => !a.eval(fields),
            Expr::Tag(tag) => fields
                .get("tags")
                .is_some_and(|tags| tags.split([',', ';']).any(|t| same(t, tag))),
            Expr::Equals(field, value) => fields.get(field).is_some_and(|v| same(v, value)),
        }
    }

    fn fields<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Expr::Or(a, b) | Expr::And(a, b) => {
                a.fields(out);
                b.fields(out);
            }
            Expr::Not(a) => a.fields(out),
            Expr::Tag(_) => out.push("tags"),
            Expr::Equals(field, _) => out.push(field),
        }
    }
}

fn describe(token: &Token) -> String {
    match token {
        Token::Word(w) => format!("`{w}`"),
        Token::Value(v) => format!("the value \"{v}\""),
        Token::Eq => "`=`".into(),
        Token::NotEq => "`!=`".into(),
        Token::Open => "`(`".into(),
        Token::Close => "`)`".into(),
    }
}

fn tokens(text: &str) -> Result<Vec<Token>, ValueError> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '(' => out.push(Token::Open),
            ')' => out.push(Token::Close),
            '=' => out.push(Token::Eq),
            '!' if chars.next_if(|(_, c)| *c == '=').is_some() => out.push(Token::NotEq),
            '"' | '\'' | '“' | '‘' => {
                let close = match c {
                    '“' => '”',
                    '‘' => '’',
                    c => c,
                };
                let start = at + c.len_utf8();
                let end = text[start..].find(close).ok_or_else(|| {
                    ValueError::new(format!(
                        "the value that starts with {c} in the audience is not closed"
                    ))
                })?;
                out.push(Token::Value(text[start..start + end].to_owned()));
                while chars
                    .next_if(|(i, _)| *i < start + end + close.len_utf8())
                    .is_some()
                {}
            }
            c if c.is_alphanumeric() || c == '_' || c == '-' => {
                let mut word = String::from(c);
                while let Some((_, c)) = chars
                    .next_if(|(_, c)| c.is_alphanumeric() || matches!(c, '_' | '-' | ':' | '.'))
                {
                    word.push(c);
                }
                out.push(Token::Word(word));
            }
            c => {
                return Err(ValueError::new(format!(
                    "`{c}` in the audience; write conditions as `regio = \"Oost\"`, `tag:pers`, \
                     joined with `and`, `or`, `not` and parentheses"
                )));
            }
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.at), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn or(&mut self) -> Result<Expr, ValueError> {
        let mut left = self.and()?;
        while self.peek_word("or") {
            self.at += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, ValueError> {
        let mut left = self.unary()?;
        while self.peek_word("and") {
            self.at += 1;
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ValueError> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        match token {
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("not") => {
                Ok(Expr::Not(Box::new(self.unary()?)))
            }
            Some(Token::Open) => {
                let inner = self.or()?;
                match self.tokens.get(self.at) {
                    Some(Token::Close) => {
                        self.at += 1;
                        Ok(inner)
                    }
                    _ => Err(ValueError::new(
                        "a `(` in the audience is not closed with `)`",
                    )),
                }
            }
            Some(Token::Word(w)) if w.to_lowercase().starts_with("tag:") && w.len() > 4 => {
                Ok(Expr::Tag(w[4..].to_owned()))
            }
            Some(Token::Word(field)) => {
                let negate = match self.tokens.get(self.at) {
                    Some(Token::Eq) => false,
                    Some(Token::NotEq) => true,
                    _ => {
                        return Err(ValueError::new(format!(
                            "`{field}` in the audience needs a value: `{field} = \"…\"`"
                        )));
                    }
                };
                let Some(Token::Value(value)) = self.tokens.get(self.at + 1).cloned() else {
                    return Err(ValueError::new(format!(
                        "the value after `{field}` in the audience must be quoted: `{field} = \"Oost\"`"
                    )));
                };
                self.at += 2;
                let test = Expr::Equals(field.to_lowercase(), value);
                Ok(if negate {
                    Expr::Not(Box::new(test))
                } else {
                    test
                })
            }
            Some(other) => Err(ValueError::new(format!(
                "the audience has {} where a condition should be, such as `regio = \"Oost\"` or `tag:pers`",
                describe(&other)
            ))),
            None => Err(ValueError::new(
                "the audience ends where a condition should be, such as `regio = \"Oost\"` or `tag:pers`",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(pairs: &[(&str, &str)]) -> crate::fields::Fields {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn audience(text: &str) -> Audience {
        Audience::try_from(text.to_owned()).unwrap()
    }

    #[test]
    fn fields_tags_and_their_combinations_select_readers() {
        let oost_pers = reader(&[("regio", "Oost "), ("tags", "bestuur; Pers")]);
        let oost = reader(&[("regio", "oost")]);
        let west = reader(&[("regio", "West")]);
        let a = audience(r#"regio = "Oost" and not tag:pers"#);
        assert!(!a.includes(&oost_pers));
        assert!(a.includes(&oost));
        assert!(!a.includes(&west));
        let b = audience("Regio != 'Oost' or (tag:bestuur and regio = 'oost')");
        assert!(b.includes(&oost_pers) && !b.includes(&oost) && b.includes(&west));
        assert!(!audience("tag:pers").includes(&reader(&[])));
        assert_eq!(a.fields(), ["regio", "tags"]);
    }

    #[test]
    fn a_mistake_is_named_with_the_form_that_works() {
        let error = |text: &str| Audience::try_from(text.to_owned()).unwrap_err().to_string();
        assert!(error("regio = Oost").contains("must be quoted"));
        assert!(error("regio").contains("needs a value"));
        assert!(error(r#"regio = "Oost" tag:pers"#).contains("join conditions with `and` or `or`"));
        assert!(error(r#"(regio = "Oost""#).contains("not closed"));
        assert!(error("regio = \"Oost").contains("is not closed"));
        assert!(error("").contains("ends where a condition should be"));
    }
}
