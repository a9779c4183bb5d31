//! Reads `template.yaml`: the functions (with `Globals` merged in, their routes and stream
//! events) and the DynamoDB tables, typed, so the runner serves exactly what SAM would deploy.
//!
//! ```no_run
//! let template = bookshelf_local::template::Template::load("template.yaml".as_ref())?;
//! for function in &template.functions {
//!     println!("{} runs {}", function.logical_id, function.binary);
//! }
//! # Ok::<(), bookshelf_local::template::TemplateError>(())
//! ```

mod expr;
mod function;
mod table;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_norway::Value;

pub use expr::{Expr, Scope, Unresolved};
pub use function::{FailureBucket, Function, HttpEvent, RouteAuth, StartingPosition, StreamEvent};
pub use table::{AttributeDefinition, KeyElement, Projection, SecondaryIndex, Table};

use function::{FunctionMetadata, FunctionProperties, FunctionSource};
use table::TableProperties;

/// The region the runner pretends to be in.
pub const LOCAL_REGION: &str = "us-east-1";
/// The account id the runner pretends to be in (the one AWS documentation uses).
pub const LOCAL_ACCOUNT_ID: &str = "123456789012";

/// Why a template could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The template or a function's `Cargo.toml` could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The template is not valid YAML or not shaped like a SAM template.
    #[error("template is not valid: {0}")]
    Yaml(#[from] serde_norway::Error),
    /// A function's `Cargo.toml` is not valid.
    #[error("cannot parse {path}: {source}")]
    Manifest {
        /// The manifest.
        path: PathBuf,
        /// The TOML error.
        source: Box<toml::de::Error>,
    },
    /// A resource is declared in a way the runner cannot serve.
    #[error("resource {resource}: {message}")]
    Invalid {
        /// Logical id of the resource.
        resource: String,
        /// What is wrong.
        message: String,
    },
}

