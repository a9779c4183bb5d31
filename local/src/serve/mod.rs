//! `bookshelf-local serve`: the whole template on one machine. Builds the functions, starts
//! DynamoDB Local (unless given an endpoint), creates the tables, runs every function against
//! its own Runtime API, serves the HTTP API and polls the streams, until Ctrl-C.
//!
//! Sign-in: the development identity provider is served under `/_local/idp` on the same
//! port, and every JWT authorizer of the template is wired to it (its issuer, its client
//! ids as audiences): the template's own issuer (the stack's Cognito user pool, or the
//! `IssuerUrl` parameter) cannot be reached locally. Functions whose template environment
//! names `AUTH_ISSUER` / `AUTH_CLIENT_ID` (the web page) get the provider's issuer and its
//! web client id instead.

mod cargo;
mod environment;

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use cargo::{BuildError, check_binaries};
pub use environment::{LocalScope, function_environment};

use crate::auth::DevIdp;
use crate::auth::idp::{MACHINE_CLIENT_ID, MACHINE_CLIENT_SECRET, WEB_CLIENT_ID};
use crate::cli::ServeArgs;
use crate::dynamodb_local::{DynamoDbLocal, DynamoDbLocalError, Storage};
use crate::gateway::routes::{Route, RouteError, RouteTable};
use crate::gateway::{Gateway, LiveGateway, Target};
use crate::lambda::{self, AccountConcurrency, FunctionSpec, Invoker, Scaling};
use crate::tables::{self, TableError};
use crate::template::{HttpEvent, Template, TemplateError};
use crate::{client, streams, workspace};

/// The line printed once everything is ready; tests wait for it.
pub const READY_PREFIX: &str = "Bookshelf local API listening on http://127.0.0.1:";

