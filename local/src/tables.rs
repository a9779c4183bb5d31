//! Creates the template's tables in DynamoDB (Local) exactly as declared, idempotently.
//!
//! A table that already exists (e.g. persisted from an earlier run) is kept; indexes and a
//! stream the template declares but the table lacks are added, and TTL is switched on, so a
//! persisted table follows the template as it evolves.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{BuildError, SdkError};
use aws_sdk_dynamodb::operation::create_table::CreateTableError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndex,
    GlobalSecondaryIndexUpdate, KeySchemaElement, KeyType, LocalSecondaryIndex, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification, TimeToLiveStatus,
};

use crate::template::{self, Table};

/// Why a table could not be created.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// The template's definition does not make a valid request.
    #[error("table {table}: invalid definition: {source}")]
    Definition {
        /// Physical table name.
        table: String,
        /// What is missing.
        source: BuildError,
    },
    /// DynamoDB refused a request.
    #[error("table {table}: {source}")]
    DynamoDb {
        /// Physical table name.
        table: String,
        /// DynamoDB's error.
        source: Box<aws_sdk_dynamodb::Error>,
    },
}

impl TableError {
    /// Wraps an invalid definition of the table `table`.
    fn definition(table: &str) -> impl Fn(BuildError) -> Self + Copy + '_ {
        move |source| Self::Definition {
            table: table.to_owned(),
            source,
        }
    }

    /// Wraps a DynamoDB refusal concerning the table `table`.
    fn dynamodb(table: &str) -> impl Fn(aws_sdk_dynamodb::Error) -> Self + Copy + '_ {
        move |source| Self::DynamoDb {
            table: table.to_owned(),
            source: Box::new(source),
        }
    }
}

/// What [`create_table`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The table was created.
    Created,
    /// The table already existed (missing indexes, stream or TTL were added).
    AlreadyExisted,
}

/// Creates `table` under `physical_name` (PAY_PER_REQUEST, with its key schema, attributes,
/// indexes and stream), then enables its TTL; an existing table is reconciled instead.
///
/// # Errors
/// [`TableError`] when the definition is invalid or DynamoDB refuses a request.
pub async fn create_table(
    client: &Client,
    table: &Table,
    physical_name: &str,
) -> Result<Outcome, TableError> {
    let definition = TableError::definition(physical_name);
    let dynamo = TableError::dynamodb(physical_name);

    let mut request = client
        .create_table()
        .table_name(physical_name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(attribute_definitions(table).map_err(definition)?))
        .set_key_schema(Some(key_schema(&table.key_schema).map_err(definition)?));
    for index in &table.global_secondary_indexes {
        request = request.global_secondary_indexes(global_index(index).map_err(definition)?);
    }
    for index in &table.local_secondary_indexes {
        request = request.local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name(&index.index_name)
                .set_key_schema(Some(key_schema(&index.key_schema).map_err(definition)?))
                .projection(projection(&index.projection))
                .build()
                .map_err(definition)?,
        );
    }
    if let Some(view) = &table.stream_view_type {
        request = request.stream_specification(stream_specification(view).map_err(definition)?);
    }

    let outcome = match request.send().await {
        Ok(_) => Outcome::Created,
        Err(SdkError::ServiceError(e))
            if matches!(e.err(), CreateTableError::ResourceInUseException(_)) =>
        {
            reconcile(client, table, physical_name).await?;
            Outcome::AlreadyExisted
        }
        Err(e) => return Err(dynamo(e.into())),
    };
    enable_ttl(client, table, physical_name).await?;
    Ok(outcome)
}