/// The parts of a SAM template the local runner serves.
#[derive(Debug, Clone)]
pub struct Template {
    /// Folder holding the template; `CodeUri`s are relative to it.
    pub root: PathBuf,
    /// Parameters with their `Default` (as a string), if any.
    pub parameters: BTreeMap<String, Option<String>>,
    /// Every `AWS::Serverless::Function`, in template order.
    pub functions: Vec<Function>,
    /// Every `AWS::DynamoDB::Table`, in template order.
    pub tables: Vec<Table>,
    /// Things declared but not served locally (e.g. other event types), to show at start.
    pub warnings: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawTemplate {
    #[serde(default)]
    parameters: BTreeMap<String, RawParameter>,
    #[serde(default)]
    globals: Option<RawGlobals>,
    #[serde(default)]
    resources: serde_norway::Mapping,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawParameter {
    default: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawGlobals {
    function: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawResource {
    #[serde(rename = "Type")]
    kind: String,
    #[serde(default)]
    properties: Value,
    #[serde(default)]
    metadata: Value,
}

/// Resolves parameters (to their defaults) and pseudo parameters; nothing else.
struct ParameterDefaults<'a>(&'a BTreeMap<String, Option<String>>);

impl Scope for ParameterDefaults<'_> {
    fn reference(&self, logical_id: &str) -> Option<String> {
        pseudo_parameter(logical_id).or_else(|| self.0.get(logical_id).cloned().flatten())
    }
    fn attribute(&self, _: &str, _: &str) -> Option<String> {
        None
    }
}

/// The local value of a pseudo parameter such as `AWS::Region`.
pub fn pseudo_parameter(name: &str) -> Option<String> {
    let value = match name {
        "AWS::Region" => LOCAL_REGION,
        "AWS::AccountId" => LOCAL_ACCOUNT_ID,
        "AWS::Partition" => "aws",
        "AWS::URLSuffix" => "amazonaws.com",
        "AWS::StackName" => "bookshelf-local",
        "AWS::StackId" => {
            "arn:aws:cloudformation:us-east-1:123456789012:stack/bookshelf-local/local"
        }
        "AWS::NoValue" => "",
        _ => return None,
    };
    Some(value.to_owned())
}

/// Deserialises `value` into `T`, treating an absent (`null`) value as `T::default()`.
fn from_optional<T: Default + serde::de::DeserializeOwned>(
    value: Value,
) -> Result<T, serde_norway::Error> {
    if value.is_null() {
        Ok(T::default())
    } else {
        serde_norway::from_value(value)
    }
}

impl Template {
    /// The folder the template lives in: its `CodeUri`s and the cargo workspace are there.
    pub fn folder(&self) -> PathBuf {
        if self.root.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            self.root.clone()
        }
    }

    /// Reads and parses the template at `path`.
    ///
    /// # Errors
    /// [`TemplateError`] when the file, or a function's `Cargo.toml`, cannot be read or parsed.
    pub fn load(path: &Path) -> Result<Template, TemplateError> {
        let text = std::fs::read_to_string(path).map_err(|source| TemplateError::Read {
            path: path.to_owned(),
            source,
        })?;
        let root = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        Template::parse(&text, root)
    }

    /// Parses template `text`; `root` is the folder `CodeUri`s are relative to.
    ///
    /// # Errors
    /// [`TemplateError`] when the text or a function's `Cargo.toml` cannot be parsed.
    pub fn parse(text: &str, root: &Path) -> Result<Template, TemplateError> {
        let raw: RawTemplate = serde_norway::from_str(text)?;
        let parameters: BTreeMap<String, Option<String>> = raw
            .parameters
            .into_iter()
            .map(|(name, p)| {
                let default = p
                    .default
                    .and_then(|v| Expr::from_yaml(&v).evaluate(&NoScope).ok());
                (name, default)
            })
            .collect();
        let globals: FunctionProperties =
            from_optional(raw.globals.and_then(|g| g.function).unwrap_or(Value::Null))?;
        let scope = ParameterDefaults(&parameters);
        let resource_types = resource_types(&raw.resources);

        let mut functions = Vec::new();
        let mut tables = Vec::new();
        let mut warnings = Vec::new();
        for (id, resource) in raw.resources {
            let Some(id) = id.as_str().map(str::to_owned) else {
                continue;
            };
            let resource: RawResource = serde_norway::from_value(resource)?;
            match resource.kind.as_str() {
                "AWS::Serverless::Function" => {
                    let source = FunctionSource {
                        logical_id: &id,
                        properties: from_optional(resource.properties)?,
                        metadata: from_optional::<FunctionMetadata>(resource.metadata)?,
                        globals: &globals,
                        root,
                        parameters: &scope,
                        resource_types: &resource_types,
                    };
                    let (function, notes) = source.into_function()?;
                    functions.push(function);
                    warnings.extend(notes);
                }
                "AWS::DynamoDB::Table" => {
                    let props: TableProperties = serde_norway::from_value(resource.properties)
                        .map_err(|e| TemplateError::Invalid {
                            resource: id.clone(),
                            message: e.to_string(),
                        })?;
                    tables.push(props.into_table(&id));
                }
                _ => {}
            }
        }
        let template = Template {
            root: root.to_owned(),
            parameters,
            functions,
            tables,
            warnings,
        };
        template.check_stream_sources()?;
        Ok(template)
    }

    /// The table declared under `logical_id`.
    pub fn table(&self, logical_id: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.logical_id == logical_id)
    }

    /// Fails when a stream event names a table that is missing or has no stream.
    fn check_stream_sources(&self) -> Result<(), TemplateError> {
        for function in &self.functions {
            for event in &function.stream_events {
                let has_stream = self
                    .table(&event.table)
                    .is_some_and(|t| t.stream_view_type.is_some());
                if !has_stream {
                    return Err(TemplateError::Invalid {
                        resource: function.logical_id.clone(),
                        message: format!(
                            "event `{}` reads the stream of {}, which is not a table with a StreamSpecification",
                            event.name, event.table
                        ),
                    });
                }
            }
        }
        Ok(())
    }
}

/// The `Type` of every resource in `resources`, by logical id.
fn resource_types(resources: &serde_norway::Mapping) -> BTreeMap<String, String> {
    resources
        .iter()
        .filter_map(|(id, resource)| {
            let kind = resource.get("Type")?.as_str()?;
            Some((id.as_str()?.to_owned(), kind.to_owned()))
        })
        .collect()
}

/// Resolves nothing: for parameter defaults, which must be literals.
struct NoScope;

impl Scope for NoScope {
    fn reference(&self, name: &str) -> Option<String> {
        pseudo_parameter(name)
    }
    fn attribute(&self, _: &str, _: &str) -> Option<String> {
        None
    }
}

#[cfg(test)]
mod tests;
