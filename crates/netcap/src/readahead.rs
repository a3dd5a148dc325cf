//! Reading a capture on a second thread, a few chunks ahead of the analysis: the copying of the
//! file from the kernel (or its decompression) overlaps with the analysis instead of adding to it.
//! Memory stays bounded: at most `DEPTH + 2` chunks exist, and they are reused.

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

const CHUNK: usize = 1 << 20;
const DEPTH: usize = 4;

pub(crate) struct ReadAhead {
    chunks: Receiver<io::Result<Vec<u8>>>,
    spent: SyncSender<Vec<u8>>,
    current: Vec<u8>,
    at: usize,
    done: bool,
}

/// Fills `buf` as far as the input goes; Ok(0) at its end.
fn fill(input: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if filled > 0 => {
                // deliver what was read; the error comes again on the next call
                let _ = e;
                break;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

impl ReadAhead {
    pub(crate) fn new(mut input: Box<dyn Read + Send>) -> ReadAhead {
        let (tx, chunks) = sync_channel::<io::Result<Vec<u8>>>(DEPTH);
        let (spent, reuse) = sync_channel::<Vec<u8>>(DEPTH + 2);
        std::thread::Builder::new()
            .name("capture-reader".into())
            .spawn(move || {
                loop {
                    let mut buf = reuse.try_recv().unwrap_or_default();
                    buf.resize(CHUNK, 0);
                    let r = fill(&mut *input, &mut buf).map(|n| {
                        buf.truncate(n);
                        buf
                    });
                    let end = r.as_ref().map_or(true, |b| b.is_empty());
                    // the analysis stopped early (a truncated capture): stop reading too
                    if tx.send(r).is_err() || end {
                        return;
                    }
                }
            })
            .map(|_| ())
            .unwrap_or_else(|e| {
                // no thread to be had: the caller's reads will report it
                let _ = e;
            });
        ReadAhead { chunks, spent, current: Vec::new(), at: 0, done: false }
    }
}

impl ReadAhead {
    /// Makes the next chunk current; false at the end of the input.
    fn next_chunk(&mut self) -> io::Result<bool> {
        if self.done {
            return Ok(false);
        }
        let old = std::mem::take(&mut self.current);
        if old.capacity() > 0 {
            let _ = self.spent.try_send(old);
        }
        self.at = 0;
        match self.chunks.recv() {
            Ok(Ok(chunk)) => {
                self.done = chunk.is_empty();
                self.current = chunk;
                Ok(!self.done)
            }
            Ok(Err(e)) => {
                self.done = true;
                Err(e)
            }
            Err(_) => {
                self.done = true;
                Err(io::Error::other("the capture reader thread stopped"))
            }
        }
    }
}

impl ReadAhead {
    /// The next chunk as it was read (the caller consumes it whole); None at the end.
    pub(crate) fn chunk(&mut self) -> io::Result<Option<&[u8]>> {
        if self.at < self.current.len() {
            self.at = self.current.len();
            return Ok(Some(&self.current));
        }
        if !self.next_chunk()? {
            return Ok(None);
        }
        self.at = self.current.len();
        Ok(Some(&self.current))
    }
}

impl Read for ReadAhead {
    /// Fills `out` across chunks (callers such as the pcap reader take a short read for the end).
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let mut n = 0;
        while n < out.len() {
            if self.at == self.current.len() {
                match self.next_chunk() {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) if n == 0 => return Err(e),
                    Err(_) => break,
                }
            }
            let take = (out.len() - n).min(self.current.len() - self.at);
            out[n..n + take].copy_from_slice(&self.current[self.at..self.at + take]);
            self.at += take;
            n += take;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_everything_in_order_across_chunks() {
        let data: Vec<u8> = (0..(3 * CHUNK + 12345)).map(|i| (i * 7 % 251) as u8).collect();
        let mut r = ReadAhead::new(Box::new(io::Cursor::new(data.clone())));
        let mut out = Vec::new();
        let mut buf = vec![0u8; 70_000];
        loop {
            let n = r.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        assert_eq!(out, data);
        assert_eq!(r.read(&mut buf).unwrap(), 0, "stays at the end");
    }

    struct Failing;
    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("disk on fire"))
        }
    }

    #[test]
    fn errors_reach_the_reader() {
        let mut r = ReadAhead::new(Box::new(Failing));
        let e = r.read(&mut [0u8; 10]).unwrap_err();
        assert!(e.to_string().contains("disk on fire"), "{e}");
    }
}
