//! Using a trained run: reading its config, loading its generator from the newest checkpoint,
//! drawing samples and latent walks, and writing them as a PNG picture or a NumPy `.npy` array.

use std::path::{Path, PathBuf};

use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};
use gan_data::Toy2d;
use gan_models::{Generator, Prior, lerp, rng_from_seed, slerp};
use gan_train::{GeneratorWeights, InfoGanConfig, RunDir, load_generator};
use gan_viz::{ImageGrid, ScatterPlot};

use crate::algorithm::AlgorithmConfig;
use crate::error::{GanError, Result};
use crate::image::{GeneratorTask, ImageNetworks, ImageRunConfig, ModelKind};
use crate::toy::ToyRunConfig;

/// The field of `config.json` that names the run's kind: `"toy"` or `"image"`.
pub const KIND: &str = "kind";

/// `name` as the command line spells it: lower case, without `-` or `_` (`NonSaturating`,
/// `non-saturating` and `non_saturating` are all `nonsaturating`).
fn cli_name(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// The loss preset called `name` on the command line (`--loss`): `minimax`, `ns` or
/// `non-saturating`, `lsgan` or `least-squares`, `hinge`, `wgan`, `wgan-gp` or `dragan`.
fn loss_preset(name: &str) -> Option<gan_train::LossPreset> {
    use gan_train::LossPreset;
    Some(match cli_name(name).as_str() {
        "minimax" => LossPreset::Minimax,
        "ns" | "nonsaturating" => LossPreset::NonSaturating,
        "lsgan" | "leastsquares" => LossPreset::LeastSquares,
        "hinge" => LossPreset::Hinge,
        "wgan" => LossPreset::Wgan,
        "wgangp" => LossPreset::WganGp,
        "dragan" => LossPreset::Dragan,
        _ => return None,
    })
}

/// Whether the config `json` (of the file `path`) is a 2-D run: its `kind` field (`"toy"` or
/// `"image"`) says so, or without one (a file of an earlier version, or written by hand), its
/// `dataset` is a 2-D distribution.
fn is_toy(path: &Path, json: &serde_json::Value) -> Result<bool> {
    match json.get(KIND) {
        Some(kind) if kind == "toy" => Ok(true),
        Some(kind) if kind == "image" => Ok(false),
        Some(kind) if kind == crate::translation::TRANSLATION => Err(GanError::Invalid {
            field: "kind",
            value: kind.to_string(),
            expected: format!(
                "a GAN run: {} is a translation run (CycleGAN), which `gan translate` uses",
                path.display()
            ),
        }),
        Some(other) => Err(GanError::Invalid {
            field: "kind",
            value: other.to_string(),
            expected: format!("\"toy\" or \"image\" in {}", path.display()),
        }),
        None => Ok(json.get("dataset").is_some_and(|d| {
            let variant = match d {
                serde_json::Value::Object(o) if o.len() == 1 => o.keys().next().cloned(),
                serde_json::Value::String(s) => Some(s.clone()),
                _ => None,
            };
            variant.is_some_and(|v| ["Ring", "Grid", "Moons", "Spiral"].contains(&v.as_str()))
        })),
    }
}

/// A config file read by [`RunSpec::load_overlay`].
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigFile {
    /// The defaults with the file's fields written over them.
    pub spec: RunSpec,
    /// The top-level fields the file sets (`training`, `networks`, ...).
    pub fields: Vec<String>,
    /// The backend the file names (`"flex"`, `"tch"`, ...), if any.
    pub backend: Option<String>,
    /// The device the file names (`"cpu"`, `"cuda:0"`, ...), if any.
    pub device: Option<String>,
}

/// A run of either kind, as saved in its `config.json`.
#[derive(Debug, Clone, PartialEq)]
pub enum RunSpec {
    /// A fully connected GAN on a 2-D distribution.
    Toy(ToyRunConfig),
    /// A GAN on an image dataset.
    Images(ImageRunConfig),
}

impl RunSpec {
    /// Reads a run config file. Its kind is its `kind` field (`"toy"` or `"image"`); a file
    /// without one (written by an earlier version, or by hand) is a 2-D run when its `dataset`
    /// is a 2-D distribution and an image run otherwise.
    pub fn load(path: &Path) -> Result<Self> {
        let text = crate::rundir::read_text(path)?;
        let toy = is_toy(path, &crate::rundir::json_of(path, &text)?)?;
        Ok(if toy {
            RunSpec::Toy(crate::rundir::parse_config(path, &text)?)
        } else {
            RunSpec::Images(crate::rundir::parse_config(path, &text)?)
        })
    }

    /// Reads a config file written as an overlay on the defaults (the `--config` of `gan
    /// train`): it may set any subset of the fields, at any depth, and the rest keep the
    /// default job's values (an image run, or a 2-D run when `kind` is `"toy"` or its
    /// `dataset` is a 2-D distribution). A complete config (a run's `config.json`) reads as
    /// it is. Besides the config's own spellings (`"NonSaturating"`), `training.loss` takes
    /// the command line's presets (`"ns"`, `"hinge"`, `"wgan-gp"`, ...), applied as `--loss`
    /// applies them, and `algorithm` the names of `--algorithm` (`"infogan"`, `"dragan"`,
    /// ...); the file's other fields then override what the preset set. Unknown fields are
    /// refused as in [`RunSpec::load`]. The file may also name the `backend` and `device` to
    /// train on (as `gan train --print-config` writes them).
    pub fn load_overlay(path: &Path) -> Result<ConfigFile> {
        let text = crate::rundir::read_text(path)?;
        let mut overlay = crate::rundir::json_of(path, &text)?;
        let Some(fields) = overlay.as_object_mut() else {
            return Err(GanError::ConfigContent {
                path: path.to_path_buf(),
                problem: "expected a JSON object of run config fields, such as \
                          {\"training\": {\"g_lr\": 0.0005}}"
                    .into(),
            });
        };
        let given: Vec<String> = fields.keys().cloned().collect();
        let mut text_field = |name: &'static str| match fields.remove(name) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(GanError::Invalid {
                field: name,
                value: other.to_string(),
                expected: format!("a string in {}", path.display()),
            }),
        };
        let backend = text_field("backend")?;
        let device = text_field("device")?;
        let toy = is_toy(path, &serde_json::Value::Object(fields.clone()))?;
        fields.remove(KIND);
        // The presets, taken out of the overlay: they apply to the base before the overlay.
        let algorithm = match fields.get("algorithm") {
            Some(serde_json::Value::String(name)) => {
                let name = cli_name(name);
                fields.remove("algorithm");
                Some(name)
            }
            Some(serde_json::Value::Object(o)) if o.len() == 1 => {
                o.keys().next().map(|k| cli_name(k))
            }
            _ => None,
        };
        let mut preset = None;
        if let Some(serde_json::Value::Object(training)) = fields.get_mut("training")
            && let Some(serde_json::Value::String(loss)) = training.get("loss").cloned()
        {
            const LOSSES: [&str; 5] = [
                "Minimax",
                "NonSaturating",
                "LeastSquares",
                "Wasserstein",
                "Hinge",
            ];
            if !LOSSES.contains(&loss.as_str()) {
                if let Some(p) = loss_preset(&loss) {
                    preset = Some(p);
                    training.remove("loss");
                } else if let Some(variant) = LOSSES.iter().find(|v| cli_name(v) == cli_name(&loss))
                {
                    training.insert("loss".into(), (*variant).into());
                }
            }
        }
        let base = if toy {
            RunSpec::Toy(ToyRunConfig::new())
        } else {
            RunSpec::Images(ImageRunConfig::new())
        };
        // The base with the overlay's dataset and networks (and all else but the algorithm,
        // whose switch adjusts the networks to it).
        let mut first = overlay.clone();
        if let Some(fields) = first.as_object_mut() {
            fields.remove("algorithm");
        }
        let mut spec = base.merged(path, &first)?;
        if algorithm.is_some() || preset.is_some() {
            if let Some(name) = &algorithm {
                spec.apply_algorithm(name).map_err(|e| match e {
                    GanError::Invalid {
                        value, expected, ..
                    } => GanError::Invalid {
                        field: "algorithm",
                        value,
                        expected: format!("{expected} (in {})", path.display()),
                    },
                    other => other,
                })?;
            }
            if let Some(preset) = preset {
                spec.apply_loss_preset(preset);
            }
            spec = spec.merged(path, &overlay)?;
        }
        Ok(ConfigFile {
            spec,
            fields: given,
            backend,
            device,
        })
    }

    /// This config with `overlay`'s fields written over it, read back strictly.
    fn merged(&self, path: &Path, overlay: &serde_json::Value) -> Result<Self> {
        let mut json = match self {
            RunSpec::Toy(c) => serde_json::to_value(c),
            RunSpec::Images(c) => serde_json::to_value(c),
        }
        .expect("run configs serialise to JSON");
        crate::rundir::merge_json(&mut json, overlay);
        let text = json.to_string();
        Ok(match self {
            RunSpec::Toy(_) => RunSpec::Toy(crate::rundir::parse_config(path, &text)?),
            RunSpec::Images(_) => RunSpec::Images(crate::rundir::parse_config(path, &text)?),
        })
    }

    /// Reads the config of the run in `dir`.
    pub fn load_run(dir: &Path) -> Result<Self> {
        let path = dir.join("config.json");
        if !path.is_file() {
            return Err(GanError::RunDir {
                path: dir.to_path_buf(),
                reason: "it has no config.json (is it the directory `gan train` printed?)".into(),
            });
        }
        Self::load(&path)
    }

    /// The dataset's name in run directories and messages: `ring8`, `grid25`, `moons`,
    /// `spiral`, `mnist-embedded`, `fashion-mnist`, ...
    pub fn dataset_label(&self) -> String {
        match self {
            RunSpec::Toy(c) => match &c.dataset {
                Toy2d::Ring(r) => format!("ring{}", r.modes),
                Toy2d::Grid(g) => format!("grid{}", g.side * g.side),
                Toy2d::Moons(_) => "moons".into(),
                Toy2d::Spiral(_) => "spiral".into(),
            },
            RunSpec::Images(c) => c.dataset.label(),
        }
    }

    /// The model's name: `mlp`, `dcgan`, `cgan-mlp` or `cgan-dcgan`.
    pub fn model_label(&self) -> &'static str {
        match self {
            RunSpec::Toy(_) => "mlp",
            RunSpec::Images(c) => c.networks.kind().name(),
        }
    }

    /// The algorithm's name: `classic` (also for DRAGAN, a loss preset of it), `infogan`,
    /// `ebgan` or `began`.
    pub fn algorithm_label(&self) -> &'static str {
        match self {
            RunSpec::Toy(_) => gan_train::CLASSIC,
            RunSpec::Images(c) => c.algorithm.name(),
        }
    }

    /// Applies a loss preset ([`gan_train::TrainConfig::with_preset`]) to the run's training,
    /// and the rule that comes with it for the networks: a critic under the gradient penalty
    /// has no batch norm, which would mix the samples of a batch (Gulrajani et al. 2017,
    /// section 4).
    pub fn apply_loss_preset(&mut self, preset: gan_train::LossPreset) {
        let training = match self {
            RunSpec::Toy(c) => &mut c.training,
            RunSpec::Images(c) => {
                if preset.forbids_batch_norm()
                    && let crate::image::ImageNetworks::Dcgan(n) = &mut c.networks
                {
                    n.discriminator.batch_norm = false;
                }
                &mut c.training
            }
        };
        *training = training.clone().with_preset(preset);
    }

    /// Switches the run to the algorithm called `name` (`classic`, `infogan`, `dragan`,
    /// `ebgan` or `began`) with its default settings; nothing changes when the run already
    /// trains it. DRAGAN is the classic algorithm under the `dragan` loss preset (see
    /// [`Self::apply_loss_preset`]). The other algorithms train unconditional networks:
    /// conditional ones are replaced by the same family's unconditional defaults. InfoGAN's
    /// generator takes its codes after the noise, so its `latent_dim` grows by
    /// [`gan_train::InfoGanConfig::code_dim`] (and shrinks back when leaving InfoGAN). The 2-D
    /// runs train the classic algorithm (or DRAGAN).
    pub fn apply_algorithm(&mut self, name: &str) -> Result<()> {
        let shape = match self {
            RunSpec::Images(c) => Some(c_shape(c)?),
            RunSpec::Toy(_) => None,
        };
        let dragan = name == "dragan";
        let algorithm = if dragan { gan_train::CLASSIC } else { name };
        match shape {
            Some(shape) => self.apply_algorithm_to_images(algorithm, shape)?,
            None if algorithm == gan_train::CLASSIC => {}
            None => {
                return Err(GanError::Invalid {
                    field: "--algorithm",
                    value: name.into(),
                    expected: "classic or dragan for the 2-D datasets; infogan, ebgan and began train on image datasets".into(),
                });
            }
        }
        if dragan {
            self.apply_loss_preset(gan_train::LossPreset::Dragan);
        }
        Ok(())
    }

    fn apply_algorithm_to_images(
        &mut self,
        name: &str,
        [channels, size, _]: [usize; 3],
    ) -> Result<()> {
        let RunSpec::Images(c) = self else {
            return Ok(());
        };
        if c.algorithm.name() == name {
            return Ok(());
        }
        let next =
            AlgorithmConfig::named(name, size, channels).ok_or_else(|| GanError::Invalid {
                field: "--algorithm",
                value: name.into(),
                expected: "classic, infogan, dragan, ebgan or began".into(),
            })?;
        if let Some(info) = c.algorithm.info() {
            let noise = c
                .networks
                .latent_dim()
                .saturating_sub(info.code_dim())
                .max(1);
            c.networks.set_latent_dim(noise);
        }
        if !matches!(next, AlgorithmConfig::Classic) && c.networks.num_classes().is_some() {
            let kind = match c.networks.kind() {
                ModelKind::CganMlp | ModelKind::Mlp => ModelKind::Mlp,
                _ => ModelKind::Dcgan,
            };
            c.networks = ImageNetworks::for_images(kind, size, channels, 2);
        }
        if let Some(info) = next.info() {
            c.networks
                .set_latent_dim(c.networks.latent_dim() + info.code_dim());
        }
        c.algorithm = next;
        Ok(())
    }

    /// The number of classes of a conditional generator, or of values of an InfoGAN run's
    /// categorical code (which `--label` fixes).
    pub fn num_classes(&self) -> Option<usize> {
        match self {
            RunSpec::Toy(_) => None,
            RunSpec::Images(c) => c
                .networks
                .num_classes()
                .or_else(|| c.algorithm.info().map(|i| i.categories).filter(|&k| k > 0)),
        }
    }

    /// The generator's input dimension (InfoGAN's codes included).
    pub fn latent_dim(&self) -> usize {
        match self {
            RunSpec::Toy(c) => c.generator.latent_dim,
            RunSpec::Images(c) => c.networks.latent_dim(),
        }
    }

    /// The prior the generator's noise is drawn from.
    pub fn prior(&self) -> Prior {
        match self {
            RunSpec::Toy(c) => c.generator.prior,
            RunSpec::Images(c) => c.networks.prior(),
        }
    }

    /// InfoGAN's codes, for InfoGAN runs.
    pub fn info(&self) -> Option<&InfoGanConfig> {
        match self {
            RunSpec::Toy(_) => None,
            RunSpec::Images(c) => c.algorithm.info(),
        }
    }
}

