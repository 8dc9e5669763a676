//! ELF files built here byte by byte (both classes, both byte orders), so that each
//! mitigation is tested on its own.

use hallmark_unpack::{Entry, FileTree};

use super::*;

const DT_NULL: u64 = 0;
const DT_HASH: u64 = 4;
const DT_STRTAB: u64 = 5;
const DT_SYMTAB: u64 = 6;
const DT_STRSZ: u64 = 10;
const DT_SYMENT: u64 = 11;
const DT_SONAME: u64 = 14;
const DT_FLAGS: u64 = 30;
const DT_FLAGS_1: u64 = 0x6fff_fffb;
const PT_LOAD: u32 = 1;

/// What to put in a test ELF file.
#[derive(Clone, Default)]
struct Spec {
    class64: bool,
    big: bool,
    e_type: u16,
    machine: u16,
    interp: Option<&'static str>,
    /// `PT_GNU_STACK` flags, when there is one.
    stack: Option<u32>,
    relro: bool,
    dynamic: bool,
    needed: Vec<&'static str>,
    soname: Option<&'static str>,
    rpath: Option<&'static str>,
    runpath: Option<&'static str>,
    flags: u64,
    flags_1: u64,
    bind_now_tag: bool,
    dynsyms: Vec<&'static str>,
    symtab: Option<Vec<&'static str>>,
}

struct Writer {
    out: Vec<u8>,
    big: bool,
    class64: bool,
}

impl Writer {
    fn u8(&mut self, v: u8) {
        self.out.push(v);
    }
    fn u16(&mut self, v: u16) {
        let b = if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.out.extend_from_slice(&b);
    }
    fn u32(&mut self, v: u32) {
        let b = if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.out.extend_from_slice(&b);
    }
    fn u64(&mut self, v: u64) {
        let b = if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.out.extend_from_slice(&b);
    }
    /// A word of the class's size.
    fn word(&mut self, v: u64) {
        if self.class64 {
            self.u64(v);
        } else {
            self.u32(u32::try_from(v).unwrap());
        }
    }
    fn pad_to(&mut self, offset: usize) {
        assert!(self.out.len() <= offset);
        self.out.resize(offset, 0);
    }
}

/// A string table: bytes and the offset of each added string.
#[derive(Default)]
struct Strings {
    bytes: Vec<u8>,
}

impl Strings {
    fn add(&mut self, s: &str) -> u64 {
        if self.bytes.is_empty() {
            self.bytes.push(0);
        }
        let at = self.bytes.len() as u64;
        self.bytes.extend_from_slice(s.as_bytes());
        self.bytes.push(0);
        at
    }
}

fn align8(n: usize) -> usize {
    n.div_ceil(8) * 8
}

