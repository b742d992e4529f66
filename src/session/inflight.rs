//! Requests handed to rumqttc and not yet acknowledged, matched to their callers, with each
//! caller's deadline. This table is the only record of pending work: when a deadline passes the
//! caller is answered here and the request is *withdrawn* (a withdrawn publish is never replayed,
//! a withdrawn SUBSCRIBE is undone if its SUBACK still arrives), so nothing else has to remember it.
//!
//! rumqttc assigns packet ids inside its event loop and reports them as `Outgoing` events in
//! the order requests were submitted, so each kind keeps a FIFO of requests waiting for their
//! id and a map from id to request once the id is known.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use super::wire::Refusal;
use super::{Answer, OpError, Outbound, PublishOutcome, Reply};

pub(crate) struct PendingPublish {
    pub queued_at: Instant,
    pub message: Outbound,
    /// `None` for messages flushed from the offline queue (their caller already got 0) and for
    /// withdrawn ones (their caller got a timeout).
    pub reply: Option<Reply<PublishOutcome>>,
    pub withdrawn: bool,
    /// rumqttc wrote it to the link (it got a packet id).
    pub sent: bool,
}

pub(crate) struct PendingSubscribe {
    pub topic: String,
    /// Every caller waiting on this SUBSCRIBE; empty for a restore.
    pub replies: Vec<Reply<u16>>,
    pub restore: bool,
    pub withdrawn: bool,
}

pub(crate) struct PendingUnsubscribe {
    pub reply: Option<Reply<u16>>,
}

/// What a SUBACK settled. Its callers are answered by [`SubAcked::answer`], which the session
/// calls only after its own view of the subscriptions took the SUBACK in: a caller woken by
/// the answer must never read the view from before it.
pub(crate) struct SubAcked {
    pub topic: String,
    pub restore: bool,
    pub withdrawn: bool,
    replies: Vec<Reply<u16>>,
    result: Result<u16, OpError>,
}

/// A subscribe whose callers' deadline passed: the session withdraws the topic from its view,
/// then tells them ([`Withdrawn::answer`]), for the same reason as [`SubAcked`].
pub(crate) struct Withdrawn {
    pub topic: String,
    replies: Vec<Reply<u16>>,
    error: OpError,
}

impl Withdrawn {
    pub fn answer(self) {
        for reply in self.replies {
            reply.send(Err(self.error.clone()));
        }
    }
}

impl SubAcked {
    pub fn answer(self) {
        for reply in self.replies {
            reply.send(self.result.clone());
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Publish,
    Subscribe,
    Unsubscribe,
}

impl Kind {
    fn what(self) -> &'static str {
        match self {
            Kind::Publish => "publish",
            Kind::Subscribe => "subscribe",
            Kind::Unsubscribe => "unsubscribe",
        }
    }
}

/// Requests of one kind, by sequence number; the id maps point into `items`.
struct Lane<T> {
    items: HashMap<u64, T>,
    awaiting_id: VecDeque<u64>,
    by_id: HashMap<u16, u64>,
}

impl<T> Default for Lane<T> {
    fn default() -> Self {
        Self { items: HashMap::new(), awaiting_id: VecDeque::new(), by_id: HashMap::new() }
    }
}

impl<T> Lane<T> {
    fn push(&mut self, seq: u64, item: T) {
        self.items.insert(seq, item);
        self.awaiting_id.push_back(seq);
    }

    fn assign(&mut self, pkid: u16) {
        if let Some(seq) = self.awaiting_id.pop_front() {
            self.by_id.insert(pkid, seq);
        }
    }

    fn take_assigned(&mut self, pkid: u16) -> Option<T> {
        let seq = self.by_id.remove(&pkid)?;
        self.items.remove(&seq)
    }

