//! Datasets: the embedded MNIST digits, Fashion-MNIST from Debian's package, IDX, CIFAR-10 and
//! image-folder loading with the errors bad files give, the seeded loader on every backend, and
//! downloads from a local HTTP server.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use burn::tensor::backend::AutodiffBackend;
use gan::data::idx::{gzip_bytes, read_idx, write_idx};
use gan::data::{
    BatchSource, CIFAR10_CLASSES, DataError, DatasetSource, DownloadOptions, Downloader,
    IdxDataset, ImageFolderConfig, ImageLoader, ImageSet, PixelRange, RemoteFile, Split,
    embedded_mnist, embedded_mnist_files, load_cifar10, load_cifar10_dir,
};

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Writes MNIST-style files for `n` images of `h x w` (pixel = image index + position) and
/// labels `i % 10` into `dir` with the given split prefix.
fn write_mnist(dir: &Path, prefix: &str, n: usize, gz: bool) -> (PathBuf, PathBuf) {
    let ext = if gz { ".gz" } else { "" };
    let images = dir.join(format!("{prefix}-images-idx3-ubyte{ext}"));
    let labels = dir.join(format!("{prefix}-labels-idx1-ubyte{ext}"));
    let pixels: Vec<u8> = (0..n * 28 * 28).map(|i| (i / 784 + i % 7) as u8).collect();
    let l: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    write_idx(&images, &[n, 28, 28], &pixels, gz).unwrap();
    write_idx(&labels, &[n], &l, gz).unwrap();
    (images, labels)
}

// ---------------------------------------------------------------- embedded MNIST

