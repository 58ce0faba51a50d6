//! The local org's API tests: reqwest against a real `Sandbox` on a free port, asserting statuses, bodies and the
//! org's records. One binary, one module per area (zero2prod's `tests/api` layout).

mod composite;
mod control;
mod faults;
mod helpers;
mod limits;
mod oauth;
mod rules;
mod search;
mod sobjects;
mod telephony;
