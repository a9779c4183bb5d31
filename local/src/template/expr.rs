//! CloudFormation values that may be intrinsic functions (`!Ref`, `!GetAtt`, `!Sub`, `!Join`),
//! in their short-tag and long (`Ref:`, `Fn::GetAtt:`) forms.
//!
//! The template is parsed once into [`Expr`]s; each is evaluated later, when the runner knows
//! what the references stand for locally (physical table names, parameter values).

use std::collections::BTreeMap;

use serde_norway::Value;

/// A template value: a literal, or an intrinsic function to evaluate against a [`Scope`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// A plain scalar (strings, numbers and booleans alike, as CloudFormation treats them).
    Literal(String),
    /// `!Ref LogicalId`: a resource's physical id or a parameter's value.
    Ref(String),
    /// `!GetAtt Resource.Attribute`.
    GetAtt {
        /// Logical id of the resource.
        resource: String,
        /// Attribute name, e.g. `Arn` or `StreamArn`.
        attribute: String,
    },
    /// `!Sub "text ${Name} ${Res.Attr}"`, with optional explicit variables.
    Sub {
        /// The text with `${…}` placeholders.
        template: String,
        /// Variables given in the two-element form of `!Sub`.
        variables: BTreeMap<String, Expr>,
    },
    /// `!Join [delimiter, [parts…]]`.
    Join {
        /// Text placed between the parts.
        delimiter: String,
        /// The joined values.
        parts: Vec<Expr>,
    },
    /// An intrinsic the runner does not evaluate (`!If`, `!Select`, …), by name.
    Unsupported(String),
}

/// What references stand for where the template is evaluated.
pub trait Scope {
    /// The value of `!Ref logical_id` (a parameter, pseudo parameter or resource), if known.
    fn reference(&self, logical_id: &str) -> Option<String>;
    /// The value of `!GetAtt resource.attribute`, if known.
    fn attribute(&self, resource: &str, attribute: &str) -> Option<String>;
}

/// Why an [`Expr`] has no local value; names the first thing that could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unresolved {
    /// A `!Ref` or `${…}` whose target the scope does not know.
    #[error("no local value for `{0}`")]
    Reference(String),
    /// A dynamic reference such as `{{resolve:secretsmanager:…}}`, naming what it resolves.
    #[error("dynamic reference `{0}` cannot be resolved locally")]
    DynamicReference(String),
    /// An intrinsic function this runner does not evaluate.
    #[error("intrinsic function `{0}` is not supported locally")]
    Unsupported(String),
}

impl Unresolved {
    /// The logical id (or name) the failed resolution was about: a stable key for placeholders.
    pub fn subject(&self) -> &str {
        match self {
            Unresolved::Reference(name)
            | Unresolved::DynamicReference(name)
            | Unresolved::Unsupported(name) => name,
        }
    }
}

impl Expr {
    /// Reads a YAML value as an expression; mappings and sequences that are not intrinsic
    /// functions are [`Expr::Unsupported`].
    pub fn from_yaml(value: &Value) -> Expr {
        match value {
            Value::Null => Expr::Literal(String::new()),
            Value::Bool(b) => Expr::Literal(b.to_string()),
            Value::Number(n) => Expr::Literal(n.to_string()),
            Value::String(s) => Expr::Literal(s.clone()),
            Value::Tagged(tagged) => {
                let name = tagged.tag.to_string();
                intrinsic(name.trim_start_matches('!'), &tagged.value)
            }
            Value::Mapping(map) if map.len() == 1 => match map.iter().next() {
                Some((Value::String(key), inner)) if key == "Ref" || key.starts_with("Fn::") => {
                    intrinsic(key.trim_start_matches("Fn::"), inner)
                }
                _ => Expr::Unsupported("mapping".to_owned()),
            },
            Value::Mapping(_) => Expr::Unsupported("mapping".to_owned()),
            Value::Sequence(_) => Expr::Unsupported("sequence".to_owned()),
        }
    }

    /// If this is `!GetAtt resource.attribute`, its parts.
    pub fn as_get_att(&self) -> Option<(&str, &str)> {
        match self {
            Expr::GetAtt {
                resource,
                attribute,
            } => Some((resource, attribute)),
            _ => None,
        }
    }

    /// Evaluates the expression to a string.
    ///
    /// # Errors
    /// [`Unresolved`] when a reference is unknown to `scope`, the result holds a dynamic
    /// reference (`{{resolve:…}}`), or an intrinsic is not supported.
    pub fn evaluate(&self, scope: &dyn Scope) -> Result<String, Unresolved> {
        let value = match self {
            Expr::Literal(s) => s.clone(),
            Expr::Ref(name) => scope
                .reference(name)
                .ok_or_else(|| Unresolved::Reference(name.clone()))?,
            Expr::GetAtt {
                resource,
                attribute,
            } => scope
                .attribute(resource, attribute)
                .ok_or_else(|| Unresolved::Reference(format!("{resource}.{attribute}")))?,
            Expr::Sub {
                template,
                variables,
            } => substitute(template, variables, scope)?,
            Expr::Join { delimiter, parts } => parts
                .iter()
                .map(|part| part.evaluate(scope))
                .collect::<Result<Vec<_>, _>>()?
                .join(delimiter),
            Expr::Unsupported(name) => return Err(Unresolved::Unsupported(name.clone())),
        };
        reject_dynamic_reference(&value)?;
        Ok(value)
    }
}

