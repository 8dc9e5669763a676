//! Plain-text helpers, shared with the report renderers.

pub use hallmark_report::text::*;
