//! Data-parallel runs: several peers, one thread each, on Burn's collective (see
//! [`gan_train::parallel`] for what a peer computes).
//!
//! [`Parallel`] says how many peers this process runs and, for a run over several machines,
//! where the orchestrator is and which node this process is. [`train_replicas`] runs one
//! replica per peer: peer 0 of this process on the calling thread (with the caller's
//! observers), the others on threads of their own. Rank 0 of the whole run writes the run
//! directory.
//!
//! A peer that fails stops the others: its error resets the collective, which makes every
//! waiting peer's call fail, and the run returns the failed peer's error. A run whose peers
//! make no collective progress for [`Parallel::timeout`] (another machine died or lost its
//! connection) is stopped the same way; when even that cannot wake the waiting peers (a call to
//! another machine that never returns), the process prints the error and exits with status
//! [`STALLED_EXIT`]. Either way the last checkpoint is kept.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use burn::collective::{
    AllReduceStrategy, CollectiveConfig, finish_collective, register, reset_collective,
};
use burn::tensor::backend::AutodiffBackend;
use gan_data::BatchSource;
use gan_train::parallel::clock_millis;
use gan_train::{Algorithm, Observer, Peer, RunConfig, RunDir, RunSummary, Shard, TrainError};

use crate::error::{GanError, Result as GanResult};
use crate::preview::SampleView;

/// The exit status of a process whose peers stalled and could not be woken.
pub const STALLED_EXIT: i32 = 70;

/// Several machines of one data-parallel run, on burn-collective's global orchestrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nodes {
    /// How many machines (processes) take part.
    pub count: u32,
    /// This machine's place among them, `0..count`; node 0 holds global rank 0, which writes
    /// the run directory.
    pub rank: u32,
    /// The address other nodes reach this one at, `ws://HOST:PORT`; the port is where this
    /// node serves its tensors.
    pub address: String,
    /// The orchestrator's address, `ws://HOST:PORT` (started with `gan orchestrator`).
    pub orchestrator: String,
}

/// How a run spreads over peers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parallel {
    /// Peers in this process, one thread each, all on the run's device.
    pub devices: usize,
    /// The other machines, for a run over several.
    pub nodes: Option<Nodes>,
    /// How long the peers may go without completing a collective call before the run is
    /// stopped as stalled.
    pub timeout: Duration,
}

impl Default for Parallel {
    fn default() -> Self {
        Self {
            devices: 1,
            nodes: None,
            timeout: Duration::from_secs(300),
        }
    }
}

impl Parallel {
    /// `devices` peers in this process.
    pub fn local(devices: usize) -> Self {
        Self {
            devices,
            ..Self::default()
        }
    }

    /// Peers over all machines.
    pub fn peers(&self) -> usize {
        self.devices * self.nodes.as_ref().map_or(1, |n| n.count as usize)
    }

    /// Whether this runs more than one peer in all.
    pub fn is_parallel(&self) -> bool {
        self.peers() > 1
    }

    /// Checks the settings against a run's minibatch of `batch_size`, which the peers split
    /// evenly.
    pub fn validate(&self, batch_size: usize) -> GanResult<()> {
        let invalid = |field: &'static str, value: String, expected: String| GanError::Invalid {
            field,
            value,
            expected,
        };
        if self.devices == 0 {
            return Err(invalid("--devices", "0".into(), "at least 1 peer".into()));
        }
        if self.timeout.is_zero() {
            return Err(invalid(
                "--peer-timeout",
                "0".into(),
                "a positive number of seconds".into(),
            ));
        }
        if let Some(nodes) = &self.nodes {
            if nodes.count == 0 {
                return Err(invalid("--nodes", "0".into(), "at least 1 node".into()));
            }
            if nodes.rank >= nodes.count {
                return Err(invalid(
                    "--node-rank",
                    nodes.rank.to_string(),
                    format!("a rank below --nodes ({})", nodes.count),
                ));
            }
            ws_port("--node-address", &nodes.address)?;
            ws_port("--orchestrator", &nodes.orchestrator)?;
        }
        let peers = self.peers();
        if !batch_size.is_multiple_of(peers) {
            return Err(invalid(
                "batch_size",
                batch_size.to_string(),
                format!(
                    "a multiple of the number of peers ({peers}), which split every minibatch \
                     evenly"
                ),
            ));
        }
        Ok(())
    }

    fn collective(&self) -> GanResult<CollectiveConfig> {
        let mut config = CollectiveConfig::default().with_num_devices(self.devices);
        if let Some(nodes) = &self.nodes {
            let port = ws_port("--node-address", &nodes.address)?;
            let invalid = |field: &'static str, value: &str, e: String| GanError::Invalid {
                field,
                value: value.to_string(),
                expected: e,
            };
            // Between machines: a binary tree, which reduces tensors of any size (the ring
            // needs at least one row per machine; the stop flag and the losses have one).
            config = config
                .with_num_nodes(nodes.count)
                .with_global_all_reduce_strategy(AllReduceStrategy::Tree(2))
                .with_global_address(
                    nodes
                        .orchestrator
                        .parse()
                        .map_err(|e| invalid("--orchestrator", &nodes.orchestrator, e))?,
                )
                .with_node_address(
                    nodes
                        .address
                        .parse()
                        .map_err(|e| invalid("--node-address", &nodes.address, e))?,
                )
                .with_data_service_port(port);
        }
        Ok(config)
    }

    /// The shard of local peer `local`.
    fn shard(&self, local: usize) -> Shard {
        let node = self.nodes.as_ref().map_or(0, |n| n.rank as usize);
        Shard {
            rank: node * self.devices + local,
            count: self.peers(),
        }
    }
}