    /// Every request, oldest first.
    fn drain(&mut self) -> Vec<T> {
        self.awaiting_id.clear();
        self.by_id.clear();
        let mut all: Vec<(u64, T)> = self.items.drain().collect();
        all.sort_by_key(|(seq, _)| *seq);
        all.into_iter().map(|(_, item)| item).collect()
    }
}

#[derive(Default)]
pub(crate) struct Inflight {
    next_seq: u64,
    publishes: Lane<PendingPublish>,
    subscribes: Lane<PendingSubscribe>,
    unsubscribes: Lane<PendingUnsubscribe>,
    /// Callers' deadlines in submission order. Every operation of one kind gets the same timeout
    /// within a short span, so this is nearly sorted; entries of settled requests are skipped.
    deadlines: VecDeque<(Instant, Kind, u64, Duration)>,
}

impl Inflight {
    fn seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    fn watch(&mut self, kind: Kind, seq: u64, timeout: Option<Duration>) {
        if let Some(timeout) = timeout {
            let at = Instant::now().checked_add(timeout).unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400 * 365));
            self.deadlines.push_back((at, kind, seq, timeout));
        }
    }

    pub fn submitted_publish(
        &mut self,
        queued_at: Instant,
        message: Outbound,
        reply: Option<Reply<PublishOutcome>>,
        timeout: Option<Duration>,
    ) {
        let seq = self.seq();
        let timeout = timeout.filter(|_| reply.is_some());
        self.publishes.push(seq, PendingPublish { queued_at, message, reply, withdrawn: false, sent: false });
        self.watch(Kind::Publish, seq, timeout);
    }

    pub fn submitted_subscribe(&mut self, topic: String, reply: Option<Reply<u16>>, timeout: Option<Duration>) {
        let seq = self.seq();
        let restore = reply.is_none();
        self.subscribes.push(seq, PendingSubscribe { topic, replies: reply.into_iter().collect(), restore, withdrawn: false });
        if !restore {
            self.watch(Kind::Subscribe, seq, timeout);
        }
    }

    /// Adds a caller to a SUBSCRIBE of `topic` already on its way; false if there is none.
    pub fn join_subscribe(&mut self, topic: &str, reply: Reply<u16>) -> Result<(), Reply<u16>> {
        match self.subscribes.items.values_mut().find(|s| s.topic == topic && !s.withdrawn) {
            Some(s) => {
                s.replies.push(reply);
                Ok(())
            }
            None => Err(reply),
        }
    }

    pub fn submitted_unsubscribe(&mut self, reply: Option<Reply<u16>>, timeout: Option<Duration>) {
        let seq = self.seq();
        let timeout = timeout.filter(|_| reply.is_some());
        self.unsubscribes.push(seq, PendingUnsubscribe { reply });
        self.watch(Kind::Unsubscribe, seq, timeout);
    }

    /// rumqttc wrote a PUBLISH with this id; QoS 0 (id 0) completes right here.
    pub fn publish_sent(&mut self, pkid: u16) {
        if pkid == 0 {
            if let Some(seq) = self.publishes.awaiting_id.pop_front() {
                if let Some(p) = self.publishes.items.remove(&seq) {
                    complete(p.reply, Ok(PublishOutcome::Sent(0)));
                }
            }
        } else {
            self.publishes.assign(pkid);
            if let Some(p) = self.publishes.by_id.get(&pkid).and_then(|seq| self.publishes.items.get_mut(seq)) {
                p.sent = true;
            }
        }
    }

    pub fn publish_acked(&mut self, pkid: u16) {
        if let Some(p) = self.publishes.take_assigned(pkid) {
            complete(p.reply, Ok(PublishOutcome::Sent(pkid)));
        }
    }

    /// MQTT 5: the broker answered the message with a failure reason (not authorized, quota
    /// exceeded, ...). Its caller learns why; the link stays up and nothing is replayed.
    pub fn publish_refused(&mut self, pkid: u16, refusal: &Refusal) {
        if let Some(p) = self.publishes.take_assigned(pkid) {
            let topic = crate::redact::topic(&p.message.topic);
            complete(p.reply, Err(OpError::Rejected(format!("broker refused the message to '{topic}' ({})", refusal.describe()))));
        }
    }

    pub fn subscribe_sent(&mut self, pkid: u16) {
        self.subscribes.assign(pkid);
    }

    /// A SUBACK: every caller waiting on it is to get the packet id, or the refusal with its
    /// reason (see [`SubAcked::answer`]).
    pub fn subscribe_acked(&mut self, pkid: u16, refused: Option<&Refusal>) -> Option<SubAcked> {
        let s = self.subscribes.take_assigned(pkid)?;
        let result = match refused {
            None => Ok(pkid),
            Some(r) => Err(OpError::Rejected(format!(
                "broker refused subscription to '{}' ({})",
                crate::redact::topic(&s.topic),
                r.describe()
            ))),
        };
        Some(SubAcked { topic: s.topic, restore: s.restore, withdrawn: s.withdrawn, replies: s.replies, result })
    }

    pub fn unsubscribe_sent(&mut self, pkid: u16) {
        self.unsubscribes.assign(pkid);
    }

    pub fn unsubscribe_acked(&mut self, pkid: u16) {
        if let Some(u) = self.unsubscribes.take_assigned(pkid) {
            complete(u.reply, Ok(pkid));
        }
    }

    /// Restore SUBSCRIBEs still waiting for their SUBACK.
    pub fn pending_restores(&self) -> usize {
        self.subscribes.items.values().filter(|s| s.restore).count()
    }

    /// When the earliest caller's deadline passes, if any caller is waiting.
    pub fn next_deadline(&mut self) -> Option<tokio::time::Instant> {
        while let Some(&(at, kind, seq, _)) = self.deadlines.front() {
            if self.waiting(kind, seq) {
                return Some(tokio::time::Instant::from_std(at));
            }
            self.deadlines.pop_front();
        }
        None
    }

    fn waiting(&self, kind: Kind, seq: u64) -> bool {
        match kind {
            Kind::Publish => self.publishes.items.get(&seq).is_some_and(|p| p.reply.is_some()),
            Kind::Subscribe => self.subscribes.items.get(&seq).is_some_and(|s| !s.replies.is_empty()),
            Kind::Unsubscribe => self.unsubscribes.items.get(&seq).is_some_and(|u| u.reply.is_some()),
        }
    }

    /// Answers every caller whose deadline has passed with a timeout and withdraws its request.
    /// Returns the topics of withdrawn SUBSCRIBEs.
    pub fn expire(&mut self, now: Instant) -> Vec<Withdrawn> {
        let mut withdrawn_topics = Vec::new();
        while let Some(&(at, kind, seq, after)) = self.deadlines.front() {
            if at > now && self.waiting(kind, seq) {
                break;
            }
            self.deadlines.pop_front();
            if at > now {
                continue; // settled already
            }
            let error = || OpError::TimedOut { what: kind.what(), after };
            match kind {
                Kind::Publish => {
                    if let Some(p) = self.publishes.items.get_mut(&seq) {
                        p.withdrawn = true;
                        complete(p.reply.take(), Err(error()));
                    }
                }
                Kind::Subscribe => {
                    if let Some(s) = self.subscribes.items.get_mut(&seq) {
                        if !s.replies.is_empty() {
                            s.withdrawn = true;
                            withdrawn_topics.push(Withdrawn {
                                topic: s.topic.clone(),
                                replies: std::mem::take(&mut s.replies),
                                error: error(),
                            });
                        }
                    }
                }
                Kind::Unsubscribe => {
                    if let Some(u) = self.unsubscribes.items.get_mut(&seq) {
                        complete(u.reply.take(), Err(error()));
                    }
                }
            }
        }
        withdrawn_topics
    }

    /// The link is gone: hands back every unacknowledged publish that was not withdrawn, oldest
    /// first, and fails pending (un)subscribes with `error`.
    pub fn abandon(&mut self, error: &OpError, answers: &mut Vec<Answer>) -> Vec<PendingPublish> {
        self.deadlines.clear();
        for s in self.subscribes.drain() {
            answers.extend(s.replies.into_iter().map(|reply| reply.later(Err(error.clone()))));
        }
        for u in self.unsubscribes.drain() {
            answers.extend(u.reply.map(|reply| reply.later(Err(error.clone()))));
        }
        self.publishes.drain().into_iter().filter(|p| !p.withdrawn).collect()
    }
}

