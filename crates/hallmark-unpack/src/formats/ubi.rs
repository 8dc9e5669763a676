//! UBI images: the raw contents of a UBI-managed flash partition (`ubinize` output or a NAND
//! dump), split into physical erase blocks (PEBs) that each start with an erase-counter header
//! (`UBI#`) and, when in use, a volume-id header (`UBI!`) saying which logical erase block
//! (LEB) of which volume the PEB holds.
//!
//! # What is read
//!
//! - The PEB size, from the spacing of valid erase-counter headers (the greatest common
//!   divisor of the first few header offsets, so erased or damaged PEBs in between do not
//!   mislead it), and the header and data offsets from the first header.
//! - Every PEB of the image: the run of PEBs from the first that carry erase-counter headers
//!   of the same image (same offsets and image sequence number), erased PEBs (all `0xff`) and
//!   single damaged PEBs in between included. The extent ends with the last PEB that has a
//!   header; a trailing PEB cut short is read as far as it goes.
//! - The volume table, from the layout volume (LEB 0, or its copy in LEB 1 when LEB 0 is
//!   damaged), with the record CRCs checked: volume names, types and sizes.
//! - Each user volume's LEBs: when an LEB appears in several PEBs (an interrupted wear-leveling
//!   copy), the copy with the highest sequence number whose data is intact wins. Dynamic
//!   volumes are LEBs 0 to the highest mapped one, unmapped LEBs reading as `0xff` as on the
//!   device; static volumes are `used_ebs` LEBs of `data_size` bytes each, data CRCs checked.
//!
//! The output is a tree with one file per volume, named after the volume (`rootfs`), holding
//! the volume's contents; the driver then finds what is inside (usually UBIFS, see
//! [`ubifs`](super::ubifs)).
//!
//! # What is validated, and hostile input
//!
//! Header CRCs (erase-counter, volume-id, volume-table records) are checked; a bad header is
//! recorded with [`Context::error`] and its PEB skipped. Volume contents are charged with
//! [`Context::cap_file`] and [`Context::reserve`]; the `0xff` fill of unmapped LEBs is limited
//! like a compression ratio (a tiny image claiming LEB 1,000,000 of a volume does not produce
//! gigabytes): at most [`Limits::max_ratio`] times the image size beyond
//! [`Limits::ratio_floor_bytes`].
//!
//! # Not read
//!
//! Fastmap volumes (an attach-time cache, redundant with the headers), erase counters
//! (wear levelling only), and PEBs of volumes missing from the volume table (deleted volumes,
//! recorded as an error and ignored, as the kernel does).
//!
//! The `income` crate reads UBI too, but the format is three fixed header layouts, and a
//! reader of our own keeps every allocation under our limits and every damaged header an
//! error rather than a failure.
//!
//! [`Limits::max_ratio`]: crate::Limits::max_ratio
//! [`Limits::ratio_floor_bytes`]: crate::Limits::ratio_floor_bytes

use std::collections::{BTreeMap, BTreeSet};

use crate::blob::Blob;
use crate::bytes::{be16, be32, be64, to_u64, to_usize};
use crate::format::{Context, Extracted, Format, FormatKind, Magic, Output, Rejected};
use crate::formats::damage::Damage;
use crate::formats::ubifs::crc;
use crate::limits::LimitKind;
use crate::tree::{Entry, FileTree, escape_path};

/// UBI image.
pub(crate) struct UbiFormat;

const EC_MAGIC: &[u8; 4] = b"UBI#";
const VID_MAGIC: &[u8; 4] = b"UBI!";
const MAGICS: &[Magic] = &[Magic::at_start(EC_MAGIC)];

/// Size of both headers.
const HDR: usize = 64;
/// Bytes of a header covered by its CRC.
const HDR_CRC_LEN: usize = 60;
const VTBL_RECORD: usize = 172;
const VTBL_CRC_LEN: usize = 168;
const MAX_VOLUMES: usize = 128;
/// The layout volume (holding the volume table) and the fastmap volumes.
const LAYOUT_VOLUME: u32 = 0x7fff_efff;
const INTERNAL_START: u32 = 0x7fff_efff;
const DYNAMIC: u8 = 1;
const STATIC: u8 = 2;
/// PEB sizes accepted (a PEB is a multiple of the smallest).
const MIN_PEB: usize = 512;
const MAX_PEB: usize = 16 << 20;
/// Header offsets the PEB size is computed from.
const SPACING_SAMPLES: usize = 16;

