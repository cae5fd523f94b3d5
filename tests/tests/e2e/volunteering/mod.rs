//! Volunteering over HTTP, by sub-area: activities and their lifecycle, sign-ups, attendance,
//! the service records, certificates and points it earns, and volunteer teams.

mod activities;
mod attendance;
mod common;
mod records;
mod signups;
mod teams;