/// Why the local stack could not be served.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The template could not be read.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// A route is invalid or declared twice.
    #[error(transparent)]
    Route(#[from] RouteError),
    /// The binaries could not be built or are missing.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// DynamoDB Local did not start.
    #[error(transparent)]
    DynamoDbLocal(#[from] DynamoDbLocalError),
    /// A table could not be created.
    #[error(transparent)]
    Table(#[from] TableError),
    /// A table's stream could not be found.
    #[error("table {0} has no stream in DynamoDB")]
    NoStream(String),
    /// A stream could not be read.
    #[error(transparent)]
    Stream(#[from] streams::StreamError),
    /// The HTTP port could not be opened, or signals could not be watched.
    #[error("{0}: {1}")]
    Io(&'static str, std::io::Error),
    /// The development identity provider's key could not be made.
    #[error(transparent)]
    Key(#[from] crate::auth::keys::KeyError),
}

/// Everything that runs until Ctrl-C.
struct Running {
    dynamodb: Option<DynamoDbLocal>,
    tasks: Vec<JoinHandle<()>>,
    functions: Vec<Invoker>,
}

/// Serves the template described by `args` until Ctrl-C or SIGTERM, then stops the
/// functions and DynamoDB Local.
///
/// # Errors
/// [`ServeError`] when something cannot be started.
pub async fn run(args: ServeArgs) -> Result<(), ServeError> {
    let shutdown = CancellationToken::new();
    watch_signals(shutdown.clone())?;
    let running = tokio::select! {
        running = start(&args, &shutdown) => running?,
        () = shutdown.cancelled() => return Ok(()),
    };
    shutdown.cancelled().await;
    eprintln!("Stopping…");
    for task in running.tasks {
        let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
    }
    for function in &running.functions {
        let _ = tokio::time::timeout(Duration::from_secs(5), function.stopped()).await;
        let stats = function.stats();
        if stats.invocations > 0 || stats.throttles > 0 {
            eprintln!(
                "{}: {} invocations, {} cold starts, at most {} instances, {} throttled",
                stats.name,
                stats.invocations,
                stats.cold_starts,
                stats.peak_instances,
                stats.throttles
            );
        }
    }
    if let Some(dynamodb) = running.dynamodb {
        dynamodb.stop().await;
    }
    Ok(())
}

/// Cancels `shutdown` on the first SIGINT or SIGTERM.
fn watch_signals(shutdown: CancellationToken) -> Result<(), ServeError> {
    let mut interrupt =
        signal(SignalKind::interrupt()).map_err(|e| ServeError::Io("cannot watch signals", e))?;
    let mut terminate =
        signal(SignalKind::terminate()).map_err(|e| ServeError::Io("cannot watch signals", e))?;
    tokio::spawn(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        shutdown.cancel();
    });
    Ok(())
}

async fn start(args: &ServeArgs, shutdown: &CancellationToken) -> Result<Running, ServeError> {
    let template = Template::load(&args.template)?;
    for warning in &template.warnings {
        eprintln!("warning: {warning}");
    }
    let workspace_root = if template.root.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        template.root.clone()
    };
    // Validate routes before anything slow happens.
    let placeholder_routes = http_routes(&template, |_, _| ())?;
    drop(placeholder_routes);

    if !args.no_build {
        cargo::build(&workspace_root, &template.functions, args.release).await?;
    }
    let binary_dir = args
        .bin_dir
        .clone()
        .unwrap_or_else(|| workspace::binary_dir(&workspace_root, args.release));
    cargo::check_binaries(&binary_dir, &template.functions)?;

    let (dynamodb, endpoint) = match &args.dynamodb_endpoint {
        Some(endpoint) => (None, endpoint.clone()),
        None => {
            let storage = if args.in_memory {
                Storage::InMemory
            } else {
                Storage::Directory(args.data_dir.clone())
            };
            let local = DynamoDbLocal::start(&workspace_root, &storage).await?;
            let endpoint = local.endpoint().to_owned();
            (Some(local), endpoint)
        }
    };

    let dynamodb_client = client::dynamodb(&endpoint).await;
    let mut table_names = BTreeMap::new();
    let mut stream_arns = BTreeMap::new();
    for table in &template.tables {
        let name = tables::physical_name(table, &args.table_suffix);
        tables::create_table(&dynamodb_client, table, &name).await?;
        if table.stream_view_type.is_some() {
            let described = dynamodb_client
                .describe_table()
                .table_name(&name)
                .send()
                .await
                .map_err(|e| TableError::DynamoDb {
                    table: name.clone(),
                    source: Box::new(e.into()),
                })?;
            let arn = described
                .table()
                .and_then(|t| t.latest_stream_arn())
                .ok_or_else(|| ServeError::NoStream(name.clone()))?;
            stream_arns.insert(table.logical_id.clone(), arn.to_owned());
        }
        table_names.insert(table.logical_id.clone(), name);
    }
    let scope = LocalScope {
        template: &template,
        table_names,
        stream_arns,
    };

    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, args.port))
        .await
        .map_err(|e| ServeError::Io("cannot open the HTTP API port", e))?;
    let port = listener
        .local_addr()
        .map_err(|e| ServeError::Io("cannot open the HTTP API port", e))?
        .port();
    let idp = Arc::new(DevIdp::new(&format!("http://127.0.0.1:{port}"))?);

    let mut tasks = Vec::new();
    let account = AccountConcurrency::new(args.scaling.account_concurrency);
    let mut invokers: BTreeMap<String, Invoker> = BTreeMap::new();
    for function in &template.functions {
        let mut environment = function_environment(function, &scope, &endpoint, &binary_dir);
        for (name, value) in [
            ("AUTH_ISSUER", idp.issuer()),
            ("AUTH_CLIENT_ID", WEB_CLIENT_ID.to_owned()),
        ] {
            if let Some(slot) = environment.get_mut(name) {
                *slot = value;
            }
        }
        let spec = FunctionSpec {
            name: function.logical_id.clone(),
            program: binary_dir.join(&function.binary),
            environment,
            timeout: function.timeout,
        };
        let scaling = Scaling {
            max_instances: function
                .reserved_concurrency
                .unwrap_or(args.scaling.max_instances),
            idle_timeout: Duration::from_secs(args.scaling.idle_timeout),
            account: account.clone(),
        };
        let invoker = lambda::start(spec, scaling, shutdown.clone());
        invokers.insert(function.logical_id.clone(), invoker);
    }

    let routes = http_routes(&template, |function, event| Target {
        invoker: invokers[function].clone(),
        integration_timeout: event.integration_timeout,
        auth: event.auth.clone(),
    })?;
    print_routes(&routes);
    print_sign_in(&idp, port);
    println!("DynamoDB: {endpoint}");

    let streams_client = client::dynamodb_streams(&endpoint).await;
    for function in &template.functions {
        for event in function.stream_events.iter().filter(|e| e.enabled) {
            let failures = event
                .on_failure
                .as_ref()
                .map(|bucket| args.failures_dir.join(&bucket.name));
            let mapping = streams::Mapping {
                function: invokers[&function.logical_id].clone(),
                event: event.clone(),
                stream_arn: scope.stream_arns[&event.table].clone(),
                failures: failures.clone(),
            };
            println!(
                "  stream of {:<18} → {} (batch {})",
                scope.table_names[&event.table], function.logical_id, event.batch_size
            );
            if let Some(failures) = failures {
                println!("    records given up on → {}", failures.display());
            }
            tasks.push(
                streams::start(mapping, streams_client.clone(), &endpoint, shutdown.clone())
                    .await?,
            );
        }
    }

    let gateway = Arc::new(LiveGateway::new(Gateway {
        routes,
        authorizer: Some(idp.authorizer()),
        idp: Some(idp),
        functions: invokers.values().cloned().collect(),
    }));
    tasks.push(tokio::spawn(crate::gateway::serve(
        listener,
        gateway,
        shutdown.clone(),
    )));
    println!("{READY_PREFIX}{port}");
    Ok(Running {
        dynamodb,
        tasks,
        functions: invokers.into_values().collect(),
    })
}

/// The template's HTTP routes, each pointing at what `target` makes of the function's
/// logical id and the event.
fn http_routes<T>(
    template: &Template,
    mut target: impl FnMut(&str, &HttpEvent) -> T,
) -> Result<RouteTable<T>, RouteError> {
    let mut routes = Vec::new();
    for function in &template.functions {
        for event in &function.http_events {
            routes.push(Route::new(
                event.method.as_deref(),
                event.path.as_deref(),
                target(&function.logical_id, event),
            )?);
        }
    }
    RouteTable::new(routes)
}

fn print_routes(routes: &RouteTable<Target>) {
    println!("Routes:");
    for route in routes.routes() {
        let auth = route.target.auth.as_ref().map_or(String::new(), |auth| {
            format!("  [{}: {}]", auth.authorizer, auth.scopes.join(" "))
        });
        println!(
            "  {:<28} → {}{auth}",
            route.key,
            route.target.invoker.name()
        );
    }
}

/// The development provider's issuer and how to get a token from it.
fn print_sign_in(idp: &DevIdp, port: u16) {
    println!(
        "Sign-in: development identity provider {} (every authorizer of the template trusts it locally)",
        idp.issuer()
    );
    println!(
        "  token: curl -s -u {MACHINE_CLIENT_ID}:{MACHINE_CLIENT_SECRET} -d grant_type=client_credentials http://127.0.0.1:{port}/_local/idp/token"
    );
}
