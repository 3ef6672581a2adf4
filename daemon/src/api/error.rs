//! API errors: every failure is a JSON body `{"error": {"code", "message"}}` with the status
//! code that fits, and a stable machine-readable code.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::NodeError;

/// An API error: a status, a stable code and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable code such as `not_found` or `payload_too_large`.
    pub code: &'static str,
    /// What went wrong, for people.
    pub message: String,
}

/// The JSON shape of an error response.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The inside of [`ErrorBody`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// The stable code.
    pub code: String,
    /// The message.
    pub message: String,
}

impl ApiError {
    /// An error with `status`, `code` and `message`.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400 with code `bad_request`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 404 with code `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 500 with code `internal`.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

impl From<NodeError> for ApiError {
    fn from(e: NodeError) -> Self {
        let message = e.to_string();
        match e {
            NodeError::UnknownContribution(_)
            | NodeError::UnknownDatanet(_)
            | NodeError::UnknownModel(_) => Self::not_found(message),
            NodeError::Invalid(_) => Self::bad_request(message),
            NodeError::NotAnchored(_) => Self::new(StatusCode::CONFLICT, "not_anchored", message),
            NodeError::ChainUnreachable(_) => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "chain_unavailable",
                message,
            ),
            NodeError::Policy(violation) => Self::from(violation),
            NodeError::Unavailable { .. } | NodeError::SquareUnavailable { .. } => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
            }
            NodeError::BadEncoding(_)
            | NodeError::ChunkMismatch(_)
            | NodeError::PayloadMismatch(_) => {
                Self::new(StatusCode::BAD_GATEWAY, "bad_data", message)
            }
            NodeError::Store(datanet_storage::StoreError::DiskFull { .. }) => {
                Self::new(StatusCode::INSUFFICIENT_STORAGE, "disk_full", message)
            }
            _ => Self::internal(message),
        }
    }
}

impl From<datanet_policy::Violation> for ApiError {
    fn from(violation: datanet_policy::Violation) -> Self {
        let message = violation.to_string();
        match violation {
            datanet_policy::Violation::MediaType { .. } => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                message,
            ),
            datanet_policy::Violation::TooLarge { .. } => {
                Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
            }
            datanet_policy::Violation::Empty => Self::bad_request(message),
            datanet_policy::Violation::Header { .. }
            | datanet_policy::Violation::Records { .. }
            | datanet_policy::Violation::RecordCount { .. }
            | datanet_policy::Violation::Repeats { .. } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "policy_violation",
                message,
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
            },
        };
        (self.status, Json(body)).into_response()
    }
}
