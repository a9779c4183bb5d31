//! Lambda event filtering (`FilterCriteria`) for stream records: a record is delivered when
//! any pattern matches it; records no pattern matches are dropped, as Lambda drops them.
//!
//! Supported pattern syntax: nested objects; arrays of alternatives holding exact values
//! (strings, numbers, booleans, null), `prefix`, `suffix`, `equals-ignore-case`,
//! `anything-but` (a value, a list, or a `prefix`), `numeric` comparisons and `exists`.

use serde_json::Value;

/// Whether `record` passes `filters` (no filters: everything passes).
pub fn passes(filters: &[Value], record: &Value) -> bool {
    filters.is_empty() || filters.iter().any(|pattern| matches(pattern, record))
}

/// Whether one pattern matches `event`: every key of the pattern must match.
pub fn matches(pattern: &Value, event: &Value) -> bool {
    let Value::Object(fields) = pattern else {
        return false;
    };
    fields.iter().all(|(key, rule)| {
        let field = event.get(key);
        match rule {
            Value::Object(_) => field.is_some_and(|inner| matches(rule, inner)),
            Value::Array(alternatives) => alternatives.iter().any(|alt| condition(alt, field)),
            _ => false,
        }
    })
}

/// One alternative of a leaf rule against the field (absent, a value, or a list of values).
fn condition(rule: &Value, field: Option<&Value>) -> bool {
    if let Some(Value::Bool(wanted)) = rule.get("exists") {
        let present = field.is_some_and(|v| !v.is_null());
        return present == *wanted;
    }
    match field {
        None => false,
        Some(Value::Array(values)) => values.iter().any(|v| single(rule, v)),
        Some(value) => single(rule, value),
    }
}

/// One alternative against one value.
fn single(rule: &Value, value: &Value) -> bool {
    let Value::Object(operator) = rule else {
        return equal(rule, value);
    };
    let Some((name, argument)) = operator.iter().next() else {
        return false;
    };
    let text = value.as_str();
    match (name.as_str(), argument) {
        ("prefix", Value::String(p)) => text.is_some_and(|t| t.starts_with(p.as_str())),
        ("suffix", Value::String(s)) => text.is_some_and(|t| t.ends_with(s.as_str())),
        ("equals-ignore-case", Value::String(s)) => text.is_some_and(|t| t.eq_ignore_ascii_case(s)),
        ("anything-but", Value::Array(excluded)) => !excluded.iter().any(|e| equal(e, value)),
        ("anything-but", Value::Object(_)) => !single(argument, value),
        ("anything-but", excluded) => !equal(excluded, value),
        ("numeric", Value::Array(comparisons)) => {
            number(value).is_some_and(|n| numeric(comparisons, n))
        }
        _ => false,
    }
}

/// Exact match; numbers compare by value, and a DynamoDB `N` string equals its number.
fn equal(expected: &Value, value: &Value) -> bool {
    match (expected, value) {
        (Value::Number(_), _) => number(expected)
            .zip(number(value))
            .is_some_and(|(a, b)| a == b),
        _ => expected == value,
    }
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// `["<", 10, ">=", 0]`: every comparison must hold.
fn numeric(comparisons: &[Value], n: f64) -> bool {
    comparisons.chunks(2).all(|pair| match pair {
        [Value::String(op), bound] => number(bound).is_some_and(|b| match op.as_str() {
            "<" => n < b,
            "<=" => n <= b,
            "=" => n == b,
            ">" => n > b,
            ">=" => n >= b,
            _ => false,
        }),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn record() -> Value {
        json!({
            "eventName": "MODIFY",
            "dynamodb": {
                "Keys": {"pk": {"S": "BOOK#1"}},
                "NewImage": {"kind": {"S": "book"}, "pages": {"N": "250"}, "tags": {"SS": ["a", "b"]}},
            }
        })
    }

    #[test]
    fn exact_values_and_nesting() {
        assert!(matches(
            &json!({"eventName": ["INSERT", "MODIFY"]}),
            &record()
        ));
        assert!(!matches(&json!({"eventName": ["REMOVE"]}), &record()));
        assert!(matches(
            &json!({"dynamodb": {"NewImage": {"kind": {"S": ["book"]}}}}),
            &record()
        ));
        assert!(matches(
            &json!({"dynamodb": {"NewImage": {"pages": {"N": [250]}}}}),
            &record()
        ));
        assert!(matches(
            &json!({"dynamodb": {"NewImage": {"tags": {"SS": ["b"]}}}}),
            &record()
        ));
        assert!(!matches(
            &json!({"dynamodb": {"OldImage": {"kind": {"S": ["book"]}}}}),
            &record()
        ));
    }

    #[test]
    fn operators() {
        let pk = |rule: Value| json!({"dynamodb": {"Keys": {"pk": {"S": [rule]}}}});
        assert!(matches(&pk(json!({"prefix": "BOOK#"})), &record()));
        assert!(!matches(&pk(json!({"prefix": "IDEMPOTENCY#"})), &record()));
        assert!(matches(&pk(json!({"suffix": "#1"})), &record()));
        assert!(matches(
            &pk(json!({"equals-ignore-case": "book#1"})),
            &record()
        ));
        assert!(matches(&pk(json!({"anything-but": ["X", "Y"]})), &record()));
        assert!(!matches(&pk(json!({"anything-but": "BOOK#1"})), &record()));
        assert!(!matches(
            &pk(json!({"anything-but": {"prefix": "BOOK"}})),
            &record()
        ));
        let pages = |rule: Value| json!({"dynamodb": {"NewImage": {"pages": {"N": [rule]}}}});
        assert!(matches(
            &pages(json!({"numeric": [">", 100, "<=", 250]})),
            &record()
        ));
        assert!(!matches(&pages(json!({"numeric": ["<", 100]})), &record()));
    }

    #[test]
    fn exists_and_any_of_several_filters() {
        let old = json!({"dynamodb": {"OldImage": [{"exists": false}]}});
        let new = json!({"dynamodb": {"NewImage": [{"exists": true}]}});
        assert!(matches(&old, &record()));
        assert!(matches(&new, &record()));
        let remove = json!({"eventName": ["REMOVE"]});
        assert!(passes(&[remove.clone(), new], &record()));
        assert!(!passes(&[remove], &record()));
        assert!(passes(&[], &record()));
    }
}
