//! DynamoDB update and condition expressions with their placeholders.
//!
//! DynamoDB takes an expression as text plus two maps: `#name` → attribute name
//! and `:value` → value. [`Expression`] writes all three together, so a clause
//! never names a placeholder that is missing from its map (or leaves one unused,
//! which DynamoDB refuses), and every write builds its condition the same way.

use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

/// An update expression (`SET …`, `REMOVE …`) and a condition (clauses joined
/// by `AND`), under construction.
#[derive(Debug, Default, Clone)]
pub struct Expression {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
    sets: Vec<String>,
    removes: Vec<String>,
    conditions: Vec<String>,
}

impl Expression {
    /// An empty expression.
    pub fn new() -> Self {
        Self::default()
    }

    /// `attribute = value`.
    pub fn set(&mut self, attribute: &str, value: AttributeValue) -> &mut Self {
        let name = self.name(attribute);
        let value = self.value(value);
        self.sets.push(format!("{name} = {value}"));
        self
    }

    /// `attribute = attribute + by` (the attribute must exist and be a number).
    pub fn increment(&mut self, attribute: &str, by: u64) -> &mut Self {
        let name = self.name(attribute);
        let value = self.value(AttributeValue::N(by.to_string()));
        self.sets.push(format!("{name} = {name} + {value}"));
        self
    }

    /// `REMOVE attribute`.
    pub fn remove(&mut self, attribute: &str) -> &mut Self {
        let name = self.name(attribute);
        self.removes.push(name);
        self
    }

    /// Condition: the item exists (it has `attribute`, a key attribute).
    pub fn require_exists(&mut self, attribute: &str) -> &mut Self {
        let name = self.name(attribute);
        self.conditions.push(format!("attribute_exists({name})"));
        self
    }

    /// Condition: the item does not exist (it has no `attribute`, a key attribute).
    pub fn require_absent(&mut self, attribute: &str) -> &mut Self {
        let name = self.name(attribute);
        self.conditions
            .push(format!("attribute_not_exists({name})"));
        self
    }

    /// Condition: `attribute` is one of `candidates` (`IN` takes at most 100).
    pub fn require_one_of(
        &mut self,
        attribute: &str,
        candidates: impl IntoIterator<Item = AttributeValue>,
    ) -> &mut Self {
        let name = self.name(attribute);
        let placeholders: Vec<String> = candidates
            .into_iter()
            .map(|candidate| self.value(candidate))
            .collect();
        self.conditions
            .push(format!("{name} IN ({})", placeholders.join(", ")));
        self
    }

    /// Condition: `attribute` is none of `excluded` (nothing is added for an
    /// empty list; `IN` takes at most 100).
    pub fn require_none_of(
        &mut self,
        attribute: &str,
        excluded: impl IntoIterator<Item = AttributeValue>,
    ) -> &mut Self {
        let placeholders: Vec<String> = excluded
            .into_iter()
            .map(|value| self.value(value))
            .collect();
        if !placeholders.is_empty() {
            let name = self.name(attribute);
            self.conditions
                .push(format!("NOT ({name} IN ({}))", placeholders.join(", ")));
        }
        self
    }