fn header_crc_ok(hdr: &[u8]) -> bool {
    match (hdr.get(..HDR_CRC_LEN), be32(hdr, HDR_CRC_LEN)) {
        (Some(covered), Some(stored)) => crc(covered) == stored,
        _ => false,
    }
}

/// The geometry an erase-counter header gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ec {
    vid_offset: usize,
    data_offset: usize,
    image_seq: u32,
}

impl Ec {
    fn same_image(&self, other: &Ec) -> bool {
        self.vid_offset == other.vid_offset
            && self.data_offset == other.data_offset
            && (self.image_seq == other.image_seq || self.image_seq == 0 || other.image_seq == 0)
    }
}

/// The erase-counter header at the start of `d`: `None` without the magic, `Err` when it is
/// damaged.
fn ec_header(d: &[u8]) -> Option<Result<Ec, String>> {
    if !d.starts_with(EC_MAGIC) {
        return None;
    }
    let Some(hdr) = d.get(..HDR) else {
        return Some(Err("erase-counter header cut short".into()));
    };
    if !header_crc_ok(hdr) {
        return Some(Err("erase-counter header CRC mismatch".into()));
    }
    let version = hdr.get(4).copied().unwrap_or(0);
    let vid_offset = to_usize(be32(hdr, 16).unwrap_or(0));
    let data_offset = to_usize(be32(hdr, 20).unwrap_or(0));
    if version != 1 {
        return Some(Err(format!("UBI version {version}")));
    }
    if vid_offset < HDR
        || vid_offset % 8 != 0
        || data_offset < vid_offset.saturating_add(HDR)
        || data_offset >= MAX_PEB
    {
        return Some(Err(format!(
            "header offsets {vid_offset}/{data_offset} are impossible"
        )));
    }
    Some(Ok(Ec {
        vid_offset,
        data_offset,
        image_seq: be32(hdr, 24).unwrap_or(0),
    }))
}

/// A volume-id header: which LEB a PEB holds.
#[derive(Debug, Clone, Copy)]
struct Vid {
    peb: usize,
    vol_type: u8,
    copy_flag: bool,
    vol_id: u32,
    lnum: u32,
    data_size: u32,
    used_ebs: u32,
    data_pad: u32,
    data_crc: u32,
    sqnum: u64,
}

fn vid_header(hdr: &[u8], peb: usize) -> Result<Vid, String> {
    if !header_crc_ok(hdr) {
        return Err("volume-id header CRC mismatch".into());
    }
    let byte = |at: usize| hdr.get(at).copied().unwrap_or(0);
    let field = |at| be32(hdr, at).unwrap_or(0);
    let vid = Vid {
        peb,
        vol_type: byte(5),
        copy_flag: byte(6) != 0,
        vol_id: field(8),
        lnum: field(12),
        data_size: field(20),
        used_ebs: field(24),
        data_pad: field(28),
        data_crc: field(32),
        sqnum: be64(hdr, 40).unwrap_or(0),
    };
    if byte(4) != 1 || !matches!(vid.vol_type, DYNAMIC | STATIC) {
        return Err(format!(
            "volume-id header version {} type {}",
            byte(4),
            vid.vol_type
        ));
    }
    Ok(vid)
}

/// A volume-table record.
#[derive(Debug, Clone)]
struct Record {
    reserved_pebs: u32,
    data_pad: u32,
    vol_type: u8,
    upd_marker: bool,
    name: Vec<u8>,
}

