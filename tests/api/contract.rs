//! The contract file and the deployment agree: every HTTP route template.yaml
//! declares is described in openapi.yaml, and the spec describes no route the
//! template does not serve.

use bookshelf_local::template::Template;
use bookshelf_local::workspace;
use std::collections::BTreeSet;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn template_routes() -> BTreeSet<String> {
    let template =
        Template::load(&workspace::root().join("template.yaml")).expect("template.yaml loads");
    template
        .functions
        .iter()
        .flat_map(|function| &function.http_events)
        .map(|event| {
            let method = event
                .method
                .as_deref()
                .unwrap_or("ANY")
                .to_ascii_uppercase();
            let path = event.path.as_deref().unwrap_or("$default");
            format!("{method} {path}")
        })
        .collect()
}

fn spec_routes() -> BTreeSet<String> {
    let text = std::fs::read_to_string(workspace::root().join("openapi.yaml"))
        .expect("openapi.yaml is readable");
    let spec: serde_norway::Value = serde_norway::from_str(&text).expect("openapi.yaml is YAML");
    assert_eq!(spec["openapi"].as_str(), Some("3.1.0"));
    let paths = spec["paths"].as_mapping().expect("the spec has paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            let path = path.as_str().expect("paths are strings").to_owned();
            let item = item.as_mapping().expect("a path item is a mapping");
            item.keys()
                .filter_map(|key| key.as_str())
                .filter(|key| METHODS.contains(key))
                .map(move |method| format!("{} {path}", method.to_ascii_uppercase()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// `(method, path)` of a route key.
fn split(route: &str) -> (&str, &str) {
    route.split_once(' ').unwrap_or((route, ""))
}

#[test]
fn every_template_route_is_in_the_spec_and_no_other() {
    let all = template_routes();
    // The ANY routes only answer 405 for undeclared methods: not operations.
    let template: BTreeSet<String> = all
        .iter()
        .filter(|route| split(route).0 != "ANY")
        .cloned()
        .collect();
    let spec = spec_routes();
    assert!(!template.is_empty());
    let undocumented: Vec<_> = template.difference(&spec).collect();
    let unserved: Vec<_> = spec.difference(&template).collect();
    assert!(
        undocumented.is_empty() && unserved.is_empty(),
        "template.yaml routes missing from openapi.yaml: {undocumented:?}\nopenapi.yaml routes template.yaml does not serve: {unserved:?}"
    );
}

#[test]
fn every_operation_documents_its_error_answers() {
    let text = std::fs::read_to_string(workspace::root().join("openapi.yaml"))
        .expect("openapi.yaml is readable");
    let spec: serde_norway::Value = serde_norway::from_str(&text).expect("openapi.yaml is YAML");
    for (path, item) in spec["paths"].as_mapping().expect("paths") {
        for (method, operation) in item.as_mapping().expect("path item") {
            let Some(method) = method.as_str().filter(|method| METHODS.contains(method)) else {
                continue;
            };
            let responses = operation["responses"].as_mapping().expect("responses");
            assert!(
                !responses.is_empty(),
                "{method} {path:?} documents no response"
            );
            let path = path.as_str().expect("a path");
            let documented: BTreeSet<String> = responses
                .keys()
                .filter_map(|status| status.as_str().map(str::to_owned))
                .collect();
            // What the code answers, whatever the route: the statuses a client
            // must be told about.
            let mut answered: BTreeSet<&str> = BTreeSet::new();
            if operation.get("security").is_some() {
                answered.extend(["401", "403"]);
            }
            if path.contains("{id}") {
                answered.insert("404");
            }
            // API Gateway's own 400, for a `%` in the path that starts no escape
            // once decoded, is an answer of every path with a parameter.
            if path.contains('{') {
                answered.insert("400");
            }
            if matches!(method, "put" | "patch" | "delete") {
                answered.insert("412");
            }
            if !matches!(path, "/" | "/assets/{file}") {
                answered.insert("503");
            }
            if operation.get("requestBody").is_some() {
                answered.extend(["400", "413", "415"]);
            }
            let missing: Vec<&&str> = answered
                .iter()
                .filter(|status| !documented.contains(**status))
                .collect();
            assert!(
                missing.is_empty(),
                "{method} {path} does not document {missing:?}"
            );
            assert!(
                operation["operationId"].as_str().is_some(),
                "{method} {path:?} has no operationId"
            );
        }
    }
}

#[test]
fn every_path_answers_405_for_other_methods_with_the_right_allow() {
    let all = template_routes();
    let catch_all: BTreeSet<&str> = all
        .iter()
        .map(|r| split(r))
        .filter(|(m, _)| *m == "ANY")
        .map(|(_, p)| p)
        .collect();
    let served: BTreeSet<&str> = all
        .iter()
        .map(|r| split(r))
        .filter(|(m, _)| *m != "ANY")
        .map(|(_, p)| p)
        .collect();
    assert_eq!(
        catch_all, served,
        "each served path needs an ANY route to the method-not-allowed function"
    );
    let table: BTreeSet<String> = bookshelf::http::ROUTES
        .iter()
        .flat_map(|(path, methods)| methods.iter().map(move |method| format!("{method} {path}")))
        .collect();
    let declared: BTreeSet<String> = all
        .iter()
        .filter(|r| split(r).0 != "ANY")
        .cloned()
        .collect();
    assert_eq!(
        table, declared,
        "bookshelf::http::ROUTES must list exactly the template's routes"
    );
}
