//! Command outcomes in each protocol's words: the [`Reply`]s the sessions hand to the world actor.

use gateway::Link;
use protocol::v0;
use protocol::v1::{ErrorCode, ReplyBody, ServerMessage};

use crate::mapping;
use crate::wire::{Format, control, v0_text};
use crate::worlds::Reply;

/// A v1 request's reply: `Reply` or `Error` echoing its request id.
#[derive(Debug)]
pub struct V1Reply {
    pub link: Link,
    pub request_id: u32,
    pub format: Format,
}

impl Reply for V1Reply {
    fn applied(self: Box<Self>, outcome: sim::Outcome) {
        let request_id = self.request_id;
        let msg = match outcome {
            Ok(applied) => match reply_body(applied) {
                Some(result) => ServerMessage::Reply { request_id, result },
                None => ServerMessage::Error {
                    request_id: Some(request_id),
                    code: ErrorCode::Internal,
                    message: "unexpected outcome".into(),
                },
            },
            Err(rejection) => ServerMessage::Error {
                request_id: Some(request_id),
                code: mapping::error_code(&rejection),
                message: rejection.to_string(),
            },
        };
        self.link.message(control(&msg, self.format));
    }

    fn failed(self: Box<Self>, why: &str) {
        let msg = ServerMessage::Error {
            request_id: Some(self.request_id),
            code: ErrorCode::Internal,
            message: why.to_string(),
        };
        self.link.message(control(&msg, self.format));
    }
}

/// A v0 command's answer: `BodyCreated` or `BodyRemoved`.
#[derive(Debug)]
pub enum V0Reply {
    Create(Link),
    Remove(Link, u64),
}

impl Reply for V0Reply {
    fn applied(self: Box<Self>, outcome: sim::Outcome) {
        let (link, msg) = match *self {
            Self::Create(link) => {
                let msg = match outcome {
                    Ok(sim::Applied::BodyCreated { body }) => v0::ServerMessage::BodyCreated {
                        body_id: Some(body.0.to_string()),
                        success: true,
                        error: None,
                    },
                    Ok(_) => v0::ServerMessage::BodyCreated {
                        body_id: None,
                        success: false,
                        error: Some("unexpected outcome".into()),
                    },
                    Err(e) => v0::ServerMessage::BodyCreated {
                        body_id: None,
                        success: false,
                        error: Some(e.to_string()),
                    },
                };
                (link, msg)
            }
            Self::Remove(link, body) => {
                let msg = v0::ServerMessage::BodyRemoved {
                    body_id: body.to_string(),
                    success: outcome.is_ok(),
                };
                (link, msg)
            }
        };
        link.message(v0_text(&msg));
    }

    fn failed(self: Box<Self>, why: &str) {
        let link = match *self {
            Self::Create(link) | Self::Remove(link, _) => link,
        };
        let msg = v0::ServerMessage::Error {
            message: why.to_string(),
        };
        link.message(v0_text(&msg));
    }
}

fn reply_body(applied: sim::Applied) -> Option<ReplyBody> {
    Some(match applied {
        sim::Applied::BodyCreated { body } => ReplyBody::BodyCreated { body: body.0 },
        sim::Applied::BodyRemoved { body } => ReplyBody::BodyRemoved { body: body.0 },
        sim::Applied::ResearchBought { research, level } => ReplyBody::ResearchBought {
            research: research.key().to_string(),
            level,
        },
        sim::Applied::Joined { .. } | sim::Applied::Left => return None,
    })
}
