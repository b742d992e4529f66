//! The connected half of the state machine: restoring the session after a (re)connect,
//! serving commands on a live link, watching the ping deadline and the callers' deadlines, and
//! handling the drop.

use std::sync::atomic::Ordering;
use std::time::Instant;

use tokio::time::sleep_until;

use super::super::inflight::complete;
use super::super::link::Link;
use super::super::subscriptions::{Request, SubState};
use super::super::wire::{LinkEvent, Refusal};
use super::super::*;
use super::{link_gone, Authority, Phase, TARGET_CLIENT, TARGET_QUEUE, TARGET_RECONNECT};
use crate::backoff::STABLE_CONNECTION;
use crate::diagnostics::DropInput;
use crate::drop_cause::{DropCause, DropError};

/// A message the link dropped on this many times in a row, while it was in flight, is given up:
/// the server is closing the connection because of it (too large, denied by the IoT policy).
pub(crate) const MAX_DROPS_IN_FLIGHT: u8 = 3;

impl Authority {
    /// A link just came up: restore subscriptions, flush the queue, then tell everyone.
    /// `recovered` is `None` for a `connect()`, `Some(deep)` for a reconnect. If the link dies
    /// before the session is restored it is closed and the error returned: the caller counts
    /// that as a failed attempt, and every subscription stays tracked for the next one.
    pub(super) async fn came_up(&mut self, mut link: Link, recovered: Option<bool>) -> Result<Phase, DropError> {
        let session_present = link.session_present;
        if let Err(error) = self.restore(&mut link).await {
            self.log(LogLevel::Warning, TARGET_CLIENT, format!("Connection lost while restoring the session: {error}"));
            link.close(false).await;
            self.after_link_closed(OpError::Dropped(error.clone())).into_iter().for_each(Answer::deliver);
            return Err(error);
        }
        self.shared.connected.store(true, Ordering::Release);
        self.shared.reconnecting.store(false, Ordering::Release);
        let event_type = match recovered {
            None => "connected",
            Some(true) => "deep_reconnected",
            Some(false) => "resumed",
        };
        let attempt = if recovered.is_some() { i64::from(self.attempts) } else { 0 };
        self.diag().record_connection(event_type, session_present, Some(0), attempt);
        match recovered {
            None => self.log(LogLevel::Info, TARGET_CLIENT, format!("Connected (session_present={session_present})")),
            Some(deep) => {
                let kind = if deep { "Deep" } else { "Quick" };
                self.log(LogLevel::Info, TARGET_RECONNECT, format!("{kind} reconnection successful after {} attempt(s)", self.attempts));
                self.sink.deliver(SessionEvent::Resumed { return_code: 0, session_present, deep, attempt: self.attempts });
            }
        }
        // Answered last, so a woken connect() finds the connection recorded too.
        let info = ConnectInfo { session_present };
        for reply in self.waiting_connects.drain(..) {
            reply.send(Ok(info));
        }
        Ok(Phase::Live(link))
    }

    /// Resubscribes every tracked topic and waits for the SUBACKs, then hands the whole offline
    /// queue to the link, oldest first.
    async fn restore(&mut self, link: &mut Link) -> Result<(), DropError> {
        for (topic, qos) in self.subscriptions.begin_restore() {
            self.inflight.submitted_subscribe(topic.clone(), None, None);
            if link.client.subscribe(topic, qos).await.is_err() {
                return Err(link_gone());
            }
        }
        let deadline = tokio::time::Instant::now() + self.settings.operation_timeout;
        let mut ping_deadline = None;
        while self.inflight.pending_restores() > 0 {
            tokio::select! {
                event = link.events.recv() => self.on_link_event(link, event, &mut ping_deadline)?,
                _ = sleep_until(deadline) => return Err(DropError::connect_timeout(self.settings.operation_timeout)),
            }
        }
        let now = Instant::now();
        loop {
            let next = {
                let mut expired = Vec::new();
                let next = self.shared.queue().pop_fresh(now, |m, age| expired.push((m.topic, age)));
                for (topic, age) in expired {
                    self.log(
                        LogLevel::Warning,
                        TARGET_QUEUE,
                        format!("Discarding expired queued command to '{}' (age {:.0}s)", crate::redact::topic(&topic), age.as_secs_f64()),
                    );
                }
                next
            };
            let Some((queued_at, message)) = next else { break };
            self.submit_publish(link, queued_at, message, None, None).await?;
        }
        Ok(())
    }

