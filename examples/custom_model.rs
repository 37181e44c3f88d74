//! Your own networks in the trainer: a generator and a discriminator written here, trained by
//! Algorithm 1 on the ring of 8 Gaussians into runs/custom-model (metrics, checkpoints, plots).
//! `cargo run --release --example custom_model`
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::relu;
use gan::backend::DefaultAutodiff;
use gan::data::{Toy2d, ToySampler};
use gan::models::{Discriminator, Generator, Prior, rng_from_seed};
use gan::run::SampleView;
use gan::train::{RunConfig, RunDir, TrainConfig, Trainer};

#[derive(Module, Debug)] // two layers: a code to a point in the plane, or a point to a logit
struct Mlp<B: Backend> {
    hidden: Linear<B>,
    out: Linear<B>,
}

fn mlp<B: Backend>(inputs: usize, outputs: usize, device: &B::Device) -> Mlp<B> {
    let hidden = LinearConfig::new(inputs, 128).init(device);
    let out = LinearConfig::new(128, outputs).init(device);
    Mlp { hidden, out }
}

impl<B: Backend> Generator<B> for Mlp<B> {
    fn latent_dim(&self) -> usize {
        self.hidden.weight.dims()[0] // Burn's weights are [inputs, outputs]
    }
    fn sample_shape(&self) -> Vec<usize> {
        vec![2]
    }
    fn generate(&self, z: Tensor<B, 2>, _labels: Option<Tensor<B, 1, Int>>) -> Tensor<B, 2> {
        self.out.forward(relu(self.hidden.forward(z)))
    }
}

impl<B: Backend> Discriminator<B> for Mlp<B> {
    fn input_features(&self) -> usize {
        self.hidden.weight.dims()[0]
    }
    fn discriminate(&self, x: Tensor<B, 2>, _labels: Option<Tensor<B, 1, Int>>) -> Tensor<B, 2> {
        self.out.forward(relu(self.hidden.forward(x)))
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Reuse freed buffers instead of faulting fresh pages in (src/memory.rs).
    gan::memory::keep_freed_memory();
    let (dir, device) = (RunDir::new("runs/custom-model"), Default::default());
    let (g, d) = (mlp(8, 2, &device), mlp(2, 1, &device));
    let config = TrainConfig::new().with_iterations(3000);
    let mut t = Trainer::<DefaultAutodiff, _, _>::new(config, g, d, Prior::Normal, device)?;
    let (ring, mut rng) = (Toy2d::ring8(), rng_from_seed(2));
    let mut data = ToySampler::new(ring.clone(), 1)?;
    let (range, reference) = (ring.extent(), ring.sample_points(1000, &mut rng));
    let view = SampleView::Scatter { range, reference };
    let run = RunConfig::new(); // log, sample and checkpoint intervals
    let s = gan::run::train(&mut t, &mut data, &dir, &run, &view, false, &mut [])?;
    let plot = dir.root().join("samples.png");
    println!("last metrics: {:?}\nsamples: {}", s.last, plot.display());
    Ok(())
}
