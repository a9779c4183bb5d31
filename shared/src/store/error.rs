//! [`StoreError`] and [`classify`]: what a failed DynamoDB call means for the
//! caller, decided once, here.

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

/// The outcome of a store call that did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The book does not exist (or no longer does).
    #[error("no book has the id {0}")]
    NotFound(String),
    /// The book exists, but not at a version the write allows.
    #[error("the book is not at the expected version")]
    VersionMismatch,
    /// An idempotency key came back with another request body.
    #[error("the idempotency key was used with another request")]
    IdempotencyKeyReused,
    /// Throttled, timed out or unreachable: retrying later can succeed.
    #[error("DynamoDB is unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug, a misconfiguration, a permission missing.
    #[error("DynamoDB call failed: {0}")]
    Internal(String),
}

/// Error codes DynamoDB uses for throttling and transient server trouble.
const TRANSIENT_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionInProgressException",
];

/// Classifies an SDK error that is not a domain outcome (conditional-check
/// failures are handled by the caller before this): throttling, timeouts and
/// connection failures are [`StoreError::Unavailable`], the rest
/// [`StoreError::Internal`]. The SDK's detail stays in the error for the log.
pub fn classify<E, R>(error: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let detail = format!("{}", aws_sdk_dynamodb::error::DisplayErrorContext(&error));
    match &error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            StoreError::Unavailable(detail)
        }
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or_default();
            if TRANSIENT_CODES.contains(&code) {
                StoreError::Unavailable(detail)
            } else {
                StoreError::Internal(detail)
            }
        }
        _ => StoreError::Internal(detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::error::ErrorMetadata;
    use aws_sdk_dynamodb::operation::get_item::GetItemError;
    use aws_sdk_dynamodb::types::error::ProvisionedThroughputExceededException;

    fn service_error(error: GetItemError) -> SdkError<GetItemError, &'static str> {
        SdkError::service_error(error, "raw response")
    }

    #[test]
    fn throttling_codes_are_unavailable() {
        let throttled = GetItemError::ProvisionedThroughputExceededException(
            ProvisionedThroughputExceededException::builder()
                .message("slow down")
                .meta(
                    ErrorMetadata::builder()
                        .code("ProvisionedThroughputExceededException")
                        .build(),
                )
                .build(),
        );
        assert!(matches!(
            classify(service_error(throttled)),
            StoreError::Unavailable(_)
        ));
        for code in ["ThrottlingException", "RequestLimitExceeded"] {
            let error = GetItemError::generic(ErrorMetadata::builder().code(code).build());
            assert!(
                matches!(classify(service_error(error)), StoreError::Unavailable(_)),
                "{code}"
            );
        }
    }

    #[test]
    fn other_service_errors_are_internal() {
        let error = GetItemError::generic(
            ErrorMetadata::builder()
                .code("AccessDeniedException")
                .build(),
        );
        assert!(matches!(
            classify(service_error(error)),
            StoreError::Internal(_)
        ));
    }

    #[test]
    fn timeouts_are_unavailable() {
        let error: SdkError<GetItemError, &str> = SdkError::timeout_error("took too long");
        assert!(matches!(classify(error), StoreError::Unavailable(_)));
    }
}
