//! The hand-written `.npy` reader and writer of `gan sample` and `gan eval --samples`: round
//! trips, NumPy's header, and every refusal naming the file and the reason.

use gan::sample::{read_npy, write_npy};

fn npy(header: &str, data: &[u8]) -> Vec<u8> {
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(data);
    bytes
}

#[test]
fn npy_round_trips_and_bad_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.npy");
    let values: Vec<f32> = (0..24).map(|i| i as f32 / 23.0).collect();
    write_npy(&path, &values, &[2, 3, 2, 2]).unwrap();
    assert_eq!(read_npy(&path).unwrap(), (values.clone(), vec![2, 3, 2, 2]));
    write_npy(&path, &values[..5], &[5]).unwrap();
    assert_eq!(read_npy(&path).unwrap(), (values[..5].to_vec(), vec![5]));

    let data: Vec<u8> = [1.5f32, -2.0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }\n";
    std::fs::write(&path, npy(ok, &data)).unwrap();
    assert_eq!(read_npy(&path).unwrap(), (vec![1.5, -2.0], vec![1, 2]));
    let cases = [
        (npy(&ok.replace("<f4", "<f8"), &data), "dtype '<f8'"),
        (npy(&ok.replace("False", "True"), &data), "Fortran order"),
        (npy(ok, &data[..7]), "7 bytes of data, expected 8"),
        (b"PK\x03\x04 not numpy".to_vec(), "no NumPy magic"),
        (
            npy(&ok.replace("(1, 2)", "(1, x)"), &data),
            "shape entry \"x\"",
        ),
        (
            npy(
                &ok.replace("(1, 2)", "(4611686018427387904, 4611686018427387904)"),
                &data,
            ),
            "more elements than this machine can hold",
        ),
    ];
    for (bytes, expected) in cases {
        std::fs::write(&path, &bytes).unwrap();
        let err = read_npy(&path).unwrap_err().to_string();
        assert!(
            err.contains(expected) && err.contains("x.npy"),
            "{err:?} lacks {expected:?} or the file name"
        );
    }
    std::fs::write(&path, npy(&ok.replace("<f4", "<f8"), &data)).unwrap();
    let err = read_npy(&path).unwrap_err().to_string();
    assert!(err.contains("x.npy") && err.contains("'<f4'"), "{err}");
}
