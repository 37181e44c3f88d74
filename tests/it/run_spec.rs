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
