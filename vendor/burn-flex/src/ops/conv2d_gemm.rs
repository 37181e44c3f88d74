//! 2-D convolution gradients and transposed convolution as whole-batch im2col/col2im around one
//! multi-threaded gemm (f32, one group). Added to burn-flex 0.21.0 by the gan workspace; see
//! PATCH.md at the crate's root.
//!
//! burn-backend's default gradients run a convolution with batch and channels swapped, so the
//! gemm sees a batch of `channels_in` (often 1 or 3) and tiny matrices, and Flex's transposed
//! convolution loops over the batch on one thread. Here every op is one gemm over the whole
//! batch (`k` or `n` = batch × positions), with the layout copies around it split across threads
//! by rows. Each output element is summed in the same order whatever the thread count, so results
//! do not depend on it.

use alloc::vec;
use alloc::vec::Vec;
use burn_backend::DType;
use burn_backend::ops::conv::{calculate_conv_output_size, calculate_conv_transpose_output_size};
use burn_backend::ops::{ConvOptions, ConvTransposeOptions};
use burn_std::{Bytes, Shape};

use crate::{FlexTensor, Layout};

/// The sweep of a `kh` x `kw` window over a `c` x `h` x `w` image, giving `oh` x `ow` positions.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Window {
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub kh: usize,
    pub kw: usize,
    pub oh: usize,
    pub ow: usize,
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub dilation: [usize; 2],
}

impl Window {
    fn rows(&self) -> usize {
        self.c * self.kh * self.kw
    }

    fn positions(&self) -> usize {
        self.oh * self.ow
    }

    /// The input coordinate of output coordinate `o` under kernel tap `k` along axis `axis`,
    /// or `None` in the padding (the tests' direct sums).
    #[cfg(test)]
    fn source(&self, axis: usize, o: usize, k: usize) -> Option<usize> {
        let limit = if axis == 0 { self.h } else { self.w };
        let raw = o * self.stride[axis] + k * self.dilation[axis];
        let i = raw.checked_sub(self.padding[axis])?;
        (i < limit).then_some(i)
    }
}

/// The output positions of one kernel tap `(i, j)` whose source lies inside the image: rows
/// `y`, columns `x`, the source column `x0` of the first and the source step between columns.
struct Span {
    y: core::ops::Range<usize>,
    x: core::ops::Range<usize>,
    x0: usize,
    step: usize,
    y_offset: isize,
}

impl Span {
    /// The source row of output row `y` (inside `self.y`).
    #[inline(always)]
    fn source_row(&self, y: usize, g: &Window) -> usize {
        (y as isize * g.stride[0] as isize + self.y_offset) as usize
    }
}

/// The outputs `o` in `0..outputs` with `o·stride + offset` in `0..size`.
fn inside(outputs: usize, size: usize, stride: usize, offset: isize) -> core::ops::Range<usize> {
    let lo = if offset >= 0 {
        0
    } else {
        offset.unsigned_abs().div_ceil(stride)
    };
    let last = size as isize - 1 - offset;
    let hi = if last < 0 {
        0
    } else {
        (last as usize / stride + 1).min(outputs)
    };
    lo..hi.max(lo)
}

impl Window {
    /// Where kernel tap `(i, j)` reads inside the image, or `None` if nowhere.
    fn span(&self, i: usize, j: usize) -> Option<Span> {
        let y_offset = (i * self.dilation[0]) as isize - self.padding[0] as isize;
        let x_offset = (j * self.dilation[1]) as isize - self.padding[1] as isize;
        let y = inside(self.oh, self.h, self.stride[0], y_offset);
        let x = inside(self.ow, self.w, self.stride[1], x_offset);
        if y.is_empty() || x.is_empty() {
            return None;
        }
        let x0 = (x.start as isize * self.stride[1] as isize + x_offset) as usize;
        Some(Span {
            y,
            x,
            x0,
            step: self.stride[1],
            y_offset,
        })
    }
}

/// Splits `data` into rows of `len` and runs `f(row_index, row)` on each, across threads when
/// the `rayon` feature is on.
fn for_rows(data: &mut [f32], len: usize, f: impl Fn(usize, &mut [f32]) + Send + Sync) {
    if len == 0 {
        return;
    }
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        data.par_chunks_mut(len)
            .enumerate()
            .for_each(|(i, row)| f(i, row));
    }
    #[cfg(not(feature = "rayon"))]
    data.chunks_mut(len)
        .enumerate()
        .for_each(|(i, row)| f(i, row));
}

