//! What the functions' metrics say, shown to a developer without AWS: a function
//! line in CloudWatch Embedded Metric Format is followed, in the runner's output,
//! by a one-line summary of its metrics.

use serde_json::Value;

/// A short summary of an EMF line (`metrics GET /books: Requests 1, Latency 2.31 ms, …`),
/// or `None` when the line is not EMF.
pub fn summarize(line: &str) -> Option<String> {
    if !line.starts_with('{') || !line.contains("\"_aws\"") {
        return None;
    }
    let record: Value = serde_json::from_str(line).ok()?;
    let directive = record.get("_aws")?.get("CloudWatchMetrics")?.get(0)?;
    let dimensions: Vec<String> = directive
        .get("Dimensions")?
        .get(0)?
        .as_array()?
        .iter()
        .filter_map(|name| record.get(name.as_str()?)?.as_str().map(str::to_owned))
        .collect();
    let metrics: Vec<String> = directive
        .get("Metrics")?
        .as_array()?
        .iter()
        .filter_map(|metric| {
            let name = metric.get("Name")?.as_str()?;
            let value = record.get(name)?.as_f64()?;
            let unit = match metric.get("Unit").and_then(Value::as_str) {
                Some("Milliseconds") => " ms",
                _ => "",
            };
            Some(format!("{name} {value}{unit}"))
        })
        .collect();
    Some(format!(
        "metrics {}: {}",
        dimensions.join(" "),
        metrics.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summarises_an_emf_line_and_ignores_others() {
        let line = r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"Bookshelf","Dimensions":[["Function","Route"]],"Metrics":[{"Name":"Requests","Unit":"Count"},{"Name":"Latency","Unit":"Milliseconds"}]}]},"Function":"GetBookFunction","Route":"GET /books/{id}","Requests":1.0,"Latency":2.5}"#;
        assert_eq!(
            summarize(line).as_deref(),
            Some("metrics GetBookFunction GET /books/{id}: Requests 1, Latency 2.5 ms")
        );
        assert_eq!(summarize("plain text"), None);
        assert_eq!(summarize(r#"{"level":"INFO"}"#), None);
    }
}
