//! Data-parallel training on Burn's collective (`gan_train::parallel`, `gan train --devices`).
//!
//! The networks here have no batch norm and no dropout, so that `P` peers with `1/P` of every
//! minibatch compute the one-peer run, up to the order of floating-point sums.

use crate::common;

use std::sync::mpsc;

use burn::collective::{CollectiveConfig, PeerId, finish_collective, register, reset_collective};
use burn::module::Module;
use burn::tensor::backend::AutodiffBackend;
use gan::data::{Toy2d, ToySampler};
use gan::models::{
    MlpDiscriminator, MlpDiscriminatorConfig, MlpGenerator, MlpGeneratorConfig, Prior,
};
use gan::train::{Algorithm, Peer, Shard, ShardedSource, TrainConfig, Trainer};

const STEPS: usize = 20;

/// The 2014 MLP GAN on ring8 without dropout, with host-initialised weights, minibatch 64.
fn networks<B: AutodiffBackend>(device: &B::Device) -> (MlpGenerator<B>, MlpDiscriminator<B>) {
    let g = MlpGeneratorConfig::new()
        .with_latent_dim(4)
        .with_hidden(vec![32, 32])
        .with_output_dim(2)
        .with_prior(Prior::Normal)
        .init::<B>(device);
    let d = MlpDiscriminatorConfig::new()
        .with_input_dim(2)
        .with_hidden(vec![32, 32])
        .with_input_dropout(0.0)
        .with_hidden_dropout(0.0)
        .init::<B>(device);
    (common::host_init(g, 1), common::host_init(d, 2))
}

type Mlp<B> = Trainer<B, MlpGenerator<B>, MlpDiscriminator<B>>;

fn trainer<B: AutodiffBackend>(
    g: MlpGenerator<B>,
    d: MlpDiscriminator<B>,
    device: &B::Device,
) -> Mlp<B> {
    let config = TrainConfig::new()
        .with_iterations(STEPS)
        .with_batch_size(64)
        .with_seed(3);
    Trainer::new(config, g, d, Prior::Normal, device.clone()).unwrap()
}

fn weights<B: AutodiffBackend>(t: &Mlp<B>) -> Vec<f32> {
    let mut v = common::param_values(t.generator());
    v.extend(common::param_values(t.discriminator()));
    v
}

/// Two peers, each with half of every minibatch of 64, against one peer with all of it:
/// after every one of 20 steps the two replicas hold the same weights bit for bit, and after
/// the 20 steps they match the one-peer weights to 1e-6 on Flex and 1e-5 on the other
/// backends (the sums run in another order; on Flex the largest difference measured is 6e-8,
/// printed, while the weights move by about 6e-3).
fn two_peers_train_like_one_peer_and_stay_identical<B: AutodiffBackend>(device: &B::Device) {
    let (g, d) = networks::<B>(device);

    let mut alone = trainer(g.clone(), d.clone(), device);
    let mut data = ToySampler::new(Toy2d::ring8(), 5).unwrap();
    for _ in 0..STEPS {
        alone.step(&mut data).unwrap();
    }
    let expected = weights(&alone);

    let _exclusive = gan::train::parallel::exclusive();
    reset_collective::<B::InnerBackend>();
    let (tx, rx) = mpsc::channel::<(usize, usize, Vec<f32>)>();
    let handles: Vec<_> = (0..2usize)
        .map(|rank| {
            let (g, d) = (g.clone().fork(device), d.clone().fork(device));
            let (tx, device) = (tx.clone(), device.clone());
            std::thread::spawn(move || {
                let config = CollectiveConfig::default().with_num_devices(2);
                register::<B::InnerBackend>(PeerId::from(rank as u32), device.clone(), config)
                    .unwrap();
                let peer = Peer::new(rank as u32, Shard { rank, count: 2 });
                let mut replica = trainer(g, d, &device);
                replica.join(&peer);
                let source = ToySampler::new(Toy2d::ring8(), 5).unwrap();
                let mut data = ShardedSource::new(source, peer.shard());
                for step in 0..STEPS {
                    replica.step(&mut data).unwrap();
                    tx.send((rank, step, weights(&replica))).unwrap();
                }
                finish_collective::<B::InnerBackend>(peer.id()).unwrap();
            })
        })
        .collect();
    drop(tx);
    let mut by_step: Vec<[Option<Vec<f32>>; 2]> = (0..STEPS).map(|_| [None, None]).collect();
    for (rank, step, w) in rx {
        by_step[step][rank] = Some(w);
    }
    for handle in handles {
        handle.join().expect("a peer panicked");
    }
    for (step, [a, b]) in by_step.iter().enumerate() {
        let (a, b) = (a.as_ref().unwrap(), b.as_ref().unwrap());
        assert!(a == b, "the replicas differ after step {}", step + 1);
    }
    let last = by_step[STEPS - 1][0].as_ref().unwrap();
    let diff = common::max_abs_diff(last, &expected);
    let moved = common::max_abs_diff(&weights(&trainer(g, d, device)), &expected);
    println!(
        "two peers against one after {STEPS} steps: largest weight difference {diff:e} \
         (the weights moved by up to {moved:e})"
    );
    let tolerance = if common::is_bitwise_backend::<B>() {
        1e-6
    } else {
        1e-5
    };
    assert!(moved > 1e-3, "training moved the weights by {moved} only");
    assert!(diff <= tolerance, "two peers differ from one by {diff}");
}

