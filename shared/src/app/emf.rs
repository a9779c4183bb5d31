//! CloudWatch Embedded Metric Format (EMF): a log line that CloudWatch Logs
//! turns into metrics, with the request's other fields kept beside them.
//!
//! One [`MetricsRecord`] becomes one JSON object on one line:
//! `{"_aws": {"Timestamp", "CloudWatchMetrics": [{"Namespace", "Dimensions",
//! "Metrics"}]}, <dimension>: "…", <metric>: n, <property>: …}`. Every
//! dimension and metric named in the directive is a member of the root, as
//! the specification requires. Written by hand (about a screen of code over
//! `serde_json`, already linked): an EMF crate would add more to every
//! function's zip than this whole module.

use serde_json::{Map, Value};

/// The namespace of every Bookshelf metric.
pub const NAMESPACE: &str = "Bookshelf";

/// A unit CloudWatch accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A count of things.
    Count,
    /// A duration in milliseconds.
    Milliseconds,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Self::Count => "Count",
            Self::Milliseconds => "Milliseconds",
        }
    }
}

/// One EMF log line under construction.
#[derive(Debug, Clone, Default)]
pub struct MetricsRecord {
    dimensions: Vec<(&'static str, String)>,
    rollups: Vec<Vec<&'static str>>,
    metrics: Vec<(&'static str, Unit, f64)>,
    properties: Map<String, Value>,
}

impl MetricsRecord {
    /// An empty record.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a dimension (all of a record's dimensions form its one dimension set).
    pub fn dimension(&mut self, name: &'static str, value: impl Into<String>) -> &mut Self {
        self.dimensions.push((name, value.into()));
        self
    }

    /// Also aggregates the metrics by `names` alone (a further dimension set,
    /// each name one of the record's dimensions), e.g. per function across
    /// routes, for an alarm that names only the function.
    pub fn rollup(&mut self, names: &[&'static str]) -> &mut Self {
        self.rollups.push(names.to_vec());
        self
    }

    /// Adds a metric value.
    pub fn metric(&mut self, name: &'static str, unit: Unit, value: f64) -> &mut Self {
        self.metrics.push((name, unit, value));
        self
    }

    /// Adds a property: searchable in CloudWatch Logs Insights, not a metric.
    pub fn property(&mut self, name: &str, value: impl Into<Value>) -> &mut Self {
        self.properties.insert(name.to_owned(), value.into());
        self
    }

    /// The record as one JSON line (without the newline), stamped `timestamp_ms`.
    pub fn to_line(&self, timestamp_ms: i64) -> String {
        let mut root = self.properties.clone();
        for (name, value) in &self.dimensions {
            root.insert((*name).to_owned(), Value::from(value.as_str()));
        }
        for (name, _, value) in &self.metrics {
            root.insert((*name).to_owned(), Value::from(*value));
        }
        let all: Vec<&str> = self.dimensions.iter().map(|(name, _)| *name).collect();
        let sets: Vec<Vec<&str>> = std::iter::once(all)
            .chain(self.rollups.iter().cloned())
            .collect();
        let directive = serde_json::json!({
            "Namespace": NAMESPACE,
            "Dimensions": sets,
            "Metrics": self.metrics.iter().map(|(name, unit, _)| {
                serde_json::json!({"Name": name, "Unit": unit.as_str()})
            }).collect::<Vec<_>>(),
        });
        root.insert(
            "_aws".to_owned(),
            serde_json::json!({"Timestamp": timestamp_ms, "CloudWatchMetrics": [directive]}),
        );
        Value::Object(root).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_in_the_directive_is_a_member_of_the_root() {
        let mut record = MetricsRecord::new();
        record
            .dimension("Function", "GetBookFunction")
            .dimension("Route", "GET /books")
            .rollup(&["Function"])
            .metric("Requests", Unit::Count, 1.0)
            .metric("Latency", Unit::Milliseconds, 2.5)
            .property("requestId", "r-1");
        let line = record.to_line(1_700_000_000_000);
        assert!(!line.contains('\n'));
        let value: Value = serde_json::from_str(&line).unwrap();
        let directive = &value["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], NAMESPACE);
        assert_eq!(
            directive["Dimensions"],
            serde_json::json!([["Function", "Route"], ["Function"]])
        );
        assert_eq!(value["Route"], "GET /books");
        assert_eq!(value["Requests"], 1.0);
        assert_eq!(value["Latency"], 2.5);
        assert_eq!(directive["Metrics"][1]["Unit"], "Milliseconds");
        assert_eq!(value["requestId"], "r-1");
        assert_eq!(value["_aws"]["Timestamp"], 1_700_000_000_000_i64);
    }
}
