//! Hub webhook payloads (schema v3, hub-api.md §9) and their classification into jobs.
