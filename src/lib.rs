//! # gan: generative adversarial networks on Burn
//!
//! The front door of the workspace. It re-exports the member crates and names the concrete
//! backends:
//!
//! - [`models`] (`gan-models`): generators and discriminators, generic over Burn's `Backend`;
//! - [`train`] (`gan-train`): Algorithm 1 of Goodfellow et al. (2014) and the loss family;
//! - [`data`] (`gan-data`): datasets;
//! - [`viz`] (`gan-viz`): PNG plots;
//! - [`backend`]: one type alias per backend compiled in (`flex`, `ndarray`, `wgpu`, `tch`
//!   Cargo features) and run-time selection for binaries.
//!
//! ```no_run
//! # #[cfg(feature = "flex")] {
//! use gan::backend::FlexAutodiff;
//! use gan::toy::{Quiet, ToyRunConfig, run_toy};
//!
//! let config = ToyRunConfig::new().with_steps(500);
//! let report = run_toy::<FlexAutodiff>(
//!     &config,
//!     std::path::Path::new("runs/ring8"),
//!     &Default::default(),
//!     &mut Quiet,
//! )
//! .unwrap();
//! println!("samples plotted in {}", report.dir.join("samples.png").display());
//! # }
//! ```

pub mod backend;
mod error;
pub mod toy;

pub use error::{GanError, Result};
pub use gan_data as data;
pub use gan_models as models;
pub use gan_train as train;
pub use gan_viz as viz;
