//! The C allocator's settings for training.
//!
//! A training step allocates and frees the same large buffers every iteration: activations,
//! gradients, the im2col matrices of Flex's convolutions, libtorch's tensors. glibc's `malloc`
//! serves blocks above its mmap threshold (128 KiB, raised as blocks are freed) with fresh
//! `mmap`s and gives freed memory at the top of the heap back to the system above its trim
//! threshold, so each iteration faults its buffers' pages in again and zeroes them. On DCGAN-28
//! at batch 64 the kernel's page-fault handling was 15% of a libtorch step's samples in `perf`.
//!
//! [`keep_freed_memory`] raises both thresholds, so that freed blocks are reused. The process
//! keeps up to 1 GiB of freed heap instead of returning it at once; its peak resident memory is
//! unchanged (docs/performance.md). It changes glibc's settings for the whole process, the
//! memory of libtorch and the other C libraries included, and does nothing on other C
//! libraries, or when `GLIBC_TUNABLES` is set (the user's own settings win).

/// glibc's largest mmap threshold on 64-bit targets: blocks up to 32 MiB come from the heap.
pub const MMAP_THRESHOLD: usize = 32 << 20;
/// Freed memory kept at the top of the heap before any is returned to the system.
pub const TRIM_THRESHOLD: usize = 1 << 30;

/// What [`keep_freed_memory`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocatorSettings {
    /// The thresholds were raised to [`MMAP_THRESHOLD`] and [`TRIM_THRESHOLD`].
    Raised,
    /// `GLIBC_TUNABLES` is set: glibc's settings were left as the user made them.
    LeftToTheUser,
    /// Not glibc: nothing to do.
    NotGlibc,
}

/// Raises glibc's mmap and trim thresholds (see the module documentation). Call it once at
/// the start of a training program, before the heavy allocations; the `gan` command does.
///
/// # Panics
///
/// If glibc refuses one of the values, which it does only for values out of its range.
pub fn keep_freed_memory() -> AllocatorSettings {
    if std::env::var_os("GLIBC_TUNABLES").is_some() {
        return AllocatorSettings::LeftToTheUser;
    }
    raise()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn raise() -> AllocatorSettings {
    for (param, name, value) in [
        (libc::M_MMAP_THRESHOLD, "M_MMAP_THRESHOLD", MMAP_THRESHOLD),
        (libc::M_TRIM_THRESHOLD, "M_TRIM_THRESHOLD", TRIM_THRESHOLD),
    ] {
        let value = libc::c_int::try_from(value).expect("the thresholds fit a C int");
        // SAFETY: mallopt takes two integers and only changes malloc's parameters; glibc
        // serialises it with its own arena lock, so it is safe to call from any thread.
        let ok = unsafe { libc::mallopt(param, value) };
        assert_eq!(ok, 1, "glibc refused mallopt({name}, {value})");
    }
    AllocatorSettings::Raised
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn raise() -> AllocatorSettings {
    AllocatorSettings::NotGlibc
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On glibc the thresholds are raised (glibc accepts both values), unless the user's
    /// `GLIBC_TUNABLES` is set; elsewhere nothing is done.
    #[test]
    fn raises_the_thresholds_on_glibc() {
        let expected = if std::env::var_os("GLIBC_TUNABLES").is_some() {
            AllocatorSettings::LeftToTheUser
        } else if cfg!(all(target_os = "linux", target_env = "gnu")) {
            AllocatorSettings::Raised
        } else {
            AllocatorSettings::NotGlibc
        };
        assert_eq!(keep_freed_memory(), expected);
        // A second call sets the same values again.
        assert_eq!(keep_freed_memory(), expected);
    }
}