fn parallelism(m: usize, n: usize, k: usize) -> gemm::Parallelism {
    #[cfg(feature = "rayon")]
    if m.saturating_mul(n).saturating_mul(k) >= 64 * 64 * 64 {
        return gemm::Parallelism::Rayon(0);
    }
    let _ = (m, n, k);
    gemm::Parallelism::None
}

/// `dst[m x n] = lhs[m x k] · rhs[k x n]`, each operand given by its row and column strides.
#[allow(clippy::too_many_arguments)]
fn matmul(
    m: usize,
    n: usize,
    k: usize,
    lhs: &[f32],
    (lhs_rs, lhs_cs): (usize, usize),
    rhs: &[f32],
    (rhs_rs, rhs_cs): (usize, usize),
) -> Vec<f32> {
    let mut dst = vec![0.0f32; m * n];
    if m == 0 || n == 0 {
        return dst;
    }
    assert!(k == 0 || (m - 1) * lhs_rs + (k - 1) * lhs_cs < lhs.len());
    assert!(k == 0 || (k - 1) * rhs_rs + (n - 1) * rhs_cs < rhs.len());
    // SAFETY: the asserts keep every operand index in bounds; dst is m x n, row-major.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            false,
            lhs.as_ptr(),
            lhs_cs as isize,
            lhs_rs as isize,
            rhs.as_ptr(),
            rhs_cs as isize,
            rhs_rs as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            parallelism(m, n, k),
        );
    }
    dst
}

/// The patch matrix of a batch, transposed: row `(c, i, j)`, column `(n, y, x)` holds
/// `src[n, c, y·s + i·d − p, x·s + j·d − p]`, zero in the padding. `[c·kh·kw, batch·oh·ow]`.
fn im2col_t(src: &[f32], batch: usize, g: &Window) -> Vec<f32> {
    let positions = g.positions();
    let columns = batch * positions;
    let mut cols = vec![0.0f32; g.rows() * columns];
    let plane = g.h * g.w;
    for_rows(&mut cols, columns, |r, row| {
        let c = r / (g.kh * g.kw);
        let (i, j) = ((r / g.kw) % g.kh, r % g.kw);
        let Some(span) = g.span(i, j) else {
            return;
        };
        for n in 0..batch {
            let src = &src[(n * g.c + c) * plane..][..plane];
            let out = &mut row[n * positions..][..positions];
            for y in span.y.clone() {
                let src = &src[span.source_row(y, g) * g.w..][..g.w];
                let out = &mut out[y * g.ow..][span.x.clone()];
                if span.step == 1 {
                    out.copy_from_slice(&src[span.x0..][..out.len()]);
                } else {
                    for (k, o) in out.iter_mut().enumerate() {
                        *o = src[span.x0 + k * span.step];
                    }
                }
            }
        }
    });
    cols
}

/// `[batch, m, l]` as `[m, batch·l]`.
fn channels_first(src: &[f32], batch: usize, m: usize, l: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; src.len()];
    for_rows(&mut out, batch * l, |c, row| {
        for n in 0..batch {
            row[n * l..][..l].copy_from_slice(&src[(n * m + c) * l..][..l]);
        }
    });
    out
}

/// `Σ_n a[n] · patches(src[n])ᵀ`: the gradient of a window's weights, `[m, c·kh·kw]`, where
/// `a` is `[batch, m, oh·ow]` (the output gradient of a convolution, or the input of a transposed
/// one) and `src` is `[batch, c, h, w]`.
pub(crate) fn window_weight_grad(
    a: &[f32],
    m: usize,
    src: &[f32],
    batch: usize,
    g: &Window,
) -> Vec<f32> {
    let cols = im2col_t(src, batch, g);
    let a = channels_first(a, batch, m, g.positions());
    let k = batch * g.positions();
    // lhs a: [m, k] row-major; rhs colsᵀ: [k, rows], element (k, r) at cols[r·k + k].
    matmul(m, g.rows(), k, &a, (k, 1), &cols, (1, k))
}