fn build(spec: &Spec) -> Vec<u8> {
    let c64 = spec.class64;
    let (ehsize, phentsize, symsize, dynsize, shentsize) = if c64 {
        (64, 56, 24, 16, 64)
    } else {
        (52, 32, 16, 8, 40)
    };
    let mut dynstr = Strings::default();
    dynstr.add("");
    let needed: Vec<u64> = spec.needed.iter().map(|n| dynstr.add(n)).collect();
    let soname = spec.soname.map(|s| dynstr.add(s));
    let rpath = spec.rpath.map(|s| dynstr.add(s));
    let runpath = spec.runpath.map(|s| dynstr.add(s));
    let dynsyms: Vec<u64> = spec.dynsyms.iter().map(|s| dynstr.add(s)).collect();
    let mut strtab = Strings::default();
    strtab.add("");
    let syms: Vec<u64> = spec
        .symtab
        .iter()
        .flatten()
        .map(|s| strtab.add(s))
        .collect();

    let mut phdrs: Vec<(u32, u32, usize, usize)> = Vec::new(); // type, flags, offset, size
    let nph = 1
        + usize::from(spec.interp.is_some())
        + usize::from(spec.dynamic)
        + usize::from(spec.stack.is_some())
        + usize::from(spec.relro);
    let mut off = ehsize + nph * phentsize;
    let interp_off = off;
    off += spec.interp.map_or(0, |i| i.len() + 1);
    let dynstr_off = off;
    off = align8(off + dynstr.bytes.len());
    let dynsym_off = off;
    off += (1 + dynsyms.len()) * symsize;
    let hash_off = off;
    off += 4 * (3 + 1 + dynsyms.len());
    off = align8(off);
    let mut dyns: Vec<(u64, u64)> = needed.iter().map(|&n| (DT_NEEDED, n)).collect();
    dyns.extend(soname.map(|s| (DT_SONAME, s)));
    dyns.extend(rpath.map(|s| (DT_RPATH, s)));
    dyns.extend(runpath.map(|s| (DT_RUNPATH, s)));
    dyns.extend([
        (DT_STRTAB, dynstr_off as u64),
        (DT_STRSZ, dynstr.bytes.len() as u64),
        (DT_SYMTAB, dynsym_off as u64),
        (DT_SYMENT, symsize as u64),
        (DT_HASH, hash_off as u64),
    ]);
    if spec.flags != 0 {
        dyns.push((DT_FLAGS, spec.flags));
    }
    if spec.flags_1 != 0 {
        dyns.push((DT_FLAGS_1, spec.flags_1));
    }
    if spec.bind_now_tag {
        dyns.push((DT_BIND_NOW, 0));
    }
    dyns.push((DT_NULL, 0));
    let dynamic_off = off;
    off += dyns.len() * dynsize;
    let symtab_off = off;
    off += (1 + syms.len()) * symsize;
    let strtab_off = off;
    off = align8(off + strtab.bytes.len());
    let shoff = off;
    let nsh = if spec.symtab.is_some() { 3 } else { 0 };
    let total = shoff + nsh * shentsize;

    phdrs.push((PT_LOAD, 5, 0, total));
    if let Some(i) = spec.interp {
        phdrs.push((PT_INTERP, 4, interp_off, i.len() + 1));
    }
    if spec.dynamic {
        phdrs.push((PT_DYNAMIC, 6, dynamic_off, dyns.len() * dynsize));
    }
    if let Some(flags) = spec.stack {
        phdrs.push((PT_GNU_STACK, flags, 0, 0));
    }
    if spec.relro {
        phdrs.push((PT_GNU_RELRO, 4, dynamic_off, dyns.len() * dynsize));
    }

    let mut w = Writer {
        out: Vec::new(),
        big: spec.big,
        class64: c64,
    };
    w.out.extend_from_slice(b"\x7fELF");
    w.u8(if c64 { 2 } else { 1 });
    w.u8(if spec.big { 2 } else { 1 });
    w.u8(1);
    w.pad_to(16);
    w.u16(spec.e_type);
    w.u16(spec.machine);
    w.u32(1);
    w.word(0);
    w.word(ehsize as u64);
    w.word(if nsh > 0 { shoff as u64 } else { 0 });
    w.u32(0);
    w.u16(ehsize as u16);
    w.u16(phentsize as u16);
    w.u16(nph as u16);
    w.u16(shentsize as u16);
    w.u16(nsh as u16);
    w.u16(0);
    for (p_type, flags, offset, size) in phdrs {
        let (offset, size) = (offset as u64, size as u64);
        if c64 {
            w.u32(p_type);
            w.u32(flags);
            for v in [offset, offset, offset, size, size, 8] {
                w.u64(v);
            }
        } else {
            for v in [p_type as u64, offset, offset, offset, size, size] {
                w.word(v);
            }
            w.u32(flags);
            w.u32(4);
        }
    }
    if let Some(i) = spec.interp {
        w.out.extend_from_slice(i.as_bytes());
        w.u8(0);
    }
    w.out.extend_from_slice(&dynstr.bytes);
    w.pad_to(dynsym_off);
    let write_syms = |w: &mut Writer, names: &[u64]| {
        for name in std::iter::once(0).chain(names.iter().copied()) {
            // Global functions, undefined (imports), as a dynamic linker sees them.
            let info = if name == 0 { 0 } else { 0x12 };
            if w.class64 {
                w.u32(name as u32);
                w.u8(info);
                w.u8(0);
                w.u16(0);
                w.u64(0);
                w.u64(0);
            } else {
                w.u32(name as u32);
                w.u32(0);
                w.u32(0);
                w.u8(info);
                w.u8(0);
                w.u16(0);
            }
        }
    };
    write_syms(&mut w, &dynsyms);
    // DT_HASH: nbucket = 1, nchain = symbol count, one bucket, the chain.
    let count = 1 + dynsyms.len() as u32;
    w.u32(1);
    w.u32(count);
    w.u32(0);
    for _ in 0..count {
        w.u32(0);
    }
    w.pad_to(dynamic_off);
    for (tag, val) in dyns {
        w.word(tag);
        w.word(val);
    }
    write_syms(&mut w, &syms);
    w.out.extend_from_slice(&strtab.bytes);
    w.pad_to(shoff);
    if nsh > 0 {
        // Section headers: null, .symtab (linked to section 2), .strtab.
        for (sh_type, offset, size, link, entsize) in [
            (0u32, 0usize, 0usize, 0u32, 0usize),
            (
                SHT_SYMTAB,
                symtab_off,
                (1 + syms.len()) * symsize,
                2,
                symsize,
            ),
            (3, strtab_off, strtab.bytes.len(), 0, 0),
        ] {
            w.u32(0);
            w.u32(sh_type);
            w.word(0);
            w.word(0);
            w.word(offset as u64);
            w.word(size as u64);
            w.u32(link);
            w.u32(0);
            w.word(1);
            w.word(entsize as u64);
        }
    }
    assert_eq!(w.out.len(), total);
    w.out
}

