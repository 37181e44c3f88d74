//! Embeds libtorch's library directory as an rpath when libtorch is located (see the included
//! file), so binaries built with the `tch` feature start without `LD_LIBRARY_PATH`.
include!("build-support/libtorch_rpath.rs");