/// Builds the expression for intrinsic `name` (without `!` or `Fn::`) applied to `arg`.
fn intrinsic(name: &str, arg: &Value) -> Expr {
    match (name, arg) {
        ("Ref", Value::String(target)) => Expr::Ref(target.clone()),
        ("GetAtt", Value::String(dotted)) => match dotted.split_once('.') {
            Some((resource, attribute)) => Expr::GetAtt {
                resource: resource.to_owned(),
                attribute: attribute.to_owned(),
            },
            None => Expr::Unsupported("GetAtt".to_owned()),
        },
        ("GetAtt", Value::Sequence(parts)) => match parts.as_slice() {
            [Value::String(resource), Value::String(attribute)] => Expr::GetAtt {
                resource: resource.clone(),
                attribute: attribute.clone(),
            },
            _ => Expr::Unsupported("GetAtt".to_owned()),
        },
        ("Sub", Value::String(template)) => Expr::Sub {
            template: template.clone(),
            variables: BTreeMap::new(),
        },
        ("Sub", Value::Sequence(parts)) => match parts.as_slice() {
            [Value::String(template), Value::Mapping(vars)] => Expr::Sub {
                template: template.clone(),
                variables: vars
                    .iter()
                    .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), Expr::from_yaml(v))))
                    .collect(),
            },
            _ => Expr::Unsupported("Sub".to_owned()),
        },
        ("Join", Value::Sequence(parts)) => match parts.as_slice() {
            [Value::String(delimiter), Value::Sequence(items)] => Expr::Join {
                delimiter: delimiter.clone(),
                parts: items.iter().map(Expr::from_yaml).collect(),
            },
            _ => Expr::Unsupported("Join".to_owned()),
        },
        (other, _) => Expr::Unsupported(other.to_owned()),
    }
}

/// Replaces `${Name}` and `${Resource.Attribute}` in `template`; `${!Literal}` stays `${Literal}`.
fn substitute(
    template: &str,
    variables: &BTreeMap<String, Expr>,
    scope: &dyn Scope,
) -> Result<String, Unresolved> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let name = &after[..end];
        if let Some(literal) = name.strip_prefix('!') {
            out.push_str("${");
            out.push_str(literal);
            out.push('}');
        } else if let Some(expr) = variables.get(name) {
            out.push_str(&expr.evaluate(scope)?);
        } else if let Some((resource, attribute)) = name.split_once('.') {
            let value = scope
                .attribute(resource, attribute)
                .ok_or_else(|| Unresolved::Reference(name.to_owned()))?;
            out.push_str(&value);
        } else {
            let value = scope
                .reference(name)
                .ok_or_else(|| Unresolved::Reference(name.to_owned()))?;
            out.push_str(&value);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Fails on `{{resolve:service:name…}}`: those are resolved by CloudFormation, not locally.
fn reject_dynamic_reference(value: &str) -> Result<(), Unresolved> {
    match value.find("{{resolve:") {
        Some(start) => {
            let inner = &value[start + "{{resolve:".len()..];
            let name = inner.split(':').nth(1).unwrap_or(inner);
            Err(Unresolved::DynamicReference(
                name.trim_end_matches('}').to_owned(),
            ))
        }
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Names;
    impl Scope for Names {
        fn reference(&self, id: &str) -> Option<String> {
            (id == "BooksTable").then(|| "books-local".to_owned())
        }
        fn attribute(&self, resource: &str, attribute: &str) -> Option<String> {
            (resource == "BooksTable" && attribute == "Arn").then(|| "arn:books".to_owned())
        }
    }

    fn expr(yaml: &str) -> Expr {
        let value: Value = serde_norway::from_str(yaml).expect("test yaml parses");
        Expr::from_yaml(&value)
    }

    #[test]
    fn short_and_long_forms_evaluate_alike() {
        for yaml in ["!Ref BooksTable", "Ref: BooksTable"] {
            assert_eq!(expr(yaml).evaluate(&Names), Ok("books-local".to_owned()));
        }
        for yaml in [
            "!GetAtt BooksTable.Arn",
            "Fn::GetAtt: [BooksTable, Arn]",
            "!GetAtt [BooksTable, Arn]",
        ] {
            assert_eq!(expr(yaml).evaluate(&Names), Ok("arn:books".to_owned()));
        }
    }

    #[test]
    fn sub_substitutes_references_attributes_and_variables() {
        let e = expr("!Sub ['${BooksTable}/${BooksTable.Arn}/${X}/${!Kept}', {X: x}]");
        assert_eq!(
            e.evaluate(&Names),
            Ok("books-local/arn:books/x/${Kept}".to_owned())
        );
    }

    #[test]
    fn dynamic_references_and_unknown_refs_are_unresolved_with_their_subject() {
        let e = expr(r#"!Sub "{{resolve:secretsmanager:${CursorSecret}:SecretString}}""#);
        assert_eq!(
            e.evaluate(&Names).map_err(|u| u.subject().to_owned()),
            Err("CursorSecret".to_owned())
        );
        let secret = expr(r#""{{resolve:secretsmanager:MySecret:SecretString}}""#);
        assert_eq!(
            secret.evaluate(&Names),
            Err(Unresolved::DynamicReference("MySecret".to_owned()))
        );
        assert_eq!(
            expr("!If [c, a, b]").evaluate(&Names),
            Err(Unresolved::Unsupported("If".to_owned()))
        );
    }
}
