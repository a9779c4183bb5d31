//! A function whose instances can be replaced while callers hold it: what the watch loop
//! swaps when a rebuild produces a new binary or the template changes a function's settings.

use std::sync::{Arc, PoisonError, RwLock};

use bytes::Bytes;

use super::{FunctionStats, InvokeError, Invoker};

/// How many times an invocation follows a swap before giving up (a swap is a rebuild:
/// more than one while one invocation is being dispatched does not happen).
const MAX_SWAPS_FOLLOWED: usize = 3;

/// One function of the template, served by whichever [`Invoker`] is current: an invocation
/// goes to the instances current when it starts, and one that reaches instances being
/// replaced follows to the new ones, so a swap never fails a request.
#[derive(Debug, Clone)]
pub struct LiveFunction {
    name: Arc<str>,
    current: Arc<RwLock<Invoker>>,
}

impl LiveFunction {
    /// Serves the function with `invoker` until it is replaced.
    pub fn new(invoker: Invoker) -> Self {
        LiveFunction {
            name: invoker.name().into(),
            current: Arc::new(RwLock::new(invoker)),
        }
    }

    /// The function's name (its logical id).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The invoker new invocations go to.
    pub fn current(&self) -> Invoker {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Sends new invocations to `invoker`; returns the one it replaces (to be drained).
    pub fn replace(&self, invoker: Invoker) -> Invoker {
        let mut slot = self.current.write().unwrap_or_else(PoisonError::into_inner);
        std::mem::replace(&mut *slot, invoker)
    }

    /// Runs the function on `payload` with the current instances.
    ///
    /// # Errors
    /// As [`Invoker::invoke`].
    pub async fn invoke(&self, payload: Bytes) -> Result<Bytes, InvokeError> {
        let mut result = Err(InvokeError::Drained);
        for _ in 0..MAX_SWAPS_FOLLOWED {
            result = self.current().invoke(payload.clone()).await;
            if result != Err(InvokeError::Drained) {
                break;
            }
        }
        result
    }

    /// How far the current instances have scaled out.
    pub fn stats(&self) -> FunctionStats {
        self.current().stats()
    }
}
