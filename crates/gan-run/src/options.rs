//! How a run starts: [`RunOptions`].

use gan_train::Observer;

use crate::parallel::Parallel;

/// How [`crate::toy::run_toy`] and [`crate::image::run_images`] run: a new run or a resumed
/// one, download progress bars or none, and the observers of training.
///
/// ```
/// use gan_run::RunOptions;
///
/// let options = RunOptions::new().resume(true).quiet(true);
/// assert!(options.resume && options.quiet && options.observers.is_empty());
/// ```
#[derive(Default)]
pub struct RunOptions<'a> {
    /// Continue from the newest checkpoint in the run directory; `false` starts a new run,
    /// which is refused where a checkpoint exists.
    pub resume: bool,
    /// Hide download progress bars.
    pub quiet: bool,
    /// Observers of training: progress bars, logging, a stop request (see
    /// [`gan_train::Observer`]).
    pub observers: Vec<&'a mut dyn Observer>,
    /// How many peers train the run, on how many machines (see [`crate::parallel`]); one
    /// peer by default.
    pub parallel: Parallel,
}

impl<'a> RunOptions<'a> {
    /// A new run, with download progress bars and no observers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`RunOptions::resume`].
    pub fn resume(mut self, resume: bool) -> Self {
        self.resume = resume;
        self
    }

    /// Sets [`RunOptions::quiet`].
    pub fn quiet(mut self, quiet: bool) -> Self {
        self.quiet = quiet;
        self
    }

    /// Sets [`RunOptions::parallel`].
    pub fn parallel(mut self, parallel: Parallel) -> Self {
        self.parallel = parallel;
        self
    }

    /// Adds an observer of training.
    pub fn observer(mut self, observer: &'a mut dyn Observer) -> Self {
        self.observers.push(observer);
        self
    }
}
