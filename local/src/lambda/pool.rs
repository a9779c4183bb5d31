//! A function's instances: which are idle, how many run, and the decision Lambda makes for
//! every invocation (warm instance, cold start, or throttle).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::Serialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{
    AccountConcurrency, FunctionSpec, Invocation, InvokeError, Scaling, WhenBusy, instance,
};

/// How far a function has scaled out, as the runner's report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionStats {
    /// The function's logical id.
    pub name: String,
    /// Its concurrency limit (instances at most).
    pub max_instances: usize,
    /// Instances running now (idle, busy or starting).
    pub instances: usize,
    /// Of those, how many hold an invocation.
    pub busy: usize,
    /// The most instances it ran at once.
    pub peak_instances: usize,
    /// Instances started (cold starts).
    pub cold_starts: u64,
    /// Invocations accepted.
    pub invocations: u64,
    /// Invocations refused because every instance it may run was busy.
    pub throttles: u64,
    /// Invocations waiting for an instance (only with [`WhenBusy::Queue`]).
    pub queued: usize,
}

/// An instance waiting for work: where to send it.
#[derive(Debug)]
struct IdleInstance {
    id: u64,
    work: mpsc::Sender<Invocation>,
}

#[derive(Debug, Default)]
struct State {
    /// Most recently idle last: reused first, as Lambda keeps the warmest environment busy.
    idle: Vec<IdleInstance>,
    /// Invocations waiting for a busy instance ([`WhenBusy::Queue`] only), oldest first.
    waiting: VecDeque<Invocation>,
    instances: usize,
    busy: usize,
    peak: usize,
    cold_starts: u64,
    invocations: u64,
    throttles: u64,
    next_id: u64,
    draining: bool,
}

/// One function's instances.
#[derive(Debug)]
pub(super) struct Pool {
    spec: Arc<FunctionSpec>,
    scaling: Scaling,
    shutdown: CancellationToken,
    /// Cancelled by [`Pool::drain`]: idle instances stop.
    retire: CancellationToken,
    state: Mutex<State>,
    tasks: TaskTracker,
}

impl Pool {
    pub(super) fn new(
        spec: FunctionSpec,
        scaling: Scaling,
        shutdown: CancellationToken,
    ) -> Arc<Self> {
        Arc::new(Pool {
            spec: Arc::new(spec),
            scaling,
            shutdown,
            retire: CancellationToken::new(),
            state: Mutex::new(State::default()),
            tasks: TaskTracker::new(),
        })
    }

    pub(super) fn name(&self) -> &str {
        &self.spec.name
    }

    pub(super) fn spec(&self) -> &FunctionSpec {
        &self.spec
    }

    pub(super) fn account(&self) -> &AccountConcurrency {
        &self.scaling.account
    }

    pub(super) fn idle_timeout(&self) -> std::time::Duration {
        self.scaling.idle_timeout
    }

    pub(super) fn shutdown(&self) -> &CancellationToken {
        &self.shutdown
    }