#[test]
fn embedded_mnist_is_the_documented_10k_digits() {
    let (images, labels) = embedded_mnist_files();
    let images_sha = gan::data::download::sha256_bytes(images);
    let labels_sha = gan::data::download::sha256_bytes(labels);
    assert_eq!(images_sha, gan::data::EMBEDDED_IMAGES_SHA256);
    assert_eq!(labels_sha, gan::data::EMBEDDED_LABELS_SHA256);
    let readme = std::fs::read_to_string("crates/gan-data/assets/README.md").unwrap();
    assert!(readme.contains(&images_sha) && readme.contains(&labels_sha));
    assert!(readme.contains("CC BY-SA 3.0") && readme.contains("LeCun"));

    let set = embedded_mnist();
    assert_eq!(set.len(), 10_000);
    assert_eq!(set.shape(), [1, 28, 28]);
    assert_eq!(
        set.class_counts().unwrap(),
        vec![1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
    );
    // MNIST's known statistics: mean intensity about 0.13, about 19% of pixels non-zero.
    let mean = set.pixels().iter().map(|&v| v as f64).sum::<f64>() / set.pixels().len() as f64;
    assert!(
        (mean / 255.0 - 0.1307).abs() < 0.01,
        "mean {}",
        mean / 255.0
    );
    let nonzero = set.pixels().iter().filter(|&&v| v > 0).count() as f64;
    let frac = nonzero / set.pixels().len() as f64;
    assert!((0.15..0.23).contains(&frac), "non-zero fraction {frac}");
    // Interleaved classes: the first 100 digits hold 10 of each class.
    let first: Vec<usize> = set.clone().truncate(100).class_counts().unwrap();
    assert_eq!(first, vec![10; 10]);
}

/// The embedded optical digits are scikit-learn's copy of the UCI test set, byte for byte as
/// documented, and in MNIST's layout they have about MNIST's ink: the mean intensity of the
/// 28x28 images is within a factor of 2 of MNIST's 0.13, and the centre of mass of the ink is
/// within a pixel of the image centre (MNIST centres its digits by their centre of mass).
#[test]
fn embedded_optdigits_are_the_documented_1797_digits() {
    let sha = gan::data::download::sha256_bytes(gan::data::embedded_optdigits_file());
    assert_eq!(sha, gan::data::OPTDIGITS_SHA256);
    let readme = std::fs::read_to_string("crates/gan-data/assets/README.md").unwrap();
    assert!(readme.contains(&sha) && readme.contains("CC BY 4.0") && readme.contains("Alpaydin"));
    let set = gan::data::embedded_optdigits();
    assert_eq!(set.len(), 1797);
    assert_eq!(set.name(), "optdigits");
    let pixels = set.pixels();
    let mean = pixels.iter().map(|&v| v as f64).sum::<f64>() / pixels.len() as f64 / 255.0;
    assert!((0.065..0.26).contains(&mean), "mean intensity {mean}");
    let (mut total, mut cy, mut cx) = (0.0, 0.0, 0.0);
    for image in pixels.chunks(784) {
        for (i, &v) in image.iter().enumerate() {
            let v = v as f64;
            total += v;
            cy += v * (i / 28) as f64;
            cx += v * (i % 28) as f64;
        }
    }
    let (cy, cx) = (cy / total, cx / total);
    assert!(
        (cy - 13.5).abs() < 1.0 && (cx - 13.5).abs() < 1.0,
        "centre of mass ({cy:.2}, {cx:.2})"
    );
}

// ---------------------------------------------------------------- Fashion-MNIST (Debian)

#[test]
fn fashion_mnist_is_found_in_debians_directory() {
    let dir = Path::new("/usr/share/datasets/fashion-mnist");
    assert!(
        dir.is_dir(),
        "scripts/setup.sh installs dataset-fashion-mnist"
    );
    let train = IdxDataset::FashionMnist
        .load(Split::Train, None, None)
        .unwrap();
    let test = IdxDataset::FashionMnist
        .load(Split::Test, None, None)
        .unwrap();
    assert_eq!((train.len(), test.len()), (60_000, 10_000));
    assert_eq!(train.shape(), [1, 28, 28]);
    assert_eq!(train.class_counts().unwrap(), vec![6000; 10]);
    assert_eq!(test.class_counts().unwrap(), vec![1000; 10]);
    assert_eq!(train.class_names().unwrap()[9], "Ankle boot");
    assert_eq!(train.name(), "fashion-mnist/train");
}

// ---------------------------------------------------------------- IDX files

#[test]
fn idx_gzip_and_raw_load_the_same_images() {
    let (a, b) = (tmp(), tmp());
    write_mnist(a.path(), "train", 30, true);
    write_mnist(b.path(), "train", 30, false);
    let gz = IdxDataset::Mnist.load_dir(a.path(), Split::Train).unwrap();
    let raw = IdxDataset::Mnist
        .load(Split::Train, Some(b.path()), None)
        .unwrap();
    assert_eq!(gz, raw);
    assert_eq!(gz.len(), 30);
    assert_eq!(gz.image(3)[0], 3);
    assert_eq!(gz.labels().unwrap()[13], 3);
}

fn expect_err(result: gan::data::Result<ImageSet>) -> DataError {
    match result {
        Ok(set) => panic!("expected an error, loaded {} images", set.len()),
        Err(e) => e,
    }
}

#[test]
fn truncated_and_corrupt_gzip_name_the_file() {
    let dir = tmp();
    let (images, _) = write_mnist(dir.path(), "train", 20, true);
    let bytes = std::fs::read(&images).unwrap();
    std::fs::write(&images, &bytes[..bytes.len() / 2]).unwrap();
    let err = expect_err(IdxDataset::Mnist.load_dir(dir.path(), Split::Train));
    assert!(
        matches!(&err, DataError::Gzip { path, .. } if *path == images),
        "{err}"
    );
    assert!(
        err.to_string().contains("train-images-idx3-ubyte.gz"),
        "{err}"
    );

    // Flip bytes in the middle of the deflate stream: the CRC or the stream breaks.
    let mut corrupt = bytes.clone();
    let mid = corrupt.len() / 2;
    for b in &mut corrupt[mid..mid + 16] {
        *b ^= 0xa5;
    }
    std::fs::write(&images, &corrupt).unwrap();
    let err = expect_err(IdxDataset::Mnist.load_dir(dir.path(), Split::Train));
    assert!(
        matches!(&err, DataError::Gzip { path, .. } if *path == images),
        "{err}"
    );
}

#[test]
fn wrong_magic_and_truncated_idx_are_reported() {
    let dir = tmp();
    let (images, _) = write_mnist(dir.path(), "t10k", 5, false);
    let mut bytes = std::fs::read(&images).unwrap();
    bytes[0] = 0x12;
    std::fs::write(&images, &bytes).unwrap();
    let err = expect_err(IdxDataset::Mnist.load_dir(dir.path(), Split::Test));
    assert!(matches!(&err, DataError::Idx { path, .. } if *path == images));
    assert!(err.to_string().contains("magic number 0x12"), "{err}");

    bytes[0] = 0;
    bytes.truncate(bytes.len() - 100);
    std::fs::write(&images, &bytes).unwrap();
    let err = expect_err(IdxDataset::Mnist.load_dir(dir.path(), Split::Test));
    assert!(
        err.to_string()
            .contains("need 3920 bytes of data, found 3820"),
        "{err}"
    );
    // The same file compressed: the error names the .gz file.
    let gz = dir.path().join("t10k-images-idx3-ubyte.gz");
    std::fs::write(&gz, gzip_bytes(&bytes)).unwrap();
    let err = read_idx(&gz).unwrap_err();
    assert!(
        matches!(&err, DataError::Idx { path, .. } if *path == gz),
        "{err}"
    );
}

#[test]
fn count_mismatch_wrong_dims_and_bad_labels_are_reported() {
    let dir = tmp();
    let (images, labels) = write_mnist(dir.path(), "train", 12, true);
    write_idx(&labels, &[11], &[0; 11], true).unwrap();
    let err = expect_err(IdxDataset::Mnist.load_dir(dir.path(), Split::Train));
    assert!(
        matches!(
            err,
            DataError::CountMismatch {
                images: 12,
                labels: 11,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("holds 12 images but"), "{err}");

    write_idx(&labels, &[12], &[10; 12], true).unwrap();
    let err = expect_err(IdxDataset::Mnist.load_dir(dir.path(), Split::Train));
    assert!(
        matches!(&err, DataError::LabelOutOfRange { path, index: 0, label: 10, classes: 10 } if *path == labels),
        "{err}"
    );

    write_idx(&images, &[12, 784], &vec![0; 12 * 784], true).unwrap();
    let err = expect_err(IdxDataset::Mnist.load_dir(dir.path(), Split::Train));
    assert!(
        matches!(&err, DataError::Shape { path, found, .. } if *path == images && *found == vec![12, 784]),
        "{err}"
    );
}

#[test]
fn missing_split_names_the_files_and_directory() {
    let dir = tmp();
    write_mnist(dir.path(), "train", 3, true);
    let err = expect_err(IdxDataset::FashionMnist.load(Split::Test, Some(dir.path()), None));
    let msg = err.to_string();
    assert!(matches!(err, DataError::MissingFiles { .. }));
    assert!(
        msg.contains("t10k-images-idx3-ubyte") && msg.contains(&dir.path().display().to_string()),
        "{msg}"
    );
}

// ---------------------------------------------------------------- CIFAR-10

fn cifar_records(n: usize, first_label: u8) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push((first_label as usize + i) as u8 % 10);
        out.extend(std::iter::repeat_n(i as u8, 1024)); // red
        out.extend(std::iter::repeat_n(100, 1024)); // green
        out.extend(std::iter::repeat_n(200, 1024)); // blue
    }
    out
}

fn write_cifar(dir: &Path) {
    for i in 1..=5 {
        std::fs::write(dir.join(format!("data_batch_{i}.bin")), cifar_records(4, i)).unwrap();
    }
    std::fs::write(dir.join("test_batch.bin"), cifar_records(3, 0)).unwrap();
}

#[test]
fn cifar10_binary_batches_load_with_labels() {
    let root = tmp();
    let dir = root.path().join("cifar-10-batches-bin");
    std::fs::create_dir(&dir).unwrap();
    write_cifar(&dir);
    let train = load_cifar10_dir(root.path(), Split::Train).unwrap();
    let test = load_cifar10(Split::Test, Some(&dir), None).unwrap();
    assert_eq!((train.len(), test.len()), (20, 3));
    assert_eq!(train.shape(), [3, 32, 32]);
    assert_eq!(train.labels().unwrap()[..4], [1, 2, 3, 4]);
    let img = test.image(2);
    assert_eq!(
        (img[0], img[1024], img[2048]),
        (2, 100, 200),
        "planes are R, G, B"
    );
    assert_eq!(train.class_names().unwrap()[9], CIFAR10_CLASSES[9]);
}

#[test]
fn cifar10_wrong_size_and_bad_label_are_reported() {
    let dir = tmp();
    write_cifar(dir.path());
    let bad = dir.path().join("data_batch_3.bin");
    let mut bytes = cifar_records(4, 0);
    bytes.pop();
    std::fs::write(&bad, &bytes).unwrap();
    let err = expect_err(load_cifar10_dir(dir.path(), Split::Train));
    assert!(
        matches!(&err, DataError::CifarSize { path, size: 12291, record: 3073 } if *path == bad),
        "{err}"
    );
    assert!(
        err.to_string().contains("data_batch_3.bin has 12291 bytes"),
        "{err}"
    );

    let mut bytes = cifar_records(4, 0);
    bytes[3073] = 10;
    std::fs::write(&bad, &bytes).unwrap();
    let err = expect_err(load_cifar10_dir(dir.path(), Split::Train));
    assert!(
        matches!(
            err,
            DataError::LabelOutOfRange {
                index: 1,
                label: 10,
                ..
            }
        ),
        "{err}"
    );

    std::fs::remove_file(dir.path().join("test_batch.bin")).unwrap();
    let err = expect_err(load_cifar10_dir(dir.path(), Split::Test));
    assert!(err.to_string().contains("test_batch.bin"), "{err}");
}

#[test]
fn cifar10_archive_unpacks_atomically_into_place() {
    let src = tmp();
    let dir = src.path().join("cifar-10-batches-bin");
    std::fs::create_dir(&dir).unwrap();
    write_cifar(&dir);
    let archive = src.path().join("cifar-10-binary.tar.gz");
    {
        let file = std::fs::File::create(&archive).unwrap();
        let enc = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        let mut tar = tar::Builder::new(enc);
        tar.append_dir_all("cifar-10-batches-bin", &dir).unwrap();
        tar.into_inner().unwrap().finish().unwrap();
    }
    let dest = tmp();
    let moved = gan::data::cifar::unpack_tar_gz(&archive, dest.path()).unwrap();
    assert_eq!(moved, vec![dest.path().join("cifar-10-batches-bin")]);
    assert_eq!(
        load_cifar10_dir(dest.path(), Split::Train).unwrap().len(),
        20
    );
    let leftovers: Vec<_> = std::fs::read_dir(dest.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary directory left behind");

    // A truncated archive is an error naming it, and leaves nothing in the destination.
    let bytes = std::fs::read(&archive).unwrap();
    std::fs::write(&archive, &bytes[..bytes.len() / 2]).unwrap();
    let empty = tmp();
    let err = gan::data::cifar::unpack_tar_gz(&archive, empty.path()).unwrap_err();
    assert!(
        matches!(&err, DataError::Gzip { path, .. } if *path == archive),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(empty.path()).unwrap().count(), 0);
}

// ---------------------------------------------------------------- image folders

fn save_rgb(path: &Path, w: u32, h: u32, f: impl Fn(u32, u32) -> [u8; 3]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    image::RgbImage::from_fn(w, h, |x, y| image::Rgb(f(x, y)))
        .save(path)
        .unwrap();
}

#[test]
fn image_folder_crops_resizes_labels_and_reports_unreadable_files() {
    let root = tmp();
    let r = root.path();
    // Wide image: white centre square, black sides; a center crop keeps only white.
    save_rgb(&r.join("cats/a/wide.png"), 30, 10, |x, _| {
        if (10..20).contains(&x) {
            [255; 3]
        } else {
            [0; 3]
        }
    });
    save_rgb(&r.join("cats/red.jpg"), 12, 12, |_, _| [255, 0, 0]);
    save_rgb(&r.join("dogs/tall.PNG"), 8, 40, |_, y| {
        if (16..24).contains(&y) {
            [0, 0, 255]
        } else {
            [0; 3]
        }
    });
    std::fs::write(r.join("dogs/broken.png"), b"not a png at all").unwrap();
    save_rgb(&r.join("loose.png"), 8, 8, |_, _| [9, 9, 9]);
    std::fs::write(r.join("notes.txt"), b"ignored").unwrap();

    let load = ImageFolderConfig::new(r.to_path_buf())
        .with_size(8)
        .with_class_subfolders(true)
        .load()
        .unwrap();
    let set = &load.images;
    assert_eq!(set.len(), 3);
    assert_eq!(set.shape(), [3, 8, 8]);
    assert_eq!(set.class_names().unwrap(), ["cats", "dogs"]);
    // Sorted paths: cats/a/wide.png, cats/red.jpg, dogs/tall.PNG.
    assert_eq!(set.labels().unwrap(), [0, 0, 1]);
    assert!(
        set.image(0).iter().all(|&v| v == 255),
        "center crop is white"
    );
    let red = set.image(1);
    assert!(
        red[..64].iter().all(|&v| v >= 250) && red[64..].iter().all(|&v| v <= 5),
        "JPEG red in plane 0"
    );
    let blue = set.image(2);
    assert!(
        blue[..128].iter().all(|&v| v == 0) && blue[128..].iter().all(|&v| v == 255),
        "blue in plane 2"
    );
    let skipped: Vec<String> = load.skipped.iter().map(|e| e.to_string()).collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert!(
        skipped.iter().any(|s| s.contains("broken.png")),
        "{skipped:?}"
    );
    assert!(
        skipped
            .iter()
            .any(|s| s.contains("loose.png") && s.contains("class subfolder"))
    );

    // Without labels: every readable image, grey.
    let grey = ImageFolderConfig::new(r.to_path_buf())
        .with_size(8)
        .with_channels(1)
        .load()
        .unwrap();
    assert_eq!(grey.images.len(), 4);
    assert_eq!(grey.images.labels(), None);
    assert_eq!(grey.skipped.len(), 1);
}

#[test]
fn empty_and_unreadable_folders_are_errors() {
    let root = tmp();
    std::fs::create_dir(root.path().join("sub")).unwrap();
    std::fs::write(root.path().join("sub/readme.txt"), b"x").unwrap();
    let err = ImageFolderConfig::new(root.path().to_path_buf())
        .load()
        .unwrap_err();
    assert!(
        matches!(&err, DataError::EmptyFolder { path } if path == root.path()),
        "{err}"
    );

    std::fs::write(root.path().join("sub/a.png"), b"garbage").unwrap();
    std::fs::write(root.path().join("b.jpg"), b"").unwrap();
    let err = ImageFolderConfig::new(root.path().to_path_buf())
        .load()
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, DataError::NoReadableImages { count: 2, .. }),
        "{msg}"
    );
    assert!(
        msg.contains("b.jpg"),
        "the first failure names its file: {msg}"
    );

    let err = ImageFolderConfig::new(root.path().join("missing"))
        .load()
        .unwrap_err();
    assert!(err.to_string().contains("missing"), "{err}");
    let err = ImageFolderConfig::new(root.path().to_path_buf())
        .with_channels(2)
        .load()
        .unwrap_err();
    assert!(matches!(
        err,
        DataError::InvalidParameter {
            field: "channels",
            ..
        }
    ));
}

