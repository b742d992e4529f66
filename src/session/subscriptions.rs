//! The session's subscriptions: the one record of which topics the client is subscribed to and
//! how far each got. A topic a caller asked for is `Requested` until its SUBACK; it is `Active`
//! once granted; after a reconnect every tracked topic is `Restoring` until the broker grants it
//! again. A link that dies mid-restore leaves the topic tracked, so the next reconnect restores
//! it again; only a refusal (or the caller's unsubscribe) ends it.

use rumqttc::QoS;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SubState {
    Requested,
    Active,
    Restoring,
}

#[derive(Debug, Clone)]
struct Entry {
    topic: String,
    qos: QoS,
    state: SubState,
}

/// What a caller's SUBSCRIBE should do.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Request {
    /// The broker already delivers this topic: answer 0 and send nothing (nwp500 9.3.0).
    AlreadyActive,
    /// A SUBSCRIBE for it is on its way: wait for that one.
    Join,
    /// Send a SUBSCRIBE.
    Send,
}

#[derive(Default)]
pub(crate) struct Subscriptions {
    entries: Vec<Entry>,
}

impl Subscriptions {
    fn find(&mut self, topic: &str) -> Option<&mut Entry> {
        self.entries.iter_mut().find(|e| e.topic == topic)
    }

    pub fn state(&self, topic: &str) -> Option<SubState> {
        self.entries.iter().find(|e| e.topic == topic).map(|e| e.state)
    }

    pub fn request(&mut self, topic: &str, qos: QoS) -> Request {
        match self.find(topic) {
            Some(e) if e.state == SubState::Active => Request::AlreadyActive,
            Some(e) if e.state == SubState::Requested => Request::Join,
            Some(e) => {
                e.qos = qos;
                Request::Send
            }
            None => {
                self.entries.push(Entry { topic: topic.to_string(), qos, state: SubState::Requested });
                Request::Send
            }
        }
    }

    pub fn granted(&mut self, topic: &str) {
        if let Some(e) = self.find(topic) {
            e.state = SubState::Active;
        }
    }

    /// Forgets `topic`; returns the state it was in.
    pub fn remove(&mut self, topic: &str) -> Option<SubState> {
        let index = self.entries.iter().position(|e| e.topic == topic)?;
        Some(self.entries.remove(index).state)
    }

    /// A caller's SUBSCRIBE timed out before the broker answered: it is no longer wanted.
    pub fn withdraw(&mut self, topic: &str) {
        if self.state(topic) == Some(SubState::Requested) {
            self.remove(topic);
        }
    }

    /// The link is gone. SUBSCRIBEs that never got a SUBACK were failed to their callers and
    /// are forgotten; everything that was granted (or being restored) is kept for the next link.
    pub fn link_closed(&mut self) {
        self.entries.retain(|e| e.state != SubState::Requested);
    }

    /// Marks every tracked topic as being restored; returns them in the order they were made.
    pub fn begin_restore(&mut self) -> Vec<(String, QoS)> {
        self.entries
            .iter_mut()
            .map(|e| {
                e.state = SubState::Restoring;
                (e.topic.clone(), e.qos)
            })
            .collect()
    }

    /// Topics the client keeps (granted, or to be restored), with their QoS level.
    pub fn tracked(&self) -> Vec<(String, u8)> {
        self.entries.iter().filter(|e| e.state != SubState::Requested).map(|e| (e.topic.clone(), e.qos as u8)).collect()
    }

    pub fn len(&self) -> usize {
        self.entries.iter().filter(|e| e.state != SubState::Requested).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_restore_keeps_the_topic_for_the_next_link() {
        let mut s = Subscriptions::default();
        assert_eq!(s.request("a", QoS::AtLeastOnce), Request::Send);
        assert_eq!(s.request("a", QoS::AtLeastOnce), Request::Join);
        s.granted("a");
        assert_eq!(s.request("a", QoS::AtLeastOnce), Request::AlreadyActive);
        s.link_closed();
        assert_eq!(s.begin_restore(), [("a".to_string(), QoS::AtLeastOnce)]);
        s.link_closed(); // cut before the SUBACK of the restore
        assert_eq!(s.begin_restore().len(), 1);
        assert_eq!(s.state("a"), Some(SubState::Restoring));
        s.granted("a");
        assert_eq!(s.tracked(), [("a".to_string(), 1)]);
    }

    #[test]
    fn an_unanswered_request_is_forgotten_with_its_link() {
        let mut s = Subscriptions::default();
        s.request("a", QoS::AtMostOnce);
        assert_eq!(s.len(), 0);
        s.link_closed();
        assert_eq!(s.state("a"), None);
    }

    #[test]
    fn withdrawing_leaves_granted_topics_alone() {
        let mut s = Subscriptions::default();
        s.request("a", QoS::AtMostOnce);
        s.granted("a");
        s.withdraw("a");
        assert_eq!(s.state("a"), Some(SubState::Active));
        s.request("b", QoS::AtMostOnce);
        s.withdraw("b");
        assert_eq!(s.state("b"), None);
    }
}