    async fn submit_publish(
        &mut self,
        link: &Link,
        queued_at: Instant,
        message: Outbound,
        reply: Option<Reply<PublishOutcome>>,
        timeout: Option<std::time::Duration>,
    ) -> Result<(), DropError> {
        if let Some(max) = link.max_packet_size {
            let size = super::super::wire::publish_size_v5(message.topic.len(), message.payload.len(), message.qos);
            if size > max {
                self.refuse_oversized(&message, size, max, reply);
                return Ok(());
            }
        }
        if reply.is_some() {
            // A caller's publish on a live link (a queued one was counted when it was queued).
            self.diag().record_publish(false);
        }
        let Outbound { topic, payload, qos, .. } = message.clone();
        self.inflight.submitted_publish(queued_at, message, reply, timeout);
        link.client.publish(topic, qos, payload).await.map_err(|_| link_gone())
    }

    /// A message over the server's announced packet limit is never handed to the link (the
    /// server would close the connection on it, and rumqttc ends the link before sending):
    /// its caller gets the reason, and a queued one is given up and counted.
    fn refuse_oversized(&mut self, message: &Outbound, size: usize, max: usize, reply: Option<Reply<PublishOutcome>>) {
        let topic = crate::redact::topic(&message.topic);
        let why = format!("the message to '{topic}' is {size} bytes as a packet; the server accepts at most {max} (maximum packet size in its CONNACK)");
        if reply.is_some() {
            complete(reply, Err(OpError::Invalid(why)));
        } else {
            self.log(LogLevel::Error, TARGET_QUEUE, format!("Giving up a queued message: {why}"));
            self.shared.poisoned.fetch_add(1, Ordering::AcqRel);
        }
    }

    pub(super) async fn live(&mut self, mut link: Link) -> Phase {
        let stable_at = tokio::time::Instant::from_std(link.connected_at) + STABLE_CONNECTION;
        let mut stable = self.attempts == 0;
        let mut ping_deadline: Option<tokio::time::Instant> = None;
        // The timers live as long as the link and move only when their deadline does. A Sleep
        // made afresh on every turn re-enters tokio's timer wheel each time, and that wakes the
        // runtime's own driver (an eventfd write and an extra epoll round per message).
        let far = tokio::time::Instant::now() + std::time::Duration::from_secs(86_400);
        let ping_timer = sleep_until(far);
        let op_timer = sleep_until(far);
        let stable_timer = sleep_until(stable_at);
        tokio::pin!(ping_timer, op_timer, stable_timer);
        loop {
            let op_deadline = self.inflight.next_deadline();
            if let Some(at) = ping_deadline.filter(|at| *at != ping_timer.deadline()) {
                ping_timer.as_mut().reset(at);
            }
            if let Some(at) = op_deadline.filter(|at| *at != op_timer.deadline()) {
                op_timer.as_mut().reset(at);
            }
            let result = tokio::select! {
                event = link.events.recv() => self.on_link_event(&link, event, &mut ping_deadline),
                cmd = self.rx.recv() => match cmd {
                    None => {
                        link.close(true).await;
                        return Phase::Closed;
                    }
                    Some(Command::Disconnect { reply }) => {
                        link.close(true).await;
                        let answers = self.after_link_closed(OpError::Cancelled);
                        self.diag().record_disconnect();
                        self.log(LogLevel::Info, TARGET_CLIENT, "Disconnected successfully".into());
                        answers.into_iter().for_each(Answer::deliver);
                        let _ = reply.send(());
                        return Phase::Idle;
                    }
                    Some(cmd) => self.live_command(&link, cmd).await,
                },
                _ = &mut ping_timer, if ping_deadline.is_some() => {
                    Err(DropError::ping_deadline(self.settings.ping_timeout))
                }
                _ = &mut op_timer, if op_deadline.is_some() => {
                    for withdrawn in self.inflight.expire(Instant::now()) {
                        self.subscriptions.withdraw(&withdrawn.topic);
                        withdrawn.answer();
                    }
                    Ok(())
                }
                _ = &mut stable_timer, if !stable => {
                    stable = true;
                    self.set_attempts(0);
                    Ok(())
                }
            };
            if let Err(error) = result {
                return self.dropped(link, error).await;
            }
        }
    }

