//! Image datasets held in memory as bytes, and the seeded loader that turns them into
//! minibatches of tensors.

use std::sync::Arc;

use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::error::{DataError, Result};
use crate::source::{Batch, BatchSource, DataRng};

/// A set of equally sized images stored as bytes (8 bits per channel), with optional labels.
///
/// Pixels are kept as `u8` (a quarter of the memory of `f32`) and converted per minibatch.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageSet {
    name: String,
    shape: [usize; 3],
    pixels: Vec<u8>,
    labels: Option<Vec<u16>>,
    class_names: Option<Vec<String>>,
}

impl ImageSet {
    /// Builds a set from `pixels`, `n` images of `shape = [channels, height, width]` one after
    /// another, each channel-major (all of channel 0, then channel 1, ...).
    ///
    /// `labels` (one per image) must be below the number of `class_names` when both are given.
    pub fn new(
        name: impl Into<String>,
        shape: [usize; 3],
        pixels: Vec<u8>,
        labels: Option<Vec<u16>>,
        class_names: Option<Vec<String>>,
    ) -> Result<Self> {
        let per_image: usize = shape.iter().product();
        if per_image == 0 {
            return Err(DataError::InvalidParameter {
                field: "shape",
                value: format!("{shape:?}"),
                expected: "[channels, height, width] with no zero side",
            });
        }
        if !pixels.len().is_multiple_of(per_image) {
            return Err(DataError::InvalidParameter {
                field: "pixels",
                value: format!("{} bytes", pixels.len()),
                expected: "a whole number of images",
            });
        }
        let n = pixels.len() / per_image;
        if let Some(labels) = &labels {
            if labels.len() != n {
                return Err(DataError::InvalidParameter {
                    field: "labels",
                    value: format!("{} labels for {n} images", labels.len()),
                    expected: "one label per image",
                });
            }
            if let Some(names) = &class_names
                && let Some(bad) = labels.iter().find(|&&l| l as usize >= names.len())
            {
                return Err(DataError::InvalidParameter {
                    field: "labels",
                    value: bad.to_string(),
                    expected: "labels below the number of class names",
                });
            }
        }
        Ok(Self {
            name: name.into(),
            shape,
            pixels,
            labels,
            class_names,
        })
    }

    /// The dataset's name, e.g. `fashion-mnist/train`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.pixels.len() / self.features()
    }

    /// Whether the set has no images.
    pub fn is_empty(&self) -> bool {
        self.pixels.is_empty()
    }

    /// `[channels, height, width]` of every image.
    pub fn shape(&self) -> [usize; 3] {
        self.shape
    }

    /// Values per image (`channels * height * width`).
    pub fn features(&self) -> usize {
        self.shape.iter().product()
    }

    /// All pixels, image after image.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// The pixels of image `i`, channel-major.
    pub fn image(&self, i: usize) -> &[u8] {
        let f = self.features();
        &self.pixels[i * f..(i + 1) * f]
    }

    /// The labels, one per image, when the dataset has them.
    pub fn labels(&self) -> Option<&[u16]> {
        self.labels.as_deref()
    }

    /// The class names, when known (index = label).
    pub fn class_names(&self) -> Option<&[String]> {
        self.class_names.as_deref()
    }

    /// Number of classes: the class names' count, else one more than the largest label.
    pub fn num_classes(&self) -> Option<usize> {
        match (&self.class_names, &self.labels) {
            (Some(names), _) => Some(names.len()),
            (None, Some(labels)) => labels.iter().max().map(|&l| l as usize + 1),
            (None, None) => None,
        }
    }

    /// Images per class, when labelled.
    pub fn class_counts(&self) -> Option<Vec<usize>> {
        let classes = self.num_classes()?;
        let mut counts = vec![0; classes];
        for &l in self.labels.as_deref()? {
            counts[l as usize] += 1;
        }
        Some(counts)
    }

    /// The first `n` images (all of them when `n >= len`), e.g. for a quick run.
    pub fn truncate(mut self, n: usize) -> Self {
        let n = n.min(self.len());
        self.pixels.truncate(n * self.features());
        if let Some(labels) = &mut self.labels {
            labels.truncate(n);
        }
        self
    }

    /// Appends the images of `other`, which must have the same shape and classes (e.g. to join
    /// a train and a test split).
    pub fn extend(&mut self, other: &ImageSet) -> Result<()> {
        if other.shape != self.shape || other.class_names != self.class_names {
            return Err(DataError::InvalidParameter {
                field: "shape",
                value: format!("{:?}", other.shape),
                expected: "the same image shape and classes as the set extended",
            });
        }
        self.pixels.extend_from_slice(&other.pixels);
        match (&mut self.labels, &other.labels) {
            (Some(a), Some(b)) => a.extend_from_slice(b),
            _ => self.labels = None,
        }
        Ok(())
    }
}