// ---------------------------------------------------------------- the loader, every backend

fn numbered_set(n: usize) -> Arc<ImageSet> {
    // Image i has every pixel equal to i, and label i % 4.
    let pixels = (0..n)
        .flat_map(|i| std::iter::repeat_n(i as u8, 2 * 3 * 3))
        .collect();
    let labels = (0..n).map(|i| (i % 4) as u16).collect();
    Arc::new(ImageSet::new("numbered", [2, 3, 3], pixels, Some(labels), None).unwrap())
}

fn loader_batches_are_scaled_shaped_and_labelled<B: AutodiffBackend>(device: &B::Device) {
    let set = numbered_set(100);
    let mut loader = ImageLoader::new(set.clone(), PixelRange::MinusOneToOne, 3).unwrap();
    assert!(
        Arc::ptr_eq(loader.data(), &set),
        "the loader shares the images"
    );
    let mut seen = Vec::new();
    for _ in 0..4 {
        let batch = loader.next_images::<B>(25, device);
        assert_eq!(batch.images.dims(), [25, 2, 3, 3]);
        let values: Vec<f32> = batch.images.into_data().iter::<f32>().collect();
        let labels: Vec<i64> = batch.labels.unwrap().into_data().iter::<i64>().collect();
        for (img, label) in values.chunks_exact(18).zip(labels) {
            let id = ((img[0] + 1.0) * 127.5).round() as i64;
            assert!(img.iter().all(|&v| v == img[0]));
            assert!((img[0] - (id as f32 / 127.5 - 1.0)).abs() < 1e-6);
            assert_eq!(label, id % 4);
            seen.push(id);
        }
    }
    // One epoch: every image exactly once, in a shuffled order.
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(sorted, (0..100).collect::<Vec<i64>>());
    assert_ne!(seen, sorted);
    assert_eq!(loader.epoch(), 0);

    // The trainer's view: flattened, and [0, 1] scaling.
    let mut loader = ImageLoader::new(set, PixelRange::ZeroToOne, 3).unwrap();
    let flat = BatchSource::<B>::next_batch(&mut loader, 7, device);
    assert_eq!(flat.samples.dims(), [7, 18]);
    let max: f32 = flat.samples.max().into_scalar().elem();
    assert!(max <= 99.0 / 255.0 + 1e-6);
    assert_eq!(BatchSource::<B>::sample_shape(&loader), vec![2, 3, 3]);
    assert_eq!(BatchSource::<B>::num_classes(&loader), Some(4));
}

