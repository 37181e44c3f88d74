//! What each convolution of the DCGAN benchmark models costs, op by op: the forward pass, the
//! gradient for the input and the gradient for the weight of every convolution and transposed
//! convolution of DCGAN-28 (width 64) and DCGAN-64 (pytorch/examples), at batch 64, on one
//! backend. `scripts/bench.py` keeps the training step's figures; this bench says where a
//! backend's step spends its convolution time (docs/performance.md).
//!
//! `cargo bench --bench conv_ops --features flex,tch -- --backend flex --model dcgan28`
//!
//! Prints one line per op (milliseconds, mean of `--repeats` after two untimed calls) and the
//! total, as JSON lines.

use std::time::Instant;

use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use burn::tensor::{Distribution, Tensor, TensorPrimitive};
use gan::backend::{BackendKind, BackendTask, DeviceChoice, run_on};

/// One layer: a convolution (`transposed == false`) or a transposed convolution, with its
/// input's channels and side, its output's channels, kernel, stride and padding.
#[derive(Clone, Copy, Debug)]
struct Layer {
    name: &'static str,
    transposed: bool,
    c_in: usize,
    side_in: usize,
    c_out: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
}

const fn layer(
    name: &'static str,
    transposed: bool,
    c_in: usize,
    side_in: usize,
    c_out: usize,
    (kernel, stride, padding): (usize, usize, usize),
) -> Layer {
    Layer {
        name,
        transposed,
        c_in,
        side_in,
        c_out,
        kernel,
        stride,
        padding,
    }
}

const DOWN: (usize, usize, usize) = (4, 2, 1);

/// DCGAN-28, width 64 (bench/configs/dcgan28-fashion-mnist.json).
const DCGAN28: &[Layer] = &[
    layer("G convT 128->64, 7->14", true, 128, 7, 64, DOWN),
    layer("G convT 64->1, 14->28", true, 64, 14, 1, DOWN),
    layer("D conv 1->64, 28->14", false, 1, 28, 64, DOWN),
    layer("D conv 64->128, 14->7", false, 64, 14, 128, DOWN),
];

/// DCGAN-64 of pytorch/examples (nz 100, ngf = ndf = 64, 3 channels).
const DCGAN64: &[Layer] = &[
    layer("G convT 100->512, 1->4", true, 100, 1, 512, (4, 1, 0)),
    layer("G convT 512->256, 4->8", true, 512, 4, 256, DOWN),
    layer("G convT 256->128, 8->16", true, 256, 8, 128, DOWN),
    layer("G convT 128->64, 16->32", true, 128, 16, 64, DOWN),
    layer("G convT 64->3, 32->64", true, 64, 32, 3, DOWN),
    layer("D conv 3->64, 64->32", false, 3, 64, 64, DOWN),
    layer("D conv 64->128, 32->16", false, 64, 32, 128, DOWN),
    layer("D conv 128->256, 16->8", false, 128, 16, 256, DOWN),
    layer("D conv 256->512, 8->4", false, 256, 8, 512, DOWN),
    layer("D conv 512->1, 4->1", false, 512, 4, 1, (4, 1, 0)),
];

struct Ops {
    layers: &'static [Layer],
    batch: usize,
    repeats: usize,
    model: String,
}

/// Milliseconds per call of `f`, after two untimed calls.
fn time<B: Backend, T>(device: &B::Device, repeats: usize, mut f: impl FnMut() -> T) -> f64 {
    for _ in 0..2 {
        drop(f());
    }
    B::sync(device).expect("device sync");
    let start = Instant::now();
    for _ in 0..repeats {
        drop(f());
    }
    B::sync(device).expect("device sync");
    start.elapsed().as_secs_f64() * 1e3 / repeats as f64
}

fn float<B: Backend, const D: usize>(t: Tensor<B, D>) -> B::FloatTensorPrimitive {
    t.into_primitive().tensor()
}

fn wrap<B: Backend, const D: usize>(t: B::FloatTensorPrimitive) -> Tensor<B, D> {
    Tensor::from_primitive(TensorPrimitive::Float(t))
}

