//! The served stack and its (re)deployment: tables, a [`LiveFunction`] per function, the
//! gateway's routes and the stream pollers, made to match a template. `serve` deploys once;
//! the watch loop deploys again after each rebuild, replacing only what changed.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::environment::{LocalScope, function_environment};
use super::{ServeError, http_routes, print_routes};
use crate::auth::DevIdp;
use crate::auth::idp::WEB_CLIENT_ID;
use crate::cli::ServeArgs;
use crate::gateway::{Gateway, LiveGateway, Target};
use crate::lambda::{self, AccountConcurrency, FunctionSpec, LiveFunction, Scaling};
use crate::streams;
use crate::tables::{self, TableError};
use crate::template::{StreamEvent, Template};

/// A function as deployed: what its current instances were started from.
struct Deployed {
    live: LiveFunction,
    spec: FunctionSpec,
    max_instances: usize,
    /// When its binary was last written: a rebuild that changed it shows here.
    built: Option<SystemTime>,
}

/// A running event source mapping.
struct Polling {
    event: StreamEvent,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

/// What changed in one deployment.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Functions started for the first time.
    pub added: Vec<String>,
    /// Functions whose instances were replaced (new binary or settings).
    pub replaced: Vec<String>,
    /// Functions gone from the template (their instances drained).
    pub removed: Vec<String>,
}

impl Changes {
    /// `true` when nothing was started, replaced or removed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.replaced.is_empty() && self.removed.is_empty()
    }
}

/// Everything `serve` runs, kept so that it can be deployed again.
pub(super) struct Stack {
    pub(super) args: ServeArgs,
    pub(super) binary_dir: PathBuf,
    pub(super) endpoint: String,
    dynamodb: aws_sdk_dynamodb::Client,
    streams_client: aws_sdk_dynamodbstreams::Client,
    table_names: BTreeMap<String, String>,
    stream_arns: BTreeMap<String, String>,
    idp: Arc<DevIdp>,
    account: AccountConcurrency,
    functions: BTreeMap<String, Deployed>,
    pollers: BTreeMap<(String, String), Polling>,
    gateway: Option<Arc<LiveGateway>>,
    shutdown: CancellationToken,
}

impl Stack {
    /// A stack with nothing deployed yet.
    pub(super) async fn new(
        args: ServeArgs,
        binary_dir: PathBuf,
        endpoint: String,
        idp: Arc<DevIdp>,
        shutdown: CancellationToken,
    ) -> Self {
        Stack {
            account: AccountConcurrency::new(args.scaling.account_concurrency),
            dynamodb: crate::client::dynamodb(&endpoint).await,
            streams_client: crate::client::dynamodb_streams(&endpoint).await,
            args,
            binary_dir,
            endpoint,
            table_names: BTreeMap::new(),
            stream_arns: BTreeMap::new(),
            idp,
            functions: BTreeMap::new(),
            pollers: BTreeMap::new(),
            gateway: None,
            shutdown,
        }
    }

    /// Makes the running stack match `template`: creates new tables, starts new functions,
    /// replaces those whose binary or settings changed (their old instances finish what
    /// they hold, then stop), swaps the routes, and starts or stops stream pollers.
    ///
    /// # Errors
    /// [`ServeError`] when a route is invalid or a table or stream cannot be set up; nothing
    /// is swapped then.
    pub(super) async fn deploy(&mut self, template: &Template) -> Result<Changes, ServeError> {
        // Routes first: a bad one must fail before anything is replaced.
        http_routes(template, |_, _| ())?;
        self.create_tables(template).await?;
        let changes = self.deploy_functions(template);
        let routes = http_routes(template, |function, event| Target {
            invoker: self.functions[function].live.clone(),
            integration_timeout: event.integration_timeout,
            auth: event.auth.clone(),
        })?;
        print_routes(&routes);
        let gateway = Gateway {
            routes,
            authorizer: Some(self.idp.authorizer()),
            idp: Some(self.idp.clone()),
            functions: self.functions.values().map(|f| f.live.clone()).collect(),
        };
        match &self.gateway {
            Some(live) => drop(live.replace(gateway)),
            None => self.gateway = Some(Arc::new(LiveGateway::new(gateway))),
        }
        self.deploy_pollers(template).await?;
        Ok(changes)
    }

    /// The gateway serving the deployed routes (none before the first deployment).
    pub(super) fn gateway(&self) -> Option<Arc<LiveGateway>> {
        self.gateway.clone()
    }

    async fn create_tables(&mut self, template: &Template) -> Result<(), ServeError> {
        for table in &template.tables {
            if self.table_names.contains_key(&table.logical_id) {
                continue;
            }
            let name = tables::physical_name(table, &self.args.table_suffix);
            tables::create_table(&self.dynamodb, table, &name).await?;
            if table.stream_view_type.is_some() {
                let described = self
                    .dynamodb
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
                self.stream_arns
                    .insert(table.logical_id.clone(), arn.to_owned());
            }
            self.table_names.insert(table.logical_id.clone(), name);
        }
        Ok(())
    }

