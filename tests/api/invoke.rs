//! `bookshelf-local invoke`: every sample event in `events/` runs through its function, as
//! `sam local invoke -e` would run it, without Docker, against DynamoDB Local.

use std::process::Command;

use bookshelf_local::template::Template;
use bookshelf_local::workspace;
use bookshelf_testing::{build_dir, endpoint};
use serde_json::Value;

#[test]
fn every_sample_event_is_answered_by_its_function() {
    let root = workspace::root();
    let template = Template::load(&root.join("template.yaml")).expect("template");
    let suffix = format!("-invoke-{}", uuid::Uuid::new_v4());
    let mut invoked = 0;
    for function in &template.functions {
        let event = root
            .join("events")
            .join(format!("{}.json", function.package));
        assert!(
            event.is_file(),
            "{} has no sample event",
            function.logical_id
        );
        let output = Command::new(build_dir().join("bookshelf-local"))
            .current_dir(&root)
            .arg("invoke")
            .arg(&function.logical_id)
            .arg("--event")
            .arg(&event)
            .args([
                "--dynamodb-endpoint",
                &endpoint(),
                "--table-suffix",
                &suffix,
            ])
            .arg("--bin-dir")
            .arg(build_dir())
            .output()
            .expect("the runner runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "{}: {}\n{stdout}\n{stderr}",
            function.logical_id,
            output.status
        );
        // The response is printed as JSON; the function's own lines come prefixed with
        // `[LogicalId] `, before or after it.
        let printed: String = stdout
            .lines()
            .filter(|line| !line.starts_with('['))
            .collect::<Vec<_>>()
            .join("\n");
        let response: Value = serde_json::from_str(&printed)
            .unwrap_or_else(|e| panic!("{}: not JSON ({e}):\n{stdout}", function.logical_id));
        if function.http_events.is_empty() {
            assert_eq!(
                response["batchItemFailures"],
                serde_json::json!([]),
                "{response}"
            );
        } else {
            let status = response["statusCode"].as_u64().expect("a statusCode");
            assert!(
                (200..500).contains(&status),
                "{}: {status} {response}",
                function.logical_id
            );
        }
        invoked += 1;
    }
    assert_eq!(invoked, template.functions.len());
    assert!(invoked >= 15, "every function of the template: {invoked}");
}