impl BackendTask for Ops {
    type Output = ();

    fn run<AB: AutodiffBackend>(self, device: AB::Device) {
        type_run::<AB::InnerBackend>(self, device);
    }
}

fn type_run<B: Backend>(ops: Ops, device: B::Device) {
    let n = ops.batch;
    let r = ops.repeats;
    let mut total = 0.0;
    let mut line = |layer: &str, op: &str, ms: f64| {
        total += ms;
        println!(
            "{}",
            serde_json::json!({"model": ops.model, "layer": layer, "op": op, "ms": ms})
        );
    };
    for l in ops.layers {
        let k = l.kernel;
        let unif = Distribution::Uniform(-1.0, 1.0);
        let x = Tensor::<B, 4>::random([n, l.c_in, l.side_in, l.side_in], unif, &device);
        // Burn's weight layouts: [out, in, k, k] for a convolution, [in, out, k, k] transposed.
        let w_shape = if l.transposed {
            [l.c_in, l.c_out, k, k]
        } else {
            [l.c_out, l.c_in, k, k]
        };
        let w = Tensor::<B, 4>::random(w_shape, unif, &device);
        let (s, p) = ([l.stride; 2], [l.padding; 2]);
        let conv = ConvOptions::new(s, p, [1; 2], 1);
        let transposed = ConvTransposeOptions::new(s, p, [0; 2], [1; 2], 1);
        let forward = || {
            if l.transposed {
                burn::tensor::module::conv_transpose2d(
                    x.clone(),
                    w.clone(),
                    None,
                    transposed.clone(),
                )
            } else {
                burn::tensor::module::conv2d(x.clone(), w.clone(), None, conv.clone())
            }
        };
        let g = forward().random_like(unif);
        let input_grad = || {
            let (xp, wp, gp) = (float(x.clone()), float(w.clone()), float(g.clone()));
            wrap::<B, 4>(if l.transposed {
                B::conv_transpose2d_x_backward(wp, gp, transposed.clone())
            } else {
                B::conv2d_x_backward(xp, wp, gp, conv.clone())
            })
        };
        let weight_grad = || {
            let (xp, wp, gp) = (float(x.clone()), float(w.clone()), float(g.clone()));
            wrap::<B, 4>(if l.transposed {
                B::conv_transpose2d_weight_backward(xp, wp, gp, transposed.clone())
            } else {
                B::conv2d_weight_backward(xp, wp, gp, conv.clone())
            })
        };
        line(l.name, "forward", time::<B, _>(&device, r, forward));
        line(
            l.name,
            "input gradient",
            time::<B, _>(&device, r, input_grad),
        );
        line(
            l.name,
            "weight gradient",
            time::<B, _>(&device, r, weight_grad),
        );
    }
    println!(
        "{}",
        serde_json::json!({"model": ops.model, "layer": "all", "op": "total", "ms": total})
    );
}

fn main() {
    let mut backend = BackendKind::default_compiled().expect("a backend is compiled in");
    let mut model = "dcgan28".to_string();
    let mut repeats = 20;
    let words: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < words.len() {
        let value = || {
            words
                .get(i + 1)
                .unwrap_or_else(|| panic!("{} needs a value", words[i]))
        };
        match words[i].as_str() {
            "--backend" => backend = value().parse().unwrap_or_else(|e| panic!("{e}")),
            "--model" => model = value().clone(),
            "--repeats" => repeats = value().parse().expect("--repeats N"),
            "--bench" => {
                i += 1;
                continue;
            }
            other => panic!("unknown argument {other}: expected --backend, --model or --repeats"),
        }
        i += 2;
    }
    let layers = match model.as_str() {
        "dcgan28" => DCGAN28,
        "dcgan64" => DCGAN64,
        other => panic!("--model {other}: expected dcgan28 or dcgan64"),
    };
    let ops = Ops {
        layers,
        batch: 64,
        repeats,
        model,
    };
    run_on(backend, DeviceChoice::default(), ops).unwrap_or_else(|e| panic!("{e}"));
}