    async fn live_command(&mut self, link: &Link, cmd: Command) -> Result<(), DropError> {
        match cmd {
            Command::Publish { message, reply, timeout } => {
                self.submit_publish(link, Instant::now(), message, Some(reply), Some(timeout)).await
            }
            Command::Subscribe { topic, qos, reply, timeout } => {
                let reply = match self.subscriptions.request(&topic, qos) {
                    Request::AlreadyActive => {
                        let _ = reply.send(Ok(0));
                        return Ok(());
                    }
                    Request::Join => match self.inflight.join_subscribe(&topic, reply) {
                        Ok(()) => return Ok(()),
                        Err(reply) => reply,
                    },
                    Request::Send => reply,
                };
                self.inflight.submitted_subscribe(topic.clone(), Some(reply), Some(timeout));
                link.client.subscribe(topic, qos).await.map_err(|_| link_gone())
            }
            Command::Unsubscribe { topic, reply, timeout } => {
                if self.subscriptions.remove(&topic).is_some() {
                    self.publish_tracked();
                }
                self.inflight.submitted_unsubscribe(Some(reply), Some(timeout));
                link.client.unsubscribe(topic).await.map_err(|_| link_gone())
            }
            Command::Connect { settings, reply } => {
                // Already connected: 9.3.0 returns True. New settings apply to the next link.
                self.apply_settings(*settings);
                let _ = reply.send(Ok(ConnectInfo { session_present: link.session_present }));
                Ok(())
            }
            Command::ResetReconnect => {
                self.set_attempts(0);
                Ok(())
            }
            Command::Disconnect { .. } => unreachable!("handled by live()"),
        }
    }

    fn on_link_event(
        &mut self,
        link: &Link,
        event: Option<Result<LinkEvent, DropError>>,
        ping_deadline: &mut Option<tokio::time::Instant>,
    ) -> Result<(), DropError> {
        let event = match event {
            None => return Err(link_gone()),
            Some(result) => result?,
        };
        match event {
            LinkEvent::Message { topic, payload } => self.sink.deliver(SessionEvent::Message { topic, payload }),
            LinkEvent::PubAck { pkid, refused: None } => self.inflight.publish_acked(pkid),
            LinkEvent::PubAck { pkid, refused: Some(refusal) } => self.inflight.publish_refused(pkid, &refusal),
            LinkEvent::SubAck { pkid, refused } => {
                if let Some(acked) = self.inflight.subscribe_acked(pkid, refused.as_ref()) {
                    self.on_suback(link, acked.topic.clone(), refused, acked.restore, acked.withdrawn);
                    acked.answer();
                }
            }
            LinkEvent::UnsubAck(pkid) => self.inflight.unsubscribe_acked(pkid),
            LinkEvent::PingResp => *ping_deadline = None,
            LinkEvent::PingReqSent => {
                if ping_deadline.is_none() {
                    *ping_deadline = Some(tokio::time::Instant::now() + self.settings.ping_timeout);
                }
            }
            LinkEvent::PublishSent(pkid) => self.inflight.publish_sent(pkid),
            LinkEvent::SubscribeSent(pkid) => self.inflight.subscribe_sent(pkid),
            LinkEvent::UnsubscribeSent(pkid) => self.inflight.unsubscribe_sent(pkid),
        }
        Ok(())
    }

    fn on_suback(&mut self, link: &Link, topic: String, refused: Option<Refusal>, restore: bool, withdrawn: bool) {
        let redacted = crate::redact::topic(&topic);
        let granted = refused.is_none();
        if withdrawn {
            // Its caller timed out and was told it failed: undo it unless it is wanted again.
            if granted && self.subscriptions.state(&topic).is_none() && link.client.try_unsubscribe(topic) {
                self.inflight.submitted_unsubscribe(None, None);
            }
            return;
        }
        if granted {
            if self.subscriptions.state(&topic).is_some() {
                self.subscriptions.granted(&topic);
                self.publish_tracked();
            }
            return;
        }
        let was = self.subscriptions.remove(&topic);
        self.publish_tracked();
        let why = refused.map(|r| r.describe()).unwrap_or_default();
        if restore || was == Some(SubState::Restoring) {
            let reason = format!("the broker refused to restore the subscription to '{redacted}' after a reconnect ({why})");
            self.log(LogLevel::Error, TARGET_CLIENT, format!("Subscription lost: {reason}"));
            self.sink.deliver(SessionEvent::SubscriptionLost { topic, reason });
        } else {
            self.log(LogLevel::Warning, TARGET_CLIENT, format!("Broker refused subscription to '{redacted}' ({why})"));
        }
    }

