//! The only code that talks to the Hugging Face Hub over HTTP (see shared/reference/hub-api.md).
