//! Timestamp parsing and formatting in the shapes the real API uses.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// `createdTime` / `lastUpdatedTime`: `ToString("s") + "Z"`, i.e. second
/// precision, no fraction, always `Z`.
pub(crate) fn format_seconds(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// A Newtonsoft `DateTime` with `Kind=Utc`: seven fractional digits and `Z`
/// (entity `lastOperationTime`, history `Timestamp`).
pub(crate) fn format_ticks(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.nanosecond() / 100
    )
}

/// A lenient stand-in for .NET `DateTime.TryParse` on the ISO-8601 shapes
/// clients send: `YYYY-MM-DD`, optionally followed by `T` (or a space) and
/// `HH:MM[:SS[.fraction]]`, optionally followed by `Z` or an offset
/// (`+HH:MM`, `-HH:MM`, `+HHMM`, `+HH`). A missing offset means UTC. Years
/// written with 1–3 digits are zero-padded first (as the extension does for
/// Python clients). Anything else is `None` ("not supplied").
pub(crate) fn parse_datetime(value: &str) -> Option<OffsetDateTime> {
    let value = value.trim();
    let dash = value.find('-')?;
    if dash == 0 || !value[..dash].bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let padded;
    let value = if dash < 4 {
        padded = format!("{}{}", "0".repeat(4 - dash), value);
        padded.as_str()
    } else {
        value
    };
    let bytes = value.as_bytes();
    if bytes.len() < 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let year: i32 = digits(&value[0..4])?;
    let month: u8 = digits(&value[5..7])?;
    let day: u8 = digits(&value[8..10])?;
    let date = Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()?;
    let rest = &value[10..];
    if rest.is_empty() {
        return Some(PrimitiveDateTime::new(date, Time::MIDNIGHT).assume_utc());
    }
    let rest = rest
        .strip_prefix('T')
        .or_else(|| rest.strip_prefix('t'))
        .or_else(|| rest.strip_prefix(' '))?;
    // Split the clock from the zone designator.
    let zone_at = rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len());
    let (clock, zone) = rest.split_at(zone_at);
    let time = parse_clock(clock)?;
    let offset = parse_zone(zone)?;
    Some(
        PrimitiveDateTime::new(date, time)
            .assume_offset(offset)
            .to_offset(UtcOffset::UTC),
    )
}

fn digits<T: std::str::FromStr>(text: &str) -> Option<T> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn parse_clock(clock: &str) -> Option<Time> {
    let (main, fraction) = match clock.split_once('.') {
        Some((main, fraction)) => (main, Some(fraction)),
        None => (clock, None),
    };
    let mut parts = main.split(':');
    let hour: u8 = two_digits(parts.next()?)?;
    let minute: u8 = two_digits(parts.next()?)?;
    let second: u8 = match parts.next() {
        Some(second) => two_digits(second)?,
        None => {
            if fraction.is_some() {
                return None;
            }
            0
        }
    };
    if parts.next().is_some() {
        return None;
    }
    let nanos = match fraction {
        None => 0,
        Some(fraction) => {
            if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let mut scaled: u32 = 0;
            for (index, byte) in fraction.bytes().enumerate() {
                if index < 9 {
                    scaled = scaled * 10 + u32::from(byte - b'0');
                }
            }
            let shown = fraction.len().min(9);
            let factor = 10u32.pow(u32::try_from(9 - shown).ok()?);
            scaled * factor
        }
    };
    Time::from_hms_nano(hour, minute, second, nanos).ok()
}

fn two_digits(text: &str) -> Option<u8> {
    if text.len() != 2 && text.len() != 1 {
        return None;
    }
    digits(text)
}

fn parse_zone(zone: &str) -> Option<UtcOffset> {
    if zone.is_empty() || zone.eq_ignore_ascii_case("z") {
        return Some(UtcOffset::UTC);
    }
    let (sign, rest) = match zone.as_bytes().first()? {
        b'+' => (1i8, &zone[1..]),
        b'-' => (-1i8, &zone[1..]),
        _ => return None,
    };
    let (hours, minutes) = if let Some((h, m)) = rest.split_once(':') {
        (h, m)
    } else if rest.len() == 4 {
        rest.split_at(2)
    } else {
        (rest, "0")
    };
    let hours: i8 = digits(hours)?;
    let minutes: i8 = digits(minutes)?;
    if hours > 14 || minutes > 59 {
        return None;
    }
    UtcOffset::from_hms(sign * hours, sign * minutes, 0).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(value: &str) -> String {
        parse_datetime(value).map(format_ticks).unwrap_or_default()
    }

    #[test]
    fn parses_common_shapes() {
        assert_eq!(utc("2024-01-02"), "2024-01-02T00:00:00.0000000Z");
        assert_eq!(utc("2024-01-02T03:04:05Z"), "2024-01-02T03:04:05.0000000Z");
        assert_eq!(
            utc("2024-01-02T03:04:05.123456Z"),
            "2024-01-02T03:04:05.1234560Z"
        );
        assert_eq!(
            utc("2024-01-02T03:04:05+01:00"),
            "2024-01-02T02:04:05.0000000Z"
        );
        assert_eq!(utc("2024-01-02 03:04"), "2024-01-02T03:04:00.0000000Z");
        assert_eq!(utc("024-01-02T00:00:00Z"), "0024-01-02T00:00:00.0000000Z");
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "yesterday",
            "2024-13-01",
            "2024-01-02T25:00",
            "2024-01-02T03:04:05 01:00",
        ] {
            assert!(parse_datetime(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn formats() {
        let at = parse_datetime("2018-02-28T05:18:49.3452372Z");
        assert_eq!(
            at.map(format_seconds).as_deref(),
            Some("2018-02-28T05:18:49Z")
        );
        assert_eq!(
            at.map(format_ticks).as_deref(),
            Some("2018-02-28T05:18:49.3452372Z")
        );
    }
}
