//! Flex's convolutions, which the workspace builds from a patched burn-flex
//! (vendor/burn-flex/PATCH.md: whole-batch gemm for the 2-D convolution, its gradients and the
//! transposed convolution), against ndarray's: the output and the gradients for input, weight and
//! bias, with strides, paddings, dilations, output paddings and groups chosen so that windows do
//! not tile the images evenly. Grouped convolutions take the patch's fallback through Flex's 3-D
//! code. Tolerance 1e-4 relative: the two backends sum in different orders.
#![cfg(all(feature = "flex", feature = "ndarray"))]

use burn::tensor::backend::AutodiffBackend;
use burn::tensor::module::{conv_transpose2d, conv2d};
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use burn::tensor::{Tensor, TensorData};
use gan::backend::{FlexAutodiff, NdArrayAutodiff};

/// Values in [-1, 1) from a fixed integer hash, the same on every backend.
fn values(len: usize, seed: u64) -> Vec<f32> {
    (0..len as u64)
        .map(|i| {
            let h = (i ^ (seed << 32)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
            (h % 2000) as f32 / 1000.0 - 1.0
        })
        .collect()
}

#[derive(Clone, Copy, Debug)]
struct Case {
    transposed: bool,
    /// `[batch, channels, height, width]`.
    x: [usize; 4],
    /// Output channels (per group for a transposed convolution, as Burn's weight holds them).
    out: usize,
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
    dilation: [usize; 2],
    padding_out: [usize; 2],
    groups: usize,
}

/// A case from its fields in the order of `Case`.
#[allow(clippy::too_many_arguments)]
const fn case(
    transposed: bool,
    x: [usize; 4],
    out: usize,
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
    dilation: [usize; 2],
    padding_out: [usize; 2],
    groups: usize,
) -> Case {
    Case {
        transposed,
        x,
        out,
        kernel,
        stride,
        padding,
        dilation,
        padding_out,
        groups,
    }
}

const CASES: &[Case] = &[
    // DCGAN's down- and upsampling layers.
    case(
        false,
        [5, 3, 12, 12],
        8,
        [4, 4],
        [2, 2],
        [1, 1],
        [1, 1],
        [0, 0],
        1,
    ),
    case(
        true,
        [5, 8, 6, 6],
        3,
        [4, 4],
        [2, 2],
        [1, 1],
        [1, 1],
        [0, 0],
        1,
    ),
    // Uneven windows: rectangular kernels, mixed strides, padding, dilation, output padding.
    case(
        false,
        [3, 4, 9, 7],
        5,
        [3, 2],
        [2, 3],
        [1, 2],
        [2, 1],
        [0, 0],
        1,
    ),
    case(
        true,
        [3, 4, 5, 4],
        6,
        [3, 4],
        [2, 3],
        [1, 0],
        [1, 2],
        [1, 2],
        1,
    ),
    // One pixel in (DCGAN-64's first layer).
    case(
        true,
        [4, 7, 1, 1],
        5,
        [4, 4],
        [1, 1],
        [0, 0],
        [1, 1],
        [0, 0],
        1,
    ),
    // Groups: the patch's fallback.
    case(
        false,
        [2, 4, 7, 7],
        6,
        [3, 3],
        [2, 2],
        [1, 1],
        [1, 1],
        [0, 0],
        2,
    ),
    case(
        true,
        [2, 4, 5, 5],
        3,
        [3, 3],
        [2, 2],
        [1, 1],
        [1, 1],
        [1, 1],
        2,
    ),
];

/// The output, then the gradients for input, weight and bias, of `Σ y ⊙ r` for a fixed `r`.
fn run<B: AutodiffBackend>(c: &Case) -> [Vec<f32>; 4] {
    let device = Default::default();
    let [_, ci, _, _] = c.x;
    let (w_shape, b_len) = if c.transposed {
        ([ci, c.out, c.kernel[0], c.kernel[1]], c.out * c.groups)
    } else {
        ([c.out, ci / c.groups, c.kernel[0], c.kernel[1]], c.out)
    };
    let tensor = |shape: [usize; 4], seed| {
        let len = shape.iter().product();
        Tensor::<B, 4>::from_data(TensorData::new(values(len, seed), shape), &device).require_grad()
    };
    let x = tensor(c.x, 1);
    let w = tensor(w_shape, 2);
    let b = Tensor::<B, 1>::from_data(TensorData::new(values(b_len, 3), [b_len]), &device)
        .require_grad();
    let y = if c.transposed {
        let o = ConvTransposeOptions::new(c.stride, c.padding, c.padding_out, c.dilation, c.groups);
        conv_transpose2d(x.clone(), w.clone(), Some(b.clone()), o)
    } else {
        let o = ConvOptions::new(c.stride, c.padding, c.dilation, c.groups);
        conv2d(x.clone(), w.clone(), Some(b.clone()), o)
    };
    let dims = y.dims();
    let r = Tensor::<B, 4>::from_data(
        TensorData::new(values(dims.iter().product(), 4), dims),
        &device,
    );
    let grads = (y.clone() * r).sum().backward();
    let read = |d: TensorData| d.to_vec::<f32>().unwrap();
    [
        read(y.into_data()),
        read(x.grad(&grads).unwrap().into_data()),
        read(w.grad(&grads).unwrap().into_data()),
        read(b.grad(&grads).unwrap().into_data()),
    ]
}

#[test]
fn flex_convolutions_and_their_gradients_match_ndarray() {
    for case in CASES {
        let flex = run::<FlexAutodiff>(case);
        let reference = run::<NdArrayAutodiff>(case);
        for (what, (got, want)) in [
            "output",
            "input gradient",
            "weight gradient",
            "bias gradient",
        ]
        .iter()
        .zip(flex.iter().zip(&reference))
        {
            assert_eq!(got.len(), want.len(), "{case:?}: {what}");
            assert!(
                want.iter().any(|v| v.abs() > 0.1),
                "{case:?}: {what} is all zero"
            );
            for (i, (a, b)) in got.iter().zip(want).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-4 * (1.0 + b.abs()),
                    "{case:?}: {what}[{i}] is {a} on Flex and {b} on ndarray"
                );
            }
        }
    }
}
