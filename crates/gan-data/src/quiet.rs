//! Catching a panic of third-party code that asserts on the data it was handed (an image
//! decoder, a record loader) without printing it: [`catch_quietly`].

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, PanicHookInfo};
use std::sync::Once;

thread_local! {
    /// Whether this thread is inside [`catch_quietly`].
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

static INSTALL: Once = Once::new();

/// Runs `f`, catching a panic of this thread without printing it; other threads' panics (and
/// this thread's outside `f`) reach the hook that was in place before, as before.
///
/// The first call installs one process-wide hook that asks a thread-local flag and otherwise
/// calls the previous hook; later calls only set the flag, so a process that calls this a
/// million times (a fuzzer, a service loading many files) keeps a hook one call deep, and
/// threads calling it at once do not race on the hook.
pub fn catch_quietly<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info: &PanicHookInfo<'_>| {
            if !QUIET.with(Cell::get) {
                previous(info)
            }
        }));
    });
    let outer = QUIET.with(|q| q.replace(true));
    let result = std::panic::catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(outer));
    result
}

/// The message of a caught panic (`panic!`'s text), or `fallback`.
pub fn panic_message<'a>(panic: &'a (dyn std::any::Any + Send), fallback: &'a str) -> &'a str {
    panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or(fallback)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_are_caught_and_the_hook_stays_one_call_deep() {
        fn address(hook: &(dyn Fn(&PanicHookInfo<'_>) + Send + Sync)) -> usize {
            hook as *const _ as *const () as usize
        }
        let caught = catch_quietly(|| panic!("bad data {}", 7)).unwrap_err();
        assert_eq!(panic_message(&*caught, "?"), "bad data 7");
        assert_eq!(catch_quietly(|| 3).unwrap(), 3);
        let hook = std::panic::take_hook();
        let at = address(&*hook);
        std::panic::set_hook(hook);
        for _ in 0..1000 {
            assert!(catch_quietly(|| panic!("again")).is_err());
        }
        let hook = std::panic::take_hook();
        assert_eq!(address(&*hook), at, "no hook is added per call");
        std::panic::set_hook(hook);
    }
}