fn binary(spec: &Spec) -> Binary {
    inspect(&build(spec))
        .unwrap()
        .binary(hallmark_model::Location::Image {
            image: "t".into(),
            chain: Vec::new(),
            path: Some("/bin/t".into()),
            offset: None,
            line: None,
        })
}

/// The hardening fields as one line, for compact comparisons.
fn summary(b: &Binary) -> String {
    let o = |v: Option<bool>| v.map_or("-".to_owned(), |v| v.to_string());
    format!(
        "{} {} {} {} lib={} pie={} nx={} relro={} canary={} fortify={} rpath={} runpath={} stripped={} static={}",
        b.elf_type,
        b.machine,
        b.class,
        b.endian,
        b.library,
        o(b.pie),
        o(b.nx),
        b.relro.as_deref().unwrap_or("-"),
        o(b.canary),
        o(b.fortify),
        b.rpath.join(":"),
        b.runpath.join(":"),
        b.stripped,
        b.static_linked
    )
}

fn hardened_pie() -> Spec {
    Spec {
        class64: true,
        e_type: ET_DYN,
        machine: 183,
        interp: Some("/lib/ld-linux-aarch64.so.1"),
        stack: Some(6),
        relro: true,
        dynamic: true,
        needed: vec!["libc.so.6"],
        runpath: Some("$ORIGIN/../lib"),
        flags: DF_BIND_NOW,
        flags_1: DF_1_NOW | DF_1_PIE,
        dynsyms: vec!["__stack_chk_fail", "__printf_chk", "puts"],
        ..Spec::default()
    }
}

#[test]
fn each_mitigation_both_classes_and_byte_orders() {
    let pie = hardened_pie();
    assert_eq!(
        summary(&binary(&pie)),
        "dyn aarch64 64 little lib=false pie=true nx=true relro=full canary=true fortify=true rpath= runpath=$ORIGIN/../lib stripped=true static=false"
    );
    // A big-endian MIPS executable of the old school: no PT_GNU_STACK, no RELRO, RPATH into
    // /tmp, a symbol table with the canary guard only.
    let old = Spec {
        big: true,
        e_type: ET_EXEC,
        machine: 8,
        interp: Some("/lib/ld-uClibc.so.0"),
        dynamic: true,
        needed: vec!["libc.so.0"],
        rpath: Some("/tmp/lib:/var/tmp"),
        dynsyms: vec!["printf"],
        symtab: Some(vec!["main", "__stack_chk_guard"]),
        ..Spec::default()
    };
    let b = binary(&old);
    assert_eq!(
        summary(&b),
        "exec mips 32 big lib=false pie=false nx=false relro=none canary=true fortify=false rpath=/tmp/lib:/var/tmp runpath= stripped=false static=false"
    );
    assert_eq!(b.interpreter.as_deref(), Some("/lib/ld-uClibc.so.0"));
    assert_eq!(b.needed, ["libc.so.0"]);
    // The same with an executable PT_GNU_STACK, and big-endian 64-bit.
    let exec_stack = Spec {
        class64: true,
        stack: Some(7),
        machine: 21,
        ..old.clone()
    };
    assert!(
        summary(&binary(&exec_stack))
            .starts_with("exec powerpc64 64 big lib=false pie=false nx=false")
    );
    // A 32-bit little-endian ARM shared library, bound at load time through DT_BIND_NOW.
    let lib = Spec {
        e_type: ET_DYN,
        machine: 40,
        stack: Some(6),
        relro: true,
        dynamic: true,
        needed: vec!["libc.so.6"],
        soname: Some("libfoo.so.1"),
        bind_now_tag: true,
        dynsyms: vec!["foo", "__memcpy_chk"],
        ..Spec::default()
    };
    let b = binary(&lib);
    assert_eq!(
        summary(&b),
        "dyn arm 32 little lib=true pie=- nx=true relro=full canary=false fortify=true rpath= runpath= stripped=true static=false"
    );
    assert_eq!(b.soname.as_deref(), Some("libfoo.so.1"));
    // Partial RELRO: lazy binding.
    let lazy = Spec {
        bind_now_tag: false,
        ..lib.clone()
    };
    assert_eq!(binary(&lazy).relro.as_deref(), Some("partial"));
}

