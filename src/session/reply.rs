//! Where the session sends the result of one request.
//!
//! A Rust caller awaits a channel. The Python bindings instead pass a function that pushes the
//! result onto the loop bridge: it runs on the session's thread the moment the result is
//! known, so no task is spawned per request just to wait for it and pass it on (a spawn, a
//! wake-up and a poll per publish, which showed in the in-flight profile).

use tokio::sync::oneshot;

use super::OpError;

type Callback<T> = Box<dyn FnOnce(Option<Result<T, OpError>>) + Send>;

enum To<T> {
    Channel(oneshot::Sender<Result<T, OpError>>),
    Call(Callback<T>),
}

/// The answer to one request. Dropped unanswered (the session ended, or a bug unwound it), a
/// function reply is called with `None`, as a channel's receiver sees it closed: nobody waits
/// forever.
pub struct Reply<T>(Option<To<T>>);

impl<T> Reply<T> {
    pub fn channel() -> (Self, oneshot::Receiver<Result<T, OpError>>) {
        let (tx, rx) = oneshot::channel();
        (Self(Some(To::Channel(tx))), rx)
    }

    pub fn call(f: impl FnOnce(Option<Result<T, OpError>>) + Send + 'static) -> Self {
        Self(Some(To::Call(Box::new(f))))
    }

    /// Answers; the caller may have gone away meanwhile, which is not an error here.
    pub fn send(mut self, result: Result<T, OpError>) {
        match self.0.take() {
            Some(To::Channel(tx)) => {
                let _ = tx.send(result);
            }
            Some(To::Call(f)) => f(Some(result)),
            None => {}
        }
    }
}

impl<T: Send + 'static> Reply<T> {
    /// The answer decided now, to be delivered once the state it reports is in place.
    pub fn later(self, result: Result<T, OpError>) -> Answer {
        Answer(Box::new(move || self.send(result)))
    }
}

/// An answer held back until the session has updated what it reports (a caller woken by it
/// may read that state at once). Dropped undelivered, its reply is answered as abandoned.
pub struct Answer(Box<dyn FnOnce() + Send>);

impl Answer {
    pub fn deliver(self) {
        (self.0)()
    }
}

impl<T> Drop for Reply<T> {
    fn drop(&mut self) {
        if let Some(To::Call(f)) = self.0.take() {
            f(None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn recorder() -> (Reply<u16>, Arc<Mutex<Vec<Option<Result<u16, String>>>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let reply = Reply::call(move |r: Option<Result<u16, OpError>>| {
            sink.lock().unwrap().push(r.map(|r| r.map_err(|e| e.to_string())));
        });
        (reply, seen)
    }

    #[test]
    fn a_function_reply_is_called_once_with_the_answer() {
        let (reply, seen) = recorder();
        reply.send(Ok(7));
        assert_eq!(*seen.lock().unwrap(), vec![Some(Ok(7))]);
    }

    #[test]
    fn a_function_reply_dropped_unanswered_is_called_with_none() {
        let (reply, seen) = recorder();
        drop(reply);
        assert_eq!(*seen.lock().unwrap(), vec![None]);
    }

    #[test]
    fn a_held_answer_arrives_when_delivered_and_abandons_when_dropped() {
        let (reply, seen) = recorder();
        let answer = reply.later(Ok(3));
        assert!(seen.lock().unwrap().is_empty());
        answer.deliver();
        assert_eq!(*seen.lock().unwrap(), vec![Some(Ok(3))]);
        let (reply, seen) = recorder();
        drop(reply.later(Ok(4)));
        assert_eq!(*seen.lock().unwrap(), vec![None]);
    }

    #[test]
    fn a_channel_reply_reaches_its_receiver() {
        let (reply, mut rx) = Reply::<u16>::channel();
        reply.send(Err(OpError::NotConnected));
        assert!(matches!(rx.try_recv(), Ok(Err(OpError::NotConnected))));
        let (reply, mut rx) = Reply::<u16>::channel();
        drop(reply);
        assert!(rx.try_recv().is_err());
    }
}
