//! ELF files and their exploit mitigations.
//!
//! Every file starting with the ELF magic is read with `goblin` (32 and 64 bit, either byte
//! order): the ELF header, program headers, dynamic section and symbol tables; no code is
//! disassembled. What is recorded follows the usual checksec reading, and matches what
//! `readelf` shows:
//!
//! - **PIE**: `ET_DYN` with a program interpreter or the `DF_1_PIE` flag; `ET_EXEC` is not.
//!   `ET_DYN` with neither is a shared library, for which PIE does not apply.
//! - **NX**: `PT_GNU_STACK` without `PF_X`. Without `PT_GNU_STACK` the Linux kernel gives the
//!   program an executable stack on most architectures (x86, ARM, MIPS, PowerPC), so a
//!   missing header counts as an executable stack. (On MIPS, kernels before 4.8 made the
//!   stack executable regardless, for FPU emulation trampolines; that is not visible in the
//!   file.)
//! - **RELRO**: `PT_GNU_RELRO`; full with immediate binding (`DT_BIND_NOW`, `DF_BIND_NOW` in
//!   `DT_FLAGS`, or `DF_1_NOW` in `DT_FLAGS_1`), partial without.
//! - **Canary**: `__stack_chk_fail`, `__stack_chk_fail_local` or `__stack_chk_guard` among
//!   the dynamic or static symbols; **FORTIFY**: any `__*_chk` function. Unknown (`None`)
//!   when the file has no symbols at all, as a stripped static binary.
//! - **Static**: no program interpreter and no `DT_NEEDED` library.
//! - **Stripped**: no `.symtab` section.
//!
//! Files larger than [`Options::max_scan_bytes`] are not read (and said so in the coverage).
//! Malformed files never stop the collector: what can be read is recorded, the rest stays
//! `None`, and files whose headers do not parse are counted in the coverage notes.

use std::panic::{AssertUnwindSafe, catch_unwind};

use goblin::container::{Container, Ctx, Endian};
use goblin::elf::dynamic::{
    DF_1_NOW, DF_1_PIE, DF_BIND_NOW, DT_BIND_NOW, DT_NEEDED, DT_RPATH, DT_RUNPATH, Dynamic,
};
use goblin::elf::header::{self, ET_CORE, ET_DYN, ET_EXEC, ET_REL, Header};
use goblin::elf::program_header::{
    PF_X, PT_DYNAMIC, PT_GNU_RELRO, PT_GNU_STACK, PT_INTERP, ProgramHeader,
};
use goblin::elf::section_header::{SHT_SYMTAB, SectionHeader};
use goblin::elf::{Elf, Symtab};
use goblin::options::ParseOptions;
use goblin::strtab::Strtab;
use hallmark_model::facts::{Binary, Coverage, Facts};

use crate::{Collector, Image, Options, coverage};

/// Records [`Binary`] facts.
pub(crate) struct ElfCollector;

const MAGIC: &[u8] = b"\x7fELF";

impl Collector for ElfCollector {
    fn id(&self) -> &'static str {
        "elf"
    }

    fn description(&self) -> &'static str {
        "ELF executables and libraries: type, machine, PIE, NX stack, RELRO, stack canary, FORTIFY, RPATH/RUNPATH, stripped, static"
    }

    fn collect(&self, image: &Image<'_>, options: &Options, facts: &mut Facts) -> Coverage {
        let mut examined = 0u64;
        let mut too_large = 0u64;
        let mut unreadable = 0u64;
        for file in image.files() {
            let bytes = file.bytes();
            if !bytes.starts_with(MAGIC) {
                continue;
            }
            if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > options.max_scan_bytes {
                too_large = too_large.saturating_add(1);
                continue;
            }
            examined = examined.saturating_add(1);
            match inspect(bytes) {
                Some(inspection) => facts.binaries.push(inspection.binary(file.location())),
                None => unreadable = unreadable.saturating_add(1),
            }
        }
        let mut notes = Vec::new();
        if too_large > 0 {
            notes.push(format!(
                "{too_large} ELF files larger than {} bytes were not read",
                options.max_scan_bytes
            ));
        }
        if unreadable > 0 {
            notes.push(format!(
                "{unreadable} files with the ELF magic have headers that do not parse"
            ));
        }
        coverage(image, examined, notes)
    }
}

/// What was read from one ELF file.
#[derive(Debug, Default)]
struct Inspection {
    e_type: u16,
    machine: u16,
    class: u8,
    big_endian: bool,
    /// Program headers could be read (and there are some).
    has_phdrs: bool,
    interp: bool,
    interpreter: Option<String>,
    gnu_stack_exec: Option<bool>,
    gnu_relro: bool,
    bind_now: bool,
    pie_flag: bool,
    needed: Vec<String>,
    needed_count: usize,
    soname: Option<String>,
    rpath: Vec<String>,
    runpath: Vec<String>,
    symtab_section: bool,
    /// `(canary, fortify)` when there were symbols to look at.
    symbols: Option<(bool, bool)>,
}