    /// Condition: at least one of `targets` would change: an attribute to be
    /// set (`Some`) is absent or differs, or one to be removed (`None`) exists.
    /// Nothing is added for no targets.
    pub fn require_any_change(
        &mut self,
        targets: impl IntoIterator<Item = (&'static str, Option<AttributeValue>)>,
    ) -> &mut Self {
        let mut alternatives = Vec::new();
        for (attribute, target) in targets {
            let name = self.name(attribute);
            match target {
                Some(value) => {
                    let value = self.value(value);
                    alternatives.push(format!("attribute_not_exists({name}) OR {name} <> {value}"));
                }
                None => alternatives.push(format!("attribute_exists({name})")),
            }
        }
        if !alternatives.is_empty() {
            self.conditions
                .push(format!("({})", alternatives.join(" OR ")));
        }
        self
    }

    /// Condition: `attribute` equals `value`.
    pub fn require_equal(&mut self, attribute: &str, value: AttributeValue) -> &mut Self {
        let name = self.name(attribute);
        let value = self.value(value);
        self.conditions.push(format!("{name} = {value}"));
        self
    }

    /// Condition: `attribute` is absent or differs from `value`.
    pub fn require_absent_or_not(&mut self, attribute: &str, value: AttributeValue) -> &mut Self {
        let name = self.name(attribute);
        let value = self.value(value);
        self.conditions.push(format!(
            "(attribute_not_exists({name}) OR {name} <> {value})"
        ));
        self
    }

    /// The update expression, if anything is set or removed.
    pub fn update_expression(&self) -> Option<String> {
        let mut clauses = Vec::new();
        if !self.sets.is_empty() {
            clauses.push(format!("SET {}", self.sets.join(", ")));
        }
        if !self.removes.is_empty() {
            clauses.push(format!("REMOVE {}", self.removes.join(", ")));
        }
        (!clauses.is_empty()).then(|| clauses.join(" "))
    }

    /// The condition expression, if any clause was added.
    pub fn condition_expression(&self) -> Option<String> {
        (!self.conditions.is_empty()).then(|| self.conditions.join(" AND "))
    }

    /// The `#name` placeholders, or `None` when there are none (DynamoDB
    /// refuses an empty map).
    pub fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    /// The `:value` placeholders, or `None` when there are none.
    pub fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }

    /// `#attribute`, registered once however often it is used.
    fn name(&mut self, attribute: &str) -> String {
        let placeholder = format!("#{attribute}");
        self.names
            .entry(placeholder.clone())
            .or_insert_with(|| attribute.to_owned());
        placeholder
    }

    /// A fresh `:vN` placeholder for `value`.
    fn value(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> AttributeValue {
        AttributeValue::S(text.to_owned())
    }

    #[test]
    fn an_update_with_a_versioned_condition() {
        let mut expression = Expression::new();
        expression
            .increment("version", 1)
            .set("title", s("Dune"))
            .remove("genre")
            .require_exists("pk")
            .require_one_of("version", [AttributeValue::N("3".into())])
            .require_absent_or_not("writeId", s("w"));
        assert_eq!(
            expression.update_expression().unwrap(),
            "SET #version = #version + :v0, #title = :v1 REMOVE #genre"
        );
        assert_eq!(
            expression.condition_expression().unwrap(),
            "attribute_exists(#pk) AND #version IN (:v2) AND \
             (attribute_not_exists(#writeId) OR #writeId <> :v3)"
        );
        let names = expression.names().unwrap();
        assert_eq!(names.len(), 5);
        assert_eq!(names["#writeId"], "writeId");
        let values = expression.values().unwrap();
        assert_eq!(values.len(), 4);
        assert_eq!(values[":v1"], s("Dune"));
    }

    #[test]
    fn every_placeholder_used_is_defined_and_every_one_defined_is_used() {
        let mut expression = Expression::new();
        expression
            .set("a", s("1"))
            .set("b", s("2"))
            .require_one_of("a", [s("x"), s("y"), s("z")]);
        let text = format!(
            "{} {}",
            expression.update_expression().unwrap(),
            expression.condition_expression().unwrap()
        );
        for placeholder in expression.names().unwrap().keys() {
            assert!(text.contains(placeholder.as_str()), "{placeholder}");
        }
        for placeholder in expression.values().unwrap().keys() {
            assert!(text.contains(placeholder.as_str()), "{placeholder}");
        }
        assert!(text.contains(":v4"));
    }

    #[test]
    fn exclusions_and_changes_are_grouped_and_empty_ones_add_nothing() {
        let mut expression = Expression::new();
        expression
            .require_none_of("version", [AttributeValue::N("2".into())])
            .require_none_of("version", [])
            .require_any_change([("title", Some(s("Dune"))), ("genre", None)])
            .require_any_change([]);
        assert_eq!(
            expression.condition_expression().unwrap(),
            "NOT (#version IN (:v0)) AND (attribute_not_exists(#title) OR #title <> :v1 \
             OR attribute_exists(#genre))"
        );
    }

    #[test]
    fn an_empty_expression_sends_nothing() {
        let expression = Expression::new();
        assert_eq!(expression.update_expression(), None);
        assert_eq!(expression.condition_expression(), None);
        assert_eq!(expression.names(), None);
        assert_eq!(expression.values(), None);
    }
}
