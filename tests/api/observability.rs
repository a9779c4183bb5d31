//! What an operator sees: every request through the local runner (what `make dev`
//! serves) writes exactly one JSON line, the access log and the request's metrics in
//! CloudWatch Embedded Metric Format, valid by the specification; and nothing secret
//! (a bearer token, a cursor, the cursor-signing key) ever reaches a log.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use bookshelf_local::serve::{LocalScope, function_environment};
use bookshelf_local::template::Template;
use bookshelf_local::workspace;
use bookshelf_testing::{LocalApi, build_dir, endpoint};
use serde_json::{Value, json};

/// The units the EMF specification allows.
const UNITS: [&str; 27] = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// Checks `record` against the EMF specification (the `_aws` metadata, its metric
/// directives, and the root members they name); panics with what is wrong.
fn assert_valid_emf(record: &Value) {
    let metadata = &record["_aws"];
    assert!(metadata["Timestamp"].is_i64(), "Timestamp: {record}");
    let directives = metadata["CloudWatchMetrics"]
        .as_array()
        .unwrap_or_else(|| panic!("CloudWatchMetrics is an array: {record}"));
    assert!(!directives.is_empty());
    for directive in directives {
        let namespace = directive["Namespace"].as_str().expect("a Namespace");
        assert!((1..=255).contains(&namespace.len()));
        let sets = directive["Dimensions"].as_array().expect("Dimensions");
        for set in sets {
            let set = set.as_array().expect("a dimension set is an array");
            assert!(set.len() <= 30, "at most 30 dimensions");
            for name in set {
                let name = name.as_str().expect("a dimension name");
                assert!(
                    record[name].is_string(),
                    "dimension {name} is a string member of the root: {record}"
                );
            }
        }
        let metrics = directive["Metrics"].as_array().expect("Metrics");
        assert!(metrics.len() <= 100, "at most 100 metrics");
        for metric in metrics {
            let name = metric["Name"].as_str().expect("a metric Name");
            assert!(
                record[name].is_number(),
                "metric {name} is a number member of the root: {record}"
            );
            if let Some(unit) = metric.get("Unit") {
                assert!(UNITS.contains(&unit.as_str().unwrap_or_default()), "{unit}");
            }
        }
    }
}

/// Every EMF line a function wrote, parsed, with the function's name.
fn emf_lines(output: &str) -> Vec<(String, Value)> {
    output
        .lines()
        .filter_map(|line| {
            let (name, rest) = line.strip_prefix('[')?.split_once("] ")?;
            let record: Value = serde_json::from_str(rest).ok()?;
            record.get("_aws")?;
            Some((name.to_owned(), record))
        })
        .collect()
}

/// The cursor-signing key the runner gives the list function, as `serve` computes it.
fn local_cursor_secret() -> String {
    let template = Template::load(&workspace::root().join("template.yaml")).expect("template");
    let function = template
        .functions
        .iter()
        .find(|f| f.logical_id == "ListBooksFunction")
        .expect("ListBooksFunction");
    let scope = LocalScope {
        template: &template,
        table_names: BTreeMap::new(),
        stream_arns: BTreeMap::new(),
    };
    function_environment(function, &scope, &endpoint(), &build_dir())
        .remove("CURSOR_SECRET")
        .expect("the list function signs cursors")
}

#[tokio::test]
async fn every_request_writes_one_valid_emf_access_line_and_no_secret() {
    let api = LocalApi::start().await;
    // A real token (writes need one): the development provider's write token.
    let token = api.write_token().to_owned();
    let bearer = format!("Bearer {token}");
    let mut request_ids = BTreeSet::new();
    let mut remember = |response: &bookshelf_testing::Response| {
        let id = response
            .header("apigw-requestid")
            .expect("a request id")
            .to_owned();
        request_ids.insert(id);
    };
    for title in ["Dune", "Emma"] {
        let created = api
            .send_json(
                "POST",
                "/books",
                &[("authorization", bearer.as_str())],
                &json!({"title": title, "author": "A"}),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text());
        remember(&created);
    }
    let first = api.get("/books?limit=1").await;
    remember(&first);
    let cursor = first.json()["nextCursor"]
        .as_str()
        .expect("a cursor")
        .to_owned();
    let second = api.get(&format!("/books?limit=1&cursor={cursor}")).await;
    assert_eq!(second.status, 200);
    remember(&second);
    let missing = api.get("/books/0192f0c1-7a9e-7b3c-8d4e-5f6a7b8c9d0e").await;
    assert_eq!(missing.status, 404);
    remember(&missing);

    // The runner forwards function output asynchronously: wait for every line.
    let deadline = Instant::now() + Duration::from_secs(10);
    let lines = loop {
        let lines: Vec<(String, Value)> = emf_lines(&api.output())
            .into_iter()
            .filter(|(_, record)| record.get("requestId").is_some())
            .collect();
        if lines.len() >= request_ids.len() || Instant::now() > deadline {
            break lines;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for id in &request_ids {
        let for_request: Vec<&Value> = lines
            .iter()
            .filter(|(_, record)| record["requestId"] == json!(id))
            .map(|(_, record)| record)
            .collect();
        assert_eq!(
            for_request.len(),
            1,
            "one line for request {id}: {lines:#?}"
        );
        let record = for_request[0];
        assert_valid_emf(record);
        for member in [
            "routeKey",
            "status",
            "latencyMs",
            "coldStart",
            "Requests",
            "Latency",
        ] {
            assert!(record.get(member).is_some(), "{member} in {record}");
        }
    }
    let (name, created) = lines
        .iter()
        .find(|(_, record)| record["routeKey"] == "POST /books")
        .expect("the create's line");
    assert_eq!(name, "CreateBookFunction");
    assert_eq!(created["status"], 201);
    assert_eq!(created["BooksCreated"], 1.0);
    assert_eq!(created["Function"], "CreateBookFunction");
    let not_found = lines
        .iter()
        .map(|(_, record)| record)
        .find(|record| record["status"] == 404)
        .expect("the 404's line");
    assert_eq!(not_found["problem"], "book-not-found");
    assert_eq!(not_found["4xx"], 1.0);
    assert!(
        lines.iter().any(|(_, record)| record["coldStart"] == true)
            && lines.iter().any(|(_, record)| record["coldStart"] == false),
        "cold and warm starts are told apart"
    );
    // The runner shows the metrics to a developer too.
    assert!(
        api.output()
            .contains("] metrics CreateBookFunction POST /books: Requests 1")
    );

    let output = api.output();
    let secret = local_cursor_secret();
    for (what, secret) in [
        ("the bearer token", token.as_str()),
        ("the cursor", cursor.as_str()),
        ("the cursor-signing key", secret.as_str()),
    ] {
        assert!(!output.contains(secret), "{what} reached a log:\n{output}");
    }
}
