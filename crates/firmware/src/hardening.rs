//! Binary hardening per ELF file (read with `goblin`): a non-executable stack (NX), position
//! independence (PIE), RELRO (partial, or full with immediate binding), a stack protector (the
//! binary calls `__stack_chk_fail`), and whether its symbol table was stripped. Summarised per
//! image: what share of the binaries have each.

use goblin::elf::Elf;
use goblin::elf::dynamic::{DF_1_NOW, DF_1_PIE, DF_BIND_NOW, DT_BIND_NOW, DT_FLAGS, DT_FLAGS_1};
use goblin::elf::header::{ET_DYN, ET_EXEC};
use goblin::elf::program_header::{PF_X, PT_GNU_RELRO, PT_GNU_STACK, PT_INTERP};
use serde::Serialize;

use crate::unpack::Entry;

/// One ELF file's hardening.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Binary {
    pub path: String,
    /// `executable` or `library`.
    pub kind: &'static str,
    pub machine: String,
    pub nx: bool,
    pub pie: bool,
    /// `full`, `partial` or `none`.
    pub relro: &'static str,
    pub canary: bool,
    pub stripped: bool,
}

/// The image's binaries in numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Hardening {
    /// ELF files read.
    pub binaries: usize,
    /// Files that start like ELF but could not be read.
    pub unreadable: usize,
    pub nx: usize,
    /// Of the executables (libraries are position independent by nature).
    pub executables: usize,
    pub pie: usize,
    pub relro_full: usize,
    pub relro_partial: usize,
    pub canary: usize,
    pub stripped: usize,
}

/// Reads one ELF file; None when it is not a readable ELF executable or library.
pub fn binary(path: &str, data: &[u8]) -> Option<Binary> {
    let elf = Elf::parse(data).ok()?;
    let kind = match elf.header.e_type {
        ET_EXEC => "executable",
        ET_DYN if elf.program_headers.iter().any(|p| p.p_type == PT_INTERP) => "executable",
        ET_DYN => "library",
        _ => return None,
    };
    let nx = match elf.program_headers.iter().find(|p| p.p_type == PT_GNU_STACK) {
        Some(p) => p.p_flags & PF_X == 0,
        // without the note, the loader's default for most architectures is an executable stack
        None => false,
    };
    let (mut bind_now, mut pie_flag) = (false, false);
    if let Some(d) = &elf.dynamic {
        for e in &d.dyns {
            match e.d_tag {
                DT_BIND_NOW => bind_now = true,
                DT_FLAGS if e.d_val & DF_BIND_NOW != 0 => bind_now = true,
                DT_FLAGS_1 => {
                    bind_now |= e.d_val & DF_1_NOW != 0;
                    pie_flag |= e.d_val & DF_1_PIE != 0;
                }
                _ => {}
            }
        }
    }
    let pie = elf.header.e_type == ET_DYN && (kind == "executable" || pie_flag);
    let relro = match (elf.program_headers.iter().any(|p| p.p_type == PT_GNU_RELRO), bind_now) {
        (true, true) => "full",
        (true, false) => "partial",
        _ => "none",
    };
    let named = |name: &str| {
        elf.dynsyms.iter().any(|s| elf.dynstrtab.get_at(s.st_name) == Some(name))
            || elf.syms.iter().any(|s| elf.strtab.get_at(s.st_name) == Some(name))
    };
    let canary = named("__stack_chk_fail") || named("__stack_chk_guard");
    let stripped = elf.syms.is_empty();
    Some(Binary {
        path: path.to_string(),
        kind,
        machine: goblin::elf::header::machine_to_str(elf.header.e_machine).to_string(),
        nx,
        pie,
        relro,
        canary,
        stripped,
    })
}

/// Every kept ELF file's hardening, and the summary.
pub fn hardening(entries: &[Entry]) -> (Vec<Binary>, Hardening) {
    let mut out = Vec::new();
    let mut h = Hardening::default();
    for e in entries.iter().filter(|e| e.data.starts_with(b"\x7fELF")) {
        // a panic in the parser on a crafted file costs this file, not the report
        match std::panic::catch_unwind(|| binary(&e.path, &e.data)) {
            Ok(Some(b)) => {
                h.binaries += 1;
                h.nx += usize::from(b.nx);
                if b.kind == "executable" {
                    h.executables += 1;
                    h.pie += usize::from(b.pie);
                }
                match b.relro {
                    "full" => h.relro_full += 1,
                    "partial" => h.relro_partial += 1,
                    _ => {}
                }
                h.canary += usize::from(b.canary);
                h.stripped += usize::from(b.stripped);
                out.push(b);
            }
            _ => h.unreadable += 1,
        }
    }
    (out, h)
}
