//! `AWS::Serverless::Function` resources: binary, settings (merged with `Globals`) and events.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_norway::Value;

use super::TemplateError;
use super::expr::{Expr, Scope};

/// Lambda's default timeout when neither the function nor `Globals` sets one.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);
/// Lambda's default memory size in MB.
const DEFAULT_MEMORY_MB: u32 = 128;
/// The HTTP API integration timeout SAM sets when an event gives no `TimeoutInMillis`.
const DEFAULT_INTEGRATION_TIMEOUT: Duration = Duration::from_secs(30);

/// A function of the template, ready to build and run locally.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    /// Logical id, e.g. `GetBookFunction`; also the function name locally.
    pub logical_id: String,
    /// `CodeUri`, relative to the template's folder.
    pub code_uri: PathBuf,
    /// Cargo package at `CodeUri` (what `cargo build -p` takes).
    pub package: String,
    /// Name of the binary the package builds (the Lambda `bootstrap`).
    pub binary: String,
    /// `Timeout`, after which an invocation fails and the process is replaced.
    pub timeout: Duration,
    /// `MemorySize` in MB (reported to the function, not enforced).
    pub memory_mb: u32,
    /// `ReservedConcurrentExecutions`: the most invocations the function runs at once
    /// (locally: the most instances it scales out to); `None` when the template sets none.
    pub reserved_concurrency: Option<usize>,
    /// `Environment.Variables`, `Globals` first, the function's own on top.
    pub environment: BTreeMap<String, Expr>,
    /// Whether `LoggingConfig.LogFormat` is `JSON`.
    pub json_logs: bool,
    /// `LoggingConfig.ApplicationLogLevel` (Lambda passes it on only with JSON logs).
    pub log_level: Option<String>,
    /// The function's `HttpApi` events.
    pub http_events: Vec<HttpEvent>,
    /// The function's `DynamoDB` stream events.
    pub stream_events: Vec<StreamEvent>,
}

/// An `HttpApi` event: the route that invokes the function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpEvent {
    /// Event name in the template.
    pub name: String,
    /// `Method` (`ANY` when absent); `None` with `path` for the `$default` route.
    pub method: Option<String>,
    /// `Path`; `None` (with no method) for the `$default` route.
    pub path: Option<String>,
    /// `TimeoutInMillis`: how long API Gateway waits before answering 503.
    pub integration_timeout: Duration,
    /// `Auth`: the authorizer that checks the route's callers, if any.
    pub auth: Option<RouteAuth>,
}

/// An HttpApi event's `Auth`: which of the API's authorizers checks the route, and the
/// scopes a token needs (any one of them; none = any valid token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteAuth {
    /// `Authorizer`: a name under the HttpApi's `Auth.Authorizers`.
    pub authorizer: String,
    /// `AuthorizationScopes`.
    pub scopes: Vec<String>,
}

/// Where a stream event source mapping starts reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartingPosition {
    /// The oldest record still in the stream.
    TrimHorizon,
    /// Only records written after the mapping starts.
    Latest,
}

/// A `DynamoDB` event: an event source mapping from a table's stream to the function.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamEvent {
    /// Event name in the template.
    pub name: String,
    /// Logical id of the table whose stream feeds the function (`!GetAtt T.StreamArn`).
    pub table: String,
    /// `BatchSize` (default 100).
    pub batch_size: usize,
    /// `StartingPosition`.
    pub starting_position: StartingPosition,
    /// `FilterCriteria.Filters[].Pattern`, parsed; a record passes if any matches.
    pub filters: Vec<serde_json::Value>,
    /// `FunctionResponseTypes` contains `ReportBatchItemFailures`.
    pub report_batch_item_failures: bool,
    /// `MaximumRetryAttempts`; `None` retries until the record expires (Lambda's `-1`).
    pub maximum_retry_attempts: Option<u32>,
    /// `BisectBatchOnFunctionError`.
    pub bisect_batch_on_function_error: bool,
    /// `MaximumBatchingWindowInSeconds`.
    pub maximum_batching_window: Duration,
    /// `Enabled` (default true).
    pub enabled: bool,
    /// `MaximumRecordAgeInSeconds`; `None` keeps retrying until the record expires (`-1`).
    pub maximum_record_age: Option<Duration>,
    /// `DestinationConfig.OnFailure.Destination`, when it is an S3 bucket: where the
    /// invocation records of the batches given up on are written.
    pub on_failure: Option<FailureBucket>,
}

