//! One line per request, for the operator: the access log and the request's
//! metrics in one CloudWatch Embedded Metric Format record.
//!
//! Fields: `requestId`, `routeKey`, `status`, `latencyMs`, `coldStart`, the
//! caller's `sub` where an authorizer vouched for one, and the problem `slug`
//! of an error answer. Metrics, per `Function` and `Route` and per `Function`
//! alone (what the deploy-rollback alarms watch): `Requests`, `4xx`,
//! `5xx`, `Latency`, `ColdStart`, and the business counts that happened
//! (`BooksCreated`, `BooksUpdated`, `BooksDeleted`, `IdempotentReplays`,
//! `Conflicts`). Nothing from headers, bodies or the query string is logged,
//! so no token or cursor ever reaches a log.

use super::emf::{MetricsRecord, Unit};
use crate::http::BookEvent;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// True until this process has served its first request.
static COLD: AtomicBool = AtomicBool::new(true);

/// What one request was and how it ended.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRecord {
    /// API Gateway's request id.
    pub request_id: String,
    /// The route key, e.g. `GET /books/{id}`.
    pub route_key: String,
    /// The caller's `sub`, if an authorizer passed claims.
    pub sub: Option<String>,
    /// The status answered.
    pub status: u16,
    /// The problem slug of an error answer.
    pub problem: Option<&'static str>,
    /// What the request did to a book, if anything.
    pub event: Option<BookEvent>,
    /// Time spent in the handler.
    pub latency: Duration,
    /// Whether this was the process's first request.
    pub cold_start: bool,
}

/// The parts of a request the record names, read before the handler takes it.
#[derive(Debug, Clone, Default)]
pub struct RequestFacts {
    request_id: String,
    route_key: String,
    sub: Option<String>,
}

impl RequestFacts {
    /// Reads the request id, route key and caller of `request`.
    pub fn of(request: &Request) -> Self {
        let Some(RequestContext::ApiGatewayV2(context)) = request.request_context_ref() else {
            return Self::default();
        };
        let sub = context
            .authorizer
            .as_ref()
            .and_then(|authorizer| authorizer.jwt.as_ref())
            .and_then(|jwt| jwt.claims.get("sub").cloned());
        Self {
            request_id: context.request_id.clone().unwrap_or_default(),
            route_key: context.route_key.clone().unwrap_or_default(),
            sub,
        }
    }

    /// The record of the request, once answered.
    pub fn answered(
        self,
        status: u16,
        problem: Option<&'static str>,
        event: Option<BookEvent>,
        latency: Duration,
    ) -> RequestRecord {
        RequestRecord {
            request_id: self.request_id,
            route_key: self.route_key,
            sub: self.sub,
            status,
            problem,
            event,
            latency,
            cold_start: COLD.swap(false, Ordering::Relaxed),
        }
    }
}

impl RequestRecord {
    /// The record as EMF, under the function `function`.
    pub fn to_metrics(&self, function: &str) -> MetricsRecord {
        let mut record = MetricsRecord::new();
        let latency_ms = self.latency.as_secs_f64() * 1000.0;
        let count = |condition: bool| if condition { 1.0 } else { 0.0 };
        record
            .property("level", "INFO")
            .property("message", "request")
            .property("requestId", self.request_id.as_str())
            .property("routeKey", self.route_key.as_str())
            .property("status", self.status)
            .property("latencyMs", (latency_ms * 1000.0).round() / 1000.0)
            .property("coldStart", self.cold_start)
            .dimension("Function", function)
            .dimension("Route", self.route_key.as_str())
            .rollup(&["Function"])
            .metric("Requests", Unit::Count, 1.0)
            .metric("4xx", Unit::Count, count((400..500).contains(&self.status)))
            .metric("5xx", Unit::Count, count(self.status >= 500))
            .metric("Latency", Unit::Milliseconds, latency_ms)
            .metric("ColdStart", Unit::Count, count(self.cold_start));
        if let Some(sub) = &self.sub {
            record.property("sub", sub.as_str());
        }
        if let Some(slug) = self.problem {
            record.property("problem", slug);
            if slug == "precondition-failed" {
                record.metric("Conflicts", Unit::Count, 1.0);
            }
        }
        if let Some(event) = self.event {
            record.metric(event.metric_name(), Unit::Count, 1.0);
        }
        record
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn record(status: u16, problem: Option<&'static str>, event: Option<BookEvent>) -> Value {
        let record = RequestRecord {
            request_id: "r-1".into(),
            route_key: "POST /books".into(),
            sub: Some("user-1".into()),
            status,
            problem,
            event,
            latency: Duration::from_micros(1500),
            cold_start: true,
        };
        serde_json::from_str(&record.to_metrics("CreateBookFunction").to_line(0)).unwrap()
    }

    #[test]
    fn a_created_book_is_counted_with_the_request() {
        let line = record(201, None, Some(BookEvent::Created));
        assert_eq!(line["status"], 201);
        assert_eq!(line["routeKey"], "POST /books");
        assert_eq!(line["sub"], "user-1");
        assert_eq!(line["BooksCreated"], 1.0);
        assert_eq!(line["5xx"], 0.0);
        assert_eq!(line["Latency"], 1.5);
        assert_eq!(line["ColdStart"], 1.0);
        assert!(line.get("problem").is_none());
    }

    #[test]
    fn a_conflict_names_its_problem() {
        let line = record(412, Some("precondition-failed"), None);
        assert_eq!(line["problem"], "precondition-failed");
        assert_eq!(line["Conflicts"], 1.0);
        assert_eq!(line["4xx"], 1.0);
        let names: Vec<&str> = line["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|metric| metric["Name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"Conflicts"), "{names:?}");
    }
}
