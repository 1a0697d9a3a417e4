//! (filled in by the spine work)
