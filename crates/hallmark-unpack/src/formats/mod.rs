//! The format registry: one file per format, one line per format in [`FORMATS`].
//!
//! Adding a format: write `formats/<id>.rs` with a type implementing `Format` (magic
//! patterns, a cheap `probe`, an `extract` that validates while it extracts and charges the
//! budget), add it to `FORMATS` in id order, and give it a sample in the registry tests below.
//! A compression format whose stream is a run of members implements `decode::MemberStream`
//! instead (what a member is, how to decode one), which makes it a `Format`.

mod android_sparse;
mod ar;
mod arcadyan;
mod bzip2;
mod cpio;
mod cramfs;
mod damage;
mod dtb;
mod ext;
mod fit;
mod gzip;
mod jffs2;
mod lz4;
mod lzma;
mod lzo;
mod mode;
mod parts;
mod romfs;
mod squashfs;
mod tar;
mod tplink;
mod tplink_img0;
mod trx;
mod ubi;
pub(crate) mod ubifs;
mod uimage;
pub(crate) mod xz;
mod yaffs2;
mod zip;
mod zlib;
mod zstd;

use crate::format::{Format, FormatInfo};

pub(crate) use tar::read as read_tar;

/// Every format, sorted by id.
pub(crate) static FORMATS: &[&dyn Format] = &[
    &android_sparse::AndroidSparseFormat,
    &ar::ArFormat,
    &arcadyan::ArcadyanFormat,
    &bzip2::Bzip2Format,
    &cpio::CpioFormat,
    &cramfs::CramfsFormat,
    &dtb::DtbFormat,
    &ext::ExtFormat,
    &fit::FitFormat,
    &gzip::GzipFormat,
    &jffs2::Jffs2Format,
    &lz4::Lz4Format,
    &lzma::LzmaFormat,
    &lzo::LzoFormat,
    &romfs::RomfsFormat,
    &squashfs::SquashfsFormat,
    &tar::TarFormat,
    &tplink::TplinkFormat,
    &tplink_img0::TplinkImg0Format,
    &trx::TrxFormat,
    &ubi::UbiFormat,
    &ubifs::UbifsFormat,
    &uimage::UimageFormat,
    &xz::XzFormat,
    &yaffs2::Yaffs2Format,
    &zip::ZipFormat,
    &zlib::ZlibFormat,
    &zstd::ZstdFormat,
];