impl Inspection {
    fn binary(self, location: hallmark_model::Location) -> Binary {
        let exec_or_dyn = matches!(self.e_type, ET_EXEC | ET_DYN);
        let library = self.e_type == ET_DYN && !self.interp && !self.pie_flag;
        let pie = match self.e_type {
            ET_EXEC => Some(false),
            ET_DYN if !library => Some(true),
            _ => None,
        };
        let (nx, relro) = if exec_or_dyn && self.has_phdrs {
            let relro = if !self.gnu_relro {
                "none"
            } else if self.bind_now {
                "full"
            } else {
                "partial"
            };
            (
                Some(!self.gnu_stack_exec.unwrap_or(true)),
                Some(relro.to_owned()),
            )
        } else {
            (None, None)
        };
        Binary {
            location,
            elf_type: match self.e_type {
                ET_REL => "rel".to_owned(),
                ET_EXEC => "exec".to_owned(),
                ET_DYN => "dyn".to_owned(),
                ET_CORE => "core".to_owned(),
                other => format!("{other:#x}"),
            },
            machine: machine(self.machine),
            class: self.class,
            endian: if self.big_endian { "big" } else { "little" }.to_owned(),
            library,
            pie,
            nx,
            relro,
            canary: self.symbols.map(|(canary, _)| canary),
            fortify: self.symbols.map(|(_, fortify)| fortify),
            rpath: self.rpath,
            runpath: self.runpath,
            stripped: !self.symtab_section,
            static_linked: !self.interp && self.needed_count == 0,
            soname: self.soname,
            interpreter: self.interpreter,
            needed: self.needed,
        }
    }
}

/// Reads an ELF file; `None` when not even its header parses. A panic inside the parser
/// (arithmetic on hostile values) counts as "does not parse" rather than stopping the run.
fn inspect(bytes: &[u8]) -> Option<Inspection> {
    catch_unwind(AssertUnwindSafe(|| {
        inspect_full(bytes).or_else(|| inspect_headers(bytes))
    }))
    .ok()
    .flatten()
}

fn basics(header: &Header) -> Option<Inspection> {
    let class = match header.e_ident.get(header::EI_CLASS) {
        Some(&header::ELFCLASS32) => 32,
        Some(&header::ELFCLASS64) => 64,
        _ => return None,
    };
    let big_endian = match header.e_ident.get(header::EI_DATA) {
        Some(&header::ELFDATA2LSB) => false,
        Some(&header::ELFDATA2MSB) => true,
        _ => return None,
    };
    Some(Inspection {
        e_type: header.e_type,
        machine: header.e_machine,
        class,
        big_endian,
        ..Inspection::default()
    })
}

/// Facts from the program headers and the dynamic section.
fn read_segments(inspection: &mut Inspection, bytes: &[u8], phdrs: &[ProgramHeader]) {
    inspection.has_phdrs = !phdrs.is_empty();
    for ph in phdrs {
        match ph.p_type {
            PT_INTERP => {
                inspection.interp = true;
                let start = usize::try_from(ph.p_offset).unwrap_or(usize::MAX);
                let len = usize::try_from(ph.p_filesz).unwrap_or(0);
                inspection.interpreter = bytes
                    .get(start..start.saturating_add(len))
                    .map(|raw| raw.split(|&b| b == 0).next().unwrap_or(raw))
                    .filter(|raw| !raw.is_empty())
                    .map(|raw| String::from_utf8_lossy(raw).into_owned());
            }
            PT_GNU_STACK => inspection.gnu_stack_exec = Some(ph.p_flags & PF_X != 0),
            PT_GNU_RELRO => inspection.gnu_relro = true,
            _ => {}
        }
    }
}

fn read_dynamic(inspection: &mut Inspection, dynamic: &Dynamic, strings: &Strtab<'_>) {
    let info = &dynamic.info;
    inspection.pie_flag = info.flags_1 & DF_1_PIE != 0;
    inspection.bind_now = info.flags & DF_BIND_NOW != 0
        || info.flags_1 & DF_1_NOW != 0
        || dynamic.dyns.iter().any(|d| d.d_tag == DT_BIND_NOW);
    let string = |offset: u64| {
        usize::try_from(offset)
            .ok()
            .and_then(|o| strings.get_at(o))
            .map(str::to_owned)
    };
    if info.soname != 0 {
        inspection.soname = u64::try_from(info.soname).ok().and_then(string);
    }
    for d in &dynamic.dyns {
        match d.d_tag {
            DT_NEEDED => {
                inspection.needed_count = inspection.needed_count.saturating_add(1);
                inspection.needed.extend(string(d.d_val));
            }
            DT_RPATH => {
                if let Some(path) = string(d.d_val) {
                    inspection.rpath.extend(path.split(':').map(str::to_owned));
                }
            }
            DT_RUNPATH => {
                if let Some(path) = string(d.d_val) {
                    inspection
                        .runpath
                        .extend(path.split(':').map(str::to_owned));
                }
            }
            _ => {}
        }
    }
}