/// The volume table in one copy of the layout volume: records by volume id, and how many
/// records were damaged.
fn volume_table(leb: &[u8]) -> (BTreeMap<u32, Record>, usize) {
    let mut records = BTreeMap::new();
    let mut bad = 0usize;
    let slots = (leb.len() / VTBL_RECORD).min(MAX_VOLUMES);
    for (id, rec) in leb.chunks_exact(VTBL_RECORD).take(slots).enumerate() {
        let stored = be32(rec, VTBL_CRC_LEN);
        if rec.get(..VTBL_CRC_LEN).map(crc) != stored {
            bad = bad.saturating_add(1);
            continue;
        }
        let reserved_pebs = be32(rec, 0).unwrap_or(0);
        if reserved_pebs == 0 {
            continue;
        }
        let name_len = usize::from(be16(rec, 14).unwrap_or(0));
        let name = rec
            .get(16..16usize.saturating_add(name_len.min(127)))
            .unwrap_or(&[])
            .to_vec();
        let Ok(id) = u32::try_from(id) else { break };
        records.insert(
            id,
            Record {
                reserved_pebs,
                data_pad: be32(rec, 8).unwrap_or(0),
                vol_type: rec.get(12).copied().unwrap_or(0),
                upd_marker: rec.get(13).is_some_and(|&b| b != 0),
                name,
            },
        );
    }
    (records, bad)
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        let r = a.checked_rem(b).unwrap_or(0);
        a = b;
        b = r;
    }
    a
}

/// The PEB size: the spacing of the erase-counter headers of this image.
fn peb_size(data: &[u8], first: &Ec) -> Option<usize> {
    let search_end = data
        .len()
        .min(MAX_PEB.saturating_mul(SPACING_SAMPLES.saturating_add(1)));
    let hay = data.get(..search_end)?;
    let mut offsets = Vec::new();
    let from = first.data_offset;
    for hit in memchr::memmem::find_iter(hay.get(from..)?, EC_MAGIC) {
        let at = hit.saturating_add(from);
        // Erase blocks are multiples of the smallest PEB: other matches are not headers
        // (and a blob full of magics must not cost a CRC per match).
        if at % MIN_PEB != 0 {
            continue;
        }
        let same = hay
            .get(at..)
            .and_then(ec_header)
            .and_then(Result::ok)
            .is_some_and(|ec| ec.same_image(first));
        if same {
            offsets.push(at);
            if offsets.len() >= SPACING_SAMPLES {
                break;
            }
        }
    }
    let first_hit = *offsets.first()?;
    let spacing = offsets.iter().fold(0usize, |g, &o| gcd(g, o));
    let plausible = |p: usize| (MIN_PEB..=MAX_PEB).contains(&p) && p > first.data_offset;
    if plausible(spacing) {
        Some(spacing)
    } else if plausible(first_hit) {
        // A stray header-like match (another image inside a volume) broke the pattern: trust
        // the nearest header.
        Some(first_hit)
    } else {
        None
    }
}

/// The image's PEBs as read.
struct Image<'a> {
    data: &'a [u8],
    peb: usize,
    ec: Ec,
    damage: Damage,
}

impl<'a> Image<'a> {
    fn peb_offset(&self, peb: usize) -> usize {
        peb.saturating_mul(self.peb)
    }

    /// The data area of `vid`'s PEB, `leb_size` bytes when the image holds them all.
    fn leb_data(&self, vid: &Vid, leb_size: usize) -> &'a [u8] {
        let start = self.peb_offset(vid.peb).saturating_add(self.ec.data_offset);
        let end = start.saturating_add(leb_size).min(self.data.len());
        self.data.get(start..end).unwrap_or(&[])
    }

    /// Whether the LEB in `vid` carries intact data where its header vouches for it.
    fn data_intact(&self, vid: &Vid, leb_size: usize) -> bool {
        if !(vid.copy_flag || vid.vol_type == STATIC) {
            return true;
        }
        let size = to_usize(vid.data_size);
        if size > leb_size {
            return false;
        }
        self.leb_data(vid, leb_size)
            .get(..size)
            .is_some_and(|d| crc(d) == vid.data_crc)
    }
}

impl Format for UbiFormat {
    fn id(&self) -> &'static str {
        "ubi"
    }

    fn description(&self) -> &'static str {
        "UBI image (erase-counter and volume-id headers, volume table); one file per volume"
    }

    fn kind(&self) -> FormatKind {
        FormatKind::Container
    }

    fn magics(&self) -> &'static [Magic] {
        MAGICS
    }

    fn probe(&self, data: &[u8]) -> bool {
        matches!(ec_header(data), Some(Ok(_)))
    }

    fn extract(&self, data: &Blob, cx: &mut Context<'_>) -> Result<Extracted, Rejected> {
        let ec = match ec_header(data) {
            Some(Ok(ec)) => ec,
            Some(Err(why)) => return Err(Rejected::new(why)),
            None => return Err(Rejected::new("no UBI erase-counter header")),
        };
        let peb = peb_size(data, &ec)
            .ok_or_else(|| Rejected::new("no second erase-counter header gives the PEB size"))?;
        let mut image = Image {
            data,
            peb,
            ec,
            damage: Damage::default(),
        };
        let (vids, end) = read_pebs(&mut image, cx);
        let mut tree = cx.new_tree();
        build_volumes(&mut image, cx, &vids, &mut tree);
        if image.damage.suppressed() > 0 {
            cx.error(
                0,
                format!("{} further errors not listed", image.damage.suppressed()),
            );
        }
        cx.charge_tree(&tree);
        Ok(Extracted {
            consumed: to_u64(end.max(1)),
            output: Output::Tree(tree),
            variant: None,
        })
    }
}

