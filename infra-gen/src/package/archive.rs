//! Deterministic zip archives: the same entries give the same bytes on any machine, so an
//! archive's sha256 identifies its content. Entries are sorted by name, timestamps are the zip
//! epoch (1980-01-01), modes are fixed, and no extra fields carry host details.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

/// One file of an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `/`-separated path inside the archive.
    pub name: String,
    pub content: Vec<u8>,
    pub executable: bool,
}

impl Entry {
    pub fn file(name: impl Into<String>, content: impl Into<Vec<u8>>) -> Entry {
        Entry {
            name: name.into(),
            content: content.into(),
            executable: false,
        }
    }

    pub fn executable(name: impl Into<String>, content: impl Into<Vec<u8>>) -> Entry {
        Entry {
            name: name.into(),
            content: content.into(),
            executable: true,
        }
    }
}

/// The archive bytes of `entries` (in any order).
pub fn zip(mut entries: Vec<Entry>) -> zip::result::ZipResult<Vec<u8>> {
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for entry in entries {
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .compression_level(Some(9))
            .last_modified_time(DateTime::default())
            .unix_permissions(if entry.executable { 0o755 } else { 0o644 });
        writer.start_file(entry.name, options)?;
        writer.write_all(&entry.content)?;
    }
    Ok(writer.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn same_entries_in_any_order_give_the_same_bytes() {
        let a = zip(vec![
            Entry::executable("bootstrap", vec![1, 2, 3]),
            Entry::file("b.txt", "b"),
        ])
        .unwrap();
        let b = zip(vec![
            Entry::file("b.txt", "b"),
            Entry::executable("bootstrap", vec![1, 2, 3]),
        ])
        .unwrap();
        assert_eq!(Sha256::digest(&a), Sha256::digest(&b));
        let c = zip(vec![
            Entry::file("b.txt", "c"),
            Entry::executable("bootstrap", vec![1, 2, 3]),
        ])
        .unwrap();
        assert_ne!(a, c);
    }

    #[test]
    fn entries_keep_their_modes_and_content() {
        let bytes = zip(vec![Entry::executable("bootstrap", b"bin".to_vec())]).unwrap();
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut file = archive.by_name("bootstrap").unwrap();
        assert_eq!(file.unix_mode().map(|m| m & 0o777), Some(0o755));
        let mut content = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut content).unwrap();
        assert_eq!(content, b"bin");
    }
}
