//! Panics stay inside: a future that panics resolves to an error instead of unwinding into
//! tokio (where it would silently drop whatever reply its caller awaits, and the await would hang).

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

/// `fut`, with a panic in any poll turned into `Err(message)`.
pub struct Contained<F> {
    inner: Pin<Box<F>>,
}

impl<F: Future> Contained<F> {
    pub fn new(fut: F) -> Self {
        Self { inner: Box::pin(fut) }
    }
}

impl<F: Future> Future for Contained<F> {
    type Output = Result<F::Output, String>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.inner.as_mut();
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => Poll::Ready(Err(panic_message(payload.as_ref()))),
        }
    }
}

/// Runs `f`, turning a panic into `Err(message)`.
pub fn contain<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| panic_message(payload.as_ref()))
}

pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-text payload".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_future_becomes_an_error() {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let out = rt.block_on(Contained::new(async {
            let v: Vec<u8> = Vec::new();
            #[allow(clippy::useless_vec)]
            v[3]
        }));
        assert!(out.unwrap_err().contains("index out of bounds"));
        assert_eq!(rt.block_on(Contained::new(async { 7 })), Ok(7));
        assert_eq!(contain(|| panic!("boom {}", 1)), Err::<(), _>("boom 1".to_string()));
    }
}