    /// Returns unacknowledged publishes to the front of the queue (their callers get 0, as for
    /// any queued publish; those the queue has no room for are failed) or, with the queue
    /// disabled, fails them. A message the link has now
    /// dropped on too often while it was in flight is failed instead of replayed. The answers
    /// to every pending request come back to the caller, to be delivered once the rest of the
    /// state (reconnecting, the drop record) reports the drop too.
    #[must_use]
    fn after_link_closed(&mut self, error: OpError) -> Vec<Answer> {
        self.shared.connected.store(false, Ordering::Release);
        let mut answers = Vec::new();
        let publishes = self.inflight.abandon(&error, &mut answers);
        self.subscriptions.link_closed();
        self.publish_tracked();
        if !self.settings.enable_command_queue {
            answers.extend(publishes.into_iter().filter_map(|p| p.reply.map(|r| r.later(Err(error.clone())))));
            return answers;
        }
        let mut entries = Vec::with_capacity(publishes.len());
        let mut replies = Vec::with_capacity(publishes.len());
        for mut p in publishes {
            if p.sent {
                p.message.drops_in_flight = p.message.drops_in_flight.saturating_add(1);
            }
            if p.message.drops_in_flight >= MAX_DROPS_IN_FLIGHT {
                let topic = crate::redact::topic(&p.message.topic);
                let why = format!(
                    "Giving up the message to '{topic}': the connection dropped {} times in a row while it was in flight \
                     (a payload over the server's limit, or a publish its policy denies, makes the server close the link)",
                    p.message.drops_in_flight
                );
                self.log(LogLevel::Error, TARGET_QUEUE, why.clone());
                self.shared.poisoned.fetch_add(1, Ordering::AcqRel);
                answers.extend(p.reply.map(|r| r.later(Err(OpError::GivenUp(why)))));
                continue;
            }
            entries.push((p.queued_at, p.message));
            replies.push(p.reply);
        }
        // The returned messages are older than anything queued while they were in flight; if
        // the queue has no room for them all, the oldest go (the queue keeps the newest) and
        // their callers learn it now instead of being told "queued".
        let overflow = self.shared.queue().restore_front(entries);
        if !overflow.is_empty() {
            self.log(
                LogLevel::Warning,
                TARGET_QUEUE,
                format!("Command queue full, dropped {} oldest command(s) returned by the drop", overflow.len()),
            );
        }
        for (i, reply) in replies.into_iter().enumerate() {
            let outcome = match overflow.get(i) {
                Some(message) => Err(OpError::GivenUp(format!(
                    "The connection dropped before the broker acknowledged the message to '{}', and the command queue \
                     is full: it was dropped (counted in dropped_commands_count)",
                    crate::redact::topic(&message.topic)
                ))),
                None => Ok(PublishOutcome::Queued),
            };
            answers.extend(reply.map(|r| r.later(outcome)));
        }
        answers
    }

    async fn dropped(&mut self, link: Link, error: DropError) -> Phase {
        link.close(false).await;
        let answers = self.after_link_closed(OpError::Dropped(error.clone()));
        // Reconnecting from this moment: a caller whose request failed with the drop reads so.
        self.shared.reconnecting.store(self.settings.auto_reconnect, Ordering::Release);
        self.log(LogLevel::Warning, TARGET_CLIENT, format!("Connection interrupted: {error}"));
        self.force_deep |= error.cause == DropCause::CredentialsExpired;
        self.diag().record_drop(DropInput {
            error_name: Some(error.name().to_string()),
            error_message: Some(error.to_string()),
            error_code: Some(i64::from(error.code())),
            cause: Some(error.cause.as_str().to_string()),
            reconnect_attempt: i64::from(self.attempts),
            active_subscriptions: self.subscriptions.len() as i64,
            queued_commands: self.shared.queued() as i64,
            reason_code: error.reason_code.map(i64::from),
            reason_string: error.reason_string.clone(),
        });
        self.sink.deliver(SessionEvent::Interrupted {
            error,
            attempt: self.attempts,
            active_subscriptions: self.subscriptions.len(),
            queued_commands: self.shared.queued(),
        });
        answers.into_iter().for_each(Answer::deliver);
        if self.settings.auto_reconnect {
            Phase::Reconnecting
        } else {
            self.fail_waiting_connects(OpError::NotConnected);
            Phase::Idle
        }
    }
}