#[test]
fn static_binaries_and_unknowns() {
    // A stripped static executable: no symbols, so canary and FORTIFY are unknown.
    let stat = Spec {
        e_type: ET_EXEC,
        machine: 40,
        stack: Some(6),
        relro: true,
        ..Spec::default()
    };
    assert_eq!(
        summary(&binary(&stat)),
        "exec arm 32 little lib=false pie=false nx=true relro=partial canary=- fortify=- rpath= runpath= stripped=true static=true"
    );
    // Static PIE: ET_DYN with DF_1_PIE and no interpreter or needed library.
    let static_pie = Spec {
        class64: true,
        e_type: ET_DYN,
        machine: 62,
        stack: Some(6),
        dynamic: true,
        flags_1: DF_1_PIE,
        dynsyms: vec!["_start"],
        ..Spec::default()
    };
    assert_eq!(
        summary(&binary(&static_pie)),
        "dyn x86_64 64 little lib=false pie=true nx=true relro=none canary=false fortify=false rpath= runpath= stripped=true static=true"
    );
    // A relocatable object (a kernel module): the loader mitigations do not apply.
    let module = Spec {
        e_type: ET_REL,
        machine: 8,
        symtab: Some(vec!["init_module", "__stack_chk_fail"]),
        ..Spec::default()
    };
    assert_eq!(
        summary(&binary(&module)),
        "rel mips 32 little lib=false pie=- nx=- relro=- canary=true fortify=false rpath= runpath= stripped=false static=true"
    );
}

#[test]
fn fortify_names() {
    let names = |syms: Vec<&'static str>| {
        let spec = Spec {
            dynsyms: syms,
            ..hardened_pie()
        };
        binary(&spec).fortify
    };
    assert_eq!(names(vec!["__sprintf_chk"]), Some(true));
    assert_eq!(names(vec!["__stack_chk_fail"]), Some(false));
    assert_eq!(names(vec!["__chk", "x_chk"]), Some(false));
}

#[test]
fn collector_over_a_tree_counts_and_bounds() {
    let mut tree = FileTree::new();
    tree.add(Entry::dir("/bin"));
    tree.add(Entry::file("/bin/app", build(&hardened_pie())));
    tree.add(Entry::file("/bin/script", b"#!/bin/sh\n".to_vec()));
    tree.add(Entry::file("/bin/broken", b"\x7fELF\x01".to_vec()));
    let facts = crate::tests::collect_tree(tree, &ElfCollector);
    assert_eq!(facts.binaries.len(), 1);
    let coverage = facts.coverage("elf").unwrap();
    assert_eq!(coverage.examined, 2);
    assert_eq!(
        coverage.notes,
        ["1 files with the ELF magic have headers that do not parse"]
    );
}

#[test]
fn damaged_files_never_panic() {
    let specs = [hardened_pie(), {
        Spec {
            big: true,
            e_type: ET_EXEC,
            machine: 8,
            interp: Some("/lib/ld.so.1"),
            dynamic: true,
            rpath: Some("/x"),
            dynsyms: vec!["a"],
            symtab: Some(vec!["b"]),
            ..Spec::default()
        }
    }];
    for spec in &specs {
        let data = build(spec);
        for cut in 0..data.len() {
            let _ = inspect(&data[..cut]);
            for bit in [0x01, 0x80, 0xff] {
                let mut flipped = data.clone();
                flipped[cut] ^= bit;
                let _ = inspect(&flipped);
            }
        }
    }
}
