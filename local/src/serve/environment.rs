//! What a function process sees: the template's variables resolved locally (tables to their
//! physical names, unresolvable values to stable placeholders) under the variables Lambda
//! itself sets.

use std::collections::BTreeMap;
use std::path::Path;

use crate::client::{LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY, LOCAL_SESSION_TOKEN};
use crate::template::{
    Function, LOCAL_ACCOUNT_ID, LOCAL_REGION, Scope, Template, pseudo_parameter,
};

/// Host variables passed through to functions: for local debugging, and the trust store
/// (so functions trust what the runner trusts, such as a local TLS terminator's CA).
const PASSED_THROUGH: &[&str] = &[
    "RUST_BACKTRACE",
    "RUST_LOG",
    "RUST_LIB_BACKTRACE",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
];

/// What template references stand for in this local run.
#[derive(Debug, Clone)]
pub struct LocalScope<'a> {
    /// The template.
    pub template: &'a Template,
    /// Physical table names by logical id.
    pub table_names: BTreeMap<String, String>,
    /// Latest stream ARNs by table logical id.
    pub stream_arns: BTreeMap<String, String>,
}

impl Scope for LocalScope<'_> {
    fn reference(&self, logical_id: &str) -> Option<String> {
        if let Some(name) = self.table_names.get(logical_id) {
            return Some(name.clone());
        }
        if self
            .template
            .functions
            .iter()
            .any(|f| f.logical_id == logical_id)
        {
            return Some(logical_id.to_owned());
        }
        pseudo_parameter(logical_id)
            .or_else(|| self.template.parameters.get(logical_id).cloned().flatten())
    }

    fn attribute(&self, resource: &str, attribute: &str) -> Option<String> {
        if let Some(name) = self.table_names.get(resource) {
            return match attribute {
                "Arn" => Some(format!(
                    "arn:aws:dynamodb:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:table/{name}"
                )),
                "StreamArn" => self.stream_arns.get(resource).cloned(),
                _ => None,
            };
        }
        let is_function = self
            .template
            .functions
            .iter()
            .any(|f| f.logical_id == resource);
        (is_function && attribute == "Arn").then(|| {
            format!("arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:function:{resource}")
        })
    }
}

/// The environment of `function`'s processes, except `AWS_LAMBDA_RUNTIME_API`.
///
/// Values the template cannot give locally (a Secrets Manager dynamic reference, a `!Ref`
/// to a resource that does not exist here) become `local-<LogicalId>`, stable across runs.
pub fn function_environment(
    function: &Function,
    scope: &LocalScope<'_>,
    dynamodb_endpoint: &str,
    binary_dir: &Path,
) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for name in PASSED_THROUGH.iter().copied().chain(["PATH"]) {
        if let Ok(value) = std::env::var(name) {
            env.insert(name.to_owned(), value);
        }
    }
    for (name, expr) in &function.environment {
        let value = expr
            .evaluate(scope)
            .unwrap_or_else(|unresolved| format!("local-{}", unresolved.subject()));
        env.insert(name.clone(), value);
    }
    let task_root = binary_dir.display().to_string();
    let name = function.logical_id.as_str();
    let lambda = [
        ("LANG", "en_US.UTF-8".to_owned()),
        ("TZ", ":UTC".to_owned()),
        ("_HANDLER", "bootstrap".to_owned()),
        ("LAMBDA_TASK_ROOT", task_root.clone()),
        ("LAMBDA_RUNTIME_DIR", task_root),
        ("AWS_LAMBDA_FUNCTION_NAME", name.to_owned()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        (
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            function.memory_mb.to_string(),
        ),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_owned()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "local/[$LATEST]local".to_owned(),
        ),
        (
            "AWS_LAMBDA_LOG_FORMAT",
            if function.json_logs { "JSON" } else { "Text" }.to_owned(),
        ),
        ("AWS_REGION", LOCAL_REGION.to_owned()),
        ("AWS_DEFAULT_REGION", LOCAL_REGION.to_owned()),
        ("AWS_ACCESS_KEY_ID", LOCAL_ACCESS_KEY_ID.to_owned()),
        ("AWS_SECRET_ACCESS_KEY", LOCAL_SECRET_ACCESS_KEY.to_owned()),
        ("AWS_SESSION_TOKEN", LOCAL_SESSION_TOKEN.to_owned()),
        ("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_endpoint.to_owned()),
        (
            "AWS_ENDPOINT_URL_DYNAMODB_STREAMS",
            dynamodb_endpoint.to_owned(),
        ),
    ];
    for (key, value) in lambda {
        env.insert(key.to_owned(), value);
    }
    if let (true, Some(level)) = (function.json_logs, &function.log_level) {
        env.insert("AWS_LAMBDA_LOG_LEVEL".to_owned(), level.clone());
    }
    env
}