    pub(super) fn retire(&self) -> &CancellationToken {
        &self.retire
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands `invocation` to an idle instance, or starts a new one; throttles past the limit
    /// (giving the invocation back with the error, so that its caller can be answered).
    pub(super) fn dispatch(
        self: &Arc<Self>,
        mut invocation: Invocation,
    ) -> Result<(), (InvokeError, Invocation)> {
        let mut state = self.state();
        if self.shutdown.is_cancelled() {
            return Err((InvokeError::Stopped, invocation));
        }
        if state.draining {
            return Err((InvokeError::Drained, invocation));
        }
        while let Some(idle) = state.idle.pop() {
            state.busy += 1;
            match idle.work.try_send(invocation) {
                Ok(()) => {
                    state.invocations += 1;
                    return Ok(());
                }
                // The instance stopped without taking itself off the list: forget it.
                Err(refused) => {
                    state.busy -= 1;
                    invocation = refused.into_inner();
                }
            }
        }
        if state.instances >= self.scaling.max_instances {
            if self.scaling.when_busy == WhenBusy::Queue && self.scaling.max_instances > 0 {
                state.invocations += 1;
                state.waiting.push_back(invocation);
                return Ok(());
            }
            state.throttles += 1;
            let error = InvokeError::Throttled("every instance the function may run is busy");
            return Err((error, invocation));
        }
        state.invocations += 1;
        self.start_instance(state, invocation);
        Ok(())
    }

    /// Starts a new instance whose first invocation is `invocation` (counted already).
    fn start_instance(self: &Arc<Self>, mut state: MutexGuard<'_, State>, invocation: Invocation) {
        state.instances += 1;
        state.busy += 1;
        state.peak = state.peak.max(state.instances);
        state.cold_starts += 1;
        state.next_id += 1;
        let id = state.next_id;
        let running = state.instances;
        drop(state);
        let (work, inbox) = mpsc::channel(1);
        // A fresh channel of one has room for one.
        let _ = work.try_send(invocation);
        self.tasks
            .spawn(instance::run(self.clone(), id, running, work, inbox));
    }

    /// Instance `id` answered its invocation: back on the idle list (`true`), or, while
    /// draining or stopping, it should stop (`false`).
    pub(super) fn release(&self, id: u64, work: &mpsc::Sender<Invocation>) -> bool {
        let mut state = self.state();
        if state.draining || self.shutdown.is_cancelled() {
            state.busy = state.busy.saturating_sub(1);
            state.instances = state.instances.saturating_sub(1);
            return false;
        }
        // A queued invocation goes to this instance at once: it stays busy.
        if let Some(next) = state.waiting.pop_front() {
            match work.try_send(next) {
                Ok(()) => return true,
                Err(refused) => state.waiting.push_front(refused.into_inner()),
            }
        }
        state.busy = state.busy.saturating_sub(1);
        state.idle.push(IdleInstance {
            id,
            work: work.clone(),
        });
        true
    }

    /// Takes idle instance `id` off the list so that it can stop; `false` if an invocation
    /// was handed to it meanwhile (it is busy again and must serve it).
    pub(super) fn retire_if_idle(&self, id: u64) -> bool {
        let mut state = self.state();
        match state.idle.iter().position(|idle| idle.id == id) {
            Some(index) => {
                state.idle.remove(index);
                state.instances = state.instances.saturating_sub(1);
                true
            }
            None => false,
        }
    }

    /// A busy instance ended (crash, timeout, failed start, shutdown); a queued invocation
    /// gets a new instance in its place.
    pub(super) fn ended_busy(self: &Arc<Self>) {
        let mut state = self.state();
        state.busy = state.busy.saturating_sub(1);
        state.instances = state.instances.saturating_sub(1);
        if !state.draining
            && !self.shutdown.is_cancelled()
            && let Some(next) = state.waiting.pop_front()
        {
            self.start_instance(state, next);
        }
    }

    /// The numbers of the runner's report.
    pub(super) fn stats(&self) -> FunctionStats {
        let state = self.state();
        FunctionStats {
            name: self.spec.name.clone(),
            max_instances: self.scaling.max_instances,
            instances: state.instances,
            busy: state.busy,
            peak_instances: state.peak,
            cold_starts: state.cold_starts,
            invocations: state.invocations,
            throttles: state.throttles,
            queued: state.waiting.len(),
        }
    }

    /// Refuses new invocations; idle instances stop, busy ones after their answer.
    pub(super) fn drain(&self) {
        let waiting = {
            let mut state = self.state();
            state.draining = true;
            std::mem::take(&mut state.waiting)
        };
        // Queued invocations follow to the instances that replace these.
        for invocation in waiting {
            let _ = invocation.respond.send(Err(InvokeError::Drained));
        }
        self.retire.cancel();
        self.tasks.close();
    }

    /// Waits until every instance has stopped.
    pub(super) async fn stopped(&self) {
        self.tasks.close();
        self.tasks.wait().await;
    }
}
