//! The data directory's identity: a random id made at the first start and kept in
//! `DATA/identity`. The province hub binds a centre to the identity that first pushed its
//! events, so a lobby whose data dir was wiped (a new identity, seqs starting again at 1) is
//! refused loudly instead of silently merged into the old history (HUB.md).

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use rand::RngCore;

/// File name under the data directory.
pub const FILE: &str = "identity";

/// The identity of `data_dir`, made (and written atomically: temp file, fsync, rename,
/// directory fsync) when there is none. Blocking: call it off the async workers.
pub fn load_or_create(data_dir: &Path) -> io::Result<String> {
    let path = data_dir.join(FILE);
    match fs::read_to_string(&path) {
        Ok(s) if valid(s.trim()) => return Ok(s.trim().to_string()),
        Ok(_) => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{} is not an identity (32 hex digits); restore it from a backup, or remove it to make a new one (the province hub will then refuse this lobby until an operator accepts it)",
                    path.display()
                ),
            ))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
    }
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let id = hex::encode(bytes);
    fs::create_dir_all(data_dir)?;
    let tmp = data_dir.join(format!("{FILE}.tmp"));
    {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(format!("{id}\n").as_bytes())?;
        f.sync_all()?;
    }
    fs::rename(&tmp, &path)?;
    fs::File::open(data_dir).and_then(|d| d.sync_all())?;
    Ok(id)
}

fn valid(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_once_then_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = load_or_create(dir.path()).expect("made");
        assert!(valid(&a));
        assert_eq!(load_or_create(dir.path()).expect("read"), a);
        assert!(!dir.path().join("identity.tmp").exists());
        // A wiped data dir gets another one.
        let other = tempfile::tempdir().expect("tempdir");
        assert_ne!(load_or_create(other.path()).expect("made"), a);
    }

    #[test]
    fn a_damaged_file_stops_start_up() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join(FILE), "garbage").expect("write");
        let e = load_or_create(dir.path()).expect_err("refused");
        assert!(e.to_string().contains("not an identity"), "{e}");
    }
}