/// Reads the headers of every PEB of the image; returns the volume-id headers and the end of
/// the image.
fn read_pebs(image: &mut Image<'_>, cx: &mut Context<'_>) -> (Vec<Vid>, usize) {
    let data = image.data;
    let mut vids = Vec::new();
    let mut end = 0usize;
    let mut damaged: Option<usize> = None;
    let mut index = 0usize;
    while let Some(chunk) = data.get(image.peb_offset(index)..) {
        if chunk.is_empty() {
            break;
        }
        if index % 1024 == 1023 && cx.time_up("reading UBI headers") {
            break;
        }
        let offset = image.peb_offset(index);
        let chunk = chunk.get(..image.peb.min(chunk.len())).unwrap_or(chunk);
        match ec_header(chunk) {
            Some(Ok(found)) if found.same_image(&image.ec) => {}
            // Another image (or another geometry) starts here.
            Some(Ok(_)) => break,
            Some(Err(why)) => {
                image
                    .damage
                    .record(cx, offset, format!("PEB {index}: {why}; read anyway"));
            }
            None if chunk.iter().all(|&b| b == 0xff) => {
                index = index.saturating_add(1);
                continue;
            }
            None => {
                // One damaged PEB inside an image is tolerated; two in a row end it.
                if damaged.is_some() {
                    break;
                }
                damaged = Some(index);
                index = index.saturating_add(1);
                continue;
            }
        }
        if let Some(bad) = damaged.take() {
            image.damage.record(
                cx,
                image.peb_offset(bad),
                format!("PEB {bad} has no erase-counter header"),
            );
        }
        end = offset.saturating_add(chunk.len());
        let vid_at = image.ec.vid_offset;
        match chunk.get(vid_at..vid_at.saturating_add(HDR)) {
            Some(hdr) if hdr.starts_with(VID_MAGIC) => match vid_header(hdr, index) {
                Ok(vid) => vids.push(vid),
                Err(why) => image.damage.record(
                    cx,
                    offset.saturating_add(vid_at),
                    format!("PEB {index}: {why}; skipped"),
                ),
            },
            // Unmapped PEB (free) or cut before its volume-id header.
            Some(hdr) if hdr.iter().all(|&b| b == 0xff) => {}
            None => {}
            Some(_) => image.damage.record(
                cx,
                offset.saturating_add(vid_at),
                format!("PEB {index}: damaged volume-id header; skipped"),
            ),
        }
        index = index.saturating_add(1);
    }
    (vids, end)
}

/// The best copy of each LEB, by (volume, LEB number).
fn pick_lebs(image: &Image<'_>, vids: &[Vid]) -> BTreeMap<(u32, u32), Vid> {
    let mut copies: BTreeMap<(u32, u32), Vec<&Vid>> = BTreeMap::new();
    for vid in vids {
        copies.entry((vid.vol_id, vid.lnum)).or_default().push(vid);
    }
    let mut out = BTreeMap::new();
    for (key, mut list) in copies {
        list.sort_by_key(|v| std::cmp::Reverse(v.sqnum));
        let leb_size = image
            .peb
            .saturating_sub(image.ec.data_offset)
            .saturating_sub(to_usize(list.first().map_or(0, |v| v.data_pad)));
        let best = list
            .iter()
            .find(|v| image.data_intact(v, leb_size))
            .or(list.first());
        if let Some(best) = best {
            out.insert(key, **best);
        }
    }
    out
}