/// Whether the symbols include a stack-protector symbol and a fortified (`__*_chk`)
/// function.
fn scan_symbols(tables: &[(&Symtab<'_>, &Strtab<'_>)]) -> Option<(bool, bool)> {
    let mut any = false;
    let mut canary = false;
    let mut fortify = false;
    for (symbols, strings) in tables {
        for sym in symbols.iter() {
            let Some(name) = strings.get_at(sym.st_name) else {
                continue;
            };
            if name.is_empty() {
                continue;
            }
            any = true;
            let name = name.split('@').next().unwrap_or(name);
            canary |= matches!(
                name,
                "__stack_chk_fail" | "__stack_chk_fail_local" | "__stack_chk_guard"
            );
            fortify |= name
                .strip_prefix("__")
                .and_then(|n| n.strip_suffix("_chk"))
                .is_some_and(|n| {
                    !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                });
        }
    }
    any.then_some((canary, fortify))
}

/// Everything, through goblin's full (permissive) parse.
fn inspect_full(bytes: &[u8]) -> Option<Inspection> {
    let elf = Elf::parse_with_opts(bytes, &ParseOptions::permissive()).ok()?;
    let mut inspection = basics(&elf.header)?;
    read_segments(&mut inspection, bytes, &elf.program_headers);
    if let Some(dynamic) = &elf.dynamic {
        read_dynamic(&mut inspection, dynamic, &elf.dynstrtab);
    }
    inspection.symtab_section = elf
        .section_headers
        .iter()
        .any(|sh| sh.sh_type == SHT_SYMTAB);
    inspection.symbols = scan_symbols(&[(&elf.dynsyms, &elf.dynstrtab), (&elf.syms, &elf.strtab)]);
    Some(inspection)
}

/// The ELF header and program headers only, for files the full parse rejects: symbol-based
/// facts stay unknown.
fn inspect_headers(bytes: &[u8]) -> Option<Inspection> {
    let header = Elf::parse_header(bytes).ok()?;
    let mut inspection = basics(&header)?;
    let ctx = Ctx::new(
        if inspection.class == 64 {
            Container::Big
        } else {
            Container::Little
        },
        if inspection.big_endian {
            Endian::Big
        } else {
            Endian::Little
        },
    );
    let phoff = usize::try_from(header.e_phoff).ok()?;
    let phdrs =
        ProgramHeader::parse(bytes, phoff, usize::from(header.e_phnum), ctx).unwrap_or_default();
    read_segments(&mut inspection, bytes, &phdrs);
    if let Ok(shoff) = usize::try_from(header.e_shoff) {
        inspection.symtab_section =
            SectionHeader::parse(bytes, shoff, usize::from(header.e_shnum), ctx)
                .is_ok_and(|shdrs| shdrs.iter().any(|sh| sh.sh_type == SHT_SYMTAB));
    }
    if phdrs.iter().any(|ph| ph.p_type == PT_DYNAMIC) {
        if let Ok(Some(dynamic)) = Dynamic::parse(bytes, &phdrs, ctx) {
            let strings = Strtab::parse(bytes, dynamic.info.strtab, dynamic.info.strsz, 0)
                .unwrap_or_default();
            read_dynamic(&mut inspection, &dynamic, &strings);
        } else {
            // A dynamic section that does not parse: do not claim the file is static.
            inspection.needed_count = 1;
        }
    }
    Some(inspection)
}

/// Short machine names.
fn machine(e_machine: u16) -> String {
    let name = match e_machine {
        2 => "sparc",
        3 => "x86",
        4 => "m68k",
        8 | 10 => "mips",
        18 | 43 => "sparc64",
        20 => "powerpc",
        21 => "powerpc64",
        22 => "s390",
        40 => "arm",
        42 => "sh",
        50 => "ia64",
        62 => "x86_64",
        83 => "avr",
        92 => "openrisc",
        93 | 195 => "arc",
        94 => "xtensa",
        106 => "blackfin",
        113 => "nios2",
        183 => "aarch64",
        189 => "microblaze",
        243 => "riscv",
        252 => "csky",
        258 => "loongarch",
        _ => return format!("em-{e_machine}"),
    };
    name.to_owned()
}

#[cfg(test)]
mod tests;
