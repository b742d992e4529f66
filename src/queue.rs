//! The offline command queue: what `publish()` keeps while the link is down.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// A bounded FIFO that drops its oldest entry when full and forgets entries older than a
/// maximum age when they are taken out for sending.
#[derive(Debug)]
pub struct OfflineQueue<T> {
    items: VecDeque<(Instant, T)>,
    capacity: usize,
    max_age: Option<Duration>,
    dropped_total: u64,
}

/// What happened when an entry was pushed.
#[derive(Debug, PartialEq, Eq)]
pub enum Pushed<T> {
    Stored,
    /// The queue was full; this, the oldest entry, made room.
    DroppedOldest(T),
}

impl<T> OfflineQueue<T> {
    pub fn new(capacity: usize, max_age: Option<Duration>) -> Self {
        Self { items: VecDeque::new(), capacity: capacity.max(1), max_age, dropped_total: 0 }
    }

    pub fn push(&mut self, item: T) -> Pushed<T> {
        self.push_at(Instant::now(), item)
    }

    pub fn push_at(&mut self, at: Instant, item: T) -> Pushed<T> {
        let dropped = if self.items.len() >= self.capacity {
            self.dropped_total += 1;
            self.items.pop_front().map(|(_, old)| old)
        } else {
            None
        };
        self.items.push_back((at, item));
        match dropped {
            Some(old) => Pushed::DroppedOldest(old),
            None => Pushed::Stored,
        }
    }

    /// Puts entries that were taken out but not delivered back at the front, in their order,
    /// keeping their original enqueue time. They are older than anything queued since, so when
    /// they do not all fit the oldest of them go, as for `push`: the queue keeps the newest.
    /// Returns the entries that did not fit (a prefix of `entries`, in order), counted as drops.
    pub fn restore_front(&mut self, mut entries: Vec<(Instant, T)>) -> Vec<T> {
        let room = self.capacity.saturating_sub(self.items.len());
        let overflow: Vec<T> = entries.drain(..entries.len().saturating_sub(room)).map(|(_, item)| item).collect();
        self.dropped_total += overflow.len() as u64;
        for entry in entries.into_iter().rev() {
            self.items.push_front(entry);
        }
        overflow
    }

    /// Takes the oldest entry that is still fresh at `now`; expired entries on the way are
    /// removed and handed to `on_expired`.
    pub fn pop_fresh(&mut self, now: Instant, mut on_expired: impl FnMut(T, Duration)) -> Option<(Instant, T)> {
        while let Some((at, item)) = self.items.pop_front() {
            let age = now.saturating_duration_since(at);
            match self.max_age {
                Some(max) if age > max => on_expired(item, age),
                _ => return Some((at, item)),
            }
        }
        None
    }

    /// Applies new limits (a client may be reconnected with a changed config); if the queue is now
    /// over capacity the oldest entries go, counted as drops.
    pub fn reconfigure(&mut self, capacity: usize, max_age: Option<Duration>) -> usize {
        self.capacity = capacity.max(1);
        self.max_age = max_age;
        let mut dropped = 0;
        while self.items.len() > self.capacity {
            self.items.pop_front();
            self.dropped_total += 1;
            dropped += 1;
        }
        dropped
    }

    pub fn clear(&mut self) -> usize {
        let n = self.items.len();
        self.items.clear();
        n
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn dropped_total(&self) -> u64 {
        self.dropped_total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflow_drops_the_oldest_and_counts_it() {
        let mut q = OfflineQueue::new(2, None);
        assert_eq!(q.push(1), Pushed::Stored);
        assert_eq!(q.push(2), Pushed::Stored);
        assert_eq!(q.push(3), Pushed::DroppedOldest(1));
        assert_eq!(q.dropped_total(), 1);
        let now = Instant::now();
        let got: Vec<i32> = std::iter::from_fn(|| q.pop_fresh(now, |_, _| {}).map(|(_, v)| v)).collect();
        assert_eq!(got, [2, 3]);
    }

    #[test]
    fn expired_entries_are_skipped_not_sent() {
        let start = Instant::now();
        let mut q = OfflineQueue::new(10, Some(Duration::from_secs(5)));
        q.push_at(start, "old");
        q.push_at(start + Duration::from_secs(4), "young");
        let mut expired = Vec::new();
        let now = start + Duration::from_secs(6);
        let first = q.pop_fresh(now, |item, age| expired.push((item, age)));
        assert_eq!(first.map(|(_, v)| v), Some("young"));
        assert_eq!(expired, [("old", Duration::from_secs(6))]);
    }

    #[test]
    fn an_age_exactly_at_the_limit_is_still_sent() {
        let start = Instant::now();
        let mut q = OfflineQueue::new(10, Some(Duration::from_secs(5)));
        q.push_at(start, 1);
        assert!(q.pop_fresh(start + Duration::from_secs(5), |_, _| panic!("expired")).is_some());
    }

    #[test]
    fn restore_front_keeps_order_and_drops_the_oldest_restored() {
        let mut q = OfflineQueue::new(3, None);
        let t = Instant::now();
        q.push_at(t, 3);
        q.push_at(t, 4);
        let overflow = q.restore_front(vec![(t, 1), (t, 2)]);
        assert_eq!(overflow, [1]);
        assert_eq!(q.dropped_total(), 1);
        let got: Vec<i32> = std::iter::from_fn(|| q.pop_fresh(t, |_, _| {}).map(|(_, v)| v)).collect();
        assert_eq!(got, [2, 3, 4]);
    }

    #[test]
    fn restore_front_into_a_full_queue_drops_every_restored_entry() {
        let mut q = OfflineQueue::new(2, None);
        let t = Instant::now();
        q.push_at(t, 3);
        q.push_at(t, 4);
        assert_eq!(q.restore_front(vec![(t, 1), (t, 2)]), [1, 2]);
        assert_eq!(q.len(), 2);
        assert_eq!(q.restore_front(Vec::new()), Vec::<i32>::new());
    }

    #[test]
    fn clear_reports_how_many() {
        let mut q = OfflineQueue::new(3, None);
        q.push(1);
        q.push(2);
        assert_eq!(q.clear(), 2);
        assert!(q.is_empty());
    }
}
