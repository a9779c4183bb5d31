//! `AWS::DynamoDB::Table` resources: everything needed to create the table as declared.

use serde::Deserialize;

/// A DynamoDB table declared in the template, in the shape of a `CreateTable` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Logical id in the template, e.g. `BooksTable`.
    pub logical_id: String,
    /// `TableName` when the template fixes one; otherwise the logical id names the table.
    pub table_name: Option<String>,
    /// Attributes used by the primary key and the indexes.
    pub attribute_definitions: Vec<AttributeDefinition>,
    /// The primary key.
    pub key_schema: Vec<KeyElement>,
    /// Global secondary indexes.
    pub global_secondary_indexes: Vec<SecondaryIndex>,
    /// Local secondary indexes.
    pub local_secondary_indexes: Vec<SecondaryIndex>,
    /// `StreamSpecification.StreamViewType`, when the table has a stream.
    pub stream_view_type: Option<String>,
    /// `TimeToLiveSpecification.AttributeName`, when TTL is enabled.
    pub time_to_live_attribute: Option<String>,
}

/// One `AttributeDefinitions` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeDefinition {
    /// Attribute name.
    pub attribute_name: String,
    /// `S`, `N` or `B`.
    pub attribute_type: String,
}

/// One `KeySchema` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyElement {
    /// Attribute name.
    pub attribute_name: String,
    /// `HASH` or `RANGE`.
    pub key_type: String,
}

/// A global or local secondary index.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecondaryIndex {
    /// Index name.
    pub index_name: String,
    /// The index key.
    pub key_schema: Vec<KeyElement>,
    /// Which attributes the index holds.
    pub projection: Projection,
}

/// An index projection.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Projection {
    /// `ALL`, `KEYS_ONLY` or `INCLUDE` (CloudFormation's default is `KEYS_ONLY`).
    pub projection_type: Option<String>,
    /// Attributes projected with `INCLUDE`.
    #[serde(default)]
    pub non_key_attributes: Vec<String>,
}

/// The `Properties` of an `AWS::DynamoDB::Table`, as far as the runner uses them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TableProperties {
    table_name: Option<String>,
    #[serde(default)]
    attribute_definitions: Vec<AttributeDefinition>,
    #[serde(default)]
    key_schema: Vec<KeyElement>,
    #[serde(default)]
    global_secondary_indexes: Vec<SecondaryIndex>,
    #[serde(default)]
    local_secondary_indexes: Vec<SecondaryIndex>,
    stream_specification: Option<StreamSpecification>,
    time_to_live_specification: Option<TimeToLiveSpecification>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StreamSpecification {
    stream_view_type: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TimeToLiveSpecification {
    attribute_name: Option<String>,
    #[serde(default)]
    enabled: bool,
}

impl TableProperties {
    /// The table these properties declare under `logical_id`.
    pub(super) fn into_table(self, logical_id: &str) -> Table {
        Table {
            logical_id: logical_id.to_owned(),
            table_name: self.table_name,
            attribute_definitions: self.attribute_definitions,
            key_schema: self.key_schema,
            global_secondary_indexes: self.global_secondary_indexes,
            local_secondary_indexes: self.local_secondary_indexes,
            stream_view_type: self.stream_specification.map(|s| s.stream_view_type),
            time_to_live_attribute: self
                .time_to_live_specification
                .filter(|ttl| ttl.enabled)
                .and_then(|ttl| ttl.attribute_name),
        }
    }
}
