//! The log writer. Request handlers append formatted lines to a shared buffer; a background
//! thread writes the buffer to stderr every few milliseconds. A handler makes no system call
//! and wakes no thread per line (only the first line after a quiet spell wakes the writer),
//! which matters on a proxy whose own work per request is a few tens of microseconds.
//!
//! Lines reach stderr at most [`FLUSH_INTERVAL`] late. Dropping [`Logs`] writes what is left;
//! when the buffer outgrows [`BUFFER_LIMIT`] the line that overflows it writes the buffer
//! itself, so a flood of lines slows its producers instead of growing memory.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How long lines may wait before they are written.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(10);

/// The most bytes held before producers write themselves.
pub const BUFFER_LIMIT: usize = 1 << 20;

struct Shared {
    buffer: Mutex<Vec<u8>>,
    wake: Condvar,
    closed: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Vec<u8>> {
        // A panic while holding the lock leaves whole lines behind; the buffer stays usable.
        self.buffer.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The buffered stderr log; keep it alive until exit.
pub struct Logs {
    shared: Arc<Shared>,
    writer: Option<JoinHandle<()>>,
}

impl Logs {
    /// Starts the writer thread (`log-writer`). Without a thread (the system refused one),
    /// every line is written at once.
    pub fn start() -> Logs {
        let shared = Arc::new(Shared {
            buffer: Mutex::new(Vec::with_capacity(64 * 1024)),
            wake: Condvar::new(),
            closed: AtomicBool::new(false),
        });
        let writer = std::thread::Builder::new()
            .name("log-writer".to_owned())
            .spawn({
                let shared = shared.clone();
                move || write_batches(&shared)
            })
            .ok();
        if writer.is_none() {
            shared.closed.store(true, Ordering::Release);
        }
        Logs { shared, writer }
    }

    /// What `tracing_subscriber::fmt` writes each formatted event to.
    pub fn make_writer(&self) -> LogSink {
        LogSink(self.shared.clone())
    }
}

impl Drop for Logs {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Release);
        self.shared.wake.notify_one();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
        let rest = std::mem::take(&mut *self.shared.lock());
        let _ = write_stderr(&rest);
    }
}

fn write_batches(shared: &Shared) {
    loop {
        let mut buffer = shared.lock();
        while buffer.is_empty() && !shared.closed.load(Ordering::Acquire) {
            buffer = shared
                .wake
                .wait(buffer)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if buffer.is_empty() {
            return;
        }
        drop(buffer);
        if !shared.closed.load(Ordering::Acquire) {
            // Let the lines of the requests in flight join this batch.
            std::thread::sleep(FLUSH_INTERVAL);
        }
        let batch = std::mem::take(&mut *shared.lock());
        let _ = write_stderr(&batch);
    }
}

fn write_stderr(bytes: &[u8]) -> io::Result<()> {
    if bytes.is_empty() {
        return Ok(());
    }
    let mut stderr = io::stderr().lock();
    stderr.write_all(bytes)?;
    stderr.flush()
}

/// Appends whole formatted events to the shared buffer.
#[derive(Clone)]
pub struct LogSink(Arc<Shared>);

impl Write for LogSink {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut buffer = self.0.lock();
        if self.0.closed.load(Ordering::Acquire) || buffer.len() + bytes.len() > BUFFER_LIMIT {
            // Under the lock, so that lines keep their order.
            write_stderr(&buffer)?;
            buffer.clear();
            write_stderr(bytes)?;
            return Ok(bytes.len());
        }
        let was_empty = buffer.is_empty();
        buffer.extend_from_slice(bytes);
        drop(buffer);
        if was_empty {
            self.0.wake.notify_one();
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogSink {
    type Writer = LogSink;

    fn make_writer(&'a self) -> LogSink {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropping_the_logs_leaves_nothing_behind() {
        let logs = Logs::start();
        let shared = logs.shared.clone();
        logs.make_writer().write_all(b"last\n").expect("buffered");
        drop(logs);
        assert!(shared.lock().is_empty());
        assert!(shared.closed.load(Ordering::Acquire));
    }
}