fn loader_shuffle_is_seeded_and_resumable<B: AutodiffBackend>(device: &B::Device) {
    let set = numbered_set(40);
    let ids = |loader: &mut ImageLoader, m: usize| -> Vec<i64> {
        let batch = loader.next_images::<B>(m, device);
        batch
            .images
            .into_data()
            .iter::<f32>()
            .step_by(18)
            .map(|v| (v * 255.0).round() as i64)
            .collect()
    };
    let mut a = ImageLoader::new(set.clone(), PixelRange::ZeroToOne, 11).unwrap();
    let mut b = ImageLoader::new(set.clone(), PixelRange::ZeroToOne, 11).unwrap();
    let mut c = ImageLoader::new(set.clone(), PixelRange::ZeroToOne, 12).unwrap();
    let first = ids(&mut a, 30);
    assert_eq!(first, ids(&mut b, 30));
    assert_ne!(first, ids(&mut c, 30));
    // A batch crossing the epoch boundary, then a saved position.
    let crossing = ids(&mut a, 30);
    assert_eq!(a.epoch(), 1);
    let mut tail: Vec<i64> = first[..].to_vec();
    tail.extend_from_slice(&crossing[..10]);
    tail.sort();
    assert_eq!(
        tail,
        (0..40).collect::<Vec<i64>>(),
        "epoch 0 ends inside the batch"
    );
    let saved = BatchSource::<B>::state(&a).unwrap();
    let expected = ids(&mut a, 50);
    let mut resumed = ImageLoader::new(set, PixelRange::ZeroToOne, 999).unwrap();
    BatchSource::<B>::restore_state(&mut resumed, &saved).unwrap();
    assert_eq!(ids(&mut resumed, 50), expected);
}