/// `[channels, height, width]` of an image run's generator.
fn c_shape(c: &ImageRunConfig) -> Result<[usize; 3]> {
    c.networks.image_shape(&c.dataset)
}

/// Generated samples and how to show them.
#[derive(Debug, Clone)]
pub struct Samples {
    /// The values, sample after sample.
    pub values: Vec<f32>,
    /// `[n, channels, height, width]` for images, `[n, 2]` for points.
    pub shape: Vec<usize>,
    /// What the values are.
    pub kind: SampleKind,
    /// Columns of the picture (one class per column, or one step of a walk per column).
    pub columns: usize,
    /// The class label of each sample, for conditional generators.
    pub labels: Option<Vec<usize>>,
}

/// What a [`Samples`] holds.
#[derive(Debug, Clone)]
pub enum SampleKind {
    /// Images whose generator outputs `low` as black and `high` as white.
    Images {
        /// Output value of black.
        low: f32,
        /// Output value of white.
        high: f32,
    },
    /// Points in the plane, shown over points of the data.
    Points {
        /// Range of both axes.
        range: (f64, f64),
        /// Real points, flat `[x0, y0, ...]`.
        reference: Vec<f32>,
    },
}

impl Samples {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.shape[0]
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values mapped to `[0, 1]` for images (clamped), unchanged for points.
    pub fn unit_values(&self) -> Vec<f32> {
        match &self.kind {
            SampleKind::Images { low, high } => {
                let span = (high - low).max(f32::EPSILON);
                self.values
                    .iter()
                    .map(|v| ((v - low) / span).clamp(0.0, 1.0))
                    .collect()
            }
            SampleKind::Points { .. } => self.values.clone(),
        }
    }

