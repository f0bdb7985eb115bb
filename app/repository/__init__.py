"""All SQL lives here: functions over a Session, no HTTP, no business rules."""
