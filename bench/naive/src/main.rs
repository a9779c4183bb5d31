//! The naive baseline: `GET /books/{id}` as a newcomer writes it with today's crates and
//! their defaults. It reads the same table as `get-book` and answers the same JSON.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::{Body, Error, Request, RequestExt, Response, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let client = Client::new(&config);
    let table = std::env::var("TABLE_NAME")?;
    run(service_fn(|request: Request| handle(&client, &table, request))).await
}

async fn handle(client: &Client, table: &str, request: Request) -> Result<Response<Body>, Error> {
    let id = request
        .path_parameters_ref()
        .and_then(|p| p.first("id"))
        .unwrap_or_default()
        .to_owned();
    let output = client
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S(format!("BOOK#{id}")))
        .key("sk", AttributeValue::S("BOOK".to_owned()))
        .consistent_read(true)
        .send()
        .await?;
    let Some(item) = output.item else {
        return Ok(Response::builder()
            .status(404)
            .header("content-type", "application/json")
            .body(Body::from(r#"{"title":"Not Found","status":404}"#))?);
    };
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    let version: u64 = item
        .get("version")
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
        .unwrap_or_default();
    let book = serde_json::json!({
        "id": text("id"),
        "title": text("title"),
        "author": text("author"),
        "genre": text("genre"),
        "version": version,
        "createdAt": text("createdAt"),
        "updatedAt": text("updatedAt"),
    });
    Ok(Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .header("etag", format!("\"{version}\""))
        .body(Body::from(book.to_string()))?)
}
