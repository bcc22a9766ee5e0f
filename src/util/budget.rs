//! A byte budget shared by every session of a server.
//!
//! Each SMTP session holds the message it is receiving in memory until the
//! store has it; `--max-message-size` bounds one message, and this bounds
//! them all together, so that many clients sending large messages at once
//! cannot exhaust memory. A session that cannot get more of the budget
//! discards the rest of its message and answers 452 (RFC 5321 §4.2.2:
//! insufficient system storage), as Postfix does when its queue is full.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The budget: a limit and what is taken of it now.
#[derive(Debug)]
pub struct MemoryBudget {
    limit: usize,
    used: AtomicUsize,
}

impl MemoryBudget {
    /// A budget of `limit` bytes.
    pub fn new(limit: usize) -> Arc<Self> {
        Arc::new(MemoryBudget {
            limit,
            used: AtomicUsize::new(0),
        })
    }

    /// A budget that never refuses (for tools and tests).
    pub fn unlimited() -> Arc<Self> {
        Self::new(usize::MAX)
    }

    /// Bytes taken now.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// The limit.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Makes `held` cover `need` octets, growing in doubling steps (at
    /// least 4 KB) so a message that arrives in many pieces costs few
    /// atomic operations; false when the budget cannot. For the DATA and
    /// BDAT readers, whose content grows as it comes.
    pub fn reserve(self: &Arc<Self>, held: &mut Held, need: usize) -> bool {
        let have = held.bytes();
        if need <= have {
            return true;
        }
        let target = need.max(have * 2).max(4096);
        self.grow(held, target - have) || self.grow(held, need - have)
    }

    /// Takes `n` more bytes for `held`; false (and nothing taken) when that
    /// would pass the limit.
    pub fn grow(self: &Arc<Self>, held: &mut Held, n: usize) -> bool {
        let mut cur = self.used.load(Ordering::Relaxed);
        loop {
            let Some(next) = cur.checked_add(n).filter(|&v| v <= self.limit) else {
                return false;
            };
            match self
                .used
                .compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => break,
                Err(now) => cur = now,
            }
        }
        match &held.budget {
            Some(b) if Arc::ptr_eq(b, self) => {}
            Some(_) => {
                // Held belongs to another budget: give this back and refuse.
                self.used.fetch_sub(n, Ordering::AcqRel);
                return false;
            }
            None => held.budget = Some(self.clone()),
        }
        held.bytes += n;
        true
    }
}

/// Bytes taken from a budget; given back when dropped.
#[derive(Debug, Default)]
pub struct Held {
    budget: Option<Arc<MemoryBudget>>,
    bytes: usize,
}

impl Held {
    /// Nothing held yet.
    pub fn new() -> Self {
        Held::default()
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(b) = &self.budget {
            b.used.fetch_sub(self.bytes, Ordering::AcqRel);
        }
    }
}

// A reservation has no bearing on what a transaction is.
impl PartialEq for Held {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

impl Eq for Held {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_up_to_the_limit_and_gives_back_on_drop() {
        let b = MemoryBudget::new(100);
        let mut one = Held::new();
        assert!(b.grow(&mut one, 60));
        let mut two = Held::new();
        assert!(!b.grow(&mut two, 41), "past the limit");
        assert!(b.grow(&mut two, 40));
        assert_eq!(b.used(), 100);
        drop(one);
        assert_eq!(b.used(), 40);
        assert!(b.grow(&mut two, 60));
        drop(two);
        assert_eq!(b.used(), 0);
    }

    #[test]
    fn held_is_tied_to_one_budget() {
        let a = MemoryBudget::new(100);
        let b = MemoryBudget::new(100);
        let mut h = Held::new();
        assert!(a.grow(&mut h, 10));
        assert!(!b.grow(&mut h, 10));
        assert_eq!(b.used(), 0);
        drop(h);
        assert_eq!(a.used(), 0);
    }
}
