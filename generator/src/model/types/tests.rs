//! Type-mapping tests on small documents.