/// An S3 on-failure destination of a stream event: `!GetAtt <Bucket>.Arn` of an
/// `AWS::S3::Bucket` in the template, or a plain `arn:aws:s3:::<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureBucket {
    /// The bucket's logical id (`!GetAtt` form) or its name (plain ARN form): the folder,
    /// under the runner's failures folder, that stands for the bucket locally.
    pub name: String,
}

/// `Properties` of a function or of `Globals.Function`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct FunctionProperties {
    code_uri: Option<Value>,
    timeout: Option<Value>,
    memory_size: Option<Value>,
    reserved_concurrent_executions: Option<Value>,
    environment: Option<EnvironmentBlock>,
    logging_config: Option<LoggingConfig>,
    #[serde(default)]
    events: BTreeMap<String, EventSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct EnvironmentBlock {
    #[serde(default)]
    variables: BTreeMap<String, Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LoggingConfig {
    log_format: Option<Value>,
    application_log_level: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct EventSpec {
    #[serde(rename = "Type")]
    kind: String,
    #[serde(default)]
    properties: Value,
}

/// `Metadata` of a function: only `BuildProperties.Binary` (cargo-lambda's binary choice).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct FunctionMetadata {
    build_properties: Option<BuildProperties>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BuildProperties {
    binary: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HttpApiProperties {
    path: Option<String>,
    method: Option<String>,
    timeout_in_millis: Option<u64>,
    payload_format_version: Option<String>,
    auth: Option<EventAuth>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct EventAuth {
    authorizer: Option<String>,
    #[serde(default)]
    authorization_scopes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DynamoDbProperties {
    stream: Value,
    batch_size: Option<usize>,
    starting_position: Option<String>,
    filter_criteria: Option<FilterCriteria>,
    #[serde(default)]
    function_response_types: Vec<String>,
    maximum_retry_attempts: Option<i64>,
    #[serde(default)]
    bisect_batch_on_function_error: bool,
    maximum_batching_window_in_seconds: Option<u64>,
    enabled: Option<bool>,
    maximum_record_age_in_seconds: Option<i64>,
    destination_config: Option<DestinationConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DestinationConfig {
    on_failure: Option<OnFailure>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct OnFailure {
    destination: Value,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct FilterCriteria {
    #[serde(default)]
    filters: Vec<Filter>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Filter {
    pattern: String,
}

/// The parts of a `Cargo.toml` that name the binary.
#[derive(Debug, Deserialize)]
struct Manifest {
    package: ManifestPackage,
    #[serde(default)]
    bin: Vec<ManifestBinary>,
}

#[derive(Debug, Deserialize)]
struct ManifestPackage {
    name: String,
}

#[derive(Debug, Deserialize)]
struct ManifestBinary {
    name: String,
}

/// Everything needed to turn one function resource into a [`Function`].
pub(super) struct FunctionSource<'a> {
    pub logical_id: &'a str,
    pub properties: FunctionProperties,
    pub metadata: FunctionMetadata,
    pub globals: &'a FunctionProperties,
    pub root: &'a Path,
    pub parameters: &'a dyn Scope,
    /// `Type` of every resource of the template, by logical id.
    pub resource_types: &'a BTreeMap<String, String>,
}

impl FunctionSource<'_> {
    /// Merges `Globals`, reads the package's manifest and parses the events.
    ///
    /// Events of types the runner does not serve are returned as warnings.
    pub(super) fn into_function(self) -> Result<(Function, Vec<String>), TemplateError> {
        let id = self.logical_id;
        let invalid = |message: String| TemplateError::Invalid {
            resource: id.to_owned(),
            message,
        };
        let props = self.properties;
        let globals = self.globals;
        let code_uri = props
            .code_uri
            .as_ref()
            .or(globals.code_uri.as_ref())
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("CodeUri must be a local folder".to_owned()))?;
        let code_uri = PathBuf::from(code_uri);
        let manifest_path = self.root.join(&code_uri).join("Cargo.toml");
        let manifest_text =
            std::fs::read_to_string(&manifest_path).map_err(|source| TemplateError::Read {
                path: manifest_path.clone(),
                source,
            })?;
        let manifest: Manifest =
            toml::from_str(&manifest_text).map_err(|source| TemplateError::Manifest {
                path: manifest_path.clone(),
                source: Box::new(source),
            })?;
        let chosen = self
            .metadata
            .build_properties
            .and_then(|build| build.binary);
        let binary = match (chosen, manifest.bin.as_slice()) {
            (Some(binary), _) => binary,
            (None, [only]) => only.name.clone(),
            (None, _) => manifest.package.name.clone(),
        };

        let number = |value: Option<&Value>, what: &str| -> Result<Option<u64>, TemplateError> {
            value
                .map(|v| {
                    Expr::from_yaml(v)
                        .evaluate(self.parameters)
                        .ok()
                        .and_then(|s| s.parse::<u64>().ok())
                        .ok_or_else(|| invalid(format!("{what} must be a whole number")))
                })
                .transpose()
        };
        let timeout = number(
            props.timeout.as_ref().or(globals.timeout.as_ref()),
            "Timeout",
        )?
        .map_or(DEFAULT_TIMEOUT, Duration::from_secs);
        let memory_mb = number(
            props.memory_size.as_ref().or(globals.memory_size.as_ref()),
            "MemorySize",
        )?
        .and_then(|mb| u32::try_from(mb).ok())
        .unwrap_or(DEFAULT_MEMORY_MB);
        let reserved_concurrency = number(
            props
                .reserved_concurrent_executions
                .as_ref()
                .or(globals.reserved_concurrent_executions.as_ref()),
            "ReservedConcurrentExecutions",
        )?
        .and_then(|n| usize::try_from(n).ok());

        let mut environment = BTreeMap::new();
        for block in [globals.environment.as_ref(), props.environment.as_ref()]
            .into_iter()
            .flatten()
        {
            for (name, value) in &block.variables {
                environment.insert(name.clone(), Expr::from_yaml(value));
            }
        }
        let logging = |pick: fn(&LoggingConfig) -> Option<&Value>| {
            props
                .logging_config
                .as_ref()
                .and_then(pick)
                .or(globals.logging_config.as_ref().and_then(pick))
                .and_then(|v| Expr::from_yaml(v).evaluate(self.parameters).ok())
        };
        let json_logs = logging(|c| c.log_format.as_ref())
            .is_some_and(|format| format.eq_ignore_ascii_case("JSON"));
        let log_level = logging(|c| c.application_log_level.as_ref());

        let mut http_events = Vec::new();
        let mut stream_events = Vec::new();
        let mut warnings = Vec::new();
        for (name, event) in props.events {
            match event.kind.as_str() {
                "HttpApi" => http_events.push(http_event(&name, event.properties, &invalid)?),
                "DynamoDB" => {
                    let (event, note) =
                        stream_event(&name, event.properties, self.resource_types, &invalid)?;
                    stream_events.push(event);
                    warnings.extend(note.map(|note| format!("{id}: {note}")));
                }
                other => warnings.push(format!(
                    "{id}: event `{name}` of type {other} is not served locally"
                )),
            }
        }
        if let Some(http) = http_events
            .iter()
            .find(|e| e.path.is_some() && e.method.is_none())
        {
            warnings.push(format!(
                "{id}: event `{}` has no Method; serving it as ANY",
                http.name
            ));
        }

        Ok((
            Function {
                logical_id: id.to_owned(),
                code_uri,
                package: manifest.package.name,
                binary,
                timeout,
                memory_mb,
                reserved_concurrency,
                environment,
                json_logs,
                log_level,
                http_events,
                stream_events,
            },
            warnings,
        ))
    }
}

fn http_event(
    name: &str,
    properties: Value,
    invalid: &dyn Fn(String) -> TemplateError,
) -> Result<HttpEvent, TemplateError> {
    let props: HttpApiProperties = if properties.is_null() {
        HttpApiProperties {
            path: None,
            method: None,
            timeout_in_millis: None,
            payload_format_version: None,
            auth: None,
        }
    } else {
        serde_norway::from_value(properties)
            .map_err(|e| invalid(format!("HttpApi event `{name}`: {e}")))?
    };
    if props
        .payload_format_version
        .as_deref()
        .is_some_and(|v| v != "2.0")
    {
        return Err(invalid(format!(
            "HttpApi event `{name}`: only PayloadFormatVersion 2.0 is served locally"
        )));
    }
    let method = match (&props.path, props.method) {
        (None, None) => None,
        (_, method) => Some(method.unwrap_or_else(|| "ANY".to_owned()).to_uppercase()),
    };
    Ok(HttpEvent {
        name: name.to_owned(),
        method,
        path: props.path,
        integration_timeout: props
            .timeout_in_millis
            .map_or(DEFAULT_INTEGRATION_TIMEOUT, Duration::from_millis),
        // `NONE` (and no authorizer) leaves the route open, as SAM does.
        auth: props.auth.and_then(|auth| {
            let authorizer = auth.authorizer.filter(|name| name != "NONE")?;
            Some(RouteAuth {
                authorizer,
                scopes: auth.authorization_scopes,
            })
        }),
    })
}

/// Parses a `DynamoDB` event; also returns a warning when its on-failure destination is
/// not served locally.
fn stream_event(
    name: &str,
    properties: Value,
    resource_types: &BTreeMap<String, String>,
    invalid: &dyn Fn(String) -> TemplateError,
) -> Result<(StreamEvent, Option<String>), TemplateError> {
    let props: DynamoDbProperties = serde_norway::from_value(properties)
        .map_err(|e| invalid(format!("DynamoDB event `{name}`: {e}")))?;
    let stream = Expr::from_yaml(&props.stream);
    let table = match stream.as_get_att() {
        Some((table, "StreamArn")) => table.to_owned(),
        _ => {
            return Err(invalid(format!(
                "DynamoDB event `{name}`: Stream must be `!GetAtt <Table>.StreamArn`"
            )));
        }
    };
    let starting_position = match props.starting_position.as_deref() {
        Some("LATEST") => StartingPosition::Latest,
        Some("TRIM_HORIZON") | None => StartingPosition::TrimHorizon,
        Some(other) => {
            return Err(invalid(format!(
                "DynamoDB event `{name}`: StartingPosition {other} is not supported"
            )));
        }
    };
    let filters = props
        .filter_criteria
        .map(|criteria| criteria.filters)
        .unwrap_or_default()
        .into_iter()
        .map(|filter| {
            serde_json::from_str(&filter.pattern)
                .map_err(|e| invalid(format!("DynamoDB event `{name}`: filter pattern: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let destination = props
        .destination_config
        .and_then(|config| config.on_failure)
        .map(|on_failure| Expr::from_yaml(&on_failure.destination));
    let (on_failure, warning) = match destination {
        None => (None, None),
        Some(destination) => failure_bucket(name, &destination, resource_types, invalid)?,
    };
    let maximum_record_age = props
        .maximum_record_age_in_seconds
        .and_then(|seconds| u64::try_from(seconds).ok())
        .map(Duration::from_secs);
    let event = StreamEvent {
        name: name.to_owned(),
        table,
        batch_size: props.batch_size.unwrap_or(100).max(1),
        starting_position,
        filters,
        report_batch_item_failures: props
            .function_response_types
            .iter()
            .any(|t| t == "ReportBatchItemFailures"),
        maximum_retry_attempts: props
            .maximum_retry_attempts
            .and_then(|n| u32::try_from(n).ok()),
        bisect_batch_on_function_error: props.bisect_batch_on_function_error,
        maximum_batching_window: Duration::from_secs(
            props.maximum_batching_window_in_seconds.unwrap_or(0),
        ),
        enabled: props.enabled.unwrap_or(true),
        maximum_record_age,
        on_failure,
    };
    Ok((event, warning))
}

/// The S3 bucket an on-failure `destination` names, or a warning when it is another kind of
/// destination (SQS, SNS), which the runner does not serve.
///
/// # Errors
/// [`TemplateError::Invalid`] when `!GetAtt` names a resource the template does not declare.
fn failure_bucket(
    name: &str,
    destination: &Expr,
    resource_types: &BTreeMap<String, String>,
    invalid: &dyn Fn(String) -> TemplateError,
) -> Result<(Option<FailureBucket>, Option<String>), TemplateError> {
    let not_served = |what: &str| {
        Some(format!(
            "event `{name}`: on-failure destination {what} is not served locally (only S3 buckets are); failed records are only logged"
        ))
    };
    match destination {
        Expr::GetAtt {
            resource,
            attribute,
        } if attribute == "Arn" => match resource_types.get(resource).map(String::as_str) {
            Some("AWS::S3::Bucket") => Ok((
                Some(FailureBucket {
                    name: resource.clone(),
                }),
                None,
            )),
            Some(other) => Ok((None, not_served(&format!("{resource} ({other})")))),
            None => Err(invalid(format!(
                "DynamoDB event `{name}`: on-failure destination {resource} is not a resource of the template"
            ))),
        },
        Expr::Literal(arn) => match arn.strip_prefix("arn:aws:s3:::") {
            Some(bucket) if !bucket.is_empty() && !bucket.contains('/') => Ok((
                Some(FailureBucket {
                    name: bucket.to_owned(),
                }),
                None,
            )),
            _ => Ok((None, not_served(arn))),
        },
        other => Ok((None, not_served(&format!("{other:?}")))),
    }
}
