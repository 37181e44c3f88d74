//! `gan export`: a run's generator alone, as a safetensors file that PyTorch reads.
//!
//! The file holds the generator's tensors in PyTorch's layout and names (Burn's
//! `BurnToPyTorchAdapter`: linear weights transposed to `[out, in]`, batch norm's `gamma` and
//! `beta` renamed `weight` and `bias`), keyed by the module's field path, and the config it was
//! built from in the file's metadata. `python/gan_generator.py` builds the same network in
//! PyTorch from that metadata and loads the tensors strictly; docs/export.md lists the keys.

use std::path::{Path, PathBuf};

use burn::store::{BurnToPyTorchAdapter, ModuleSnapshot, SafetensorsStore};
use burn::tensor::backend::Backend;
use gan_models::{Generator, Prior};
use gan_train::{GeneratorWeights, load_generator};
use serde_json::json;

use crate::error::{GanError, Result};
use crate::image::{GeneratorTask, ImageNetworks};
use crate::sample::{RunSpec, run_checkpoint};

/// The version of the export format, in the metadata as `gan.format_version`.
pub const EXPORT_FORMAT_VERSION: u32 = 1;

/// What [`export_run`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Export {
    /// The file written.
    pub path: PathBuf,
    /// The checkpoint the weights came from.
    pub checkpoint: PathBuf,
    /// The iteration of that checkpoint.
    pub iteration: usize,
    /// Whether the weights are the moving average (else the trained weights).
    pub ema: bool,
    /// Number of tensors in the file.
    pub tensors: usize,
    /// Number of scalars in those tensors (batch norm's running statistics included).
    pub values: usize,
    /// The metadata written beside the tensors (every value a JSON document or a string).
    pub metadata: Vec<(String, String)>,
}

/// Writes the generator of the run in `dir` (its newest checkpoint, the `which` weights) to
/// `out` as safetensors with PyTorch's names and layout, atomically: an error leaves `out` as
/// it was. The metadata holds the generator's architecture (`gan.architecture`: `dcgan` or
/// `mlp`), its config (`gan.generator`, the JSON of the run's config), the prior of its codes
/// (`gan.prior`), InfoGAN's codes (`gan.infogan`, `null` otherwise), the shape of one sample
/// (`gan.sample_shape`), the range of its values (`gan.output_range`, `null` for the unbounded 2-D generators), the iteration and which
/// weights were taken.
pub fn export_run<B: Backend>(
    dir: &Path,
    out: &Path,
    which: GeneratorWeights,
    device: &B::Device,
) -> Result<Export> {
    if !out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("safetensors"))
    {
        return Err(GanError::Invalid {
            field: "--out",
            value: out.display().to_string(),
            expected: "a file name ending in .safetensors".into(),
        });
    }
    let spec = RunSpec::load_run(dir)?;
    let checkpoint = run_checkpoint(dir)?;
    let iteration = checkpoint
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix("step-"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let (architecture, config, range, shape) = describe(&spec)?;
    let metadata = vec![
        ("format".to_string(), "pt".to_string()),
        (
            "gan.format_version".to_string(),
            EXPORT_FORMAT_VERSION.to_string(),
        ),
        ("gan.architecture".to_string(), architecture.to_string()),
        ("gan.generator".to_string(), config.to_string()),
        (
            "gan.prior".to_string(),
            match spec.prior() {
                Prior::Uniform => "uniform",
                Prior::Normal => "normal",
            }
            .to_string(),
        ),
        (
            "gan.infogan".to_string(),
            spec.info()
                .map_or(
                    serde_json::Value::Null,
                    |i| json!({"categories": i.categories, "continuous": i.continuous}),
                )
                .to_string(),
        ),
        ("gan.sample_shape".to_string(), json!(shape).to_string()),
        ("gan.output_range".to_string(), json!(range).to_string()),
        ("gan.dataset".to_string(), spec.dataset_label()),
        ("gan.iteration".to_string(), iteration.to_string()),
    ];
    let task = Save {
        checkpoint: &checkpoint,
        which,
        metadata: &metadata,
        out,
        _backend: std::marker::PhantomData,
    };
    let (bytes, ema, tensors, values) = match &spec {
        RunSpec::Toy(c) => task.run(c.generator.try_init::<B>(device)?, c.generator.prior)?,
        RunSpec::Images(c) => c.networks.build_generator::<B, _>(device, task)?,
    };
    gan_data::write_atomic(out, &bytes).map_err(|source| GanError::Io {
        action: "cannot write",
        path: out.to_path_buf(),
        source,
    })?;
    let mut metadata = metadata;
    metadata.push((
        "gan.weights".into(),
        if ema { "ema" } else { "trained" }.into(),
    ));
    Ok(Export {
        path: out.to_path_buf(),
        checkpoint,
        iteration,
        ema,
        tensors,
        values,
        metadata,
    })
}

