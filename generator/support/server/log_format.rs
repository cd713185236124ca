//! The log line format: `tracing_subscriber`'s full format without spans and colours,
//! written without its general machinery, which costs a proxied request more than a tenth of
//! its instructions (ANSI styles painted even when off, a calendar computation and a `fmt`
//! call per field). A line reads
//!
//! ```text
//! 2026-12-07T18:56:01.087420Z  INFO durable_server::support::rest: request request_id=7e03… method=GET status=200
//! ```
//!
//! Strings are quoted as `{:?}` quotes them, other values written as they display.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The server's event format.
pub struct LineFormat;

impl<S, N> FormatEvent<S, N> for LineFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        writer.write_str(&timestamp(
            since_epoch.as_secs(),
            since_epoch.subsec_micros(),
        ))?;
        let metadata = event.metadata();
        writer.write_str(match *metadata.level() {
            Level::ERROR => " ERROR ",
            Level::WARN => "  WARN ",
            Level::INFO => "  INFO ",
            Level::DEBUG => " DEBUG ",
            Level::TRACE => " TRACE ",
        })?;
        writer.write_str(metadata.target())?;
        writer.write_str(":")?;
        let mut fields = Fields {
            out: &mut writer,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        writer.write_char('\n')
    }
}

/// Writes each field as ` name=value`, the message as ` message`.
struct Fields<'w, 'a> {
    out: &'w mut Writer<'a>,
    result: fmt::Result,
}

impl Fields<'_, '_> {
    fn name(&mut self, field: &Field) -> fmt::Result {
        self.out.write_char(' ')?;
        if field.name() != "message" {
            self.out.write_str(field.name())?;
            self.out.write_char('=')?;
        }
        Ok(())
    }
}

impl Visit for Fields<'_, '_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if self.result.is_err() {
            return;
        }
        self.result = self.name(field).and_then(|()| {
            if field.name() == "message" {
                self.out.write_str(value)
            } else {
                write!(self.out, "{value:?}")
            }
        });
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if self.result.is_err() {
            return;
        }
        self.result = self.name(field).and_then(|()| {
            let mut digits = [0u8; 20];
            self.out.write_str(decimal(value, &mut digits))
        });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.result.is_err() {
            return;
        }
        self.result = self
            .name(field)
            .and_then(|()| write!(self.out, "{value:?}"));
    }
}

/// `value` in decimal, in the end of `digits`.
fn decimal(mut value: u64, digits: &mut [u8; 20]) -> &str {
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    std::str::from_utf8(&digits[at..]).unwrap_or("0")
}

/// RFC 3339 in UTC with microseconds: `2026-12-07T18:56:01.087420Z`.
fn timestamp(secs: u64, micros: u32) -> String {
    let (year, month, day) = civil_from_days(secs / 86_400);
    let time = secs % 86_400;
    let mut text = *b"0000-00-00T00:00:00.000000Z";
    let mut put = |at: usize, width: usize, mut value: u64| {
        for index in (at..at + width).rev() {
            text[index] = b'0' + (value % 10) as u8;
            value /= 10;
        }
    };
    put(0, 4, year);
    put(5, 2, month);
    put(8, 2, day);
    put(11, 2, time / 3600);
    put(14, 2, time % 3600 / 60);
    put(17, 2, time % 60);
    put(20, 6, u64::from(micros));
    String::from_utf8_lossy(&text).into_owned()
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_in_utc() {
        assert_eq!(timestamp(0, 0), "1970-01-01T00:00:00.000000Z");
        // 2026-12-07T18:56:01.087420Z
        assert_eq!(
            timestamp(1_796_669_761, 87_420),
            "2026-12-07T18:56:01.087420Z"
        );
        // A leap day.
        assert_eq!(timestamp(951_782_400, 1), "2000-02-29T00:00:00.000001Z");
    }

    #[test]
    fn numbers_are_written_in_decimal() {
        let mut digits = [0u8; 20];
        assert_eq!(decimal(0, &mut digits), "0");
        assert_eq!(decimal(u64::MAX, &mut digits), "18446744073709551615");
    }
}