/// The formats this crate identifies and extracts, sorted by id.
pub fn formats() -> Vec<FormatInfo> {
    FORMATS.iter().map(|format| format.info()).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::blob::Blob;
    use crate::format::{Context, Extracted, Output, Rejected};
    use crate::limits::{Budget, LayerPath, Limits};
    use crate::testkit;
    use crate::tree::FileTree;

    /// Runs one format's extractor on `data` under `limits`.
    pub(crate) fn extract_with(
        format: &dyn Format,
        data: &[u8],
        limits: &Limits,
    ) -> (Result<Extracted, Rejected>, Context<'static>) {
        // Leaked so the context can outlive this call in tests; a few bytes per test.
        let budget: &'static Budget = Box::leak(Box::new(Budget::new(limits)));
        let mut cx = Context::new(budget, LayerPath::root("test"));
        let mut result = format.extract(&Blob::from(data), &mut cx);
        if let Ok(Extracted {
            output: Output::Tree(tree),
            ..
        }) = &mut result
        {
            cx.settle(tree);
        }
        (result, cx)
    }

    /// Runs one format's extractor with default limits and expects it to accept.
    pub(crate) fn extract_ok(format: &dyn Format, data: &[u8]) -> (Extracted, Context<'static>) {
        let (result, cx) = extract_with(format, data, &Limits::default());
        match result {
            Ok(extracted) => (extracted, cx),
            Err(rejected) => panic!("{} rejected its sample: {rejected:?}", format.id()),
        }
    }

    pub(crate) fn output_bytes(extracted: &Extracted) -> Vec<u8> {
        match &extracted.output {
            Output::Blob(blob) => blob.to_vec(),
            _ => panic!("expected a blob"),
        }
    }

    pub(crate) fn output_tree(extracted: &Extracted) -> &FileTree {
        match &extracted.output {
            Output::Tree(tree) => tree,
            _ => panic!("expected a tree"),
        }
    }

    /// The content of the file at `path` of `tree`, which must be there.
    pub(crate) fn read(tree: &FileTree, path: &str) -> Vec<u8> {
        tree.read(path)
            .unwrap_or_else(|| panic!("no {path}"))
            .to_vec()
    }

    /// A minimal valid sample of each format, by id.
    fn sample(id: &str) -> Vec<u8> {
        let payload = b"registry sample payload".repeat(4);
        match id {
            "ar" => testkit::ArBuilder::new(testkit::ArStyle::Gnu)
                .file(b"f", &payload)
                .finish(),
            "arcadyan" => {
                arcadyan::tests::sample(&[payload.clone(), testkit::noise(400, 1)].concat(), true)
            }
            "android-sparse" => testkit::SparseBuilder::new(64)
                .raw(&payload)
                .fill(*b"fill", 2)
                .dont_care(1)
                .crc()
                .finish(),
            "bzip2" => testkit::bzip2(&payload),
            "cpio" => testkit::CpioBuilder::new(testkit::CpioKind::Newc)
                .file(b"f", &payload)
                .finish(),
            "dtb" => testkit::FdtBuilder::new()
                .begin(b"")
                .prop_str(b"model", b"sample")
                .end()
                .finish(),
            "fit" => fit::tests::sample_fit(&payload),
            "ext" => testkit::ExtBuilder::new().file(b"f", &payload).finish(),
            "gzip" => testkit::gzip(&payload),
            "lz4" => testkit::lz4_frame(&payload, true),
            "cramfs" => testkit::cramfs_image(
                &[testkit::CramfsEntry::dir(
                    b"etc",
                    vec![testkit::CramfsEntry::file(b"f", &payload)],
                )],
                false,
            ),
            "jffs2" => testkit::Jffs2Builder::new(false)
                .dir(1, 2, b"etc")
                .file(2, 3, b"f", &payload)
                .finish(),
            "lzma" => testkit::lzma_alone(&payload, false),
            "lzo" => testkit::lzop(&payload, 64, true),
            "romfs" => {
                let mut b = testkit::RomfsBuilder::new();
                b.file(0, b"f", &payload, false);
                b.finish()
            }
            "squashfs" => crate::testkit_squashfs::SquashfsBuilder::new()
                .file(b"f", &payload)
                .finish(),
            "tar" => testkit::TarBuilder::new().file(b"f", &payload).finish(),
            "ubi" => crate::testkit_ubi::UbiBuilder::image(
                1024,
                &[crate::testkit_ubi::Volume {
                    id: 0,
                    name: b"rootfs".to_vec(),
                    is_static: false,
                    content: payload,
                }],
            ),
            "ubifs" => crate::testkit_ubi::UbifsBuilder::new()
                .file(b"f", &payload)
                .finish(),
            "tplink" => testkit::tplink(&testkit::TplinkImage {
                kernel: testkit::lzma_alone(&payload, true),
                rootfs: payload.clone(),
                ..Default::default()
            }),
            "tplink-img0" => testkit::img0(&[&testkit::lzma_alone(&payload, true), b"fs"]),
            "trx" => testkit::trx(1, &[&payload[..10], &payload[10..]]),
            "uimage" => testkit::uimage(b"sample", 2, 1, &testkit::gzip(&payload)),
            "xz" => testkit::xz(&payload),
            "yaffs2" => {
                let mut b = testkit::Yaffs2Builder::new(2048, 64, 0, false);
                b.file(1, b"f", &payload, 0o644);
                b.finish()
            }
            "zip" => testkit::ZipBuilder::new().file(b"f", &payload).finish(),
            "zlib" => testkit::zlib(&payload),
            "zstd" => testkit::zstd(&payload),
            other => panic!("no sample for format {other}: add one"),
        }
    }

    /// Writes each format's sample as a fuzzing seed: `fuzz/corpus/format_<id>/sample` and, for
    /// the recursive driver, `fuzz/corpus/unpack/<id>`. A tool, not a check:
    /// `HALLMARK_FUZZ_SEEDS=fuzz/corpus cargo test -p hallmark-unpack --lib write_fuzz_seeds -- --ignored`
    #[test]
    #[ignore = "writes fuzzing seeds when HALLMARK_FUZZ_SEEDS is set"]
    fn write_fuzz_seeds() {
        let Some(root) = std::env::var_os("HALLMARK_FUZZ_SEEDS") else {
            return;
        };
        let root = std::path::PathBuf::from(root);
        for format in FORMATS {
            let id = format.id();
            let bytes = sample(id);
            let dir = root.join(format!("format_{}", id.replace('-', "_")));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("sample"), &bytes).unwrap();
            let dir = root.join("unpack");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(id), &bytes).unwrap();
        }
        // A compressed archive, which the driver target also reads as it is decoded.
        let tar_gz = testkit::gzip(&sample("tar"));
        std::fs::write(root.join("unpack").join("tar-gz"), tar_gz).unwrap();
    }

    #[test]
    fn ids_are_unique_sorted_and_lowercase() {
        let ids: Vec<&str> = FORMATS.iter().map(|f| f.id()).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted, "format ids must be unique and sorted");
        for id in ids {
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{id}"
            );
            assert!(id != crate::layer::RAW && id != crate::layer::INPUT);
        }
    }

    #[test]
    fn every_format_has_docs_magics_and_a_sample_it_accepts() {
        for format in FORMATS {
            assert!(!format.description().is_empty(), "{}", format.id());
            assert!(!format.magics().is_empty(), "{}", format.id());
            let data = sample(format.id());
            for magic in format.magics() {
                assert!(magic.bytes.len() >= 2, "{}: magic too short", format.id());
            }
            assert!(
                format
                    .magics()
                    .iter()
                    .any(|m| data.get(m.offset..).is_some_and(|d| d.starts_with(m.bytes))),
                "{}: sample does not carry a magic",
                format.id()
            );
            assert!(format.probe(&data), "{}: probe", format.id());
            let (extracted, cx) = extract_ok(*format, &data);
            assert!(cx.errors.is_empty(), "{}: {:?}", format.id(), cx.errors);
            assert_eq!(extracted.consumed, data.len() as u64, "{}", format.id());
        }
        assert_eq!(formats().len(), FORMATS.len());
    }

    #[test]
    fn every_format_survives_truncation_and_corruption_of_its_sample() {
        for format in FORMATS {
            let data = sample(format.id());
            for cut in (0..data.len()).step_by(7) {
                let _ = extract_with(*format, &data[..cut], &Limits::default());
                let _ = format.probe(&data[..cut]);
            }
            for i in (0..data.len()).step_by(5) {
                let mut bad = data.clone();
                bad[i] ^= 0xa5;
                let _ = format.probe(&bad);
                let _ = extract_with(*format, &bad, &Limits::default());
            }
        }
    }
}