/// The architecture's name, the generator config as JSON, the output range (none for the
/// unbounded 2-D generators) and the shape of one sample.
type Description = (
    &'static str,
    serde_json::Value,
    Option<[f32; 2]>,
    Vec<usize>,
);

fn describe(spec: &RunSpec) -> Result<Description> {
    let to_json = |v: std::result::Result<serde_json::Value, serde_json::Error>| {
        v.expect("generator configs serialise to JSON")
    };
    Ok(match spec {
        RunSpec::Toy(c) => (
            "mlp",
            to_json(serde_json::to_value(&c.generator)),
            None,
            vec![c.generator.output_dim],
        ),
        RunSpec::Images(c) => {
            let range = Some(match c.networks.pixel_range() {
                gan_data::PixelRange::MinusOneToOne => [-1.0, 1.0],
                gan_data::PixelRange::ZeroToOne => [0.0, 1.0],
            });
            let shape = c.networks.image_shape(&c.dataset)?.to_vec();
            match &c.networks {
                ImageNetworks::Dcgan(n) => (
                    "dcgan",
                    to_json(serde_json::to_value(&n.generator)),
                    range,
                    shape,
                ),
                ImageNetworks::Mlp(n) => (
                    "mlp",
                    to_json(serde_json::to_value(&n.generator)),
                    range,
                    shape,
                ),
            }
        }
    })
}

/// Loads the checkpoint's weights into a generator and serialises it.
struct Save<'a, B: Backend> {
    checkpoint: &'a Path,
    which: GeneratorWeights,
    metadata: &'a [(String, String)],
    out: &'a Path,
    _backend: std::marker::PhantomData<B>,
}

impl<B: Backend> GeneratorTask<B> for Save<'_, B> {
    /// The file's bytes, whether the moving average was taken, the tensor and scalar counts.
    type Output = (Vec<u8>, bool, usize, usize);

    fn run<G: Generator<B>>(self, generator: G, _prior: Prior) -> Result<Self::Output> {
        let (g, ema) = load_generator(generator, self.checkpoint, self.which)?;
        let mut store = SafetensorsStore::from_bytes(None)
            .with_to_adapter(BurnToPyTorchAdapter)
            .clear_metadata();
        for (key, value) in self.metadata {
            store = store.metadata(key.clone(), value.clone());
        }
        store = store.metadata("gan.weights", if ema { "ema" } else { "trained" });
        let failed = |e: burn::store::SafetensorsStoreError| GanError::Invalid {
            field: "--out",
            value: self.out.display().to_string(),
            expected: format!("a generator that serialises to safetensors ({e})"),
        };
        g.save_into(&mut store).map_err(failed)?;
        let bytes = store.get_bytes().map_err(failed)?;
        let snapshots = g.collect(None, None, false);
        let values = snapshots.iter().map(|s| s.shape.num_elements()).sum();
        Ok((bytes, ema, snapshots.len(), values))
    }
}
