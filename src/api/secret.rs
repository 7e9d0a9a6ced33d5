//! The session secret, `<data-dir>/secret.key`: the HMAC key that signs clerks' and
//! supervisors' session tokens and the phones' client cookies (auth.rs).
//!
//! Made once, on the first start, and never silently again: a new secret logs every clerk out
//! and resets every phone's cookie, so an existing file that cannot be read, or is shorter
//! than [`SECRET_LEN`] bytes, stops start-up with the path and what to do. A new secret is
//! written whole or not at all: to `secret.key.tmp` with mode 0600 (it is a credential),
//! fsync, rename over `secret.key`, fsync of the folder — a power cut leaves no empty or
//! half-written key to be "repaired" by a regeneration.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use rand::RngCore;
use thiserror::Error;

/// Bytes of a new secret, and the least an existing one must have.
pub const SECRET_LEN: usize = 32;
/// The file's name in the data folder.
pub const SECRET_FILE: &str = "secret.key";

#[derive(Debug, Error)]
pub enum SecretError {
    #[error(
        "{path}: không đọc được khoá phiên ({source}); hãy sửa quyền của tệp hoặc khôi phục nó \
         từ bản sao lưu (xoá tệp sẽ tạo khoá mới và mọi cán bộ phải đăng nhập lại) / cannot read \
         the session secret ({source}); fix the file's permissions or restore it from a backup \
         (deleting it makes a new secret and every clerk must log in again)"
    )]
    Read { path: PathBuf, source: io::Error },
    #[error(
        "{path}: khoá phiên chỉ có {len} byte, cần ít nhất {SECRET_LEN}; hãy khôi phục tệp từ bản \
         sao lưu, hoặc xoá nó để tạo khoá mới (mọi cán bộ phải đăng nhập lại) / the session \
         secret is {len} bytes, at least {SECRET_LEN} are needed; restore the file from a \
         backup, or delete it to make a new one (every clerk must log in again)"
    )]
    Short { path: PathBuf, len: usize },
    #[error("{path}: cannot write the new session secret: {source}")]
    Write { path: PathBuf, source: io::Error },
}

/// The secret of `data_dir`, made (durably, mode 0600) when the file does not exist.
pub fn load_or_create(data_dir: &Path) -> Result<Vec<u8>, SecretError> {
    let path = data_dir.join(SECRET_FILE);
    match fs::read(&path) {
        Ok(secret) if secret.len() >= SECRET_LEN => Ok(secret),
        Ok(secret) => Err(SecretError::Short {
            path,
            len: secret.len(),
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let mut secret = vec![0u8; SECRET_LEN];
            rand::thread_rng().fill_bytes(&mut secret);
            write_atomically(data_dir, &path, &secret)
                .map_err(|source| SecretError::Write { path, source })?;
            Ok(secret)
        }
        Err(source) => Err(SecretError::Read { path, source }),
    }
}

fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    // A leftover .tmp of a cut attempt may have other permissions: set them again.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&tmp, path)?;
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_secret_is_made_once_whole_and_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = load_or_create(dir.path()).expect("made");
        assert_eq!(first.len(), SECRET_LEN);
        let path = dir.path().join(SECRET_FILE);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).expect("stat").permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
        }
        assert!(!dir.path().join("secret.key.tmp").exists());
        assert_eq!(load_or_create(dir.path()).expect("read back"), first);
    }

    #[test]
    fn a_short_or_unreadable_secret_is_an_error_not_a_new_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(SECRET_FILE);
        fs::write(&path, b"short").expect("write");
        match load_or_create(dir.path()) {
            Err(SecretError::Short { len: 5, .. }) => {}
            other => panic!("expected Short, got {other:?}"),
        }
        assert_eq!(fs::read(&path).expect("read"), b"short", "left as it was");
        // Unreadable: a folder where the file should be (works as root too).
        fs::remove_file(&path).expect("rm");
        fs::create_dir(&path).expect("mkdir");
        let err = load_or_create(dir.path()).expect_err("unreadable");
        assert!(matches!(err, SecretError::Read { .. }), "{err:?}");
        assert!(err.to_string().contains("secret.key"), "{err}");
    }
}