    fn deploy_functions(&mut self, template: &Template) -> Changes {
        let scope = LocalScope {
            template,
            table_names: self.table_names.clone(),
            stream_arns: self.stream_arns.clone(),
        };
        let mut changes = Changes::default();
        for function in &template.functions {
            let mut environment =
                function_environment(function, &scope, &self.endpoint, &self.binary_dir);
            for (name, value) in [
                ("AUTH_ISSUER", self.idp.issuer()),
                ("AUTH_CLIENT_ID", WEB_CLIENT_ID.to_owned()),
            ] {
                if let Some(slot) = environment.get_mut(name) {
                    *slot = value;
                }
            }
            let spec = FunctionSpec {
                name: function.logical_id.clone(),
                program: self.binary_dir.join(&function.binary),
                environment,
                timeout: function.timeout,
            };
            let max_instances = function
                .reserved_concurrency
                .unwrap_or(self.args.scaling.max_instances);
            let built = std::fs::metadata(&spec.program)
                .and_then(|m| m.modified())
                .ok();
            if let Some(deployed) = self.functions.get(&function.logical_id)
                && deployed.spec == spec
                && deployed.max_instances == max_instances
                && deployed.built == built
            {
                continue;
            }
            let scaling = Scaling {
                max_instances,
                idle_timeout: Duration::from_secs(self.args.scaling.idle_timeout),
                account: self.account.clone(),
                when_busy: self.args.scaling.when_busy,
            };
            let invoker = lambda::start(spec.clone(), scaling, self.shutdown.clone());
            let live = match self.functions.get(&function.logical_id) {
                Some(deployed) => {
                    deployed.live.replace(invoker).drain();
                    changes.replaced.push(function.logical_id.clone());
                    deployed.live.clone()
                }
                None => {
                    changes.added.push(function.logical_id.clone());
                    LiveFunction::new(invoker)
                }
            };
            self.functions.insert(
                function.logical_id.clone(),
                Deployed {
                    live,
                    spec,
                    max_instances,
                    built,
                },
            );
        }
        let gone: Vec<String> = self
            .functions
            .keys()
            .filter(|name| !template.functions.iter().any(|f| &f.logical_id == *name))
            .cloned()
            .collect();
        for name in gone {
            if let Some(deployed) = self.functions.remove(&name) {
                deployed.live.current().drain();
                changes.removed.push(name);
            }
        }
        changes
    }

    /// Keeps the pollers whose event is unchanged (they invoke the function's current
    /// instances, so a replaced binary needs no new poller), restarts changed ones, starts
    /// new ones and stops those gone.
    async fn deploy_pollers(&mut self, template: &Template) -> Result<(), ServeError> {
        let mut wanted = BTreeMap::new();
        for function in &template.functions {
            for event in function.stream_events.iter().filter(|e| e.enabled) {
                wanted.insert(
                    (function.logical_id.clone(), event.name.clone()),
                    event.clone(),
                );
            }
        }
        let stale: Vec<(String, String)> = self
            .pollers
            .iter()
            .filter(|(key, polling)| wanted.get(*key) != Some(&polling.event))
            .map(|(key, _)| key.clone())
            .collect();
        for key in stale {
            if let Some(polling) = self.pollers.remove(&key) {
                polling.stop.cancel();
                let _ = tokio::time::timeout(Duration::from_secs(5), polling.task).await;
            }
        }
        for (key, event) in wanted {
            if self.pollers.contains_key(&key) {
                continue;
            }
            let failures = event
                .on_failure
                .as_ref()
                .map(|bucket| self.args.failures_dir.join(&bucket.name));
            let stream_arn = self.stream_arns.get(&event.table).cloned().ok_or_else(|| {
                ServeError::NoStream(
                    self.table_names
                        .get(&event.table)
                        .cloned()
                        .unwrap_or_default(),
                )
            })?;
            println!(
                "  stream of {:<18} → {} (batch {})",
                self.table_names[&event.table], key.0, event.batch_size
            );
            if let Some(failures) = &failures {
                println!("    records given up on → {}", failures.display());
            }
            let mapping = streams::Mapping {
                function: self.functions[&key.0].live.clone(),
                event: event.clone(),
                stream_arn,
                failures,
            };
            let stop = self.shutdown.child_token();
            let task = streams::start(
                mapping,
                self.streams_client.clone(),
                &self.endpoint,
                stop.clone(),
            )
            .await?;
            self.pollers.insert(key, Polling { event, stop, task });
        }
        Ok(())
    }

    /// Waits for the pollers and every function's instances to stop (after the shutdown),
    /// and prints how far each function scaled out.
    pub(super) async fn stopped(self) {
        for polling in self.pollers.into_values() {
            let _ = tokio::time::timeout(Duration::from_secs(5), polling.task).await;
        }
        for deployed in self.functions.values() {
            let current = deployed.live.current();
            let _ = tokio::time::timeout(Duration::from_secs(5), current.stopped()).await;
            let stats = current.stats();
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
    }
}
