//! Naftiko capability documents.
