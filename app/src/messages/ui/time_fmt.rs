//! Message times in the viewer's local time zone (the browser's), for day
//! separators and timestamps. Without a browser (server, tests) it is UTC.

use leptos::prelude::*;
use time::OffsetDateTime;

const WEEKDAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A local calendar time: (year, month 1–12, day, weekday 0=Sunday, hour, minute).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Local {
    pub year: i32,
    pub month: u8,
    pub day: u8,
    pub weekday: u8,
    pub hour: u8,
    pub minute: u8,
}

impl Local {
    /// Identifies the calendar day, for "is this a new day?".
    pub fn day_key(&self) -> i32 {
        self.year * 10_000 + i32::from(self.month) * 100 + i32::from(self.day)
    }
}

#[cfg(feature = "hydrate")]
fn parts(ms: f64) -> Local {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
    Local {
        year: d.get_full_year() as i32,
        month: d.get_month() as u8 + 1,
        day: d.get_date() as u8,
        weekday: d.get_day() as u8,
        hour: d.get_hours() as u8,
        minute: d.get_minutes() as u8,
    }
}

#[cfg(not(feature = "hydrate"))]
fn parts(ms: f64) -> Local {
    let t = OffsetDateTime::from_unix_timestamp_nanos((ms as i128) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    Local {
        year: t.year(),
        month: t.month() as u8,
        day: t.day(),
        weekday: t.weekday().number_days_from_sunday(),
        hour: t.hour(),
        minute: t.minute(),
    }
}

fn now_ms() -> f64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as f64
    }
}

/// The local time of a timestamp.
pub fn local(t: OffsetDateTime) -> Local {
    parts((t.unix_timestamp_nanos() / 1_000_000) as f64)
}

/// Whether times show on a 24-hour clock (the viewer's preference, kept
/// in the browser; set after hydration, so the server's 12-hour text is
/// what hydrates and is then redrawn).
#[derive(Clone, Copy)]
pub struct Clock24(pub RwSignal<bool>);

/// The key the preference is kept under in `localStorage`.
pub const CLOCK_KEY: &str = "ts-clock";

/// Provides the preference (in the shell) and loads it once hydrated.
pub fn provide_clock() {
    let h24 = RwSignal::new(false);
    provide_context(Clock24(h24));
    Effect::new(move || {
        #[cfg(feature = "hydrate")]
        {
            let saved =
                window().local_storage().ok().flatten().and_then(|s| s.get_item(CLOCK_KEY).ok().flatten());
            h24.set(saved.as_deref() == Some("24"));
        }
    });
}

/// A time as the viewer likes it ("2:05 PM" or "14:05"), reactive.
pub fn clock_pref(l: Local) -> impl Fn() -> String + Send + Sync + Copy + 'static {
    let h24 = use_context::<Clock24>().map(|c| c.0);
    move || {
        if h24.is_some_and(|s| s.get()) {
            clock24(l)
        } else {
            clock(l)
        }
    }
}

/// "14:05".
pub fn clock24(l: Local) -> String {
    format!("{:02}:{:02}", l.hour, l.minute)
}

/// "2:05 PM".
pub fn clock(l: Local) -> String {
    let h = match l.hour % 12 {
        0 => 12,
        h => h,
    };
    format!("{h}:{:02} {}", l.minute, if l.hour < 12 { "AM" } else { "PM" })
}

/// "Today", "Yesterday", or "Monday, November 28" (with the year when not this year).
pub fn day_label(l: Local) -> String {
    let now = parts(now_ms());
    let yesterday = parts(now_ms() - 86_400_000.0);
    if l.day_key() == now.day_key() {
        "Today".into()
    } else if l.day_key() == yesterday.day_key() {
        "Yesterday".into()
    } else {
        let base = format!(
            "{}, {} {}",
            WEEKDAYS[usize::from(l.weekday % 7)],
            MONTHS[usize::from(l.month.clamp(1, 12) - 1)],
            l.day
        );
        if l.year == now.year {
            base
        } else {
            format!("{base}, {}", l.year)
        }
    }
}

/// "Nov 28 at 2:05 PM", for tooltips and "last reply".
pub fn short_datetime(t: OffsetDateTime) -> String {
    let l = local(t);
    format!("{} {} at {}", &MONTHS[usize::from(l.month.clamp(1, 12) - 1)][..3], l.day, clock(l))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_uses_twelve_hours() {
        let l = Local { year: 2026, month: 11, day: 28, weekday: 6, hour: 0, minute: 5 };
        assert_eq!(clock(l), "12:05 AM");
        assert_eq!(clock(Local { hour: 14, ..l }), "2:05 PM");
        assert_eq!((clock24(l), clock24(Local { hour: 14, ..l })), ("00:05".into(), "14:05".into()));
    }

    #[test]
    fn old_days_are_named_with_their_year() {
        let t = time::macros::datetime!(2020-02-03 10:00 UTC);
        assert_eq!(day_label(local(t)), "Monday, February 3, 2020");
        assert_eq!(day_label(local(OffsetDateTime::now_utc())), "Today");
    }
}