    /// Writes a PNG picture: an image grid, or a scatter plot over the data.
    pub fn save_png(&self, path: &Path) -> Result<()> {
        match &self.kind {
            SampleKind::Images { .. } => {
                let shape = [self.shape[0], self.shape[1], self.shape[2], self.shape[3]];
                ImageGrid {
                    columns: self.columns.max(1),
                    padding: 2,
                    scale: if shape[2] <= 32 { 2 } else { 1 },
                }
                .save_png(&self.unit_values(), shape, path)?;
            }
            SampleKind::Points { range, reference } => ScatterPlot::new(512, *range)
                .with_series(reference.clone(), crate::preview::DATA, 1.5, 0.5)
                .with_series(self.values.clone(), crate::preview::SAMPLES, 2.0, 0.7)
                .with_legend("data", crate::preview::DATA)
                .with_legend("samples", crate::preview::SAMPLES)
                .save_png(path)?,
        }
        Ok(())
    }

    /// Writes a NumPy `.npy` array of little-endian `float32`: `[n, channels, height, width]`
    /// in `[0, 1]` for images, `[n, 2]` for points. The class labels of a conditional
    /// generator's samples go beside it, as `int64` `[n]` in [`Samples::labels_path`].
    pub fn save_npy(&self, path: &Path) -> Result<()> {
        if let Some(labels) = &self.labels {
            let mut bytes = npy_header("<i8", &[labels.len()], 8 * labels.len());
            for &l in labels {
                bytes.extend_from_slice(&(l as i64).to_le_bytes());
            }
            write_file(&Self::labels_path(path), &bytes)?;
        }
        write_npy(path, &self.unit_values(), &self.shape)
    }