/// The transposed sweep: `out[n, c, y·s + i·d − p, x·s + j·d − p] += Σ_m w[m, (c, i, j)] ·
/// src[n, m, y, x]` for the `oh` x `ow` positions of `g` (the source image), into an output of
/// `g.c` x `g.h` x `g.w` (contributions that fall outside it are dropped). `w` is `[m, c·kh·kw]`
/// and `src` is `[batch, m, oh·ow]`.
pub(crate) fn window_transpose(
    src: &[f32],
    m: usize,
    w: &[f32],
    batch: usize,
    g: &Window,
) -> Vec<f32> {
    let positions = g.positions();
    let k = batch * positions;
    let src = channels_first(src, batch, m, positions);
    // cols [rows, batch·positions] = wᵀ [rows, m] · src [m, batch·positions].
    let cols = matmul(g.rows(), k, m, w, (1, g.rows()), &src, (k, 1));
    let plane = g.h * g.w;
    let mut out = vec![0.0f32; batch * g.c * plane];
    for_rows(&mut out, plane, |nc, out| {
        let (n, c) = (nc / g.c, nc % g.c);
        for i in 0..g.kh {
            for j in 0..g.kw {
                let Some(span) = g.span(i, j) else {
                    continue;
                };
                let col = &cols[((c * g.kh + i) * g.kw + j) * k + n * positions..][..positions];
                for y in span.y.clone() {
                    let out = &mut out[span.source_row(y, g) * g.w..][..g.w];
                    let col = &col[y * g.ow..][span.x.clone()];
                    if span.step == 1 {
                        let out = &mut out[span.x0..][..col.len()];
                        out.iter_mut().zip(col).for_each(|(o, v)| *o += v);
                    } else {
                        for (t, v) in col.iter().enumerate() {
                            out[span.x0 + t * span.step] += v;
                        }
                    }
                }
            }
        }
    });
    out
}

/// A contiguous f32 tensor of `shape` from `data`.
pub(crate) fn tensor(data: Vec<f32>, shape: Vec<usize>) -> FlexTensor {
    FlexTensor::new(
        Bytes::from_elems(data),
        Layout::contiguous(Shape::from(shape)),
        DType::F32,
    )
}

fn dims4(t: &FlexTensor) -> [usize; 4] {
    let s = t.layout().shape();
    [s[0], s[1], s[2], s[3]]
}

fn all_f32(tensors: &[&FlexTensor]) -> bool {
    tensors.iter().all(|t| t.dtype() == DType::F32)
}

/// `conv2d`, or `None` where this module does not apply (several groups, or not f32).
pub(crate) fn conv2d(
    x: &FlexTensor,
    weight: &FlexTensor,
    bias: Option<&FlexTensor>,
    o: &ConvOptions<2>,
) -> Option<FlexTensor> {
    if o.groups != 1 || !all_f32(&[x, weight]) || bias.is_some_and(|b| b.dtype() != DType::F32) {
        return None;
    }
    let [n, c, h, w] = dims4(x);
    let [co, _, kh, kw] = dims4(weight);
    let side = |axis: usize, k: usize, size: usize| {
        calculate_conv_output_size(k, o.stride[axis], o.padding[axis], o.dilation[axis], size)
    };
    let (oh, ow) = (side(0, kh, h), side(1, kw, w));
    let g = Window {
        c,
        h,
        w,
        kh,
        kw,
        oh,
        ow,
        stride: o.stride,
        padding: o.padding,
        dilation: o.dilation,
    };
    let (x, weight) = (x.to_contiguous(), weight.to_contiguous());
    let cols = im2col_t(x.storage(), n, &g);
    let positions = g.positions();
    let k = n * positions;
    // y [co, batch·positions] = w [co, rows] · cols [rows, batch·positions].
    let y = matmul(
        co,
        k,
        g.rows(),
        weight.storage(),
        (g.rows(), 1),
        &cols,
        (k, 1),
    );
    let bias = bias.map(|b| b.to_contiguous());
    let bias: Option<&[f32]> = bias.as_ref().map(|b| b.storage());
    let mut out = vec![0.0f32; n * co * positions];
    for_rows(&mut out, positions, |nc, row| {
        let (b, c) = (nc / co, nc % co);
        row.copy_from_slice(&y[c * k + b * positions..][..positions]);
        if let Some(bias) = bias {
            row.iter_mut().for_each(|v| *v += bias[c]);
        }
    });
    Some(tensor(out, vec![n, co, oh, ow]))
}

