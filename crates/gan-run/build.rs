//! Embeds libtorch's library directory as an rpath when libtorch is located, so this crate's
//! tests start without `LD_LIBRARY_PATH` in a workspace build that links the `tch` backend.
include!("../../build-support/libtorch_rpath.rs");