    /// Where [`Samples::save_npy`] writes the labels of `path`'s samples: `NAME.labels.npy`
    /// beside `NAME.npy`.
    pub fn labels_path(path: &Path) -> PathBuf {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("samples");
        path.with_file_name(format!("{stem}.labels.npy"))
    }

    /// Writes one PNG per image into the new directory `dir`, at the images' own size:
    /// `000000.png`, `000001.png`, ... (as pytorch-fid and torch-fidelity read folders), and
    /// for a conditional generator `labels.csv` (`file,label`). The directory must not exist
    /// or be empty; it appears whole (written aside, then renamed into place). Points have no
    /// pictures of their own: they are refused.
    pub fn save_png_dir(&self, dir: &Path) -> Result<()> {
        let invalid = |expected: &str| GanError::Invalid {
            field: "--out",
            value: dir.display().to_string(),
            expected: expected.into(),
        };
        if matches!(self.kind, SampleKind::Points { .. }) {
            return Err(invalid(
                "a .png or .npy file for 2-D samples (a directory of one PNG per sample is for images)",
            ));
        }
        if std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some()) {
            return Err(invalid("a new or empty directory for one PNG per sample"));
        }
        let io = |action, path: &Path| {
            let path = path.to_path_buf();
            move |source| GanError::Io {
                action,
                path,
                source,
            }
        };
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("samples");
        let parent = dir.parent().filter(|p| !p.as_os_str().is_empty());
        let parent = parent.unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(io("cannot create", parent))?;
        let temp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&temp);
        std::fs::create_dir(&temp).map_err(io("cannot create", &temp))?;
        let write = || -> Result<()> {
            let [c, h, w] = [self.shape[1], self.shape[2], self.shape[3]];
            let values = self.unit_values();
            let grid = ImageGrid {
                columns: 1,
                padding: 0,
                scale: 1,
            };
            let mut csv = String::from("file,label\n");
            for (i, image) in values.chunks(c * h * w).enumerate() {
                let file = format!("{i:06}.png");
                grid.save_png(image, [1, c, h, w], temp.join(&file))?;
                if let Some(labels) = &self.labels {
                    csv.push_str(&format!("{file},{}\n", labels[i]));
                }
            }
            if self.labels.is_some() {
                write_file(&temp.join("labels.csv"), csv.as_bytes())?;
            }
            if dir.is_dir() {
                std::fs::remove_dir(dir).map_err(io("cannot replace", dir))?;
            }
            std::fs::rename(&temp, dir).map_err(io("cannot move the samples into", dir))
        };
        let result = write();
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&temp);
        }
        result
    }

    /// Writes `.png` or `.npy`, chosen by the file's extension.
    pub fn save(&self, path: &Path) -> Result<()> {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("png") => self.save_png(path),
            Some(e) if e.eq_ignore_ascii_case("npy") => self.save_npy(path),
            _ => Err(GanError::Invalid {
                field: "--out",
                value: path.display().to_string(),
                expected: "a file name ending in .png (a picture) or .npy (a NumPy array)".into(),
            }),
        }
    }
}

