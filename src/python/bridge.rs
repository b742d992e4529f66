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
    TimedOut(&'static str),
    /// The session ended before answering.
    Abandoned,
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

/// The runtime-side half: thread-safe, GIL-free.
pub(crate) struct Bridge {
    queue: Mutex<VecDeque<Delivery>>,
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
        Ok(Arc::new(Self { queue: Mutex::new(VecDeque::new()), armed: AtomicBool::new(false), writer, reader }))
    }

    pub fn push(&self, delivery: Delivery) {
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).push_back(delivery);
        if !self.armed.swap(true, Ordering::AcqRel) {
            // A full socket buffer means a wake-up is already pending; nothing is lost.
            let _ = (&self.writer).write(&[1]);
        }
    }

    pub fn complete(&self, id: u64, completion: Completion) {
        self.push(Delivery::Complete { id, completion });
    }

    /// Loop thread: everything delivered so far, in order.
    pub fn take(&self) -> VecDeque<Delivery> {
        let mut sink = [0u8; 256];
        while matches!((&self.reader).read(&mut sink), Ok(n) if n > 0) {}
        // Disarm before taking: a push after this point writes a fresh byte and so schedules
        // another drain, while a push before it is in the batch taken below.
        self.armed.store(false, Ordering::Release);
        std::mem::take(&mut *self.queue.lock().unwrap_or_else(|p| p.into_inner()))
    }

    pub fn fd(&self) -> i32 {
        self.reader.as_raw_fd()
    }
}

impl EventSink for Bridge {
    fn deliver(&self, event: SessionEvent) {
        self.push(Delivery::Session(event));
    }
}
