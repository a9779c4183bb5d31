//! `bookshelf-local serve`: the whole template on one machine. Builds the functions, starts
//! DynamoDB Local (unless given an endpoint), creates the tables, makes every function
//! invocable (instances started on demand, scaled out as Lambda does: [`crate::lambda`]),
//! serves the HTTP API and polls the streams, until Ctrl-C. With `--watch` it rebuilds and
//! deploys again whenever a source or the template changes ([`watch`]); [`stack`] holds
//! what a deployment swaps.
//!
//! Sign-in: the development identity provider is served under `/_local/idp` on the same
//! port, and every JWT authorizer of the template is wired to it (its issuer, its client
//! ids as audiences): the template's own issuer (the stack's Cognito user pool, or the
//! `IssuerUrl` parameter) cannot be reached locally. Functions whose template environment
//! names `AUTH_ISSUER` / `AUTH_CLIENT_ID` (the web page) get the provider's issuer and its
//! web client id instead.

mod cargo;
mod environment;
mod stack;
mod watch;

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use cargo::{BuildError, check_binaries};
pub use environment::{LocalScope, function_environment};

use crate::auth::DevIdp;
use crate::auth::idp::{MACHINE_CLIENT_ID, MACHINE_CLIENT_SECRET};
use crate::cli::ServeArgs;
use crate::dynamodb_local::{DynamoDbLocal, DynamoDbLocalError, Storage};
use crate::gateway::Target;
use crate::gateway::routes::{Route, RouteError, RouteTable};
use crate::tables::TableError;
use crate::template::{HttpEvent, Template, TemplateError};
use crate::{streams, workspace};
use stack::Stack;

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
    /// Hands the stack back at shutdown (after keeping it up to date, with `--watch`).
    stack: JoinHandle<Stack>,
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
    if let Ok(stack) = running.stack.await {
        stack.stopped().await;
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
    let workspace_root = template.folder();
    // Validate routes before anything slow happens.
    http_routes(&template, |_, _| ())?;

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

    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, args.port))
        .await
        .map_err(|e| ServeError::Io("cannot open the HTTP API port", e))?;
    let port = listener
        .local_addr()
        .map_err(|e| ServeError::Io("cannot open the HTTP API port", e))?
        .port();
    let idp = Arc::new(DevIdp::new(&format!("http://127.0.0.1:{port}"))?);

    let mut stack = Stack::new(
        args.clone(),
        binary_dir,
        endpoint.clone(),
        idp.clone(),
        shutdown.clone(),
    )
    .await;
    stack.deploy(&template).await?;
    print_sign_in(&idp, port);
    println!("DynamoDB: {endpoint}");

    let mut tasks = Vec::new();
    if let Some(gateway) = stack.gateway() {
        tasks.push(tokio::spawn(crate::gateway::serve(
            listener,
            gateway,
            shutdown.clone(),
        )));
    }
    let stack = if args.watch {
        println!("Watching {} for changes", workspace_root.display());
        tokio::spawn(watch::watch(stack, workspace_root, shutdown.clone()))
    } else {
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            shutdown.cancelled().await;
            stack
        })
    };
    println!("{READY_PREFIX}{port}");
    Ok(Running {
        dynamodb,
        tasks,
        stack,
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

/// Prints the routes and the function each invokes.
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
