//! HTTP API route selection: routes are `METHOD /path` (with `{param}` and a trailing greedy
//! `{proxy+}`), `ANY /path`, or `$default`; the most specific match wins, as in API Gateway.
//!
//! Specificity: paths are compared segment by segment from the left, a literal beating a
//! `{param}`, which beats `{proxy+}`; for equal paths a route with the request's method
//! beats `ANY`; `$default` is chosen only when no other route matches.

use std::collections::BTreeMap;
use std::fmt;

use percent_encoding::percent_decode_str;

/// Why a route cannot be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// The path is not a valid HTTP API route path.
    #[error("route `{0}`: {1}")]
    Invalid(String, &'static str),
    /// Two functions declare the same route.
    #[error("route `{0}` is declared twice")]
    Duplicate(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
    Greedy(String),
}

impl Segment {
    /// Lower is more specific.
    fn rank(&self) -> u8 {
        match self {
            Segment::Literal(_) => 0,
            Segment::Param(_) => 1,
            Segment::Greedy(_) => 2,
        }
    }
}

/// A route of the HTTP API, pointing at a target (e.g. a function's index).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route<T> {
    /// The route key as API Gateway writes it: `GET /books/{id}`, `ANY /{proxy+}`, `$default`.
    pub key: String,
    /// `None` for `ANY` and `$default`.
    method: Option<String>,
    /// `None` for `$default`.
    segments: Option<Vec<Segment>>,
    /// What serves the route.
    pub target: T,
}

impl<T> Route<T> {
    /// A route for `method` (`ANY` for all) and `path`; both `None` is `$default`.
    ///
    /// # Errors
    /// [`RouteError::Invalid`] for a path that does not start with `/`, has an empty or
    /// malformed variable, or a greedy variable that is not last.
    pub fn new(
        method: Option<&str>,
        path: Option<&str>,
        target: T,
    ) -> Result<Route<T>, RouteError> {
        let Some(path) = path else {
            return Ok(Route {
                key: "$default".to_owned(),
                method: None,
                segments: None,
                target,
            });
        };
        let method = method.unwrap_or("ANY").to_ascii_uppercase();
        let key = format!("{method} {path}");
        let invalid = |why| RouteError::Invalid(key.clone(), why);
        let rest = path
            .strip_prefix('/')
            .ok_or_else(|| invalid("must start with /"))?;
        let parts: Vec<&str> = if rest.is_empty() {
            Vec::new()
        } else {
            rest.split('/').collect()
        };
        let count = parts.len();
        let mut segments = Vec::with_capacity(count);
        for (i, part) in parts.into_iter().enumerate() {
            let segment = match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(name) => match name.strip_suffix('+') {
                    Some(_) if i + 1 != count => return Err(invalid("{proxy+} must be last")),
                    Some(greedy) if !greedy.is_empty() => Segment::Greedy(greedy.to_owned()),
                    None if !name.is_empty() && !name.contains(['{', '}']) => {
                        Segment::Param(name.to_owned())
                    }
                    _ => return Err(invalid("empty or malformed path variable")),
                },
                None if part.contains(['{', '}']) => {
                    return Err(invalid("malformed path variable"));
                }
                None => Segment::Literal(part.to_owned()),
            };
            segments.push(segment);
        }
        Ok(Route {
            method: (method != "ANY").then_some(method),
            segments: Some(segments),
            key,
            target,
        })
    }

    /// Path parameters if this route matches `method` and `path` (split at `/`, each
    /// segment still to be decoded once).
    fn matches(&self, method: &str, path: &[&str]) -> Option<BTreeMap<String, String>> {
        if self.method.as_deref().is_some_and(|m| m != method) {
            return None;
        }
        let segments = self.segments.as_ref()?;
        let mut parameters = BTreeMap::new();
        for (i, segment) in segments.iter().enumerate() {
            match segment {
                Segment::Greedy(name) => {
                    let rest = path.get(i..)?.join("/");
                    if rest.is_empty() {
                        return None;
                    }
                    parameters.insert(name.clone(), decode(&rest));
                    return Some(parameters);
                }
                Segment::Literal(literal) => {
                    if decode(path.get(i)?) != *literal {
                        return None;
                    }
                }
                Segment::Param(name) => {
                    let value = path.get(i).filter(|v| !v.is_empty())?;
                    parameters.insert(name.clone(), decode(value));
                }
            }
        }
        (path.len() == segments.len()).then_some(parameters)
    }

    /// Sort key: smaller is more specific.
    fn specificity(&self) -> (bool, Vec<u8>, bool) {
        let ranks = self
            .segments
            .as_ref()
            .map(|s| s.iter().map(Segment::rank).collect())
            .unwrap_or_default();
        (self.segments.is_none(), ranks, self.method.is_none())
    }
}

impl<T> fmt::Display for Route<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key)
    }
}

/// The route a request was matched to, with its path parameters (decoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch<'a, T> {
    /// The chosen route.
    pub route: &'a Route<T>,
    /// `pathParameters`; empty for routes without variables.
    pub path_parameters: BTreeMap<String, String>,
}

/// All routes of the API.
#[derive(Debug, Clone)]
pub struct RouteTable<T> {
    routes: Vec<Route<T>>,
}

