//! SSH logins through [`crate::ssh_client`]: the methods a server offers, one login attempt,
//! and how the server answers a bounded series of wrong passwords.

use std::time::Duration;

use hallmark_model::facts::LoginThrottle;
use hallmark_model::hex;
use tokio::time::Instant;

use crate::access::Try;
use crate::net::Target;
use crate::ssh_client::{AuthReply, Session, SshError};
use crate::wire::nonce;

/// The user name of the wrong-password series: no device has it, so no real account can be
/// locked out by the series.
pub(crate) const NO_SUCH_USER: &str = "hallmark-probe-nosuchuser";

/// What the `none` method showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Methods {
    /// The methods that can continue.
    Listed(Vec<String>),
    /// The server let the user in without any authentication.
    NoneAccepted(String),
}

/// Asks the server which authentication methods it offers `user`.
pub(crate) async fn methods(target: &Target, port: u16, user: &str) -> Result<Methods, SshError> {
    let mut session = Session::open(target, port).await?;
    match session.methods(user).await? {
        AuthReply::Success => Ok(Methods::NoneAccepted(format!(
            "USERAUTH_SUCCESS for user {user:?} with the `none` method ({})",
            session.algorithms
        ))),
        AuthReply::Failure { methods, .. } => Ok(Methods::Listed(methods)),
        AuthReply::ChangeRequested => Err(SshError::Protocol(
            "unexpected PASSWD_CHANGEREQ to the none method".into(),
        )),
    }
}

/// How passwords are offered when the server lists `methods`: `password`, else
/// `keyboard-interactive`, else none.
pub(crate) fn password_method(methods: &[String]) -> Option<&'static str> {
    if methods.iter().any(|m| m == "password") {
        Some("password")
    } else if methods.iter().any(|m| m == "keyboard-interactive") {
        Some("keyboard-interactive")
    } else {
        None
    }
}

async fn offer(
    session: &mut Session,
    method: &str,
    user: &str,
    password: &str,
) -> Result<AuthReply, SshError> {
    if method == "keyboard-interactive" {
        session.keyboard_interactive(user, password).await
    } else {
        session.password(user, password).await
    }
}

/// One login with `user` and `password`, on a connection of its own.
pub(crate) async fn login(
    target: &Target,
    port: u16,
    method: &str,
    user: &str,
    password: &str,
) -> Try {
    let mut session = match Session::open(target, port).await {
        Ok(s) => s,
        Err(e) => return Try::Unclear(format!("SSH transport: {e}")),
    };
    match offer(&mut session, method, user, password).await {
        Ok(AuthReply::Success) => Try::Accepted(format!(
            "USERAUTH_SUCCESS ({method}; {})",
            session.algorithms
        )),
        Ok(AuthReply::ChangeRequested) => Try::Accepted(format!(
            "the password was accepted and must be changed (PASSWD_CHANGEREQ; {})",
            session.algorithms
        )),
        Ok(AuthReply::Failure { partial: true, .. }) => Try::Accepted(format!(
            "USERAUTH_FAILURE with partial success: the password was right, another method is also required ({})",
            session.algorithms
        )),
        Ok(AuthReply::Failure { .. }) => Try::Refused(format!("USERAUTH_FAILURE ({method})")),
        Err(e) => Try::Unclear(e.to_string()),
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The outcome of the wrong-password series: the throttle record, and an access record when a
/// random password was let in (the server takes any password).
pub(crate) struct Series {
    pub(crate) throttle: LoginThrottle,
    pub(crate) any_password: Option<String>,
}

/// Sends up to `attempts` wrong passwords for [`NO_SUCH_USER`] on one connection (pausing
/// `delay` between them), then one more on a new connection opened at once, and records how
/// the server answered.
pub(crate) async fn wrong_password_series(
    target: &Target,
    port: u16,
    method: &str,
    attempts: u32,
    delay: Duration,
) -> Result<Series, SshError> {
    let mut session = Session::open(target, port).await?;
    let mut throttle = LoginThrottle {
        location: target.tcp(port, Some("ssh")),
        method: method.to_owned(),
        user: NO_SUCH_USER.to_owned(),
        attempts: 0,
        refused: 0,
        closed_after: None,
        first_answer_ms: 0,
        slowest_answer_ms: 0,
        reconnect_answered: None,
        proof: String::new(),
    };
    let mut closed = String::new();
    let mut times = Vec::new();
    for n in 1..=attempts {
        if n > 1 {
            tokio::time::sleep(delay).await;
        }
        let password = hex(&nonce(12));
        throttle.attempts = n;
        let started = Instant::now();
        let reply = offer(&mut session, method, NO_SUCH_USER, &password).await;
        let took = millis(started.elapsed());
        match reply {
            Ok(AuthReply::Failure { .. }) => {
                throttle.refused += 1;
                times.push(took);
            }
            Ok(_) => {
                return Ok(Series {
                    throttle,
                    any_password: Some(format!(
                        "the random password {password:?} for the made-up user {NO_SUCH_USER:?} was accepted: any password works"
                    )),
                });
            }
            Err(SshError::Closed(why)) => {
                throttle.closed_after = Some(n);
                closed = if why.is_empty() {
                    "closed the connection".to_owned()
                } else {
                    format!("closed the connection ({why})")
                };
                break;
            }
            Err(SshError::Timeout) => {
                // No answer within the login wait: that is a slow-down too.
                times.push(took);
                closed = format!("gave no answer within {took} ms");
                break;
            }
            Err(e) => return Err(e),
        }
    }
    drop(session);
    throttle.first_answer_ms = times.first().copied().unwrap_or(0);
    throttle.slowest_answer_ms = times.iter().copied().max().unwrap_or(0);
    let allowance = throttle.first_answer_ms.saturating_mul(4).max(1000);
    let started = Instant::now();
    let again = match Session::open(target, port).await {
        Ok(mut s) => offer(&mut s, method, NO_SUCH_USER, &hex(&nonce(12))).await,
        Err(e) => Err(e),
    };
    let took = millis(started.elapsed());
    let reconnect = matches!(again, Ok(AuthReply::Failure { .. })) && took <= allowance;
    throttle.reconnect_answered = Some(reconnect);
    throttle.proof = format!(
        "{} of {} wrong {method} logins for {NO_SUCH_USER:?} refused on one connection, answers in {}-{} ms{}; {}",
        throttle.refused,
        throttle.attempts,
        throttle.first_answer_ms,
        throttle.slowest_answer_ms,
        match throttle.closed_after {
            Some(n) => format!("; the server {closed} at attempt {n}"),
            None if !closed.is_empty() => format!("; the server {closed}"),
            None => String::new(),
        },
        match (&again, reconnect) {
            (Ok(AuthReply::Failure { .. }), true) => format!(
                "a new connection opened at once was let in to try again ({took} ms, key exchange included)"
            ),
            (Ok(AuthReply::Failure { .. }), false) => {
                format!("a new connection opened at once was answered slowly ({took} ms)")
            }
            (Ok(_), _) => "a new connection's wrong password was not refused".to_owned(),
            (Err(e), _) => format!("a new connection opened at once was not let in: {e}"),
        }
    );
    Ok(Series {
        throttle,
        any_password: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_method_prefers_password() {
        let m = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            password_method(&m(&["publickey", "keyboard-interactive", "password"])),
            Some("password")
        );
        assert_eq!(
            password_method(&m(&["publickey", "keyboard-interactive"])),
            Some("keyboard-interactive")
        );
        assert_eq!(password_method(&m(&["publickey"])), None);
    }
}
