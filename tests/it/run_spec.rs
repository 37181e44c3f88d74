//! `config.json` names its run's kind (`"kind": "toy"` or `"image"`); a config without one
//! (written before the tag existed) is still read by its dataset, and an unknown kind is
//! refused, naming the field, the value and the file.

use gan::GanError;
use gan::image::ImageRunConfig;
use gan::sample::RunSpec;
use gan::toy::ToyRunConfig;

fn write(dir: &std::path::Path, json: &serde_json::Value) -> std::path::PathBuf {
    let path = dir.join("config.json");
    std::fs::write(&path, serde_json::to_vec_pretty(json).unwrap()).unwrap();
    path
}

#[test]
fn run_specs_are_tagged_and_untagged_ones_still_load() {
    let dir = tempfile::tempdir().unwrap();
    let toy = ToyRunConfig::new();
    let image = ImageRunConfig::new();
    let untagged_toy = serde_json::to_value(&toy).unwrap();
    let untagged_image = serde_json::to_value(&image).unwrap();
    assert!(untagged_toy.get("kind").is_none());

    let path = write(dir.path(), &untagged_toy);
    assert_eq!(RunSpec::load(&path).unwrap(), RunSpec::Toy(toy.clone()));
    let path = write(dir.path(), &untagged_image);
    assert_eq!(
        RunSpec::load(&path).unwrap(),
        RunSpec::Images(image.clone())
    );

    let mut tagged = untagged_toy.clone();
    tagged["kind"] = "toy".into();
    let path = write(dir.path(), &tagged);
    assert_eq!(RunSpec::load(&path).unwrap(), RunSpec::Toy(toy));

    // The tag decides, not the dataset: a toy config tagged as an image run is read as one
    // (and fails there, on its 2-D dataset).
    tagged["kind"] = "image".into();
    let path = write(dir.path(), &tagged);
    assert!(matches!(RunSpec::load(&path), Err(GanError::Config { .. })));

    tagged["kind"] = "cyclegan".into();
    let path = write(dir.path(), &tagged);
    let error = RunSpec::load(&path).unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(error, GanError::Invalid { field: "kind", .. })
            && message.contains("cyclegan")
            && message.contains("config.json"),
        "{message}"
    );
}

/// An image run's config written before runs chose their algorithm (no `algorithm` field)
/// still loads, as the classic algorithm; `apply_algorithm` switches a conditional run to
/// unconditional networks, gives InfoGAN's generator its code inputs and takes them back.
#[test]
fn configs_without_an_algorithm_train_the_classic_one() {
    use gan::run::AlgorithmConfig;
    let dir = tempfile::tempdir().unwrap();
    let image = ImageRunConfig::new();
    let mut old = serde_json::to_value(&image).unwrap();
    old.as_object_mut().unwrap().remove("algorithm");
    old["kind"] = "image".into();
    let path = write(dir.path(), &old);
    let spec = RunSpec::load(&path).unwrap();
    assert_eq!(spec, RunSpec::Images(image.clone()));
    assert_eq!(spec.algorithm_label(), "classic");

    let mut spec = RunSpec::Images(image.clone());
    let noise = image.networks.latent_dim();
    spec.apply_algorithm("infogan").unwrap();
    let RunSpec::Images(info) = &spec else {
        unreachable!()
    };
    assert_eq!(info.networks.num_classes(), None);
    assert_eq!(info.networks.latent_dim(), noise + 12);
    assert!(matches!(info.algorithm, AlgorithmConfig::InfoGan(_)));
    spec.apply_algorithm("infogan").unwrap();
    spec.apply_algorithm("began").unwrap();
    let RunSpec::Images(began) = &spec else {
        unreachable!()
    };
    assert_eq!(began.networks.latent_dim(), noise);
    let autoencoder = began.algorithm.autoencoder().unwrap();
    assert_eq!((autoencoder.image_size, autoencoder.channels), (28, 1));
    assert!(!autoencoder.batch_norm);
    let error = spec.apply_algorithm("wgan").unwrap_err().to_string();
    assert!(
        error.contains("--algorithm") && error.contains("wgan"),
        "{error}"
    );
}
