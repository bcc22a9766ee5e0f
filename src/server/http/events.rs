//! The event stream of `/api/events` (Mailpit's server/websockets/hub.go):
//! each WebSocket client is subscribed with the scope it may see; every
//! change the index makes is turned into Mailpit's event objects (`new`
//! with the message summary, `update` with `{ID, Read}`, `delete` with
//! `{ID}`, `truncate`) followed by a `stats` event, and sent to each
//! client that sees the mailbox concerned, through the loop's completer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::json;

use super::index::{Change, Scope, Shared};
use super::{json, Done};
use crate::net::{Completer, ConnId};

/// The subscribers; clones share them.
#[derive(Clone)]
pub struct Hub {
    subs: Arc<Mutex<HashMap<ConnId, Scope>>>,
    completer: Completer<Done>,
}

impl Hub {
    /// A hub sending through `completer`.
    pub fn new(completer: Completer<Done>) -> Hub {
        Hub {
            subs: Arc::default(),
            completer,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ConnId, Scope>> {
        self.subs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Subscribes connection `id`.
    pub fn add(&self, id: ConnId, scope: Scope) {
        self.lock().insert(id, scope);
    }

    /// Unsubscribes connection `id`.
    pub fn remove(&self, id: ConnId) {
        self.lock().remove(&id);
    }

    /// How many clients listen.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether none listen.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sends the events of `changes` to every subscriber that sees them.
    pub fn publish(&self, shared: &Shared, changes: &[Change]) {
        self.send(shared, changes, None);
    }

    /// Everything `scope` sees was deleted (`changes` are the deletes):
    /// `truncate` to subscribers that saw just that, the single deletes
    /// to the others.
    pub fn truncate(&self, shared: &Shared, scope: &Scope, changes: &[Change]) {
        self.send(shared, changes, Some(scope));
    }

    fn send(&self, shared: &Shared, changes: &[Change], truncated: Option<&Scope>) {
        let subs: Vec<(ConnId, Scope)> = self.lock().iter().map(|(i, s)| (*i, s.clone())).collect();
        if subs.is_empty() || changes.is_empty() && truncated.is_none() {
            return;
        }
        let ix = shared.read();
        let events: Vec<(Option<String>, Arc<str>)> = changes
            .iter()
            .filter_map(|c| {
                let mailbox = c.mailbox(&ix).map(str::to_owned);
                let text = match c {
                    Change::New(id) => json::event("new", json::summary(ix.get(id)?)),
                    Change::Read { id, read, .. } => {
                        json::event("update", json!({"ID": &**id, "Read": read}))
                    }
                    Change::Delete { id, .. } => json::event("delete", json!({"ID": &**id})),
                };
                Some((mailbox, text.into()))
            })
            .collect();
        let truncate: Arc<str> = json::event("truncate", serde_json::Value::Null).into();
        for (id, scope) in subs {
            let whole = truncated.is_some_and(|t| *t == Scope::All || *t == scope);
            let mut out: Vec<Arc<str>> = if whole {
                vec![truncate.clone()]
            } else {
                events
                    .iter()
                    .filter(|(m, _)| m.as_deref().is_some_and(|m| scope.sees(m)))
                    .map(|(_, t)| t.clone())
                    .collect()
            };
            if out.is_empty() {
                continue;
            }
            out.push(json::event("stats", json::stats(&ix, &scope)).into());
            self.completer.complete(id, Done::Events(out));
        }
    }
}
