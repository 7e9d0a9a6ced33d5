//! One business day's bookings, tickets and ratings for the routes that list them (the
//! supervisor's booking list, the call-back CSV): today and later from memory, a past day
//! replayed from its journal file, personal data blanked once the day is past the purge
//! horizon (`personal_data_purged`, `[centre] personal_data_days`).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::Deserialize;

use super::app::AppState;
use super::error::{ApiError, ApiResult};
use crate::domain::event::{Booking, Rating};
use crate::domain::ids::{BookingCode, TicketId};
use crate::domain::personal::horizon;
use crate::domain::ticket::Ticket;
use crate::read::history::model_of_day;

/// `?day=YYYY-MM-DD` (default: today).
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayQuery {
    #[serde(default)]
    pub day: Option<NaiveDate>,
}

/// What one business day holds about bookings, tickets and ratings, personal data blanked
/// when the day is past the purge horizon.
pub struct DayData {
    pub day: NaiveDate,
    pub tickets: Vec<Ticket>,
    pub bookings: Vec<Booking>,
    pub ratings: HashMap<TicketId, Rating>,
}

/// The first day whose personal data may still be shown: the later of the last
/// `personal_data_purged` and what the config says today (in case the timer has not run yet).
fn purge_horizon(app: &AppState, today: NaiveDate) -> NaiveDate {
    let event = app.read.current().purged_before();
    let configured = horizon(today, app.spec().personal_data_days);
    event.map_or(configured, |e| e.max(configured))
}

/// Today and later from memory; a past day replayed from its journal file.
fn day_data(app: &AppState, day: Option<NaiveDate>) -> ApiResult<DayData> {
    let current = app.read.current();
    let today = current.day();
    let day = day.unwrap_or(today);
    // A future day's bookings are in today's model; a past day is replayed from its file.
    let model = if day > today {
        current
    } else {
        model_of_day(current, &app.data_dir.join("journal"), day, app.now())
            .map_err(|e| ApiError::unavailable(&e.to_string()))?
            .ok_or_else(ApiError::not_found)?
    };
    let keep_from = purge_horizon(app, today);
    let model = if day < keep_from {
        Arc::new(model.without_personal_data_before(keep_from))
    } else {
        model
    };
    let bookings = model
        .bookings()
        .filter(|b| b.start.date_naive() == day)
        .cloned()
        .collect();
    if day > today {
        return Ok(DayData {
            day,
            tickets: Vec::new(),
            bookings,
            ratings: HashMap::new(),
        });
    }
    Ok(DayData {
        day,
        tickets: model.tickets().cloned().collect(),
        bookings,
        ratings: model.ratings().map(|r| (r.ticket, r.clone())).collect(),
    })
}

pub async fn day_data_blocking(app: &AppState, day: Option<NaiveDate>) -> ApiResult<DayData> {
    let app = app.clone();
    tokio::task::spawn_blocking(move || day_data(&app, day))
        .await
        .map_err(|e| ApiError::unavailable(&e.to_string()))?
}

impl DayData {
    /// The day's bookings by code.
    pub fn bookings_by_code(&self) -> HashMap<BookingCode, &Booking> {
        self.bookings.iter().map(|b| (b.code.clone(), b)).collect()
    }
}