fn build_volumes(image: &mut Image<'_>, cx: &mut Context<'_>, vids: &[Vid], tree: &mut FileTree) {
    let lebs = pick_lebs(image, vids);
    let layout_leb = image.peb.saturating_sub(image.ec.data_offset);
    // The volume table: LEB 0 of the layout volume, or its copy in LEB 1.
    let mut table: Option<BTreeMap<u32, Record>> = None;
    for lnum in [0, 1] {
        let Some(vid) = lebs.get(&(LAYOUT_VOLUME, lnum)) else {
            continue;
        };
        let (records, bad) = volume_table(image.leb_data(vid, layout_leb));
        if bad == 0 {
            table = Some(records);
            break;
        }
        image.damage.record(
            cx,
            image.peb_offset(vid.peb),
            format!("volume table copy {lnum}: {bad} damaged records"),
        );
        if table.is_none() {
            table = Some(records);
        }
    }
    let volume_ids: BTreeSet<u32> = lebs.keys().map(|&(vol, _)| vol).collect();
    let have_table = table.is_some();
    let table = table.unwrap_or_else(|| {
        image
            .damage
            .record(cx, 0, "no volume table; volumes named by their ids");
        BTreeMap::new()
    });
    let mut ids: BTreeSet<u32> = table.keys().copied().collect();
    for &vol in &volume_ids {
        if vol >= INTERNAL_START {
            continue;
        }
        if have_table && !table.contains_key(&vol) {
            image.damage.record(
                cx,
                0,
                format!(
                    "PEBs of volume {vol}, which is not in the volume table (deleted?), ignored"
                ),
            );
            continue;
        }
        ids.insert(vol);
    }
    let limits = cx.limits();
    let mut fill_left = limits
        .max_ratio
        .saturating_mul(to_u64(image.data.len()))
        .max(limits.ratio_floor_bytes);
    let mut names: BTreeSet<Vec<u8>> = BTreeSet::new();
    for vol in ids {
        if cx.time_up("assembling UBI volumes") {
            return;
        }
        let record = table.get(&vol);
        let mut name = record.map(|r| r.name.clone()).unwrap_or_default();
        if name.is_empty() {
            name = format!("volume_{vol}").into_bytes();
        }
        if !names.insert(name.clone()) {
            name.extend_from_slice(format!("_{vol}").as_bytes());
            names.insert(name.clone());
        }
        if record.is_some_and(|r| r.upd_marker) {
            image.damage.record(
                cx,
                0,
                format!(
                    "volume {}: an update was interrupted; contents may be incomplete",
                    escape_path(&name)
                ),
            );
        }
        let content = volume(image, cx, vol, record, &lebs, &name, &mut fill_left);
        let entry = Entry::file(&name, content).mode(0o644);
        if !cx.add(tree, entry) {
            return;
        }
    }
}