pub(crate) fn complete<T>(reply: Option<Reply<T>>, result: Result<T, OpError>) {
    if let Some(reply) = reply {
        // The caller may have gone away (cancelled); that is not an error here.
        let _ = reply.send(result);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rumqttc::QoS;

    fn msg(n: u8) -> Outbound {
        Outbound { topic: format!("t/{n}"), payload: vec![n], qos: QoS::AtLeastOnce, drops_in_flight: 0 }
    }

    #[test]
    fn ids_are_matched_in_submission_order() {
        let mut f = Inflight::default();
        let (a, mut ra) = Reply::channel();
        let (b, mut rb) = Reply::channel();
        f.submitted_publish(Instant::now(), msg(1), Some(a), None);
        f.submitted_publish(Instant::now(), msg(2), Some(b), None);
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
            f.submitted_publish(Instant::now(), msg(n), None, None);
        }
        f.publish_sent(40);
        f.publish_sent(2);
        let (s, mut rs) = Reply::channel();
        f.submitted_subscribe("a/#".into(), Some(s), None);
        let mut answers = Vec::new();
        let publishes = f.abandon(&OpError::NotConnected, &mut answers);
        let order: Vec<u8> = publishes.iter().map(|p| p.message.payload[0]).collect();
        assert_eq!(order, [1, 2, 3]);
        assert!(rs.try_recv().is_err(), "answered before the session was done with the drop");
        answers.into_iter().for_each(Answer::deliver);
        assert_eq!(rs.try_recv().unwrap(), Err(OpError::NotConnected));
    }

    #[test]
    fn qos0_completes_when_written() {
        let mut f = Inflight::default();
        let (a, mut ra) = Reply::channel();
        f.submitted_publish(Instant::now(), msg(1), Some(a), None);
        f.publish_sent(0);
        assert_eq!(ra.try_recv().unwrap(), Ok(PublishOutcome::Sent(0)));
    }

    #[test]
    fn a_timed_out_publish_is_withdrawn_and_never_replayed() {
        let mut f = Inflight::default();
        let (a, mut ra) = Reply::channel();
        let (b, _rb) = Reply::channel();
        f.submitted_publish(Instant::now(), msg(1), Some(a), Some(Duration::ZERO));
        f.submitted_publish(Instant::now(), msg(2), Some(b), Some(Duration::from_secs(60)));
        assert!(f.next_deadline().is_some());
        assert!(f.expire(Instant::now() + Duration::from_millis(1)).is_empty());
        assert!(matches!(ra.try_recv().unwrap(), Err(OpError::TimedOut { what: "publish", .. })));
        f.publish_sent(1); // ids still line up after the withdrawal
        f.publish_sent(2);
        let left: Vec<u8> = f.abandon(&OpError::NotConnected, &mut Vec::new()).iter().map(|p| p.message.payload[0]).collect();
        assert_eq!(left, [2]);
    }

    #[test]
    fn a_timed_out_subscribe_is_withdrawn_and_its_late_suback_reported() {
        let mut f = Inflight::default();
        let (a, mut ra) = Reply::channel();
        f.submitted_subscribe("x/y".into(), Some(a), Some(Duration::ZERO));
        let withdrawn = f.expire(Instant::now() + Duration::from_millis(1));
        assert_eq!(withdrawn.iter().map(|w| w.topic.as_str()).collect::<Vec<_>>(), ["x/y"]);
        assert!(ra.try_recv().is_err(), "answered before the session withdrew the topic");
        withdrawn.into_iter().for_each(Withdrawn::answer);
        assert!(matches!(ra.try_recv().unwrap(), Err(OpError::TimedOut { what: "subscribe", .. })));
        assert!(f.next_deadline().is_none());
        f.subscribe_sent(5);
        let acked = f.subscribe_acked(5, None).unwrap();
        assert!(acked.withdrawn && !acked.restore);
    }

    #[test]
    fn callers_join_a_subscribe_on_its_way() {
        let mut f = Inflight::default();
        let (a, mut ra) = Reply::channel();
        let (b, mut rb) = Reply::channel();
        f.submitted_subscribe("x".into(), Some(a), None);
        assert!(f.join_subscribe("x", b).is_ok());
        let (c, _rc) = Reply::channel();
        assert!(f.join_subscribe("other", c).is_err());
        f.subscribe_sent(9);
        f.subscribe_acked(9, Some(&Refusal { code: Some(0x87), reason: None })).unwrap().answer();
        assert!(matches!(ra.try_recv().unwrap(), Err(OpError::Rejected(_))));
        assert!(matches!(rb.try_recv().unwrap(), Err(OpError::Rejected(_))));
    }
}
