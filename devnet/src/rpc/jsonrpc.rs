//! JSON-RPC 2.0 as CometBFT speaks it: requests (single or batched, with named or positional
//! params), URI-style GET parameters, and its typed errors (`code`, `message`, `data`).

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

/// A JSON-RPC error with CometBFT's codes and messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcError {
    pub code: i64,
    pub message: &'static str,
    pub data: String,
}

impl RpcError {
    /// The body is not JSON (or not a request object or array).
    pub fn parse(data: impl Into<String>) -> Self {
        Self {
            code: -32700,
            message: "Parse error. Invalid JSON",
            data: data.into(),
        }
    }

    pub fn invalid_request(data: impl Into<String>) -> Self {
        Self {
            code: -32600,
            message: "Invalid Request",
            data: data.into(),
        }
    }

    pub fn method_not_found() -> Self {
        Self {
            code: -32601,
            message: "Method not found",
            data: String::new(),
        }
    }

    /// A parameter of the wrong type or encoding.
    pub fn invalid_params(data: impl std::fmt::Display) -> Self {
        Self {
            code: -32602,
            message: "Invalid params",
            data: format!("error converting json params to arguments: {data}"),
        }
    }

    /// What a method refused (CometBFT answers every error a method returns this way).
    pub fn internal(data: impl Into<String>) -> Self {
        Self {
            code: -32603,
            message: "Internal error",
            data: data.into(),
        }
    }

    pub fn to_json(&self) -> Value {
        let mut error = json!({ "code": self.code, "message": self.message });
        if !self.data.is_empty() {
            error["data"] = Value::String(self.data.clone());
        }
        error
    }
}

/// A response object; `id` is left out when there is none (a parse error), as CometBFT does.
pub fn response(id: Option<&Value>, result: Result<Value, RpcError>) -> Value {
    let mut out = Map::new();
    out.insert("jsonrpc".into(), "2.0".into());
    if let Some(id) = id {
        out.insert("id".into(), id.clone());
    }
    match result {
        Ok(value) => out.insert("result".into(), value),
        Err(e) => out.insert("error".into(), e.to_json()),
    };
    Value::Object(out)
}

/// One parsed request: `id` is `None` for a notification (no answer is sent).
pub struct Request {
    pub id: Option<Value>,
    pub method: String,
    pub params: Value,
}

/// Validates one request object (an integer or string id, a string method).
pub fn request(value: Value) -> Result<Request, (Option<Value>, RpcError)> {
    let Value::Object(mut object) = value else {
        return Err((
            None,
            RpcError::invalid_request("a request must be a JSON object"),
        ));
    };
    let id = match object.remove("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(Value::String(s)),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Some(Value::Number(n)),
        Some(other) => {
            return Err((
                None,
                RpcError::invalid_request(format!("json-rpc ID ({other}) is of unknown type")),
            ));
        }
    };
    if let Some(version) = object.get("jsonrpc")
        && version != "2.0"
    {
        return Err((
            id,
            RpcError::invalid_request(format!("jsonrpc must be \"2.0\", got {version}")),
        ));
    }
    let method = match object.remove("method") {
        Some(Value::String(method)) => method,
        _ => {
            return Err((id, RpcError::invalid_request("method must be a string")));
        }
    };
    let params = object.remove("params").unwrap_or(Value::Null);
    Ok(Request { id, method, params })
}

/// A method's parameters, from a JSON-RPC body or a URI's query string.
pub enum Params {
    Json(Map<String, Value>),
    /// `?height=5&hash=0xAB&query="tx.height=5"`: strings quoted, bytes as `0x` hex.
    Uri(HashMap<String, String>),
}

impl Params {
    /// Named params as they are; positional ones matched to `names` (all of them, in order).
    pub fn from_json(params: Value, names: &[&str]) -> Result<Self, RpcError> {
        match params {
            Value::Null => Ok(Self::Json(Map::new())),
            Value::Object(map) => Ok(Self::Json(map)),
            Value::Array(values) => {
                if values.len() != names.len() {
                    return Err(RpcError::invalid_params(format!(
                        "expected {} parameters ({names:?}), got {}",
                        names.len(),
                        values.len()
                    )));
                }
                Ok(Self::Json(
                    names.iter().map(|n| n.to_string()).zip(values).collect(),
                ))
            }
            other => Err(RpcError::invalid_params(format!(
                "unknown type for JSON params: {other}. Expected map or array"
            ))),
        }
    }

