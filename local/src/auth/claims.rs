//! Claims as an HTTP API hands them to a Lambda integration (payload format 2.0):
//! `requestContext.authorizer.jwt.claims` holds every claim as a string. Numbers and
//! booleans are their JSON text (`"exp": "1716200000"`); arrays are written as Go prints
//! them, bracketed and space-separated (`["a","b"]` → `"[a b]"`); objects as Go prints a
//! map (`map[k:v]`, keys sorted).

use serde_json::{Map, Value};

/// Every claim of `claims`, stringified as API Gateway does.
pub fn stringify_claims(claims: &Map<String, Value>) -> Map<String, Value> {
    claims
        .iter()
        .map(|(name, value)| (name.clone(), Value::String(stringify(value))))
        .collect()
}

/// One claim value as API Gateway writes it.
pub fn stringify(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        Value::Bool(flag) => flag.to_string(),
        Value::Null => "<nil>".to_owned(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(stringify).collect();
            format!("[{}]", items.join(" "))
        }
        Value::Object(members) => {
            let mut pairs: Vec<(&String, &Value)> = members.iter().collect();
            pairs.sort_by(|a, b| a.0.cmp(b.0));
            let pairs: Vec<String> = pairs
                .into_iter()
                .map(|(k, v)| format!("{k}:{}", stringify(v)))
                .collect();
            format!("map[{}]", pairs.join(" "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn non_string_claims_become_strings_as_api_gateway_writes_them() {
        let claims = json!({
            "sub": "alice", "exp": 1_716_200_000, "email_verified": true,
            "groups": ["a", "b"], "address": {"city": "Seattle", "zip": 98101}
        });
        let Value::Object(claims) = claims else {
            unreachable!("an object literal")
        };
        assert_eq!(
            Value::Object(stringify_claims(&claims)),
            json!({
                "sub": "alice", "exp": "1716200000", "email_verified": "true",
                "groups": "[a b]", "address": "map[city:Seattle zip:98101]"
            })
        );
    }
}
