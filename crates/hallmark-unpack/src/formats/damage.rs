//! Bounded damage reports for readers that can meet the same problem many times over (a
//! filesystem with thousands of corrupt nodes or entries): the first [`MAX_REPORTED`] go to
//! [`Context::error`] one by one, the rest only as a count, so a hostile image cannot grow
//! the error list without bound.

use crate::format::Context;

/// Problems recorded individually; past this only their count is recorded.
pub(crate) const MAX_REPORTED: usize = 64;

/// A capped error recorder for one layer.
#[derive(Debug, Default)]
pub(crate) struct Damage {
    reported: usize,
    suppressed: usize,
}

impl Damage {
    /// Records a problem at `offset` of the layer (only counted past the cap).
    pub(crate) fn record(
        &mut self,
        cx: &mut Context<'_>,
        offset: usize,
        message: impl Into<String>,
    ) {
        if self.reported < MAX_REPORTED {
            self.reported = self.reported.saturating_add(1);
            cx.error(u64::try_from(offset).unwrap_or(u64::MAX), message);
        } else {
            self.suppressed = self.suppressed.saturating_add(1);
        }
    }

    /// How many problems were counted but not listed.
    pub(crate) fn suppressed(&self) -> usize {
        self.suppressed
    }

    /// Records how many problems were not listed, if any, at `offset`.
    pub(crate) fn finish(&self, cx: &mut Context<'_>, offset: usize) {
        if self.suppressed > 0 {
            cx.error(
                u64::try_from(offset).unwrap_or(u64::MAX),
                format!("{} more problems of this kind not listed", self.suppressed),
            );
        }
    }
}