/// The range pixels are scaled to: `[-1, 1]` for generators ending in `tanh`, `[0, 1]` for
/// `sigmoid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum PixelRange {
    /// `x / 127.5 - 1`.
    #[default]
    MinusOneToOne,
    /// `x / 255`.
    ZeroToOne,
}

impl PixelRange {
    /// The value of byte `v` in this range.
    pub fn scale(self, v: u8) -> f32 {
        match self {
            PixelRange::MinusOneToOne => v as f32 / 127.5 - 1.0,
            PixelRange::ZeroToOne => v as f32 / 255.0,
        }
    }

    /// The byte nearest to `x` in this range (clamped), for writing images.
    pub fn to_byte(self, x: f32) -> u8 {
        let unit = match self {
            PixelRange::MinusOneToOne => (x + 1.0) * 0.5,
            PixelRange::ZeroToOne => x,
        };
        (unit.clamp(0.0, 1.0) * 255.0).round() as u8
    }

    fn table(self) -> [f32; 256] {
        std::array::from_fn(|v| self.scale(v as u8))
    }
}

/// A minibatch of images.
#[derive(Debug, Clone)]
pub struct ImageBatch<B: Backend> {
    /// The images, scaled to the loader's [`PixelRange`].
    ///
    /// # Shapes
    /// `[batch, channels, height, width]`
    pub images: Tensor<B, 4>,
    /// Class labels where the dataset has them.
    ///
    /// # Shapes
    /// `[batch]`
    pub labels: Option<Tensor<B, 1, Int>>,
}

impl<B: Backend> ImageBatch<B> {
    /// The batch with each image flattened, as models take it.
    ///
    /// # Shapes
    /// - samples: `[batch, channels * height * width]`
    pub fn flatten(self) -> Batch<B> {
        Batch {
            samples: self.images.flatten(1, 3),
            labels: self.labels,
        }
    }
}

/// The loader's position, saved in checkpoints.
#[derive(Serialize, Deserialize)]
struct LoaderState {
    epoch: usize,
    cursor: usize,
    /// The RNG as it was before this epoch's shuffle, so the order can be rebuilt.
    epoch_rng: DataRng,
}

/// Hands out shuffled minibatches of an [`ImageSet`], epoch after epoch.
///
/// Each epoch visits every image once in an order drawn from the seeded RNG; a minibatch that
/// reaches the end of an epoch is completed from the next one, so every minibatch has `m`
/// images. Only the order (4 bytes per image) is held per epoch, never a copy of the images.
#[derive(Debug, Clone)]
pub struct ImageLoader {
    data: Arc<ImageSet>,
    range: PixelRange,
    table: [f32; 256],
    rng: DataRng,
    epoch_rng: DataRng,
    order: Vec<u32>,
    cursor: usize,
    epoch: usize,
}

impl ImageLoader {
    /// A loader over `data` scaling pixels to `range`, shuffled with `seed`.
    pub fn new(data: Arc<ImageSet>, range: PixelRange, seed: u64) -> Result<Self> {
        if data.is_empty() {
            return Err(DataError::InvalidParameter {
                field: "data",
                value: format!("{} (0 images)", data.name()),
                expected: "at least one image",
            });
        }
        let n = u32::try_from(data.len()).map_err(|_| DataError::InvalidParameter {
            field: "data",
            value: format!("{} images", data.len()),
            expected: "fewer than 2^32 images",
        })?;
        let rng = DataRng::seed_from_u64(seed);
        let mut loader = Self {
            table: range.table(),
            range,
            epoch_rng: rng.clone(),
            rng,
            order: (0..n).collect(),
            cursor: 0,
            epoch: 0,
            data,
        };
        loader.shuffle();
        Ok(loader)
    }

    fn shuffle(&mut self) {
        self.epoch_rng = self.rng.clone();
        for (i, v) in self.order.iter_mut().enumerate() {
            *v = i as u32;
        }
        self.order.shuffle(&mut self.rng);
        self.cursor = 0;
    }

    /// The images served.
    pub fn data(&self) -> &Arc<ImageSet> {
        &self.data
    }

    /// The range pixels are scaled to.
    pub fn range(&self) -> PixelRange {
        self.range
    }

    /// Number of whole epochs completed.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// Position within the current epoch.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// The loader's position (epoch, place in the epoch, RNG) as JSON text, for checkpoints.
    pub fn position(&self) -> String {
        serde_json::to_string(&LoaderState {
            epoch: self.epoch,
            cursor: self.cursor,
            epoch_rng: self.epoch_rng.clone(),
        })
        .expect("the loader state serialises")
    }