/// The port of a `ws://HOST:PORT` address.
pub fn ws_port(field: &'static str, address: &str) -> GanResult<u16> {
    let invalid = || GanError::Invalid {
        field,
        value: address.to_string(),
        expected: "an address ws://HOST:PORT".into(),
    };
    let rest = address.strip_prefix("ws://").ok_or_else(invalid)?;
    let (host, port) = rest.rsplit_once(':').ok_or_else(invalid)?;
    if host.is_empty() {
        return Err(invalid());
    }
    port.trim_end_matches('/')
        .parse::<u16>()
        .map_err(|_| invalid())
}

/// Trains a run's `replicas` on `data` into `dir`: its one replica with [`crate::train`], or
/// one peer per replica with [`train_replicas`] when `parallel` has several peers. Returns the
/// summary and the replica that led (the only one, or the first).
#[allow(clippy::too_many_arguments)]
pub(crate) fn train_any<B, A, S>(
    mut replicas: Vec<A>,
    mut data: S,
    dir: &RunDir,
    run: &RunConfig,
    view: &SampleView,
    resume: bool,
    observers: &mut [&mut dyn Observer],
    parallel: &Parallel,
    device: &B::Device,
) -> GanResult<(RunSummary, A)>
where
    B: AutodiffBackend,
    A: Algorithm<B> + Send + 'static,
    S: BatchSource<B> + Clone + Send + 'static,
{
    if parallel.is_parallel() {
        return train_replicas(
            replicas, data, dir, run, view, resume, observers, parallel, device,
        );
    }
    let mut one = replicas.swap_remove(0);
    let summary = crate::preview::train(&mut one, &mut data, dir, run, view, resume, observers)?;
    Ok((summary, one))
}

