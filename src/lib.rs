//! # gan: generative adversarial networks on Burn
//!
//! The front door of the workspace. It re-exports the member crates and names the concrete
//! backends:
//!
//! - [`models`] (`gan-models`): generators and discriminators, generic over Burn's `Backend`;
//! - [`train`] (`gan-train`): the algorithm trait and its one training loop; Algorithm 1 of
//!   Goodfellow et al. (2014) and the loss family;
//! - [`run`] (`gan-run`): a run's pictures (previews, loss curve) around the loop;
//! - [`data`] (`gan-data`): datasets;
//! - [`viz`] (`gan-viz`): PNG plots;
//! - [`backend`]: one type alias per backend compiled in (`flex`, `ndarray`, `wgpu`, `tch`
//!   Cargo features) and run-time selection for binaries;
//! - [`command`]: the `gan` command's work on a backend chosen at run time, instantiated once
//!   for every compiled backend;
//! - [`memory`]: glibc's allocator settings for training (`keep_freed_memory`, which the `gan`
//!   command calls first; a program of your own that trains should too).
//!
//! ```no_run
//! # #[cfg(feature = "flex")] {
//! use gan::backend::FlexAutodiff;
//! use gan::RunOptions;
//! use gan::toy::{ToyRunConfig, run_toy};
//!
//! let mut config = ToyRunConfig::new();
//! config.training.iterations = 500;
//! let report = run_toy::<FlexAutodiff>(
//!     &config,
//!     std::path::Path::new("runs/ring8"),
//!     &Default::default(),
//!     RunOptions::new(), // a new run; .resume(true) continues one, .observer(..) watches it
//! )
//! .unwrap();
//! println!("samples plotted in {}", report.dir.join("samples.png").display());
//! # }
//! ```

pub mod backend;
pub mod command;
pub mod memory;

pub use gan_data as data;
pub use gan_eval as metrics;
pub use gan_models as models;
pub use gan_run as run;
pub use gan_run::{GanError, Result, RunOptions, eval, image, sample, toy, translation};
pub use gan_train as train;
pub use gan_viz as viz;
