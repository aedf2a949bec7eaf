// CalendarSync: Google OAuth and Calendar API v3 (issue #5). It knows nothing of the CRM: it turns calendar
// pages into event records and a sync token; Connectord turns those into captured activities.
import AsyncHTTPClient

/// Google Calendar API v3 base URL.
public let calendarAPIBase = "https://www.googleapis.com/calendar/v3"