/// Writes `values` as a version 1.0 `.npy` file of `float32` with the given shape, atomically.
pub fn write_npy(path: &Path, values: &[f32], shape: &[usize]) -> Result<()> {
    assert_eq!(
        values.len(),
        shape.iter().product::<usize>(),
        "values match the shape"
    );
    let mut bytes = npy_header("<f4", shape, 4 * values.len());
    for v in values {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    write_file(path, &bytes)
}

/// The header of a version 1.0 `.npy` file of the NumPy type `descr` (`<f4`, `<i8`) and
/// `shape`, in a buffer with room for `data` more bytes (little-endian, C order).
fn npy_header(descr: &str, shape: &[usize], data: usize) -> Vec<u8> {
    let dims = match shape {
        [n] => format!("({n},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {dims}, }}");
    // Magic (6) + version (2) + header length (2) + header, padded to a multiple of 64 and
    // ending in a newline.
    let total = (10 + header.len() + 1).div_ceil(64) * 64;
    header.push_str(&" ".repeat(total - 10 - header.len() - 1));
    header.push('\n');
    let mut bytes = Vec::with_capacity(total + data);
    bytes.extend_from_slice(b"\x93NUMPY\x01\x00");
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes
}

/// Reads a `.npy` file of little-endian `float32` in C order (what [`write_npy`] and NumPy's
/// `np.save` of a `float32` array write, versions 1.0 to 3.0): the values and the shape.
pub fn read_npy(path: &Path) -> Result<(Vec<f32>, Vec<usize>)> {
    let bytes = std::fs::read(path).map_err(|source| GanError::Io {
        action: "cannot read",
        path: path.to_path_buf(),
        source,
    })?;
    parse_npy(&bytes).map_err(|reason| GanError::Npy {
        path: path.to_path_buf(),
        reason,
    })
}

fn parse_npy(bytes: &[u8]) -> std::result::Result<(Vec<f32>, Vec<usize>), String> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err("no NumPy magic string at the start".into());
    }
    let (header_len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        v => return Err(format!("format version {v}, expected 1, 2 or 3")),
    };
    let header = bytes
        .get(start..start + header_len)
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or("a truncated or non-text header")?;
    let field = |key: &str| -> std::result::Result<&str, String> {
        let at = header
            .find(&format!("'{key}':"))
            .ok_or(format!("no '{key}' in the header {header:?}"))?;
        Ok(header[at + key.len() + 3..].trim_start())
    };
    let descr = field("descr")?;
    if !descr.starts_with("'<f4'") {
        let got = descr.split(',').next().unwrap_or(descr);
        return Err(format!(
            "dtype {got}, expected '<f4' (little-endian float32; in NumPy: a.astype(np.float32))"
        ));
    }
    if !field("fortran_order")?.starts_with("False") {
        return Err("Fortran order, expected C order (np.ascontiguousarray)".into());
    }
    let dims = field("shape")?;
    let inner = dims
        .strip_prefix('(')
        .and_then(|d| d.split(')').next())
        .ok_or(format!("a shape {dims:?} that is not a tuple"))?;
    let shape = inner
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| d.parse::<usize>().map_err(|_| format!("shape entry {d:?}")))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let bytes_needed = shape
        .iter()
        .try_fold(4usize, |n, &d| n.checked_mul(d))
        .ok_or_else(|| format!("shape {shape:?} has more elements than this machine can hold"))?;
    let data = &bytes[start + header_len..];
    if data.len() != bytes_needed {
        return Err(format!(
            "{} bytes of data, expected {bytes_needed} for shape {shape:?}",
            data.len()
        ));
    }
    let values = data
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    Ok((values, shape))
}

/// Replaces `path` by a file with `bytes`, atomically ([`gan_data::write_atomic`]).
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |action, source| GanError::Io {
        action,
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| io("cannot create the directory of", e))?;
    }
    gan_data::write_atomic(path, bytes).map_err(|e| io("cannot write", e))
}

/// What to draw from a trained run.
#[derive(Debug, Clone)]
pub struct SampleRequest {
    /// Number of samples.
    pub n: usize,
    /// Seed of the noise.
    pub seed: u64,
    /// For conditional generators: draw only this class (otherwise the classes in turn).
    pub label: Option<usize>,
    /// Which weights to sample from.
    pub weights: GeneratorWeights,
    /// Generate at most this many samples at a time (`None`: all at once). Chunk `c` draws its
    /// noise with seed `seed + c` and, for a conditional generator, starts the classes afresh,
    /// so the first chunk equals a request of the chunk's size.
    pub chunk: Option<usize>,
}

impl Default for SampleRequest {
    fn default() -> Self {
        Self {
            n: 64,
            seed: 0,
            label: None,
            weights: GeneratorWeights::Inference,
            chunk: None,
        }
    }
}

/// The newest checkpoint of the run in `dir`.
pub fn run_checkpoint(dir: &Path) -> Result<PathBuf> {
    RunDir::new(dir)
        .latest_checkpoint()
        .ok_or_else(|| GanError::RunDir {
            path: dir.to_path_buf(),
            reason: "it has no checkpoint under checkpoints/ yet".into(),
        })
}

/// The latent codes of a batch: `n` rows drawn `chunk` at a time, walks between pairs of
/// codes, or the caller's inputs (whole latent vectors, InfoGAN's codes included).
enum Codes {
    Draw { n: usize, chunk: usize },
    Walk { rows: usize, steps: usize },
    Given(Vec<f32>),
}

