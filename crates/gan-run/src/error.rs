use std::path::PathBuf;

use thiserror::Error;

/// Errors surfaced by the `gan` library front end and command-line tool.
#[derive(Debug, Error)]
pub enum GanError {
    /// Choosing the backend or device failed (the `gan` crate's `BackendError`).
    #[error("{0}")]
    Backend(Box<dyn std::error::Error + Send + Sync>),
    /// A model config was invalid.
    #[error("model: {0}")]
    Model(#[from] gan_models::ModelError),
    /// A training config was invalid or training failed.
    #[error("training: {0}")]
    Train(#[from] gan_train::TrainError),
    /// A dataset config was invalid or loading failed.
    #[error("data: {0}")]
    Data(#[from] gan_data::DataError),
    /// Writing a picture failed.
    #[error(transparent)]
    Viz(#[from] gan_viz::VizError),
    /// A metric could not be computed.
    #[error("evaluation: {0}")]
    Eval(#[from] gan_eval::EvalError),
    /// A file or directory could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A dataset whose images do not have the shape the networks are built for.
    #[error(
        "dataset {dataset} has images of shape {shape:?} (channels, height, width) but the {network} is configured for {model:?}; set its image_size and channels (DCGAN) or its input/output dim (MLP) to match"
    )]
    ImageShape {
        /// The dataset's name.
        dataset: String,
        /// `[channels, height, width]` of its images.
        shape: [usize; 3],
        /// `generator` or `discriminator`.
        network: &'static str,
        /// What the network is configured for: `[channels, height, width]` (DCGAN) or
        /// `[features]` (MLP).
        model: Vec<usize>,
    },
    /// A class-conditional model whose class count is not the dataset's.
    #[error(
        "the model is conditioned on {model} classes but dataset {dataset} has {}; conditional models need a labelled dataset with that many classes",
        found.map_or("no labels".to_string(), |n| format!("{n} classes"))
    )]
    Classes {
        /// The dataset's name.
        dataset: String,
        /// Its number of classes (`None`: unlabelled).
        found: Option<usize>,
        /// The model's.
        model: usize,
    },
    /// A peer of a data-parallel run failed, which stopped the run.
    #[error(
        "data-parallel training stopped: {0}; the last checkpoint is kept: resume with the \
         same command and --resume"
    )]
    Peer(String),
    /// A value the command line or a config cannot use.
    #[error("invalid {field} {value:?}: expected {expected}")]
    Invalid {
        /// The flag or field.
        field: &'static str,
        /// The value given.
        value: String,
        /// What is accepted.
        expected: String,
    },
    /// `gan eval` of samples that no metric scores.
    #[error(
        "no metric applies to {data} samples: {reason}; the mode metrics score ring8 and \
         grid25, the image metrics (fid, kid, is, prdc, parzen, inception) image datasets"
    )]
    NoMetric {
        /// The data the samples are compared with.
        data: String,
        /// Why nothing applies.
        reason: &'static str,
    },
    /// A run directory without what the command needs.
    #[error("{path} is not a usable run directory: {reason}")]
    RunDir {
        /// The directory.
        path: PathBuf,
        /// What is missing.
        reason: String,
    },
    /// A `.npy` file that is not an array of samples this project reads.
    #[error("{path} is not a usable .npy sample file: {reason}")]
    Npy {
        /// The file.
        path: PathBuf,
        /// What is wrong, and what was expected.
        reason: String,
    },
    /// A command-line argument that the other arguments require.
    #[error("{argument} is required: {reason}")]
    MissingArgument {
        /// The argument, e.g. `--data-dir`.
        argument: &'static str,
        /// Why it is needed.
        reason: &'static str,
    },
    /// `--resume` with a config that differs from the run's saved one (beyond the iteration
    /// count).
    #[error(
        "cannot resume: the run's {path} differs from the requested config in {} (only the number of iterations may change; drop the flags that change the rest, or start a new run with --out)",
        differences.join(", ")
    )]
    ResumeConfig {
        /// The run's saved config.
        path: PathBuf,
        /// Each differing field as `path: saved -> requested`.
        differences: Vec<String>,
    },
    /// A JSON config file that is not JSON, or that names fields no config has.
    #[error("config {path}: {problem}")]
    ConfigContent {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the line, column or field.
        problem: String,
    },
    /// A JSON config file could not be read or parsed.
    #[error("cannot load config {path}: {source}")]
    Config {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: burn::config::ConfigError,
    },
}

/// Result alias for the `gan` crate.
pub type Result<T> = std::result::Result<T, GanError>;
