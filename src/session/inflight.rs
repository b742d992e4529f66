//! Requests handed to rumqttc and not yet acknowledged, matched to their callers.
//!
//! rumqttc assigns packet ids inside its event loop and reports them as `Outgoing` events in
//! the order requests were submitted, so each kind keeps a FIFO of requests waiting for their
//! id and a map from id to request once the id is known.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use super::{OpError, Outbound, PublishOutcome, Reply};

pub(crate) struct PendingPublish {
    seq: u64,
    pub queued_at: Instant,
    pub message: Outbound,
    /// `None` for messages flushed from the offline queue: their caller already got 0.
    pub reply: Option<Reply<PublishOutcome>>,
}

pub(crate) struct PendingSubscribe {
    pub topic: String,
    pub reply: Option<Reply<u16>>,
}

struct Lane<T> {
    awaiting_id: VecDeque<T>,
    by_id: HashMap<u16, T>,
}

impl<T> Default for Lane<T> {
    fn default() -> Self {
        Self { awaiting_id: VecDeque::new(), by_id: HashMap::new() }
    }
}

impl<T> Lane<T> {
    fn assign(&mut self, pkid: u16) -> Option<&mut T> {
        let item = self.awaiting_id.pop_front()?;
        self.by_id.insert(pkid, item);
        self.by_id.get_mut(&pkid)
    }

    fn take_assigned(&mut self, pkid: u16) -> Option<T> {
        self.by_id.remove(&pkid)
    }

    fn drain(&mut self) -> impl Iterator<Item = T> + '_ {
        self.by_id.drain().map(|(_, v)| v).chain(self.awaiting_id.drain(..))
    }

    fn len(&self) -> usize {
        self.awaiting_id.len() + self.by_id.len()
    }
}

#[derive(Default)]
pub(crate) struct Inflight {
    next_seq: u64,
    publishes: Lane<PendingPublish>,
    subscribes: Lane<PendingSubscribe>,
    unsubscribes: Lane<PendingSubscribe>,
}

impl Inflight {
    pub fn submitted_publish(&mut self, queued_at: Instant, message: Outbound, reply: Option<Reply<PublishOutcome>>) {
        self.next_seq += 1;
        let seq = self.next_seq;
        self.publishes.awaiting_id.push_back(PendingPublish { seq, queued_at, message, reply });
    }

    pub fn submitted_subscribe(&mut self, topic: String, reply: Option<Reply<u16>>) {
        self.subscribes.awaiting_id.push_back(PendingSubscribe { topic, reply });
    }

    pub fn submitted_unsubscribe(&mut self, topic: String, reply: Option<Reply<u16>>) {
        self.unsubscribes.awaiting_id.push_back(PendingSubscribe { topic, reply });
    }

    /// rumqttc wrote a PUBLISH with this id; QoS 0 (id 0) completes right here.
    pub fn publish_sent(&mut self, pkid: u16) {
        if pkid == 0 {
            if let Some(p) = self.publishes.awaiting_id.pop_front() {
                complete(p.reply, Ok(PublishOutcome::Sent(0)));
            }
        } else {
            self.publishes.assign(pkid);
        }
    }

    pub fn publish_acked(&mut self, pkid: u16) {
        if let Some(p) = self.publishes.take_assigned(pkid) {
            complete(p.reply, Ok(PublishOutcome::Sent(pkid)));
        }
    }

    pub fn subscribe_sent(&mut self, pkid: u16) {
        self.subscribes.assign(pkid);
    }

    /// Returns the topic and whether the broker granted it.
    pub fn subscribe_acked(&mut self, pkid: u16, granted: bool) -> Option<(String, bool)> {
        let s = self.subscribes.take_assigned(pkid)?;
        let result = if granted { Ok(pkid) } else { Err(OpError::Rejected(format!("broker refused subscription to {:?}", s.topic))) };
        complete(s.reply, result);
        Some((s.topic, granted))
    }

    pub fn unsubscribe_sent(&mut self, pkid: u16) {
        self.unsubscribes.assign(pkid);
    }

    pub fn unsubscribe_acked(&mut self, pkid: u16) {
        if let Some(u) = self.unsubscribes.take_assigned(pkid) {
            complete(u.reply, Ok(pkid));
        }
    }

    pub fn pending_subscribes(&self) -> usize {
        self.subscribes.len()
    }

    /// The link is gone: hands back every unacknowledged publish in submission order, and fails
    /// pending (un)subscribes with `error`. Returns the topics whose SUBSCRIBE never got a SUBACK.
    pub fn abandon(&mut self, error: &OpError) -> (Vec<PendingPublish>, Vec<String>) {
        let mut publishes: Vec<PendingPublish> = self.publishes.drain().collect();
        publishes.sort_by_key(|p| p.seq);
        let topics = self
            .subscribes
            .drain()
            .map(|s| {
                complete(s.reply, Err(error.clone()));
                s.topic
            })
            .collect();
        for u in self.unsubscribes.drain() {
            complete(u.reply, Err(error.clone()));
        }
        (publishes, topics)
    }
}

pub(crate) fn complete<T>(reply: Option<Reply<T>>, result: Result<T, OpError>) {
    if let Some(reply) = reply {
        // The caller may have given up (timeout, cancellation); that is not an error here.
        let _ = reply.send(result);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rumqttc::QoS;
    use tokio::sync::oneshot;

    fn msg(n: u8) -> Outbound {
        Outbound { topic: format!("t/{n}"), payload: vec![n], qos: QoS::AtLeastOnce }
    }

    #[test]
    fn ids_are_matched_in_submission_order() {
        let mut f = Inflight::default();
        let (a, mut ra) = oneshot::channel();
        let (b, mut rb) = oneshot::channel();
        f.submitted_publish(Instant::now(), msg(1), Some(a));
        f.submitted_publish(Instant::now(), msg(2), Some(b));
        f.publish_sent(7);
        f.publish_sent(8);
        f.publish_acked(8);
        assert_eq!(rb.try_recv().unwrap(), Ok(PublishOutcome::Sent(8)));
        assert!(ra.try_recv().is_err());
        f.publish_acked(7);
        assert_eq!(ra.try_recv().unwrap(), Ok(PublishOutcome::Sent(7)));
    }

    #[test]
    fn abandon_returns_publishes_oldest_first_and_fails_subscribes() {
        let mut f = Inflight::default();
        for n in 1..=3 {
            f.submitted_publish(Instant::now(), msg(n), None);
        }
        f.publish_sent(40);
        f.publish_sent(2);
        let (s, mut rs) = oneshot::channel();
        f.submitted_subscribe("a/#".into(), Some(s));
        let (publishes, topics) = f.abandon(&OpError::NotConnected);
        let order: Vec<u8> = publishes.iter().map(|p| p.message.payload[0]).collect();
        assert_eq!(order, [1, 2, 3]);
        assert_eq!(topics, ["a/#"]);
        assert_eq!(rs.try_recv().unwrap(), Err(OpError::NotConnected));
    }

    #[test]
    fn qos0_completes_when_written() {
        let mut f = Inflight::default();
        let (a, mut ra) = oneshot::channel();
        f.submitted_publish(Instant::now(), msg(1), Some(a));
        f.publish_sent(0);
        assert_eq!(ra.try_recv().unwrap(), Ok(PublishOutcome::Sent(0)));
    }
}