/// Assembles one volume's contents.
fn volume(
    image: &mut Image<'_>,
    cx: &mut Context<'_>,
    vol: u32,
    record: Option<&Record>,
    lebs: &BTreeMap<(u32, u32), Vid>,
    name: &[u8],
    fill_left: &mut u64,
) -> Blob {
    let mine: Vec<(u32, Vid)> = lebs
        .range((vol, 0)..=(vol, u32::MAX))
        .map(|(&(_, lnum), vid)| (lnum, *vid))
        .collect();
    let data_pad = record
        .map(|r| r.data_pad)
        .or_else(|| mine.first().map(|(_, v)| v.data_pad))
        .unwrap_or(0);
    let leb_size = image
        .peb
        .saturating_sub(image.ec.data_offset)
        .saturating_sub(to_usize(data_pad));
    let is_static = record.map_or_else(
        || mine.first().is_some_and(|(_, v)| v.vol_type == STATIC),
        |r| r.vol_type == STATIC,
    );
    let reserved = record.map_or(u32::MAX, |r| r.reserved_pebs);
    // (LEB, bytes of it in the volume), in order; `None` for a LEB that is not mapped.
    let mut layout: Vec<(Option<Vid>, usize)> = Vec::new();
    if is_static {
        // A static volume's LEBs are all in the image: more than its PEBs cannot be.
        let pebs = image.data.len().checked_div(image.peb).unwrap_or(0);
        let used = mine
            .first()
            .map_or(0, |(_, v)| v.used_ebs)
            .min(reserved)
            .min(u32::try_from(pebs).unwrap_or(u32::MAX));
        let mut by_lnum: BTreeMap<u32, Vid> = mine.iter().copied().collect();
        for lnum in 0..used {
            match by_lnum.remove(&lnum) {
                Some(vid) => {
                    if !image.data_intact(&vid, leb_size) {
                        image.damage.record(
                            cx,
                            image.peb_offset(vid.peb),
                            format!("volume {} LEB {lnum}: data CRC mismatch", escape_path(name)),
                        );
                    }
                    layout.push((Some(vid), to_usize(vid.data_size).min(leb_size)));
                }
                None => {
                    image.damage.record(
                        cx,
                        0,
                        format!("volume {} LEB {lnum} is missing", escape_path(name)),
                    );
                    layout.push((None, leb_size));
                }
            }
        }
    } else {
        let mut next = 0u32;
        for (lnum, vid) in &mine {
            if *lnum >= reserved {
                image.damage.record(
                    cx,
                    image.peb_offset(vid.peb),
                    format!(
                        "volume {} LEB {lnum} is past its {reserved} reserved PEBs; ignored",
                        escape_path(name)
                    ),
                );
                continue;
            }
            // Unmapped LEBs before this one read as erased flash.
            let gap = u64::from(lnum.saturating_sub(next)).saturating_mul(to_u64(leb_size));
            if gap > *fill_left {
                cx.truncate(
                    LimitKind::Ratio,
                    format!(
                        "volume {} cut before LEB {lnum}: too many unmapped LEBs for the image's size",
                        escape_path(name)
                    ),
                );
                break;
            }
            *fill_left = fill_left.saturating_sub(gap);
            for _ in next..*lnum {
                layout.push((None, leb_size));
            }
            layout.push((Some(*vid), leb_size));
            next = lnum.saturating_add(1);
        }
    }
    let total: u64 = layout.iter().map(|(_, n)| to_u64(*n)).sum();
    let capped = to_u64(cx.cap_file(name, usize::try_from(total).unwrap_or(usize::MAX)));
    let granted = usize::try_from(cx.reserve(name, capped)).unwrap_or(usize::MAX);
    let mut out: Vec<u8> = Vec::with_capacity(granted);
    for (vid, n) in layout {
        let room = granted.saturating_sub(out.len());
        if room == 0 {
            break;
        }
        let n = n.min(room);
        let start = out.len();
        if let Some(vid) = vid {
            let bytes = image.leb_data(&vid, leb_size);
            out.extend_from_slice(bytes.get(..n).unwrap_or(bytes));
            if out.len() < start.saturating_add(n) {
                image.damage.record(
                    cx,
                    image.peb_offset(vid.peb),
                    format!(
                        "volume {} LEB {}: PEB cut short by the end of the image",
                        escape_path(name),
                        vid.lnum
                    ),
                );
            }
        }
        out.resize(start.saturating_add(n), 0xff);
    }
    Blob::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::tests::{extract_ok, extract_with, output_tree};
    use crate::limits::Limits;
    use crate::testkit;
    use crate::testkit_ubi::{UbiBuilder, Vid, Volume};

    fn volumes() -> Vec<Volume> {
        vec![
            Volume {
                id: 0,
                name: b"rootfs".to_vec(),
                is_static: false,
                content: testkit::noise(5000, 1),
            },
            Volume {
                id: 3,
                name: b"kernel".to_vec(),
                is_static: true,
                content: testkit::noise(2000, 2),
            },
        ]
    }

    #[test]
    fn reads_dynamic_and_static_volumes() {
        let vols = volumes();
        let image = UbiBuilder::image(1024, &vols);
        let data = [image.clone(), b"not ubi at all".repeat(100)].concat();
        let (ex, cx) = extract_ok(&UbiFormat, &data);
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
        assert_eq!(ex.consumed, image.len() as u64);
        let tree = output_tree(&ex);
        // Dynamic: whole LEBs (896 bytes each), the last padded with erased flash.
        let rootfs = tree.read("/rootfs").unwrap();
        assert_eq!(rootfs.len(), 896 * 6);
        assert_eq!(&rootfs[..5000], &vols[0].content[..]);
        assert!(rootfs[5000..].iter().all(|&b| b == 0xff));
        // Static: exactly the data.
        assert_eq!(
            tree.read("/kernel").map(|b| b.to_vec()),
            Some(vols[1].content.clone())
        );
    }

    #[test]
    fn the_newest_intact_copy_of_an_leb_wins() {
        let mut b = UbiBuilder::new(1024);
        let vol = Volume {
            id: 1,
            name: b"data".to_vec(),
            is_static: false,
            content: Vec::new(),
        };
        b.layout(&[vol]);
        let mut old = Vid::dynamic(1, 0);
        old.sqnum = 10;
        b.peb(Some(&old), b"old");
        let mut new = Vid::dynamic(1, 0);
        new.sqnum = 20;
        b.peb(Some(&new), b"new");
        // A newer copy whose data CRC fails (an interrupted wear-leveling copy).
        let mut broken = Vid::dynamic(1, 0);
        broken.sqnum = 30;
        broken.copy_flag = true;
        broken.data_size = 3;
        broken.data_crc = 1;
        b.peb(Some(&broken), b"bad");
        let image = b.finish();
        let (ex, _) = extract_ok(&UbiFormat, &image);
        assert_eq!(&output_tree(&ex).read("/data").unwrap()[..3], b"new");
    }

    #[test]
    fn damage_is_recorded_and_skipped() {
        let vols = volumes();
        let mut image = UbiBuilder::image(1024, &vols);
        // PEB 2 (rootfs LEB 0): corrupt its volume-id header. PEB 4: erase it entirely.
        image[2048 + 64 + 13] ^= 1;
        image[4096..5120].fill(0xff);
        // PEB 5: garbage with no header.
        image[5120..6144].fill(0x5a);
        let (ex, cx) = extract_ok(&UbiFormat, &image);
        assert_eq!(ex.consumed, image.len() as u64);
        let messages: Vec<&str> = cx.errors.iter().map(|e| e.message.as_str()).collect();
        assert!(messages.iter().any(|m| m.contains("PEB 2")), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("PEB 5")), "{messages:?}");
        let tree = output_tree(&ex);
        let rootfs = tree.read("/rootfs").unwrap();
        assert_eq!(rootfs.len(), 896 * 6);
        assert!(rootfs[..896].iter().all(|&b| b == 0xff));
        assert_eq!(&rootfs[896..1792], &vols[0].content[896..1792]);
    }

    #[test]
    fn the_peb_size_survives_missing_pebs_and_other_images_end_the_run() {
        let vols = volumes();
        let mut image = UbiBuilder::image(2048, &vols);
        // Erase PEB 1 (the second volume table copy): the next header is two PEBs away.
        image[2048..4096].fill(0xff);
        let mut other = UbiBuilder::new(2048);
        other.image_seq = 7;
        other.layout(&vols);
        let tail = other.finish();
        let data = [image.clone(), tail].concat();
        let (ex, cx) = extract_ok(&UbiFormat, &data);
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
        assert_eq!(ex.consumed, image.len() as u64);
        assert_eq!(output_tree(&ex).len(), 3);
    }

    #[test]
    fn no_volume_table_names_volumes_by_id_and_huge_lebs_are_bounded() {
        let mut b = UbiBuilder::new(1024);
        b.peb(Some(&Vid::dynamic(4, 0)), b"first");
        b.peb(Some(&Vid::dynamic(4, 3_000_000)), b"far away");
        let image = b.finish();
        let limits = Limits {
            ratio_floor_bytes: 1 << 20,
            max_ratio: 2,
            ..Limits::default()
        };
        let (result, cx) = extract_with(&UbiFormat, &image, &limits);
        let ex = result.unwrap();
        let content = output_tree(&ex).read("/volume_4").unwrap().clone();
        assert!(content.len() <= 1 << 20);
        assert_eq!(&content[..5], b"first");
        assert!(cx.truncations.iter().any(|t| t.limit == LimitKind::Ratio));
    }

    #[test]
    fn probe_and_reject() {
        let image = UbiBuilder::image(1024, &volumes());
        assert!(UbiFormat.probe(&image));
        let mut bad = image.clone();
        bad[30] ^= 1;
        assert!(!UbiFormat.probe(&bad));
        // One PEB alone gives no PEB size.
        assert!(
            extract_with(&UbiFormat, &image[..1024], &Limits::default())
                .0
                .is_err()
        );
    }
}