    pub fn from_query(query: &str) -> Self {
        Self::Uri(
            form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    fn json(&self, name: &str) -> Option<&Value> {
        match self {
            Self::Json(map) => map.get(name).filter(|v| !v.is_null()),
            Self::Uri(_) => None,
        }
    }

    fn uri(&self, name: &str) -> Option<&str> {
        match self {
            Self::Uri(map) => map.get(name).map(String::as_str).filter(|v| !v.is_empty()),
            Self::Json(_) => None,
        }
    }

    /// An integer: a JSON number or a decimal string (CometBFT writes int64s as strings).
    pub fn int(&self, name: &str) -> Result<Option<i64>, RpcError> {
        let bad = || RpcError::invalid_params(format!("{name} must be an integer"));
        if let Some(value) = self.json(name) {
            return match value {
                Value::Number(n) => n.as_i64().map(Some).ok_or_else(bad),
                Value::String(s) => s.trim().parse().map(Some).map_err(|_| bad()),
                _ => Err(bad()),
            };
        }
        match self.uri(name) {
            Some(raw) => unquote(raw).trim().parse().map(Some).map_err(|_| bad()),
            None => Ok(None),
        }
    }

    pub fn bool(&self, name: &str) -> Result<Option<bool>, RpcError> {
        let bad = || RpcError::invalid_params(format!("{name} must be true or false"));
        if let Some(value) = self.json(name) {
            return value.as_bool().map(Some).ok_or_else(bad);
        }
        match self.uri(name) {
            Some(raw) => match unquote(raw) {
                "true" => Ok(Some(true)),
                "false" => Ok(Some(false)),
                _ => Err(bad()),
            },
            None => Ok(None),
        }
    }

    pub fn string(&self, name: &str) -> Result<Option<String>, RpcError> {
        if let Some(value) = self.json(name) {
            return value
                .as_str()
                .map(|s| Some(s.to_string()))
                .ok_or_else(|| RpcError::invalid_params(format!("{name} must be a string")));
        }
        Ok(self.uri(name).map(|raw| unquote(raw).to_string()))
    }

    /// Go's `[]byte`: base64 in JSON; in a URI `0x` hex or a quoted string's own bytes.
    pub fn base64_bytes(&self, name: &str) -> Result<Option<Vec<u8>>, RpcError> {
        if let Some(value) = self.json(name) {
            let text = value
                .as_str()
                .ok_or_else(|| RpcError::invalid_params(format!("{name} must be a string")))?;
            return STANDARD
                .decode(text.trim())
                .map(Some)
                .map_err(|e| RpcError::invalid_params(format!("{name} is not base64: {e}")));
        }
        self.uri(name).map(|raw| uri_bytes(name, raw)).transpose()
    }

    /// CometBFT's `HexBytes`: hex in JSON; in a URI `0x` hex or a quoted string's own bytes.
    pub fn hex_bytes(&self, name: &str) -> Result<Option<Vec<u8>>, RpcError> {
        if let Some(value) = self.json(name) {
            let text = value
                .as_str()
                .ok_or_else(|| RpcError::invalid_params(format!("{name} must be a string")))?;
            return hex::decode(text.trim())
                .map(Some)
                .map_err(|e| RpcError::invalid_params(format!("{name} is not hex: {e}")));
        }
        self.uri(name).map(|raw| uri_bytes(name, raw)).transpose()
    }
}

fn unquote(raw: &str) -> &str {
    raw.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(raw)
}

fn uri_bytes(name: &str, raw: &str) -> Result<Vec<u8>, RpcError> {
    if let Some(hex) = raw.strip_prefix("0x").or_else(|| raw.strip_prefix("0X")) {
        return hex::decode(hex)
            .map_err(|e| RpcError::invalid_params(format!("{name} is not hex: {e}")));
    }
    if raw.len() >= 2 && raw.starts_with('"') && raw.ends_with('"') {
        return Ok(unquote(raw).as_bytes().to_vec());
    }
    Err(RpcError::invalid_params(format!(
        "{name} must be 0x-prefixed hex or a quoted string"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_checked() {
        let ok = request(json!({"jsonrpc": "2.0", "id": 7, "method": "status"})).unwrap();
        assert_eq!(ok.id, Some(json!(7)));
        assert_eq!(ok.method, "status");
        assert!(
            request(json!({"jsonrpc": "2.0", "method": "status"}))
                .unwrap()
                .id
                .is_none()
        );
        for bad in [
            json!([1]),
            json!("status"),
            json!({"id": 1.5, "method": "status"}),
            json!({"id": 1, "method": 5}),
            json!({"id": 1, "jsonrpc": "1.0", "method": "status"}),
        ] {
            let (_, e) = request(bad).err().expect("refused");
            assert_eq!(e.code, -32600);
        }
    }

    #[test]
    fn params_decode_both_forms() {
        let p = Params::from_json(
            json!({"height": "5", "data": "0a0b", "tx": "AQI=", "prove": false}),
            &[],
        )
        .unwrap();
        assert_eq!(p.int("height").unwrap(), Some(5));
        assert_eq!(p.hex_bytes("data").unwrap(), Some(vec![10, 11]));
        assert_eq!(p.base64_bytes("tx").unwrap(), Some(vec![1, 2]));
        assert_eq!(p.bool("prove").unwrap(), Some(false));
        assert_eq!(p.int("missing").unwrap(), None);
        let p = Params::from_json(
            json!(["/a/B", "", null, false]),
            &["path", "data", "height", "prove"],
        )
        .unwrap();
        assert_eq!(p.string("path").unwrap().as_deref(), Some("/a/B"));
        assert!(Params::from_json(json!([1]), &["a", "b"]).is_err());
        assert!(Params::from_json(json!(5), &["a"]).is_err());
        let q = Params::from_query("height=7&hash=0xABCD&query=%22tx.height%3D5%22&prove=true");
        assert_eq!(q.int("height").unwrap(), Some(7));
        assert_eq!(q.base64_bytes("hash").unwrap(), Some(vec![0xab, 0xcd]));
        assert_eq!(q.string("query").unwrap().as_deref(), Some("tx.height=5"));
        assert_eq!(q.bool("prove").unwrap(), Some(true));
        let bad = Params::from_json(
            json!({"height": "x", "tx": "!!", "data": "zz", "prove": 1}),
            &[],
        )
        .unwrap();
        assert_eq!(bad.int("height").unwrap_err().code, -32602);
        assert_eq!(bad.base64_bytes("tx").unwrap_err().code, -32602);
        assert_eq!(bad.hex_bytes("data").unwrap_err().code, -32602);
        assert_eq!(bad.bool("prove").unwrap_err().code, -32602);
    }
}
