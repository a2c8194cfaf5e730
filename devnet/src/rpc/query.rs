//! CometBFT's event query language, the subset `tx_search` needs: conditions joined by `AND`,
//! each `type.attribute OP operand` with `=`, `<`, `<=`, `>`, `>=`, `CONTAINS` or `EXISTS`, a
//! single-quoted string or a number as operand (`wasm._contract_address='loopin1...' AND
//! wasm.action='lease'`, `tx.height>=5`, `message.sender EXISTS`).
//!
//! As CometBFT's kv indexer (0.38) matches them: conditions on the same event type must hold in
//! one event of that type; conditions on different types in any events of the transaction.
//! `TIME` and `DATE` operands are refused.

use std::fmt;

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub conditions: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The event type (`wasm`), before the first dot of the key.
    pub event: String,
    /// The attribute (`_contract_address`), after it.
    pub attribute: String,
    pub op: Op,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Exists,
    Contains(String),
    Eq(Operand),
    Lt(f64),
    Le(f64),
    Gt(f64),
    Ge(f64),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Text(String),
    Number(f64),
}

/// Why a query was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError(pub String);

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One event of a transaction, as the index keeps it.
pub struct EventView<'a> {
    pub ty: &'a str,
    pub attributes: &'a [(String, String)],
}

impl Query {
    pub fn parse(text: &str) -> Result<Self, QueryError> {
        let mut parser = Parser {
            chars: text.chars().collect(),
            pos: 0,
        };
        let mut conditions = vec![parser.condition()?];
        loop {
            parser.skip_space();
            if parser.done() {
                break;
            }
            parser.keyword("AND")?;
            conditions.push(parser.condition()?);
        }
        Ok(Self { conditions })
    }

    /// The value of the first `key = 'value'` (or `key = number`) condition.
    pub fn equals(&self, event: &str, attribute: &str) -> Option<String> {
        self.conditions.iter().find_map(|c| match &c.op {
            Op::Eq(operand) if c.event == event && c.attribute == attribute => {
                Some(match operand {
                    Operand::Text(t) => t.clone(),
                    Operand::Number(n) => format_number(*n),
                })
            }
            _ => None,
        })
    }

    /// Whether a transaction with these events matches.
    pub fn matches<'a>(&self, events: impl Iterator<Item = EventView<'a>> + Clone) -> bool {
        let mut types: Vec<&str> = self.conditions.iter().map(|c| c.event.as_str()).collect();
        types.sort_unstable();
        types.dedup();
        types.into_iter().all(|ty| {
            let group: Vec<&Condition> = self.conditions.iter().filter(|c| c.event == ty).collect();
            events.clone().filter(|e| e.ty == ty).any(|event| {
                group.iter().all(|c| {
                    event
                        .attributes
                        .iter()
                        .filter(|(k, _)| *k == c.attribute)
                        .any(|(_, v)| c.op.holds(v))
                })
            })
        })
    }
}

impl Op {
    fn holds(&self, value: &str) -> bool {
        let number = || value.trim().parse::<f64>().ok();
        match self {
            Op::Exists => true,
            Op::Contains(s) => value.contains(s.as_str()),
            Op::Eq(Operand::Text(s)) => value == s,
            Op::Eq(Operand::Number(n)) => number() == Some(*n),
            Op::Lt(n) => number().is_some_and(|v| v < *n),
            Op::Le(n) => number().is_some_and(|v| v <= *n),
            Op::Gt(n) => number().is_some_and(|v| v > *n),
            Op::Ge(n) => number().is_some_and(|v| v >= *n),
        }
    }
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn done(&self) -> bool {
        self.pos >= self.chars.len()
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn error(&self, what: &str) -> QueryError {
        QueryError(format!("{what} at position {}", self.pos + 1))
    }

    fn keyword(&mut self, word: &str) -> Result<(), QueryError> {
        self.skip_space();
        let end = self.pos + word.len();
        if end <= self.chars.len()
            && self.chars[self.pos..end].iter().copied().eq(word.chars())
            && self
                .chars
                .get(end)
                .is_none_or(|c| c.is_whitespace() || *c == '\'')
        {
            self.pos = end;
            Ok(())
        } else {
            Err(self.error(&format!("expected {word}")))
        }
    }

    fn condition(&mut self) -> Result<Condition, QueryError> {
        self.skip_space();
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| !c.is_whitespace() && !matches!(c, '=' | '<' | '>' | '\''))
        {
            self.pos += 1;
        }
        let key: String = self.chars[start..self.pos].iter().collect();
        let Some((event, attribute)) = key.split_once('.') else {
            return Err(QueryError(format!(
                "expected a composite key like type.attribute, got {key:?}"
            )));
        };
        if event.is_empty() || attribute.is_empty() {
            return Err(QueryError(format!("invalid key {key:?}")));
        }
        self.skip_space();
        let op = match self.peek() {
            Some('=') => {
                self.pos += 1;
                Op::Eq(self.operand()?)
            }
            Some('<') | Some('>') => {
                let less = self.peek() == Some('<');
                self.pos += 1;
                let equal = self.peek() == Some('=');
                if equal {
                    self.pos += 1;
                }
                let Operand::Number(n) = self.operand()? else {
                    return Err(self.error("ordering needs a number"));
                };
                match (less, equal) {
                    (true, false) => Op::Lt(n),
                    (true, true) => Op::Le(n),
                    (false, false) => Op::Gt(n),
                    (false, true) => Op::Ge(n),
                }
            }
            _ if self.keyword("EXISTS").is_ok() => Op::Exists,
            _ if self.keyword("CONTAINS").is_ok() => match self.operand()? {
                Operand::Text(t) => Op::Contains(t),
                Operand::Number(_) => return Err(self.error("CONTAINS needs a string")),
            },
            _ => return Err(self.error("expected =, <, <=, >, >=, CONTAINS or EXISTS")),
        };
        Ok(Condition {
            event: event.to_string(),
            attribute: attribute.to_string(),
            op,
        })
    }