/// The gradient of `conv2d` for its input, or `None` where this module does not apply
/// (several groups, or not f32).
pub(crate) fn conv2d_x_backward(
    x: &FlexTensor,
    weight: &FlexTensor,
    grad: &FlexTensor,
    o: &ConvOptions<2>,
) -> Option<FlexTensor> {
    if o.groups != 1 || !all_f32(&[x, weight, grad]) {
        return None;
    }
    let [n, c, h, w] = dims4(x);
    let [co, _, kh, kw] = dims4(weight);
    let [_, _, oh, ow] = dims4(grad);
    let g = Window {
        c,
        h,
        w,
        kh,
        kw,
        oh,
        ow,
        stride: o.stride,
        padding: o.padding,
        dilation: o.dilation,
    };
    let (weight, grad) = (weight.to_contiguous(), grad.to_contiguous());
    let out = window_transpose(grad.storage(), co, weight.storage(), n, &g);
    Some(tensor(out, vec![n, c, h, w]))
}

/// The gradient of `conv2d` for its weight, or `None` where this module does not apply.
pub(crate) fn conv2d_weight_backward(
    x: &FlexTensor,
    weight: &FlexTensor,
    grad: &FlexTensor,
    o: &ConvOptions<2>,
) -> Option<FlexTensor> {
    if o.groups != 1 || !all_f32(&[x, weight, grad]) {
        return None;
    }
    let [n, c, h, w] = dims4(x);
    let [co, _, kh, kw] = dims4(weight);
    let [_, _, oh, ow] = dims4(grad);
    let g = Window {
        c,
        h,
        w,
        kh,
        kw,
        oh,
        ow,
        stride: o.stride,
        padding: o.padding,
        dilation: o.dilation,
    };
    let (x, grad) = (x.to_contiguous(), grad.to_contiguous());
    let out = window_weight_grad(grad.storage(), co, x.storage(), n, &g);
    Some(tensor(out, vec![co, c, kh, kw]))
}

/// `conv_transpose2d`, or `None` where this module does not apply.
pub(crate) fn conv_transpose2d(
    x: &FlexTensor,
    weight: &FlexTensor,
    bias: Option<&FlexTensor>,
    o: &ConvTransposeOptions<2>,
) -> Option<FlexTensor> {
    if o.groups != 1 || !all_f32(&[x, weight]) || bias.is_some_and(|b| b.dtype() != DType::F32) {
        return None;
    }
    let [n, ci, h, w] = dims4(x);
    let [_, co, kh, kw] = dims4(weight);
    let side = |axis: usize, k: usize, size: usize| {
        calculate_conv_transpose_output_size(
            k,
            o.stride[axis],
            o.padding[axis],
            o.padding_out[axis],
            o.dilation[axis],
            size,
        )
    };
    let (out_h, out_w) = (side(0, kh, h), side(1, kw, w));
    let g = Window {
        c: co,
        h: out_h,
        w: out_w,
        kh,
        kw,
        oh: h,
        ow: w,
        stride: o.stride,
        padding: o.padding,
        dilation: o.dilation,
    };
    let (x, weight) = (x.to_contiguous(), weight.to_contiguous());
    let mut out = window_transpose(x.storage(), ci, weight.storage(), n, &g);
    if let Some(bias) = bias {
        let bias = bias.to_contiguous();
        let bias: &[f32] = bias.storage();
        let plane = out_h * out_w;
        for_rows(&mut out, plane, |nc, row| {
            let b = bias[nc % co];
            row.iter_mut().for_each(|v| *v += b);
        });
    }
    Some(tensor(out, vec![n, co, out_h, out_w]))
}