    /// Returns to a position saved by [`ImageLoader::position`]: the same minibatches follow.
    pub fn restore_position(&mut self, state: &str) -> Result<()> {
        let s: LoaderState = serde_json::from_str(state)
            .map_err(|e| DataError::InvalidState(format!("image loader: {e}")))?;
        if s.cursor > self.order.len() {
            return Err(DataError::InvalidState(format!(
                "image loader: position {} is past the end of {} ({} images)",
                s.cursor,
                self.data.name(),
                self.order.len()
            )));
        }
        self.rng = s.epoch_rng;
        self.shuffle();
        self.cursor = s.cursor;
        self.epoch = s.epoch;
        Ok(())
    }

    /// Indices of the next `m` images (in epoch order, continuing into the next epoch).
    pub fn next_indices(&mut self, m: usize) -> Vec<u32> {
        let mut out = Vec::with_capacity(m);
        while out.len() < m {
            if self.cursor == self.order.len() {
                self.epoch += 1;
                self.shuffle();
            }
            let take = (m - out.len()).min(self.order.len() - self.cursor);
            out.extend_from_slice(&self.order[self.cursor..self.cursor + take]);
            self.cursor += take;
        }
        out
    }

    /// The next minibatch of `m` images on `device`.
    pub fn next_images<B: Backend>(&mut self, m: usize, device: &B::Device) -> ImageBatch<B> {
        let indices = self.next_indices(m);
        let [c, h, w] = self.data.shape();
        let f = c * h * w;
        let mut values = Vec::with_capacity(m * f);
        for &i in &indices {
            values.extend(
                self.data
                    .image(i as usize)
                    .iter()
                    .map(|&v| self.table[v as usize]),
            );
        }
        let images = Tensor::from_data(TensorData::new(values, [m, c, h, w]), device);
        let labels = self.data.labels().map(|labels| {
            let l: Vec<i64> = indices.iter().map(|&i| labels[i as usize] as i64).collect();
            Tensor::from_data(TensorData::new(l, [m]), device)
        });
        ImageBatch { images, labels }
    }
}

impl<B: Backend> BatchSource<B> for ImageLoader {
    fn sample_shape(&self) -> Vec<usize> {
        self.data.shape().to_vec()
    }

    fn num_classes(&self) -> Option<usize> {
        self.data.labels().and(self.data.num_classes())
    }

    fn next_batch(&mut self, m: usize, device: &B::Device) -> Batch<B> {
        self.next_images(m, device).flatten()
    }

    fn state(&self) -> Option<String> {
        Some(self.position())
    }

    fn restore_state(&mut self, state: &str) -> Result<()> {
        self.restore_position(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(n: usize) -> Arc<ImageSet> {
        let pixels = (0..n * 4).map(|i| (i / 4) as u8).collect();
        let labels = (0..n).map(|i| (i % 3) as u16).collect();
        Arc::new(ImageSet::new("t", [1, 2, 2], pixels, Some(labels), None).unwrap())
    }

    #[test]
    fn every_epoch_is_a_permutation_and_epochs_differ() {
        let mut loader = ImageLoader::new(set(50), PixelRange::ZeroToOne, 7).unwrap();
        let a = loader.next_indices(50);
        let b = loader.next_indices(50);
        for epoch in [&a, &b] {
            let mut sorted = epoch.clone();
            sorted.sort();
            assert_eq!(sorted, (0..50).collect::<Vec<u32>>());
        }
        assert_ne!(a, b);
        assert_eq!(loader.epoch(), 1);
    }

    #[test]
    fn batches_cross_epoch_boundaries_and_state_round_trips() {
        let mut loader = ImageLoader::new(set(10), PixelRange::ZeroToOne, 1).unwrap();
        loader.next_indices(7);
        let saved = loader.position();
        let expected: Vec<u32> = loader.next_indices(25);
        let mut other = ImageLoader::new(set(10), PixelRange::ZeroToOne, 99).unwrap();
        other.restore_position(&saved).unwrap();
        assert_eq!(other.next_indices(25), expected);
        assert!(other.restore_position("{}").is_err());
    }

    #[test]
    fn pixel_ranges() {
        assert_eq!(PixelRange::MinusOneToOne.scale(0), -1.0);
        assert_eq!(PixelRange::MinusOneToOne.scale(255), 1.0);
        assert_eq!(PixelRange::ZeroToOne.scale(255), 1.0);
        for v in 0..=255u8 {
            for r in [PixelRange::MinusOneToOne, PixelRange::ZeroToOne] {
                assert_eq!(r.to_byte(r.scale(v)), v);
            }
        }
    }
}
