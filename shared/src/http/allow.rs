//! Which methods each path of the API answers: the `Allow` header of a 405.
//!
//! API Gateway answers a method no route declares with a bare 404; an `ANY`
//! route per path sends those requests to the `method-not-allowed` function
//! instead, which answers 405 with `Allow`, as HTTP asks. The end-to-end
//! contract test keeps this table equal to template.yaml's routes.

/// Every path template the API serves, with the methods it answers.
pub const ROUTES: &[(&str, &[&str])] = &[
    ("/", &["GET", "HEAD"]),
    ("/assets/{file}", &["GET", "HEAD"]),
    ("/books", &["GET", "HEAD", "POST"]),
    ("/books/{id}", &["GET", "HEAD", "PUT", "PATCH", "DELETE"]),
    ("/books/{id}/history", &["GET", "HEAD"]),
    ("/booksApi", &["GET", "HEAD", "POST"]),
    ("/booksApi/{id}", &["GET", "HEAD", "PUT", "DELETE"]),
];

/// The methods the path template `path` answers, if it is one of the API's.
pub fn allowed_methods(path: &str) -> Option<&'static [&'static str]> {
    ROUTES
        .iter()
        .find(|(template, _)| *template == path)
        .map(|(_, methods)| *methods)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_methods_of_a_path() {
        assert_eq!(
            allowed_methods("/books/{id}"),
            Some(&["GET", "HEAD", "PUT", "PATCH", "DELETE"][..])
        );
        assert_eq!(allowed_methods("/nope"), None);
    }
}