/// Adds the indexes and stream the template declares but an existing table lacks.
async fn reconcile(client: &Client, table: &Table, physical_name: &str) -> Result<(), TableError> {
    let definition = TableError::definition(physical_name);
    let dynamo = TableError::dynamodb(physical_name);
    let described = client
        .describe_table()
        .table_name(physical_name)
        .send()
        .await
        .map_err(|e| dynamo(e.into()))?;
    let Some(existing) = described.table() else {
        return Ok(());
    };
    let existing_indexes: Vec<&str> = existing
        .global_secondary_indexes()
        .iter()
        .filter_map(|i| i.index_name())
        .collect();
    for index in &table.global_secondary_indexes {
        if existing_indexes.contains(&index.index_name.as_str()) {
            continue;
        }
        let create = CreateGlobalSecondaryIndexAction::builder()
            .index_name(&index.index_name)
            .set_key_schema(Some(key_schema(&index.key_schema).map_err(definition)?))
            .projection(projection(&index.projection))
            .build()
            .map_err(definition)?;
        client
            .update_table()
            .table_name(physical_name)
            .set_attribute_definitions(Some(attribute_definitions(table).map_err(definition)?))
            .global_secondary_index_updates(
                GlobalSecondaryIndexUpdate::builder().create(create).build(),
            )
            .send()
            .await
            .map_err(|e| dynamo(e.into()))?;
    }
    let has_stream = existing
        .stream_specification()
        .is_some_and(|s| s.stream_enabled());
    if let (Some(view), false) = (&table.stream_view_type, has_stream) {
        client
            .update_table()
            .table_name(physical_name)
            .stream_specification(stream_specification(view).map_err(definition)?)
            .send()
            .await
            .map_err(|e| dynamo(e.into()))?;
    }
    Ok(())
}

/// Switches TTL on for the template's attribute, unless it already is.
async fn enable_ttl(client: &Client, table: &Table, physical_name: &str) -> Result<(), TableError> {
    let Some(attribute) = &table.time_to_live_attribute else {
        return Ok(());
    };
    let dynamo = TableError::dynamodb(physical_name);
    let current = client
        .describe_time_to_live()
        .table_name(physical_name)
        .send()
        .await
        .map_err(|e| dynamo(e.into()))?;
    let enabled = current.time_to_live_description().is_some_and(|d| {
        matches!(
            d.time_to_live_status(),
            Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
        )
    });
    if enabled {
        return Ok(());
    }
    let specification = TimeToLiveSpecification::builder()
        .attribute_name(attribute)
        .enabled(true)
        .build()
        .map_err(|source| TableError::Definition {
            table: physical_name.to_owned(),
            source,
        })?;
    client
        .update_time_to_live()
        .table_name(physical_name)
        .time_to_live_specification(specification)
        .send()
        .await
        .map_err(|e| dynamo(e.into()))?;
    Ok(())
}

fn attribute_definitions(table: &Table) -> Result<Vec<AttributeDefinition>, BuildError> {
    table
        .attribute_definitions
        .iter()
        .map(|a| {
            AttributeDefinition::builder()
                .attribute_name(&a.attribute_name)
                .attribute_type(ScalarAttributeType::from(a.attribute_type.as_str()))
                .build()
        })
        .collect()
}

fn key_schema(keys: &[template::KeyElement]) -> Result<Vec<KeySchemaElement>, BuildError> {
    keys.iter()
        .map(|k| {
            KeySchemaElement::builder()
                .attribute_name(&k.attribute_name)
                .key_type(KeyType::from(k.key_type.as_str()))
                .build()
        })
        .collect()
}

fn global_index(index: &template::SecondaryIndex) -> Result<GlobalSecondaryIndex, BuildError> {
    GlobalSecondaryIndex::builder()
        .index_name(&index.index_name)
        .set_key_schema(Some(key_schema(&index.key_schema)?))
        .projection(projection(&index.projection))
        .build()
}

fn projection(projection: &template::Projection) -> Projection {
    let kind = projection.projection_type.as_deref().unwrap_or("KEYS_ONLY");
    Projection::builder()
        .projection_type(ProjectionType::from(kind))
        .set_non_key_attributes(
            (!projection.non_key_attributes.is_empty())
                .then(|| projection.non_key_attributes.clone()),
        )
        .build()
}

fn stream_specification(view: &str) -> Result<StreamSpecification, BuildError> {
    StreamSpecification::builder()
        .stream_enabled(true)
        .stream_view_type(StreamViewType::from(view))
        .build()
}

/// The name `serve` gives `table`: its `TableName` (or logical id) and `suffix`.
pub fn physical_name(table: &Table, suffix: &str) -> String {
    let base = table.table_name.as_deref().unwrap_or(&table.logical_id);
    format!("{base}{suffix}")
}
