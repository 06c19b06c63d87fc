//! Stream tests: decoder grammar tables, redactor tables, fixtures, and properties over random
//! chunkings (a deterministic PRNG; proptest is not a dependency).

mod agency;
mod arguments;
mod bounds;
mod decoders;
mod fixtures;
mod gaps;
mod redactor;
mod rewriter;
mod support;
