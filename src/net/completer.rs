//! The way back to the loop: a worker thread (the store's writer, the
//! pool) sends a completion for a connection through a [`Completer`]; the
//! loop drains the service's [`Inbox`] and hands each to the service with
//! its [`ConnId`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;

use mio::Waker;

use super::ConnId;

/// Sends completions to the loop from any thread and wakes it.
pub struct Completer<C> {
    tx: mpsc::Sender<(ConnId, C)>,
    waker: Arc<Waker>,
    /// Set while a wake-up is on its way and the loop has not yet drained
    /// the channels: a batch of completions costs one wake-up, not one each.
    pending: Arc<AtomicBool>,
}

impl<C> Clone for Completer<C> {
    fn clone(&self) -> Self {
        Completer {
            tx: self.tx.clone(),
            waker: self.waker.clone(),
            pending: self.pending.clone(),
        }
    }
}

impl<C> Completer<C> {
    /// Delivers `c` to the session `id` (dropped if it has gone).
    pub fn complete(&self, id: ConnId, c: C) {
        if self.tx.send((id, c)).is_ok() {
            self.wake();
        }
    }

    /// Wakes the loop with no completion: a service's own thread has
    /// something the service collects when polled (the relay queue's
    /// loader and resolver).
    pub fn wake(&self) {
        if !self.pending.swap(true, Ordering::AcqRel) {
            let _ = self.waker.wake();
        }
    }
}

/// The receiving end of a service's completions, handed to the runtime
/// with the service ([`super::Runtime::add_server`]).
pub struct Inbox<C> {
    pub(super) rx: mpsc::Receiver<(ConnId, C)>,
}

/// A connected pair sharing the loop's waker and wake-up flag.
pub(super) fn channel<C>(waker: Arc<Waker>, pending: Arc<AtomicBool>) -> (Completer<C>, Inbox<C>) {
    let (tx, rx) = mpsc::channel();
    (Completer { tx, waker, pending }, Inbox { rx })
}