use burn::tensor::ElementConversion;

backend_tests!(
    loader_batches_are_scaled_shaped_and_labelled,
    loader_shuffle_is_seeded_and_resumable
);

// ---------------------------------------------------------------- downloads

#[derive(Clone)]
enum Reply {
    Body(Vec<u8>),
    /// Announces the whole body but closes after this many bytes.
    CutAfter(Vec<u8>, usize),
}

/// A minimal HTTP/1.1 server on 127.0.0.1 serving `routes`; 404 for anything else. Returns
/// the base URL and the log of requested paths.
fn serve(routes: HashMap<String, Reply>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/files/", listener.local_addr().unwrap());
    let log = Arc::new(Mutex::new(Vec::new()));
    let log2 = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                    break;
                }
            }
            log2.lock().unwrap().push(path.clone());
            let name = path.trim_start_matches("/files/");
            let (status, body, cut) = match routes.get(name) {
                Some(Reply::Body(b)) => ("200 OK", b.clone(), b.len()),
                Some(Reply::CutAfter(b, n)) => ("200 OK", b.clone(), *n),
                None => ("404 Not Found", b"no such file".to_vec(), 12),
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body[..cut]);
            let _ = stream.flush();
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    });
    (url, log)
}

fn remote(name: &'static str, body: &[u8]) -> RemoteFile {
    let sha: &'static str = Box::leak(gan::data::download::sha256_bytes(body).into_boxed_str());
    RemoteFile { name, sha256: sha }
}