impl<T> RouteTable<T> {
    /// A table of `routes`, most specific first.
    ///
    /// # Errors
    /// [`RouteError::Duplicate`] when two routes have the same key.
    pub fn new(mut routes: Vec<Route<T>>) -> Result<RouteTable<T>, RouteError> {
        routes.sort_by(|a, b| {
            a.specificity()
                .cmp(&b.specificity())
                .then(a.key.cmp(&b.key))
        });
        for pair in routes.windows(2) {
            if pair[0].key == pair[1].key {
                return Err(RouteError::Duplicate(pair[0].key.clone()));
            }
        }
        Ok(RouteTable { routes })
    }

    /// The routes, most specific first.
    pub fn routes(&self) -> &[Route<T>] {
        &self.routes
    }

    /// The most specific route for `method` and `path`, the path API Gateway routes on
    /// ([`super::path::GatewayPath::routed`]): its segments are decoded once more for the
    /// path parameters.
    pub fn find(&self, method: &str, path: &str) -> Option<RouteMatch<'_, T>> {
        let rest = path.strip_prefix('/').unwrap_or(path);
        let parts: Vec<&str> = if rest.is_empty() {
            Vec::new()
        } else {
            rest.split('/').collect()
        };
        self.routes.iter().find_map(|route| {
            if route.segments.is_none() {
                return Some(RouteMatch {
                    route,
                    path_parameters: BTreeMap::new(),
                });
            }
            route
                .matches(method, &parts)
                .map(|path_parameters| RouteMatch {
                    route,
                    path_parameters,
                })
        })
    }
}

/// Percent-decodes a path segment (API Gateway decodes parameters before passing them on).
/// Invalid UTF-8 becomes U+FFFD.
fn decode(raw: &str) -> String {
    percent_decode_str(raw).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(routes: &[(&str, &str)]) -> RouteTable<&'static str> {
        let routes = routes
            .iter()
            .map(|(method, path)| {
                let target: &'static str = Box::leak(format!("{method} {path}").into_boxed_str());
                if *path == "$default" {
                    Route::new(None, None, "$default")
                } else {
                    Route::new(Some(method), Some(path), target)
                }
                .expect("valid route")
            })
            .collect();
        RouteTable::new(routes).expect("no duplicates")
    }

    fn chosen(table: &RouteTable<&'static str>, method: &str, path: &str) -> Option<&'static str> {
        table.find(method, path).map(|m| m.route.target)
    }

    #[test]
    fn the_most_specific_path_wins() {
        let t = table(&[
            ("GET", "/pets/dog/1"),
            ("GET", "/pets/dog/{id}"),
            ("GET", "/pets/{proxy+}"),
            ("ANY", "/{proxy+}"),
            ("", "$default"),
        ]);
        assert_eq!(chosen(&t, "GET", "/pets/dog/1"), Some("GET /pets/dog/1"));
        assert_eq!(chosen(&t, "GET", "/pets/dog/2"), Some("GET /pets/dog/{id}"));
        assert_eq!(chosen(&t, "GET", "/pets/cat/1"), Some("GET /pets/{proxy+}"));
        assert_eq!(chosen(&t, "POST", "/pets/dog/1"), Some("ANY /{proxy+}"));
        assert_eq!(chosen(&t, "GET", "/"), Some("$default"));
    }

    #[test]
    fn a_method_route_beats_any_on_the_same_path() {
        let t = table(&[
            ("ANY", "/books/{id}"),
            ("GET", "/books/{id}"),
            ("ANY", "/books"),
        ]);
        assert_eq!(chosen(&t, "GET", "/books/1"), Some("GET /books/{id}"));
        assert_eq!(chosen(&t, "DELETE", "/books/1"), Some("ANY /books/{id}"));
        assert_eq!(chosen(&t, "POST", "/books"), Some("ANY /books"));
    }

    #[test]
    fn unmatched_requests_find_nothing_without_default() {
        let t = table(&[("GET", "/books"), ("GET", "/books/{id}"), ("GET", "/")]);
        assert_eq!(chosen(&t, "POST", "/books"), None);
        assert_eq!(chosen(&t, "GET", "/books/1/history"), None);
        assert_eq!(
            chosen(&t, "GET", "/books/"),
            None,
            "an empty segment is no {{id}}"
        );
        assert_eq!(chosen(&t, "GET", "/"), Some("GET /"));
        assert_eq!(chosen(&t, "GET", "/nope"), None);
    }

    #[test]
    fn parameters_are_decoded_and_greedy_takes_the_rest() {
        let t = table(&[("GET", "/books/{id}/history"), ("ANY", "/files/{proxy+}")]);
        let m = t.find("GET", "/books/a%20b/history").expect("matches");
        assert_eq!(m.path_parameters["id"], "a b");
        let m = t.find("PUT", "/files/x/y%2Fz").expect("matches");
        assert_eq!(m.route.key, "ANY /files/{proxy+}");
        assert_eq!(m.path_parameters["proxy"], "x/y/z");
        assert!(
            t.find("PUT", "/files").is_none(),
            "{{proxy+}} needs at least one segment"
        );
    }

    #[test]
    fn invalid_and_duplicate_routes_are_refused() {
        assert!(Route::new(Some("GET"), Some("/{proxy+}/x"), ()).is_err());
        assert!(Route::new(Some("GET"), Some("books"), ()).is_err());
        assert!(Route::new(Some("GET"), Some("/{}"), ()).is_err());
        let twice = vec![
            Route::new(Some("GET"), Some("/a"), ()).expect("valid"),
            Route::new(Some("get"), Some("/a"), ()).expect("valid"),
        ];
        assert_eq!(
            RouteTable::new(twice).map(|_| ()),
            Err(RouteError::Duplicate("GET /a".to_owned()))
        );
    }
}