/// What to generate from a run's generator.
struct Draw<'a> {
    checkpoint: PathBuf,
    weights: GeneratorWeights,
    codes: Codes,
    seed: u64,
    labels: &'a dyn Fn(usize) -> Option<usize>,
    /// InfoGAN's codes: the noise is the latent vector's first part, the codes follow; the
    /// categorical value of sample `i` is `labels(i)`, the continuous values are 0 unless
    /// `sweep` names one that runs from −1 to 1 along each row of a walk.
    info: Option<InfoGanConfig>,
    sweep: Option<usize>,
}

impl Draw<'_> {
    /// Loads the checkpoint's weights into `g` and generates.
    fn with<B: Backend, G: Generator<B>>(
        &self,
        g: G,
        prior: Prior,
        device: &B::Device,
    ) -> Result<Tensor<B, 2>> {
        let (g, _) = load_generator(g, &self.checkpoint, self.weights)?;
        if let Codes::Given(z) = &self.codes {
            let dim = g.latent_dim();
            let n = z.len() / dim;
            let y = g.num_classes().map(|_| {
                let ids: Vec<i64> = (0..n)
                    .map(|i| (self.labels)(i).unwrap_or(0) as i64)
                    .collect();
                Tensor::<B, 1, Int>::from_ints(ids.as_slice(), device)
            });
            let z = Tensor::from_data(TensorData::new(z.clone(), [n, dim]), device);
            return Ok(g.generate(z, y));
        }
        let code_dim = self.info.as_ref().map_or(0, InfoGanConfig::code_dim);
        let dim = g.latent_dim() - code_dim;
        let generate = |z: Tensor<B, 2>| {
            let n = z.dims()[0];
            if let Some(info) = &self.info {
                let categories: Vec<usize> =
                    (0..n).map(|i| (self.labels)(i).unwrap_or(0)).collect();
                let mut continuous = vec![0.0f32; n * info.continuous];
                if let (Some(j), Codes::Walk { steps, .. }) = (self.sweep, &self.codes) {
                    for i in 0..n {
                        let t = (i % steps) as f32 / (*steps - 1) as f32;
                        continuous[i * info.continuous + j] = 2.0 * t - 1.0;
                    }
                }
                let codes = info.codes::<B>(&categories, &continuous, device);
                return g.generate(InfoGanConfig::latent(z, codes), None);
            }
            let y = g.num_classes().map(|_| {
                let ids: Vec<i64> = (0..n)
                    .map(|i| (self.labels)(i).unwrap_or(0) as i64)
                    .collect();
                Tensor::<B, 1, Int>::from_ints(ids.as_slice(), device)
            });
            g.generate(z, y)
        };
        let z = match self.codes {
            Codes::Draw { n, chunk } => {
                let parts = (0..n)
                    .step_by(chunk)
                    .enumerate()
                    .map(|(c, from)| {
                        let seed = self.seed.wrapping_add(c as u64);
                        generate(prior.fixed::<B>(chunk.min(n - from), dim, seed, device))
                    })
                    .collect();
                return Ok(Tensor::cat(parts, 0));
            }
            Codes::Given(_) => unreachable!("given codes are generated above"),
            Codes::Walk { rows, steps } => {
                let ends = prior.fixed::<B>(2 * rows, dim, self.seed, device);
                let ends: Vec<f32> = ends.into_data().iter::<f32>().collect();
                let walks = (0..rows)
                    .map(|r| {
                        let a = &ends[2 * r * dim..(2 * r + 1) * dim];
                        let b = &ends[(2 * r + 1) * dim..(2 * r + 2) * dim];
                        // A code sweep keeps the noise of the row fixed.
                        let b = if self.sweep.is_some() { a } else { b };
                        match prior {
                            // Gaussian codes live near a sphere: walk along it.
                            Prior::Normal => slerp::<B>(a, b, steps, device),
                            _ => lerp::<B>(a, b, steps, device),
                        }
                    })
                    .collect();
                Tensor::cat(walks, 0)
            }
        };
        Ok(generate(z))
    }

    /// Builds the run's generator on backend `B` and generates.
    fn run<B: Backend>(&self, spec: &RunSpec, device: &B::Device) -> Result<Tensor<B, 2>> {
        match spec {
            RunSpec::Toy(c) => self.with(
                c.generator.try_init::<B>(device)?,
                c.generator.prior,
                device,
            ),
            RunSpec::Images(c) => c
                .networks
                .build_generator::<B, _>(device, DrawOn { draw: self, device }),
        }
    }
}

/// [`Draw::with`] as a [`GeneratorTask`].
struct DrawOn<'a, 'd, B: Backend> {
    draw: &'a Draw<'d>,
    device: &'a B::Device,
}

impl<B: Backend> GeneratorTask<B> for DrawOn<'_, '_, B> {
    type Output = Tensor<B, 2>;

    fn run<G: Generator<B>>(self, generator: G, prior: Prior) -> Result<Tensor<B, 2>> {
        self.draw.with(generator, prior, self.device)
    }
}

/// How samples of the run are shown, and the shape of one sample.
/// The most `float32` values one call draws into memory (2 GiB).
pub const MAX_DRAWN_VALUES: usize = 1 << 29;

