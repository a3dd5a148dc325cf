//! The kit's file store for large blobs: files too large to hold in memory (captures up to
//! 2 GiB) are streamed to a temporary file while their SHA-256 is computed, then renamed to
//! their content address (`DIR/sha256/ab/abcdef…`), so the same bytes are kept once. The
//! database's `blobs` row marks such a blob `external`; small files stay in the database. With
//! several servers on PostgreSQL, the directory is shared storage (a volume all of them mount).
//!
//! Nothing is written outside the directory: names come from the hash alone, never from the
//! client, and a partial upload is removed when its writer is dropped unfinished.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::{App, AppError, Result};

/// Where a content hash lives in the file store.
pub fn blob_path(dir: &Path, sha256: &str) -> Option<PathBuf> {
    let ok = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    ok.then(|| dir.join("sha256").join(&sha256[..2]).join(sha256))
}

/// An upload being streamed to the file store: bytes are written and hashed as they arrive;
/// past `limit` the write fails with [`AppError::TooLarge`] and the partial file is removed.
pub struct BlobWriter {
    dir: PathBuf,
    tmp: PathBuf,
    file: Option<tokio::fs::File>,
    hasher: Sha256,
    size: u64,
    limit: u64,
    /// The first bytes, for content detection without reading the file again.
    head: Vec<u8>,
}

/// A blob written to the file store.
#[derive(Debug, Clone)]
pub struct StagedBlob {
    pub sha256: String,
    pub size: u64,
    /// Its first 64 KiB, for telling what it is.
    pub head: Vec<u8>,
}

pub const HEAD_BYTES: usize = 64 * 1024;

impl BlobWriter {
    pub async fn create(dir: &Path, limit: u64) -> Result<BlobWriter> {
        let tmp_dir = dir.join("tmp");
        tokio::fs::create_dir_all(&tmp_dir).await.map_err(|e| store_error("create", &tmp_dir, e))?;
        let name = format!("upload-{:016x}{:016x}", rand::random::<u64>(), rand::random::<u64>());
        let tmp = tmp_dir.join(name);
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .await
            .map_err(|e| store_error("create", &tmp, e))?;
        Ok(BlobWriter {
            dir: dir.to_path_buf(),
            tmp,
            file: Some(file),
            hasher: Sha256::new(),
            size: 0,
            limit,
            head: Vec::new(),
        })
    }

    /// Appends a chunk; fails (and the partial file goes) past the limit.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            self.discard().await;
            return Err(AppError::TooLarge { limit: self.limit as usize });
        }
        if self.head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.hasher.update(chunk);
        let file = self.file.as_mut().ok_or_else(|| AppError::Internal("blob writer already closed".into()))?;
        if let Err(e) = file.write_all(chunk).await {
            let err = store_error("write", &self.tmp, e);
            self.discard().await;
            return Err(err);
        }
        Ok(())
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Flushes the file to disk and moves it to its content address.
    pub async fn finish(mut self) -> Result<StagedBlob> {
        let mut file = self.file.take().ok_or_else(|| AppError::Internal("blob writer already closed".into()))?;
        let synced = async {
            file.flush().await?;
            file.sync_all().await
        }
        .await;
        drop(file);
        if let Err(e) = synced {
            let _ = tokio::fs::remove_file(&self.tmp).await;
            return Err(store_error("write", &self.tmp, e));
        }
        let sha256 = hex::encode(std::mem::take(&mut self.hasher).finalize());
        let path = blob_path(&self.dir, &sha256).ok_or_else(|| AppError::Internal("bad digest".into()))?;
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(|e| store_error("create", parent, e))?;
        }
        // the same content already stored: keep the first copy
        if tokio::fs::try_exists(&path).await.unwrap_or(false) {
            let _ = tokio::fs::remove_file(&self.tmp).await;
        } else if let Err(e) = tokio::fs::rename(&self.tmp, &path).await {
            let _ = tokio::fs::remove_file(&self.tmp).await;
            return Err(store_error("store", &path, e));
        }
        Ok(StagedBlob { sha256, size: self.size, head: std::mem::take(&mut self.head) })
    }

    async fn discard(&mut self) {
        self.file.take();
        let _ = tokio::fs::remove_file(&self.tmp).await;
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        // an upload cut off (client gone, error, limit): no partial file stays behind
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

fn store_error(what: &str, path: &Path, e: std::io::Error) -> AppError {
    tracing::error!(path = %path.display(), error = %e, "file store: cannot {what}");
    AppError::Unavailable
}

/// Where a stored blob's bytes are.
#[derive(Debug, Clone)]
pub enum BlobSource {
    /// In the file store.
    File(PathBuf),
    /// In the database.
    Bytes(Vec<u8>),
}

impl App {
    /// Starts streaming an upload to the file store.
    pub async fn blob_writer(&self, limit: u64) -> Result<BlobWriter> {
        BlobWriter::create(&self.config.blob_dir, limit).await
    }

    /// A stored blob: its path in the file store, or its bytes from the database.
    pub async fn blob_source(&self, sha256: &str) -> Result<BlobSource> {
        let (external, _) = self.store.blob_info(sha256).await?;
        if external {
            let path = blob_path(&self.config.blob_dir, sha256).ok_or(AppError::NotFound)?;
            Ok(BlobSource::File(path))
        } else {
            Ok(BlobSource::Bytes(self.store.blob(sha256).await?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn streams_hashes_and_bounds() {
        let dir = std::env::temp_dir().join(format!("kh-blobs-{}", rand::random::<u32>()));
        let mut w = BlobWriter::create(&dir, 10).await.unwrap();
        w.write(b"hello ").await.unwrap();
        w.write(b"blob").await.unwrap();
        let b = w.finish().await.unwrap();
        assert_eq!(b.sha256, hex::encode(Sha256::digest(b"hello blob")));
        assert_eq!(b.size, 10);
        assert_eq!(b.head, b"hello blob");
        let path = blob_path(&dir, &b.sha256).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"hello blob");

        // past the limit: refused, nothing left in tmp
        let mut w = BlobWriter::create(&dir, 10).await.unwrap();
        w.write(b"0123456789").await.unwrap();
        assert!(matches!(w.write(b"x").await, Err(AppError::TooLarge { limit: 10 })));
        drop(w);
        // dropped unfinished: removed too
        let mut w = BlobWriter::create(&dir, 10).await.unwrap();
        w.write(b"abc").await.unwrap();
        drop(w);
        assert_eq!(std::fs::read_dir(dir.join("tmp")).unwrap().count(), 0);
        // a name that is not a digest never becomes a path
        assert!(blob_path(&dir, "../../etc/passwd").is_none());
        assert!(blob_path(&dir, &"A".repeat(64)).is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