backend_tests!(two_peers_train_like_one_peer_and_stay_identical);

fn metrics(run: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// `gan train --devices 2` on images (a DCGAN with batch norm, so only the shape of the run is
/// compared): it logs every iteration, checkpoints, stops and resumes with the same peers, and
/// a split the minibatch does not allow is refused naming `batch_size`, writing nothing.
#[test]
fn gan_train_with_two_peers_runs_resumes_and_refuses_an_uneven_split() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let base = [
        "train",
        "--dataset",
        "mnist-embedded",
        "--model",
        "dcgan",
        "--batch",
        "16",
        "--quiet",
        "--checkpoint-every",
        "4",
        "--sample-every",
        "0",
    ];
    let with = |extra: &[&str]| {
        let mut args: Vec<&str> = base.to_vec();
        args.extend_from_slice(extra);
        common::gan_output(&args)
    };
    let o = with(&[
        "--devices",
        "2",
        "--steps",
        "4",
        "--out",
        run.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let first = metrics(&run);
    assert_eq!(first.last().unwrap()["step"], 4);
    assert!(run.join("checkpoints/step-00000004").is_dir());
    assert!(run.join("samples.png").is_file());

    let o = with(&[
        "--devices",
        "2",
        "--steps",
        "8",
        "--resume",
        run.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let resumed = metrics(&run);
    assert_eq!(resumed.last().unwrap()["step"], 8);
    assert!(run.join("checkpoints/step-00000008").is_dir());
    for m in &resumed {
        for key in ["d_loss", "g_loss"] {
            let v = m[key].as_f64().unwrap();
            assert!(v.is_finite(), "{key} = {v} at {}", m["step"]);
        }
    }

    let refused = dir.path().join("refused");
    let o = with(&[
        "--devices",
        "3",
        "--steps",
        "4",
        "--out",
        refused.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("batch_size") && stderr.contains("16") && stderr.contains("(3)"),
        "{stderr}"
    );
    assert!(
        !refused.exists(),
        "a refused run wrote {}",
        refused.display()
    );
}

/// Each peer of a data-parallel CycleGAN run pools its own rows' fakes on its own stream, and a
/// checkpoint holds every peer's pools: peer 1's fill, RNG state and images next to the
/// leader's. Pools of 2 images fill in the first step and then swap stored fakes in.
#[test]
fn cyclegan_checkpoints_hold_each_peers_pools() {
    let dir = tempfile::tempdir().unwrap();
    let o = common::gan_output(&[
        "train",
        "--algorithm",
        "cyclegan",
        "--dataset",
        "digits",
        "--limit",
        "32",
        "--batch",
        "4",
        "--steps",
        "3",
        "--checkpoint-every",
        "3",
        "--sample-every",
        "0",
        "--print-config",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut config: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    config["cyclegan"]["pool_size"] = 2.into();
    let file = dir.path().join("config.json");
    std::fs::write(&file, config.to_string()).unwrap();
    let run = dir.path().join("run");
    let train = |extra: &[&str]| {
        let mut args = vec!["train", "--devices", "2", "--quiet"];
        args.extend_from_slice(extra);
        let o = common::gan_output(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    train(&[
        "--config",
        file.to_str().unwrap(),
        "--out",
        run.to_str().unwrap(),
    ]);
    let check = |step: &str| {
        let at = run.join("checkpoints").join(step);
        let state: serde_json::Value =
            serde_json::from_slice(&std::fs::read(at.join("state.json")).unwrap()).unwrap();
        let state = &state["state"];
        let peers = state["peers"].as_array().expect("the other peers' pools");
        assert_eq!(peers.len(), 1, "{state}");
        for (leader, peer) in [
            (&state["pool_a"], &peers[0][0]),
            (&state["pool_b"], &peers[0][1]),
        ] {
            // Both full, each drawing from its own stream.
            assert_eq!((&leader[0], &peer[0]), (&2.into(), &2.into()), "{state}");
            assert_ne!(leader[1], peer[1], "peer 1 has a stream of its own");
        }
        let leader = std::fs::read(at.join("image_pools.safetensors")).unwrap();
        let peer = std::fs::read(at.join("image_pools_peer1.safetensors")).unwrap();
        // The files end with their data: two [2, 784] f32 tensors.
        let data = |file: &[u8]| file[file.len() - 2 * 2 * 784 * 4..].to_vec();
        assert_ne!(
            data(&leader),
            data(&peer),
            "peer 1 pools the fakes of its own rows"
        );
    };
    check("step-00000003");
    // Resumed with the same peers, each from its own pools, and checkpointed again.
    train(&["--steps", "6", "--resume", run.to_str().unwrap()]);
    check("step-00000006");
}

/// A free TCP port on 127.0.0.1 (bound, then released for the child to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process killed when dropped, so that a failing test leaves nothing running.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(args: &[String], log: &std::path::Path) -> Child {
    let file = std::fs::File::create(log).unwrap();
    Child(
        std::process::Command::new(env!("CARGO_BIN_EXE_gan"))
            .args(args)
            .env_remove("LD_LIBRARY_PATH")
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .expect("gan binary runs"),
    )
}

/// Waits up to `limit` for `child` to exit; its status, or `None` when it is still running.
fn wait_for(child: &mut Child, limit: std::time::Duration) -> Option<std::process::ExitStatus> {
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if let Some(status) = child.0.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    None
}

/// Starts `gan orchestrator` on a free port and waits (at most 30 s) until it accepts
/// connections.
fn orchestrator(dir: &std::path::Path) -> (Child, u16) {
    let port = free_port();
    let child = spawn(
        &["orchestrator".into(), "--port".into(), port.to_string()],
        &dir.join("orchestrator.log"),
    );
    let start = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "the orchestrator did not listen on {port} within 30 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    (child, port)
}

/// A ring8 config without dropout (so that runs with peers in threads and in processes
/// compute the same thing), from `gan train --print-config`.
fn ring8_config(dir: &std::path::Path, steps: usize) -> std::path::PathBuf {
    let steps = steps.to_string();
    let o = common::gan_output(&[
        "train",
        "--dataset",
        "ring8",
        "--steps",
        &steps,
        "--batch",
        "64",
        "--print-config",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut config: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    config["discriminator"]["input_dropout"] = 0.0.into();
    config["discriminator"]["hidden_dropout"] = 0.0.into();
    config["run"]["log_every"] = 1.into();
    let path = dir.join("ring8.json");
    std::fs::write(&path, serde_json::to_string_pretty(&config).unwrap()).unwrap();
    path
}

fn node_args(
    config: &std::path::Path,
    out: &std::path::Path,
    rank: u32,
    port: u16,
    orchestrator: u16,
) -> Vec<String> {
    [
        "train",
        "--config",
        config.to_str().unwrap(),
        "--quiet",
        "--peer-timeout",
        "10",
        "--nodes",
        "2",
        "--node-rank",
        &rank.to_string(),
        "--node-address",
        &format!("ws://127.0.0.1:{port}"),
        "--orchestrator",
        &format!("ws://127.0.0.1:{orchestrator}"),
        "--out",
        out.to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Two processes on 127.0.0.1, one peer each, through `gan orchestrator`, train ring8 for 20
/// steps and log the same losses as one process with two peers in threads (to 1e-5, the
/// largest difference printed). Every wait is bounded and every child is killed at the end.
#[test]
fn two_processes_through_the_orchestrator_match_two_peers_in_one_process() {
    let dir = tempfile::tempdir().unwrap();
    let config = ring8_config(dir.path(), STEPS);
    let threads = dir.path().join("threads");
    let o = common::gan_output(&[
        "train",
        "--config",
        config.to_str().unwrap(),
        "--quiet",
        "--devices",
        "2",
        "--out",
        threads.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let (_orchestrator, port) = orchestrator(dir.path());
    let outs = [dir.path().join("node0"), dir.path().join("node1")];
    let mut nodes: Vec<Child> = (0..2u32)
        .map(|rank| {
            let args = node_args(&config, &outs[rank as usize], rank, free_port(), port);
            spawn(&args, &dir.path().join(format!("node{rank}.log")))
        })
        .collect();
    for (rank, node) in nodes.iter_mut().enumerate() {
        let status = wait_for(node, std::time::Duration::from_secs(120));
        let log = std::fs::read_to_string(dir.path().join(format!("node{rank}.log"))).unwrap();
        assert!(
            status.is_some_and(|s| s.success()),
            "node {rank} ended with {status:?}:\n{log}"
        );
    }
    assert!(!outs[1].join("metrics.jsonl").exists() || metrics(&outs[1]).is_empty());
    let (a, b) = (metrics(&threads), metrics(&outs[0]));
    assert_eq!(a.len(), STEPS);
    assert_eq!(b.len(), STEPS);
    let mut largest = 0.0f64;
    for (x, y) in a.iter().zip(&b) {
        for key in ["d_loss", "g_loss", "d_real", "d_fake"] {
            let (x, y) = (x[key].as_f64().unwrap(), y[key].as_f64().unwrap());
            largest = largest.max((x - y).abs());
        }
    }
    println!("processes against threads, {STEPS} steps: largest logged difference {largest:e}");
    assert!(largest <= 1e-5, "the two runs differ by {largest}");
}

/// A node killed with SIGKILL in the middle of a run stops the other one: it exits with an
/// error that names the stalled peers and says how to resume, within 60 s of the kill.
#[test]
fn a_killed_node_stops_the_other_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = ring8_config(dir.path(), 1_000_000);
    let (_orchestrator, port) = orchestrator(dir.path());
    let outs = [dir.path().join("node0"), dir.path().join("node1")];
    let mut nodes: Vec<Child> = (0..2u32)
        .map(|rank| {
            let args = node_args(&config, &outs[rank as usize], rank, free_port(), port);
            spawn(&args, &dir.path().join(format!("node{rank}.log")))
        })
        .collect();
    // Wait until the run is under way (node 0 has logged), at most 60 s.
    let start = std::time::Instant::now();
    while !outs[0].join("metrics.jsonl").is_file() || metrics(&outs[0]).len() < 5 {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "the run did not start within 60 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    nodes[1].0.kill().unwrap();
    let killed = std::time::Instant::now();
    let status = wait_for(&mut nodes[0], std::time::Duration::from_secs(60));
    let log = std::fs::read_to_string(dir.path().join("node0.log")).unwrap();
    assert!(
        status.is_some(),
        "node 0 still runs 60 s after node 1 was killed:\n{log}"
    );
    assert!(!status.unwrap().success(), "{log}");
    assert!(
        log.contains("peer") && log.contains("resume"),
        "node 0's error does not say what happened:\n{log}"
    );
    println!(
        "node 0 stopped {:.1} s after node 1 was killed",
        killed.elapsed().as_secs_f64()
    );
}