/// Refuses to draw `count` samples of `sample_shape` (asked for by `field` = `value`) when they
/// would not fit in [`MAX_DRAWN_VALUES`], before anything is allocated.
pub(crate) fn check_drawn(
    field: &'static str,
    value: usize,
    count: usize,
    sample_shape: &[usize],
) -> Result<()> {
    let per = sample_shape.iter().product::<usize>().max(1);
    if count.checked_mul(per).is_none_or(|v| v > MAX_DRAWN_VALUES) {
        let most = MAX_DRAWN_VALUES / per;
        return Err(GanError::Invalid {
            field,
            value: value.to_string(),
            expected: format!(
                "at most {most} samples of shape {sample_shape:?} in one call (2 GiB of float32); \
                 draw more in several calls with different --seed values"
            ),
        });
    }
    Ok(())
}

fn view(spec: &RunSpec, seed: u64) -> Result<(SampleKind, Vec<usize>)> {
    Ok(match spec {
        RunSpec::Toy(c) => (
            SampleKind::Points {
                range: c.dataset.extent(),
                reference: c
                    .dataset
                    .sample_points(c.plot_samples, &mut rng_from_seed(seed.wrapping_add(2))),
            },
            vec![2],
        ),
        RunSpec::Images(c) => {
            let (low, high) = match c.networks.pixel_range() {
                gan_data::PixelRange::MinusOneToOne => (-1.0, 1.0),
                gan_data::PixelRange::ZeroToOne => (0.0, 1.0),
            };
            let shape = c.networks.image_shape(&c.dataset)?.to_vec();
            (SampleKind::Images { low, high }, shape)
        }
    })
}

/// Checks a requested class against the run's generator.
fn check_label(spec: &RunSpec, label: Option<usize>) -> Result<()> {
    match (label, spec.num_classes()) {
        (Some(l), None) => Err(GanError::Invalid {
            field: "--label",
            value: l.to_string(),
            expected: format!(
                "no label: the run's {} model is not class-conditional",
                spec.model_label()
            ),
        }),
        (Some(l), Some(k)) if l >= k => Err(GanError::Invalid {
            field: "--label",
            value: l.to_string(),
            expected: format!("a class from 0 to {}", k - 1),
        }),
        _ => Ok(()),
    }
}

/// Draws `request.n` samples from the generator of the run in `dir` (its newest checkpoint),
/// on backend `B`. A conditional generator draws `request.label`, or every class in turn
/// (sample `i` has class `i % classes`, so a grid with `classes` columns has one class per
/// column).
pub fn sample_run<B: Backend>(
    dir: &Path,
    request: &SampleRequest,
    device: &B::Device,
) -> Result<Samples> {
    if request.n == 0 {
        return Err(GanError::Invalid {
            field: "--n",
            value: "0".into(),
            expected: "at least 1 sample".into(),
        });
    }
    let spec = RunSpec::load_run(dir)?;
    check_label(&spec, request.label)?;
    let classes = spec.num_classes();
    let label_of = |i: usize| classes.map(|k| request.label.unwrap_or(i % k));
    let (kind, sample_shape) = view(&spec, request.seed)?;
    check_drawn("--n", request.n, request.n, &sample_shape)?;
    let chunk = request.chunk.unwrap_or(request.n).max(1);
    let out = Draw {
        checkpoint: run_checkpoint(dir)?,
        weights: request.weights,
        codes: Codes::Draw {
            n: request.n,
            chunk,
        },
        seed: request.seed,
        labels: &label_of,
        info: spec.info().cloned(),
        sweep: None,
    }
    .run::<B>(&spec, device)?;
    let mut shape = vec![request.n];
    shape.extend(sample_shape);
    let columns = match (classes, request.label) {
        (Some(k), None) => k,
        _ => (request.n as f64).sqrt().ceil() as usize,
    };
    Ok(Samples {
        values: out.into_data().iter::<f32>().collect(),
        shape,
        kind,
        columns,
        labels: classes.map(|_| {
            (0..request.n)
                .map(|i| label_of(i % chunk).unwrap_or(0))
                .collect()
        }),
    })
}

/// The generator of the run in `dir` (its newest checkpoint, the `weights` asked for) applied
/// to the caller's latent vectors `z` (row-major, `latent_dim` values each, InfoGAN's codes
/// included after the noise) and, for a conditional generator, one class per row. Returns the
/// outputs, row-major, `sample_features` values each, in the generator's own range (no
/// rescaling): what an exported generator ([`crate::export::export_run`]) computes.
pub fn generate_from_codes<B: Backend>(
    dir: &Path,
    weights: GeneratorWeights,
    z: &[f32],
    labels: Option<&[usize]>,
    device: &B::Device,
) -> Result<Vec<f32>> {
    let spec = RunSpec::load_run(dir)?;
    let dim = spec.latent_dim();
    let n = z.len() / dim;
    if z.is_empty() || n * dim != z.len() {
        return Err(GanError::Invalid {
            field: "z",
            value: format!("{} values", z.len()),
            expected: format!("a positive multiple of the latent dimension {dim}"),
        });
    }
    let classes = match &spec {
        RunSpec::Toy(_) => None,
        RunSpec::Images(c) => c.networks.num_classes(),
    };
    match (labels, classes) {
        (Some(l), Some(_)) if l.len() != n => {
            return Err(GanError::Invalid {
                field: "labels",
                value: format!("{} labels", l.len()),
                expected: format!("one class per latent vector ({n})"),
            });
        }
        (Some(l), Some(k)) if l.iter().any(|&c| c >= k) => {
            let bad = l.iter().find(|&&c| c >= k).copied().unwrap_or(k);
            return Err(GanError::Invalid {
                field: "labels",
                value: bad.to_string(),
                expected: format!("a class from 0 to {}", k - 1),
            });
        }
        (None, Some(_)) => {
            return Err(GanError::Invalid {
                field: "labels",
                value: "none".into(),
                expected: "one class per latent vector: the generator is class-conditional".into(),
            });
        }
        _ => {}
    }
    let label_of = |i: usize| labels.map(|l| l[i]);
    let out = Draw {
        checkpoint: run_checkpoint(dir)?,
        weights,
        codes: Codes::Given(z.to_vec()),
        seed: 0,
        labels: &label_of,
        info: None,
        sweep: None,
    }
    .run::<B>(&spec, device)?;
    Ok(out.into_data().iter::<f32>().collect())
}

