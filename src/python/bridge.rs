//! The loop bridge: how results and events cross from tokio to the asyncio loop thread.
//!
//! Runtime threads never touch the interpreter. They push plain Rust values into a queue and
//! write one byte to a socket the asyncio loop watches (`loop.add_reader`); the loop thread then
//! drains the queue with the GIL held. So every callback runs on the loop thread, and nothing
//! on a runtime thread can race interpreter finalisation (the exit crash in field-notes, which
//! comes from runtime threads resolving Python futures while the interpreter shuts down).

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use crate::session::{ConnectInfo, CredentialError, CredentialStep, EventSink, OpError, PublishOutcome, SessionEvent};
use crate::sigv4::AwsCredentials;

/// How a Python-visible operation ended.
pub(crate) enum Completion {
    Connect(Result<ConnectInfo, OpError>),
    Publish(Result<PublishOutcome, OpError>),
    PacketId(Result<u16, OpError>),
    Done,
    /// The session ended before answering.
    Abandoned,
    /// A bug (a panic) ended the operation; the text says where.
    Internal(String),
}

pub(crate) type CredentialReply = oneshot::Sender<Result<Option<AwsCredentials>, CredentialError>>;

/// Turns a finished operation into its Python result, on the loop thread.
pub(crate) type Resolver = Box<dyn FnOnce(pyo3::Python<'_>) -> pyo3::PyResult<pyo3::Py<pyo3::PyAny>> + Send>;

pub(crate) enum Delivery {
    Session(SessionEvent),
    /// A future registered with the reader itself (see `BridgeReader::new_future`).
    Resolve { id: u64, resolver: Resolver },
    Complete { id: u64, completion: Completion },
    Credentials { step: CredentialStep, reply: CredentialReply },
}

/// Deliveries kept while the loop does not drain them (its `asyncio.run` ended, say, while the
/// client lives on). Past this the oldest inbound messages and log lines go first: they are
/// the only deliveries nobody waits on.
const BACKLOG_LIMIT: usize = 50_000;

/// The runtime-side half: thread-safe, GIL-free.
pub(crate) struct Bridge {
    queue: Mutex<Backlog>,
    /// Set while a wake-up byte is unread, so a burst of deliveries costs one write.
    armed: AtomicBool,
    writer: UnixStream,
    pub(crate) reader: UnixStream,
}

impl Bridge {
    pub fn new() -> std::io::Result<Arc<Self>> {
        let (reader, writer) = UnixStream::pair()?;
        reader.set_nonblocking(true)?;
        writer.set_nonblocking(true)?;
        Ok(Arc::new(Self { queue: Mutex::new(Backlog::default()), armed: AtomicBool::new(false), writer, reader }))
    }

    pub fn push(&self, delivery: Delivery) {
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).push(delivery, BACKLOG_LIMIT);
        if !self.armed.swap(true, Ordering::AcqRel) {
            // A full socket buffer means a wake-up is already pending; nothing is lost.
            let _ = (&self.writer).write(&[1]);
        }
    }

    pub fn complete(&self, id: u64, completion: Completion) {
        self.push(Delivery::Complete { id, completion });
    }

    /// Loop thread: everything delivered so far, in order, and how many deliveries were shed
    /// since the last drain.
    pub fn take(&self) -> (VecDeque<Delivery>, u64) {
        let mut sink = [0u8; 256];
        while matches!((&self.reader).read(&mut sink), Ok(n) if n > 0) {}
        // Disarm before taking: a push after this point writes a fresh byte and so schedules
        // another drain, while a push before it is in the batch taken below.
        self.armed.store(false, Ordering::Release);
        let mut backlog = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        (std::mem::take(&mut backlog.items), std::mem::take(&mut backlog.shed))
    }

    pub fn fd(&self) -> i32 {
        self.reader.as_raw_fd()
    }
}

#[derive(Default)]
struct Backlog {
    items: VecDeque<Delivery>,
    shed: u64,
}

impl Backlog {
    fn push(&mut self, delivery: Delivery, limit: usize) {
        if self.items.len() >= limit {
            let sheddable = |d: &Delivery| matches!(d, Delivery::Session(SessionEvent::Message { .. } | SessionEvent::Log { .. }));
            // Results and credential requests are never shed: someone may still wait on them,
            // and a credential request whose requester gave up is skipped when it is served.
            if let Some(index) = self.items.iter().position(sheddable) {
                self.items.remove(index);
                self.shed += 1;
            } else if sheddable(&delivery) {
                self.shed += 1;
                return;
            }
        }
        self.items.push_back(delivery);
    }
}

impl EventSink for Bridge {
    fn deliver(&self, event: SessionEvent) {
        self.push(Delivery::Session(event));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(n: u8) -> Delivery {
        Delivery::Session(SessionEvent::Message { topic: "t".into(), payload: vec![n] })
    }

    #[test]
    fn an_undrained_backlog_sheds_messages_and_keeps_results() {
        let mut backlog = Backlog::default();
        backlog.push(Delivery::Complete { id: 1, completion: Completion::Done }, 3);
        for n in 0..10 {
            backlog.push(message(n), 3);
        }
        assert_eq!(backlog.items.len(), 3);
        assert_eq!(backlog.shed, 8);
        assert!(matches!(backlog.items[0], Delivery::Complete { id: 1, .. }));
        // The newest messages are the ones kept.
        let kept: Vec<u8> = backlog
            .items
            .iter()
            .filter_map(|d| match d {
                Delivery::Session(SessionEvent::Message { payload, .. }) => Some(payload[0]),
                _ => None,
            })
            .collect();
        assert_eq!(kept, [8, 9]);
        // A result is never shed, even over the limit.
        backlog.push(Delivery::Complete { id: 2, completion: Completion::Done }, 3);
        assert!(backlog.items.iter().any(|d| matches!(d, Delivery::Complete { id: 2, .. })));
    }
}