fn dir_entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn download_verifies_caches_and_cleans_up() {
    let body: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let mut corrupted = body.clone();
    corrupted[1234] ^= 1;
    let routes = HashMap::from([
        ("good.bin".to_string(), Reply::Body(body.clone())),
        ("bad.bin".to_string(), Reply::Body(corrupted)),
        (
            "cut.bin".to_string(),
            Reply::CutAfter(body.clone(), 100_000),
        ),
    ]);
    let (url, log) = serve(routes);
    let cache = tmp();
    let dl = Downloader::new(url.trim_end_matches('/'), cache.path())
        .with_progress(false)
        .with_timeout(Duration::from_secs(10));

    // A good download lands in the cache; a second fetch uses the cached copy.
    let good = remote("good.bin", &body);
    let path = dl.fetch(&good).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), body);
    dl.fetch(&good).unwrap();
    assert_eq!(
        log.lock().unwrap().len(),
        1,
        "cached file is not downloaded again"
    );
    // A damaged cached copy is replaced.
    std::fs::write(&path, b"damaged").unwrap();
    assert_eq!(std::fs::read(dl.fetch(&good).unwrap()).unwrap(), body);
    assert_eq!(log.lock().unwrap().len(), 2);

    // Corrupted in transit: a checksum error naming the file, nothing left in the cache.
    let err = dl.fetch(&remote("bad.bin", &body)).unwrap_err();
    match &err {
        DataError::Checksum {
            path,
            expected,
            actual,
        } => {
            assert_eq!(path, &cache.path().join("bad.bin"));
            assert_ne!(expected, actual);
        }
        other => panic!("expected a checksum error, got {other}"),
    }
    // Interrupted: the connection closes after 100,000 of 300,000 bytes.
    let err = dl.fetch(&remote("cut.bin", &body)).unwrap_err();
    assert!(matches!(err, DataError::Download { .. }), "{err}");
    assert!(err.to_string().contains("cut.bin"), "{err}");
    // Missing: 404.
    let err = dl.fetch(&remote("nope.bin", &body)).unwrap_err();
    assert!(
        matches!(err, DataError::HttpStatus { status: 404, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("/files/nope.bin"), "{err}");

    assert_eq!(
        dir_entries(cache.path()),
        vec!["good.bin"],
        "no partial files left"
    );

    // Nothing listening: a connection error naming the URL.
    let dead = Downloader::new("http://127.0.0.1:9/", cache.path()).with_progress(false);
    let err = dead.fetch(&remote("x.bin", &body)).unwrap_err();
    assert!(
        matches!(err, DataError::Download { .. }) && err.to_string().contains("127.0.0.1:9"),
        "{err}"
    );
}

#[test]
fn dataset_downloads_use_the_base_url_and_reject_unpublished_bytes() {
    // Serve MNIST-named fixtures: they are well-formed IDX files, but not the published
    // bytes, so the SHA-256 check must refuse them and leave the cache empty.
    let fixtures = tmp();
    let (images, labels) = write_mnist(fixtures.path(), "t10k", 10, true);
    let routes = HashMap::from([
        (
            "t10k-images-idx3-ubyte.gz".to_string(),
            Reply::Body(std::fs::read(images).unwrap()),
        ),
        (
            "t10k-labels-idx1-ubyte.gz".to_string(),
            Reply::Body(std::fs::read(labels).unwrap()),
        ),
        (
            "cifar-10-binary.tar.gz".to_string(),
            Reply::Body(b"not the archive".to_vec()),
        ),
    ]);
    let (url, log) = serve(routes);
    let cache = tmp();
    let options = DownloadOptions {
        base_url: Some(url),
        quiet: true,
        cache_dir: Some(cache.path().to_path_buf()),
    };
    let err = expect_err(IdxDataset::Mnist.load(Split::Test, None, Some(&options)));
    match &err {
        DataError::Checksum { path, expected, .. } => {
            assert_eq!(path, &cache.path().join("mnist/t10k-images-idx3-ubyte.gz"));
            assert_eq!(expected, IdxDataset::Mnist.remote_files()[2].sha256);
        }
        other => panic!("expected a checksum error, got {other}"),
    }
    assert_eq!(
        *log.lock().unwrap(),
        vec!["/files/t10k-images-idx3-ubyte.gz"]
    );
    assert!(dir_entries(&cache.path().join("mnist")).is_empty());

    let err = expect_err(load_cifar10(Split::Train, None, Some(&options)));
    assert!(matches!(err, DataError::Checksum { .. }), "{err}");
    assert!(dir_entries(&cache.path().join("cifar-10")).is_empty());

    // Without download permission, a missing dataset says where it looked.
    let err =
        expect_err(IdxDataset::Mnist.load(Split::Test, Some(&cache.path().join("none")), None));
    assert!(matches!(err, DataError::MissingFiles { .. }), "{err}");
}

/// A JPEG the AFL++ campaign found (`scripts/fuzz.sh --afl`): zune-jpeg 0.5.15, the `image`
/// crate's JPEG decoder, asserts on it in its AVX2 upsampler. Decoding it is this file's
/// error, naming it, not a crash; a folder holding it loads its other images.
#[test]
fn a_jpeg_that_makes_the_decoder_assert_is_an_error() {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/progressive-jpeg-decoder-assert.jpg");
    let config = ImageFolderConfig::new(file.parent().unwrap().to_path_buf()).with_size(8);
    match config.decode(&file) {
        Err(err) => {
            let msg = err.to_string();
            assert!(msg.contains("progressive-jpeg-decoder-assert.jpg"), "{msg}");
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("avx2") {
                assert!(
                    msg.contains("the decoder failed on malformed data"),
                    "{msg}"
                );
            }
        }
        // Other decoder paths (no AVX2) may read something from it: no crash either way.
        Ok(pixels) => assert_eq!(pixels.len(), 3 * 8 * 8),
    }
    let root = tmp();
    std::fs::copy(&file, root.path().join("bad.jpg")).unwrap();
    save_rgb(&root.path().join("good.png"), 8, 8, |_, _| [9, 9, 9]);
    let load = ImageFolderConfig::new(root.path().to_path_buf())
        .with_size(8)
        .load()
        .unwrap();
    assert!(!load.images.is_empty());
}

// ---------------------------------------------------------------- emoji

/// A package of `names` in `style` under `root/STYLE/package/img/STYLE/64`: 64x64 RGBA PNGs
/// whose pixel (0, 0) is transparent, (1, 0) red at alpha 128, (2, 0) encodes the emoji's
/// index in its red channel, and the rest a colour of the style.
fn emoji_package(root: &Path, style: &str, names: &[String]) {
    let dir = root.join(style).join("package/img").join(style).join("64");
    std::fs::create_dir_all(&dir).unwrap();
    for (i, name) in names.iter().enumerate() {
        let mut img = image::RgbaImage::from_pixel(64, 64, image::Rgba([20, 200, 90, 255]));
        if style == "google" {
            img = image::RgbaImage::from_pixel(64, 64, image::Rgba([240, 120, 10, 255]));
        }
        img.put_pixel(0, 0, image::Rgba([0, 0, 0, 0]));
        img.put_pixel(1, 0, image::Rgba([255, 0, 0, 128]));
        img.put_pixel(2, 0, image::Rgba([i as u8, 0, 0, 255]));
        img.save(dir.join(format!("{name}.png"))).unwrap();
    }
}

/// The emoji of two styles: skin-tone variants dropped, transparency flattened onto white
/// (`c·a + 255·(1 − a)`: red at alpha 128 is (255, 127, 127)), the split by code point the same
/// in both styles and image `i` the same emoji in both, resizing, a missing package named,
/// and a download whose bytes are not the published tarball's refused with the cache left
/// empty.
#[test]
fn emoji_sets_pair_two_styles_by_code_point() {
    use gan::data::{EmojiSet, EmojiStyle};
    let root = tmp();
    let mut names: Vec<String> = (0..60).map(|i| format!("1f{:03x}", 0x600 + i)).collect();
    names.push("1f44b-1f3fd".into());
    names.push("1f9d1-1f3fb-200d-1f91d-200d-1f9d1-1f3ff".into());
    for style in ["twitter", "google"] {
        emoji_package(root.path(), style, &names);
    }
    let set = |style: EmojiStyle, split, size| {
        EmojiSet {
            style,
            size,
            source: DatasetSource {
                split,
                dir: Some(root.path().join(style.name())),
                ..DatasetSource::default()
            },
        }
        .load(true)
        .unwrap()
    };
    let expected_test = names[..60]
        .iter()
        .filter(|n| gan::data::emoji::is_test_emoji(n))
        .count();
    assert!(expected_test > 0 && expected_test < 60);
    let index_of = |s: &ImageSet| -> Vec<u8> { (0..s.len()).map(|i| s.image(i)[2]).collect() };
    for split in [Split::Train, Split::Test] {
        let tw = set(EmojiStyle::Twitter, split, 64);
        let go = set(EmojiStyle::Google, split, 64);
        let n = if split == Split::Test {
            expected_test
        } else {
            60 - expected_test
        };
        assert_eq!((tw.len(), go.len()), (n, n), "{split:?}");
        assert_eq!(tw.shape(), [3, 64, 64]);
        assert_eq!(
            index_of(&tw),
            index_of(&go),
            "the same emoji in the same order"
        );
        let first = tw.image(0);
        let at = |c: usize, x: usize| first[c * 64 * 64 + x];
        assert_eq!(
            [at(0, 0), at(1, 0), at(2, 0)],
            [255, 255, 255],
            "transparent is white"
        );
        assert_eq!(
            [at(0, 1), at(1, 1), at(2, 1)],
            [255, 127, 127],
            "red at alpha 128"
        );
        assert_eq!([at(0, 10), at(1, 10), at(2, 10)], [20, 200, 90]);
    }
    assert_eq!(
        set(EmojiStyle::Google, Split::Train, 32).shape(),
        [3, 32, 32]
    );

    let empty = tmp();
    let missing = EmojiSet {
        style: EmojiStyle::Twitter,
        size: 64,
        source: DatasetSource {
            dir: Some(empty.path().to_path_buf()),
            ..DatasetSource::default()
        },
    };
    let err = missing.load(true).unwrap_err().to_string();
    assert!(err.contains("img/twitter/64"), "{err}");

    let (url, log) = serve(HashMap::from([(
        "emoji-datasource-google-16.0.0.tgz".to_string(),
        Reply::Body(b"not the package".to_vec()),
    )]));
    let cache = tmp();
    let options = DownloadOptions {
        base_url: Some(url),
        quiet: true,
        cache_dir: Some(cache.path().to_path_buf()),
    };
    let download = EmojiSet::new(EmojiStyle::Google, 64, Split::Train, true);
    let err = expect_err(download.load_with(&options));
    assert!(matches!(err, DataError::Checksum { .. }), "{err}");
    assert_eq!(
        *log.lock().unwrap(),
        vec!["/files/emoji-datasource-google-16.0.0.tgz"]
    );
    assert!(
        dir_entries(cache.path()).is_empty(),
        "{:?}",
        dir_entries(cache.path())
    );
}