/// Trains `replicas` (one per local peer, built from the same config and the same initial
/// weights, with the same parameter ids) on copies of `data`, as [`crate::train`] does for
/// one. The first replica runs on the calling thread with `observers`, and is returned
/// trained.
#[allow(clippy::too_many_arguments)]
pub fn train_replicas<B, A, S>(
    replicas: Vec<A>,
    data: S,
    dir: &RunDir,
    run: &RunConfig,
    view: &SampleView,
    resume: bool,
    observers: &mut [&mut dyn Observer],
    parallel: &Parallel,
    device: &B::Device,
) -> GanResult<(RunSummary, A)>
where
    B: AutodiffBackend,
    A: Algorithm<B> + Send + 'static,
    S: BatchSource<B> + Clone + Send + 'static,
{
    assert_eq!(
        replicas.len(),
        parallel.devices,
        "one replica per local peer"
    );
    let config = parallel.collective()?;
    let _guard = gan_train::parallel::exclusive();
    quietly(reset_collective::<B::InnerBackend>);

    let peers: Vec<Peer> = (0..parallel.devices)
        .map(|local| {
            let shard = parallel.shard(local);
            Peer::new(shard.rank as u32, shard)
        })
        .collect();
    let (done_tx, done_rx) = mpsc::channel::<(usize, Result<(), String>)>();
    let mut replicas = replicas.into_iter();
    let mut leader_algorithm = replicas.next().expect("at least one replica");
    let mut handles: Vec<JoinHandle<()>> = Vec::new();
    for (local, mut algorithm) in replicas.enumerate().map(|(i, a)| (i + 1, a)) {
        let peer = peers[local].clone();
        let (data, dir, run, config, device) = (
            data.clone(),
            dir.clone(),
            run.clone(),
            config.clone(),
            device.clone(),
        );
        let done = done_tx.clone();
        handles.push(std::thread::spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                register::<B::InnerBackend>(peer.id(), device, config)
                    .map_err(|e| format!("registering with the collective failed: {e:?}"))?;
                let result = gan_train::run::fit_peer(
                    &mut algorithm,
                    data,
                    &dir,
                    &run,
                    resume,
                    &mut [],
                    &peer,
                );
                quietly(|| {
                    let _ = finish_collective::<B::InnerBackend>(peer.id());
                });
                match result {
                    Ok(_) | Err(TrainError::Stopped { .. }) => Ok(()),
                    Err(e) => Err(e.to_string()),
                }
            }))
            .unwrap_or_else(|panic| Err(panic_message(panic)));
            let _ = done.send((local, result));
        }));
    }
    drop(done_tx);

    let watch = Arc::new(Watch::default());
    let watchdog = {
        let watch = watch.clone();
        let peers = peers.clone();
        let timeout = parallel.timeout;
        std::thread::spawn(move || watchdog::<B>(watch, peers, done_rx, timeout))
    };

    let leader = &peers[0];
    let result = register::<B::InnerBackend>(leader.id(), device.clone(), config)
        .map_err(|e| TrainError::Collective {
            what: "registering with the collective",
            reason: format!("{e:?}"),
        })
        .and_then(|()| {
            // A panic inside the collective (a lost connection, say) ends this peer with an
            // error, like any other failure, so that the followers are woken and joined.
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                crate::preview::train_peer(
                    &mut leader_algorithm,
                    data,
                    dir,
                    run,
                    view,
                    resume,
                    observers,
                    leader,
                )
            }))
            .unwrap_or_else(|panic| {
                Err(TrainError::Collective {
                    what: "training on peer 0",
                    reason: panic_message(panic),
                })
            })
        });
    quietly(|| {
        let _ = finish_collective::<B::InnerBackend>(leader.id());
    });
    if result.is_err() {
        // Wake the followers still waiting for this peer.
        quietly(reset_collective::<B::InnerBackend>);
    }
    for handle in handles {
        let _ = handle.join();
    }
    watch.done.store(true, Ordering::SeqCst);
    let _ = watchdog.join();
    let failure = watch.failure.lock().map(|f| f.clone()).unwrap_or(None);
    match (result, failure) {
        (Ok(summary), None) => Ok((summary, leader_algorithm)),
        (Err(e @ TrainError::Stopped { .. }), None) => Err(e.into()),
        (Ok(_) | Err(TrainError::Collective { .. }), Some(failure)) => Err(GanError::Peer(failure)),
        (Err(e), _) => Err(e.into()),
    }
}

#[derive(Default)]
struct Watch {
    done: AtomicBool,
    failure: Mutex<Option<String>>,
}

/// Watches the followers and the peers' progress until the run is done; on a failure or a
/// stall it records why and resets the collective.
fn watchdog<B: AutodiffBackend>(
    watch: Arc<Watch>,
    peers: Vec<Peer>,
    done: mpsc::Receiver<(usize, Result<(), String>)>,
    timeout: Duration,
) {
    let mut woken: Option<Instant> = None;
    let fail = |why: String| {
        let mut failure = watch.failure.lock().unwrap_or_else(|e| e.into_inner());
        if failure.is_none() {
            *failure = Some(why);
        }
    };
    while !watch.done.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(100));
        while let Ok((local, result)) = done.try_recv() {
            if let Err(why) = result
                && woken.is_none()
            {
                fail(format!("peer {} stopped: {why}", peers[local].shard().rank));
                quietly(reset_collective::<B::InnerBackend>);
                woken = Some(Instant::now());
            }
        }
        let latest = peers.iter().map(Peer::last_progress).max().unwrap_or(0);
        let idle = Duration::from_millis(clock_millis().saturating_sub(latest));
        if woken.is_none() && idle > timeout {
            fail(format!(
                "the peers completed no collective call for {} s (--peer-timeout): a peer on \
                 another machine stopped or lost its connection",
                timeout.as_secs()
            ));
            quietly(reset_collective::<B::InnerBackend>);
            woken = Some(Instant::now());
        }
        if let Some(at) = woken
            && at.elapsed() > Duration::from_secs(15)
            && !watch.done.load(Ordering::SeqCst)
        {
            let failure = watch.failure.lock().map(|f| f.clone()).unwrap_or(None);
            eprintln!(
                "error: {}; the waiting peers could not be woken, so the process exits; the \
                 last checkpoint is kept: resume with the same command and --resume",
                failure.unwrap_or_default()
            );
            std::process::exit(STALLED_EXIT);
        }
    }
}

/// Runs a call into the collective that must not take this thread down: once a connection to
/// another machine is lost, burn-collective's server can be gone, and its client panics on
/// every later call.
fn quietly(call: impl FnOnce()) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(call));
}

fn panic_message(panic: Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .map_or_else(
            || "it panicked".to_string(),
            |m| format!("it panicked: {m}"),
        )
}