/// The gradient of `conv_transpose2d` for its weight, or `None` where this module does not
/// apply.
pub(crate) fn conv_transpose2d_weight_backward(
    x: &FlexTensor,
    weight: &FlexTensor,
    grad: &FlexTensor,
    o: &ConvTransposeOptions<2>,
) -> Option<FlexTensor> {
    if o.groups != 1 || !all_f32(&[x, weight, grad]) {
        return None;
    }
    let [n, ci, h, w] = dims4(x);
    let [_, co, kh, kw] = dims4(weight);
    let [_, _, out_h, out_w] = dims4(grad);
    let g = Window {
        c: co,
        h: out_h,
        w: out_w,
        kh,
        kw,
        oh: h,
        ow: w,
        stride: o.stride,
        padding: o.padding,
        dilation: o.dilation,
    };
    let (x, grad) = (x.to_contiguous(), grad.to_contiguous());
    let out = window_weight_grad(x.storage(), ci, grad.storage(), n, &g);
    Some(tensor(out, vec![ci, co, kh, kw]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The weight gradient of a convolution, summed term by term.
    fn naive_weight_grad(a: &[f32], m: usize, src: &[f32], batch: usize, g: &Window) -> Vec<f32> {
        let mut out = vec![0.0f32; m * g.rows()];
        for n in 0..batch {
            for o in 0..m {
                for c in 0..g.c {
                    for i in 0..g.kh {
                        for j in 0..g.kw {
                            for y in 0..g.oh {
                                for x in 0..g.ow {
                                    if let (Some(sy), Some(sx)) =
                                        (g.source(0, y, i), g.source(1, x, j))
                                    {
                                        out[o * g.rows() + (c * g.kh + i) * g.kw + j] += a
                                            [(n * m + o) * g.positions() + y * g.ow + x]
                                            * src[((n * g.c + c) * g.h + sy) * g.w + sx];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        out
    }

    fn naive_transpose(src: &[f32], m: usize, w: &[f32], batch: usize, g: &Window) -> Vec<f32> {
        let mut out = vec![0.0f32; batch * g.c * g.h * g.w];
        for n in 0..batch {
            for o in 0..m {
                for c in 0..g.c {
                    for i in 0..g.kh {
                        for j in 0..g.kw {
                            for y in 0..g.oh {
                                for x in 0..g.ow {
                                    if let (Some(ty), Some(tx)) =
                                        (g.source(0, y, i), g.source(1, x, j))
                                    {
                                        out[((n * g.c + c) * g.h + ty) * g.w + tx] += w
                                            [o * g.rows() + (c * g.kh + i) * g.kw + j]
                                            * src[(n * m + o) * g.positions() + y * g.ow + x];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        out
    }

    fn values(len: usize, seed: u32) -> Vec<f32> {
        (0..len)
            .map(|i| {
                (((i as u32).wrapping_mul(2654435761).wrapping_add(seed) >> 8) % 1000) as f32
                    / 500.0
                    - 1.0
            })
            .collect()
    }

    fn read(t: FlexTensor) -> Vec<f32> {
        t.to_contiguous().storage::<f32>().to_vec()
    }

    fn close(got: &[f32], want: &[f32], what: &str) {
        assert_eq!(got.len(), want.len(), "{what}");
        for (x, y) in got.iter().zip(want) {
            assert!(
                (x - y).abs() < 1e-4 * (1.0 + y.abs()),
                "{what}: {x} against {y}"
            );
        }
    }

    /// Through `ModuleOps`: the new `conv2d` and `conv_transpose2d` (with bias and an output
    /// padding) against Flex's own kernels, and the grouped gradients (the 3-D fallback)
    /// against the one-group path run on each group's channels.
    #[test]
    fn module_ops_agree_with_flex_kernels_and_the_grouped_fallback() {
        use crate::Flex;
        use crate::ops::{conv, conv_transpose};
        use burn_backend::ops::ModuleOps;

        let x = || tensor(values(3 * 4 * 9 * 9, 4), vec![3, 4, 9, 9]);
        let w = || tensor(values(6 * 4 * 3 * 3, 5), vec![6, 4, 3, 3]);
        let b = || tensor(values(6, 6), vec![6]);
        let o = ConvOptions::new([2, 2], [1, 1], [1, 1], 1);
        close(
            &read(Flex::conv2d(x(), w(), Some(b()), o.clone())),
            &read(conv::conv2d_f32(x(), w(), Some(b()), &o)),
            "conv2d",
        );
        let wt = || tensor(values(4 * 6 * 4 * 4, 7), vec![4, 6, 4, 4]);
        let ot = ConvTransposeOptions::new([2, 2], [1, 1], [1, 1], [1, 1], 1);
        close(
            &read(Flex::conv_transpose2d(x(), wt(), Some(b()), ot.clone())),
            &read(conv_transpose::conv_transpose2d_f32(
                x(),
                wt(),
                Some(b()),
                &ot,
            )),
            "conv_transpose2d",
        );

        // Two groups: x [2, 4, 6, 6], w [4, 2, 3, 3]; group g is input channels 2g..2g+2 and
        // output channels 2g..2g+2.
        let (n, c, h) = (2, 4, 6);
        let xs = values(n * c * h * h, 8);
        let ws = values(4 * 2 * 9, 9);
        let og = ConvOptions::new([1, 1], [1, 1], [1, 1], 2);
        let y = Flex::conv2d(
            tensor(xs.clone(), vec![n, c, h, h]),
            tensor(ws.clone(), vec![4, 2, 3, 3]),
            None,
            og.clone(),
        );
        let gs = values(n * 4 * h * h, 10);
        let grad = || tensor(gs.clone(), vec![n, 4, h, h]);
        let gx = read(Flex::conv2d_x_backward(
            tensor(xs.clone(), vec![n, c, h, h]),
            tensor(ws.clone(), vec![4, 2, 3, 3]),
            grad(),
            og.clone(),
        ));
        let gw = read(Flex::conv2d_weight_backward(
            tensor(xs.clone(), vec![n, c, h, h]),
            tensor(ws.clone(), vec![4, 2, 3, 3]),
            grad(),
            og,
        ));
        assert_eq!(read(y).len(), n * 4 * h * h);
        let plane = h * h;
        let channels = |data: &[f32], total: usize, from: usize| -> Vec<f32> {
            (0..n)
                .flat_map(|i| data[(i * total + from) * plane..][..2 * plane].to_vec())
                .collect()
        };
        let o1 = ConvOptions::new([1, 1], [1, 1], [1, 1], 1);
        for g in 0..2 {
            let xg = || tensor(channels(&xs, c, 2 * g), vec![n, 2, h, h]);
            let wg = || tensor(ws[g * 2 * 18..][..2 * 18].to_vec(), vec![2, 2, 3, 3]);
            let gg = || tensor(channels(&gs, 4, 2 * g), vec![n, 2, h, h]);
            let want_x = read(Flex::conv2d_x_backward(xg(), wg(), gg(), o1.clone()));
            let want_w = read(Flex::conv2d_weight_backward(xg(), wg(), gg(), o1.clone()));
            close(&channels(&gx, c, 2 * g), &want_x, "grouped input gradient");
            close(
                &gw[g * 2 * 18..][..2 * 18],
                &want_w,
                "grouped weight gradient",
            );
        }
    }

    #[test]
    fn weight_grad_and_transpose_match_the_sums() {
        // Strides, paddings, dilations and a window that does not tile the image evenly.
        let cases = [
            (2, 3, 7, 6, 3, 2, [2, 1], [1, 0], [1, 2]),
            (3, 1, 8, 8, 4, 4, [2, 2], [1, 1], [1, 1]),
            (1, 4, 5, 9, 2, 3, [1, 3], [0, 2], [2, 1]),
        ];
        for (batch, c, h, w, kh, kw, stride, padding, dilation) in cases {
            let oh = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) / stride[0] + 1;
            let ow = (w + 2 * padding[1] - dilation[1] * (kw - 1) - 1) / stride[1] + 1;
            let g = Window {
                c,
                h,
                w,
                kh,
                kw,
                oh,
                ow,
                stride,
                padding,
                dilation,
            };
            let m = 5;
            let src = values(batch * c * h * w, 1);
            let a = values(batch * m * oh * ow, 2);
            let wt = values(m * g.rows(), 3);
            let got = window_weight_grad(&a, m, &src, batch, &g);
            let want = naive_weight_grad(&a, m, &src, batch, &g);
            let got_t = window_transpose(&a, m, &wt, batch, &g);
            let want_t = naive_transpose(&a, m, &wt, batch, &g);
            for (x, y) in got.iter().zip(&want).chain(got_t.iter().zip(&want_t)) {
                assert!(
                    (x - y).abs() < 1e-4 * (1.0 + y.abs()),
                    "{g:?}: {x} against {y}"
                );
            }
        }
    }
}