    fn operand(&mut self) -> Result<Operand, QueryError> {
        self.skip_space();
        match self.peek() {
            Some('\'') => {
                self.pos += 1;
                let start = self.pos;
                while self.peek().is_some_and(|c| c != '\'') {
                    self.pos += 1;
                }
                if self.done() {
                    return Err(self.error("unterminated string"));
                }
                let text = self.chars[start..self.pos].iter().collect();
                self.pos += 1;
                Ok(Operand::Text(text))
            }
            Some(c) if c.is_ascii_digit() || c == '-' || c == '.' => {
                let start = self.pos;
                self.pos += 1;
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_digit() || c == '.' || c == 'e' || c == 'E')
                {
                    self.pos += 1;
                }
                let text: String = self.chars[start..self.pos].iter().collect();
                text.parse()
                    .map(Operand::Number)
                    .map_err(|_| QueryError(format!("invalid number {text:?}")))
            }
            _ if self.keyword("TIME").is_ok() || self.keyword("DATE").is_ok() => {
                Err(self.error("TIME and DATE operands are not supported by the devnet"))
            }
            _ => Err(self.error("expected a quoted string or a number")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parses_what_cosmjs_sends() {
        let q = Query::parse("wasm._contract_address='loopin1x' AND wasm.action='lease'").unwrap();
        assert_eq!(q.conditions.len(), 2);
        assert_eq!(q.equals("wasm", "action").as_deref(), Some("lease"));
        let q = Query::parse("tx.hash='ABCD'").unwrap();
        assert_eq!(q.equals("tx", "hash").as_deref(), Some("ABCD"));
        let q = Query::parse(" tx.height = 5 AND message.sender EXISTS ").unwrap();
        assert_eq!(q.equals("tx", "height").as_deref(), Some("5"));
        assert_eq!(q.conditions[1].op, Op::Exists);
        let q = Query::parse("tx.height>=3 AND tx.height<7 AND a.b CONTAINS 'x y'").unwrap();
        assert_eq!(q.conditions[0].op, Op::Ge(3.0));
        assert_eq!(q.conditions[1].op, Op::Lt(7.0));
        assert_eq!(q.conditions[2].op, Op::Contains("x y".into()));
    }

    #[test]
    fn refuses_bad_queries() {
        for bad in [
            "",
            "tx",
            "tx.height",
            "tx.height=",
            "a.b='unterminated",
            "a.b='x' OR c.d='y'",
            "a.b='x' ANDc.d='y'",
            "a.b < 'x'",
            "a.b CONTAINS 5",
            "a.b = TIME 2020-01-01T00:00:00Z",
            "a.b = 1..2",
            ".b='x'",
            "a.='x'",
        ] {
            assert!(Query::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn conditions_on_one_type_hold_in_one_event() {
        let first = attrs(&[("_contract_address", "pair1"), ("action", "stake")]);
        let second = attrs(&[("_contract_address", "pair2"), ("action", "lease")]);
        let message = attrs(&[("sender", "alice")]);
        let events = [("wasm", &first), ("wasm", &second), ("message", &message)];
        let view = || {
            events.iter().map(|(ty, a)| EventView {
                ty,
                attributes: a.as_slice(),
            })
        };
        let q = |s: &str| Query::parse(s).unwrap().matches(view());
        assert!(q("wasm._contract_address='pair2' AND wasm.action='lease'"));
        assert!(!q("wasm._contract_address='pair1' AND wasm.action='lease'"));
        assert!(q("wasm.action='stake' AND message.sender='alice'"));
        assert!(q("message.sender EXISTS"));
        assert!(!q("transfer.recipient EXISTS"));
        assert!(q("message.sender CONTAINS 'lic'"));
        let numbers = attrs(&[("epoch", "12")]);
        let events = [("wasm", &numbers)];
        let view = || {
            events.iter().map(|(ty, a)| EventView {
                ty,
                attributes: a.as_slice(),
            })
        };
        for (query, expected) in [
            ("wasm.epoch=12", true),
            ("wasm.epoch>11", true),
            ("wasm.epoch>=13", false),
            ("wasm.epoch<=12", true),
            ("wasm.epoch<12", false),
            ("wasm.epoch='12'", true),
        ] {
            assert_eq!(
                Query::parse(query).unwrap().matches(view()),
                expected,
                "{query}"
            );
        }
    }
}
