//! `serve --watch` end to end: a function's source is edited while requests keep coming;
//! the runner rebuilds, the route answers what the new source says, and no request fails
//! meanwhile. A build error is shown and the previous build keeps serving; a template
//! change (a new route) is served too.
//!
//! The watched function is a tiny crate of its own in a temporary workspace, with no
//! dependencies (it speaks the Lambda Runtime API over `std::net`), so that each rebuild
//! takes about a second instead of relinking the AWS SDK.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bookshelf_testing::{LocalApi, LocalApiOptions};

/// The function: answers every invocation with `text/plain` `ANSWER`.
const FUNCTION_SOURCE: &str = r##"
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

const ANSWER: &str = "ANSWER";

fn main() {
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API").expect("AWS_LAMBDA_RUNTIME_API");
    loop {
        let headers = call(&api, "GET", "/2018-06-01/runtime/invocation/next", "");
        let id = headers
            .iter()
            .find(|(name, _)| name == "lambda-runtime-aws-request-id")
            .map(|(_, value)| value.clone())
            .expect("a request id");
        let body = format!(
            r#"{{"statusCode":200,"headers":{{"content-type":"text/plain"}},"body":"{ANSWER}"}}"#
        );
        call(&api, "POST", &format!("/2018-06-01/runtime/invocation/{id}/response"), &body);
    }
}

/// One request on a connection of its own; the response's headers, lower-cased.
fn call(api: &str, method: &str, path: &str, body: &str) -> Vec<(String, String)> {
    let mut stream = TcpStream::connect(api).expect("the Runtime API");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nhost: {api}\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("request sent");
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).expect("status line");
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).expect("header line");
        let Some((name, value)) = line.trim_end().split_once(':') else {
            break;
        };
        headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
    }
    let mut rest = Vec::new();
    let _ = reader.read_to_end(&mut rest);
    headers
}
"##;

/// A workspace with one function crate, `hello`, and a template routing `GET /hello` to it
/// (plus `routes`, more `Path`s of the same function).
fn workspace(dir: &Path, answer: &str, routes: &[&str]) {
    std::fs::create_dir_all(dir.join("hello/src")).expect("folders");
    std::fs::write(
        dir.join("Cargo.toml"),
        "[workspace]\nmembers = [\"hello\"]\nresolver = \"2\"\n",
    )
    .expect("workspace manifest");
    std::fs::write(
        dir.join("hello/Cargo.toml"),
        "[package]\nname = \"hello\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
    )
    .expect("package manifest");
    edit(dir, answer);
    let events: String = std::iter::once("/hello")
        .chain(routes.iter().copied())
        .enumerate()
        .map(|(n, path)| {
            format!(
                "        Route{n}:\n          Type: HttpApi\n          Properties: {{ Path: {path}, Method: GET }}\n"
            )
        })
        .collect();
    std::fs::write(
        dir.join("template.yaml"),
        format!(
            "Resources:\n  HelloFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: hello\n      Events:\n{events}"
        ),
    )
    .expect("template");
}

/// Writes the function's source with `answer` (or, with a `"`, a source that fails to build).
fn edit(dir: &Path, answer: &str) {
    std::fs::write(
        dir.join("hello/src/main.rs"),
        FUNCTION_SOURCE.replace("\"ANSWER\"", &format!("\"{answer}\"")),
    )
    .expect("source written");
}

/// Waits until `path` answers 200 with `body`, or fails after a minute.
async fn until_answers(api: &LocalApi, path: &str, body: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let response = api.get(path).await;
        if response.status == 200 && response.text() == body {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{path} still answers {} {}\n{}",
            response.status,
            response.text(),
            api.output()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_handler_is_rebuilt_and_served_without_failing_a_request() {
    let dir: PathBuf =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("watch-{}", uuid::Uuid::new_v4()));
    workspace(&dir, "one", &[]);
    let target = dir.join("target");
    let api = Arc::new(
        LocalApi::start_with(LocalApiOptions {
            template: dir.join("template.yaml"),
            bin_dir: target.join("debug"),
            environment: vec![("CARGO_TARGET_DIR".into(), target.display().to_string())],
            serve_args: vec!["--watch".into()],
            build: true,
            ..LocalApiOptions::default()
        })
        .await,
    );
    until_answers(&api, "/hello", "one").await;

    // Requests keep coming through every change below; none may fail.
    let stop = Arc::new(AtomicBool::new(false));
    let load = {
        let (api, stop) = (api.clone(), stop.clone());
        tokio::spawn(async move {
            let mut answers = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let response = api.get("/hello").await;
                answers.push((response.status, response.text()));
            }
            answers
        })
    };

    edit(&dir, "two");
    until_answers(&api, "/hello", "two").await;

    edit(&dir, "broken\"");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !api.output().contains("the previous build keeps serving") {
        assert!(
            Instant::now() < deadline,
            "no build error shown:\n{}",
            api.output()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(api.output().contains("error"), "cargo's error is shown");
    until_answers(&api, "/hello", "two").await;

    // The template changes too: a new route to the same function.
    assert_eq!(api.get("/hi").await.status, 404);
    workspace(&dir, "three", &["/hi"]);
    until_answers(&api, "/hi", "three").await;
    until_answers(&api, "/hello", "three").await;

    stop.store(true, Ordering::Relaxed);
    let answers = load.await.expect("the load task");
    let failed: Vec<_> = answers
        .iter()
        .filter(|(status, _)| *status != 200)
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} requests failed during the rebuilds: {failed:?}",
        failed.len(),
        answers.len()
    );
    let versions: std::collections::BTreeSet<&str> =
        answers.iter().map(|(_, body)| body.as_str()).collect();
    assert!(versions.contains("two"), "{versions:?}");
    println!(
        "{} requests during three rebuilds, none failed: {versions:?}",
        answers.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
