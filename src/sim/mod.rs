//! Hub simulator (axum): the Hub's HTTP contract over in-memory, git-like state.