/// Latent walks of the image run in `dir` (DCGAN paper, Figure 4): `rows` pairs of codes, each
/// joined by `steps` evenly spaced codes (along the sphere for Gaussian noise, a straight line
/// otherwise). Row `r` of a conditional generator keeps class `r % classes`.
pub fn interpolate_run<B: Backend>(
    dir: &Path,
    rows: usize,
    steps: usize,
    seed: u64,
    device: &B::Device,
) -> Result<Samples> {
    walk_run::<B>(dir, rows, steps, seed, None, device)
}

/// Sweeps continuous code `code` of the InfoGAN run in `dir` from −1 to 1 in `steps` columns,
/// with the noise fixed along each of `rows` rows (row `r` has categorical value `r mod
/// categories`, the other continuous codes 0): what the code has learnt to control.
pub fn sweep_code_run<B: Backend>(
    dir: &Path,
    rows: usize,
    steps: usize,
    code: usize,
    seed: u64,
    device: &B::Device,
) -> Result<Samples> {
    walk_run::<B>(dir, rows, steps, seed, Some(code), device)
}

fn walk_run<B: Backend>(
    dir: &Path,
    rows: usize,
    steps: usize,
    seed: u64,
    sweep: Option<usize>,
    device: &B::Device,
) -> Result<Samples> {
    for (field, value, least) in [("--rows", rows, 1), ("--steps", steps, 2)] {
        if value < least {
            return Err(GanError::Invalid {
                field,
                value: value.to_string(),
                expected: format!("at least {least}"),
            });
        }
    }
    let spec = RunSpec::load_run(dir)?;
    if let RunSpec::Toy(_) = spec {
        return Err(GanError::RunDir {
            path: dir.to_path_buf(),
            reason: "latent walks are drawn for image runs; use `gan sample` for 2-D runs".into(),
        });
    }
    if let Some(code) = sweep {
        let continuous = spec.info().map_or(0, |i| i.continuous);
        if code >= continuous {
            return Err(GanError::Invalid {
                field: "--code",
                value: code.to_string(),
                expected: match continuous {
                    0 => "no --code: the run has no continuous InfoGAN code".into(),
                    c => format!("a continuous code from 0 to {}", c - 1),
                },
            });
        }
    }
    let classes = spec.num_classes();
    let label_of = |i: usize| classes.map(|k| (i / steps) % k);
    let (kind, sample_shape) = view(&spec, seed)?;
    check_drawn("--rows", rows, rows.saturating_mul(steps), &sample_shape)?;
    let out = Draw {
        checkpoint: run_checkpoint(dir)?,
        weights: GeneratorWeights::Inference,
        codes: Codes::Walk { rows, steps },
        seed,
        labels: &label_of,
        info: spec.info().cloned(),
        sweep,
    }
    .run::<B>(&spec, device)?;
    let n = rows * steps;
    let mut shape = vec![n];
    shape.extend(sample_shape);
    Ok(Samples {
        values: out.into_data().iter::<f32>().collect(),
        shape,
        kind,
        columns: steps,
        labels: classes.map(|_| (0..n).map(|i| label_of(i).unwrap_or(0)).collect()),
    })
}

/// `D(x) = sigmoid(logit)` of the 2-D run in `dir` (its newest checkpoint) on a
/// `resolution` x `resolution` grid of cell centres over the data's extent, rows from the
/// bottom up: the discriminator's decision surface, for
/// [`ScatterPlot::with_background`](gan_viz::ScatterPlot::with_background). For a Wasserstein
/// critic the sigmoid of the score only orders the points.
pub fn discriminator_surface<B: Backend>(
    dir: &Path,
    resolution: usize,
    device: &B::Device,
) -> Result<Vec<f32>> {
    let RunSpec::Toy(config) = RunSpec::load_run(dir)? else {
        return Err(GanError::RunDir {
            path: dir.to_path_buf(),
            reason: "decision surfaces are drawn for 2-D runs".into(),
        });
    };
    let checkpoint = run_checkpoint(dir)?;
    let d =
        gan_train::load_discriminator(config.discriminator.try_init::<B>(device)?, &checkpoint)?;
    let (lo, hi) = config.dataset.extent();
    let cell = (hi - lo) / resolution as f64;
    let mut grid = Vec::with_capacity(2 * resolution * resolution);
    for row in 0..resolution {
        for col in 0..resolution {
            grid.push((lo + (col as f64 + 0.5) * cell) as f32);
            grid.push((lo + (row as f64 + 0.5) * cell) as f32);
        }
    }
    let x = Tensor::<B, 2>::from_data(
        burn::tensor::TensorData::new(grid, [resolution * resolution, 2]),
        device,
    );
    let logits = gan_models::Discriminator::discriminate(&d, x, None);
    Ok(burn::tensor::activation::sigmoid(logits)
        .into_data()
        .iter::<f32>()
        .collect())
}
