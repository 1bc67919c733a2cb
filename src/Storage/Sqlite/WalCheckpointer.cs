using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Overlay.Storage.Sqlite;

/// <summary>
/// Copies committed WAL frames back into the database file on its own thread and connection, so
/// the writer thread spends its time on transactions, not on checkpoints. The writer's connection
/// runs with <c>wal_autocheckpoint = 0</c> and asks for a checkpoint through <see cref="Request"/>.
/// A checkpoint is SQLite's own (PASSIVE: never blocks the writer or readers), so a process killed
/// in the middle of one loses nothing: the WAL still holds every committed frame.
/// </summary>
internal sealed class WalCheckpointer : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly sqlite3 _db;
    private readonly AutoResetEvent _wake = new(initialState: false);
    private readonly Thread _thread;
    private volatile bool _stopping;

    public WalCheckpointer(SqliteConnection connection)
    {
        _connection = connection;
        _db = connection.Handle!;
        _thread = new Thread(Run) { IsBackground = true, Name = "Overlay shard checkpointer" };
        _thread.Start();
    }

    /// <summary>Checkpoints completed (all frames of the WAL copied at the time); for tests and diagnostics.</summary>
    public long Completed => Interlocked.Read(ref _completed);

    private long _completed;

    /// <summary>Asks for a checkpoint soon; requests made while one is pending are merged.</summary>
    public void Request() => _wake.Set();

    private void Run()
    {
        while (true)
        {
            _wake.WaitOne();
            if (_stopping)
            {
                return;
            }

            // BUSY (another checkpoint running) or an I/O error only postpones the copy: the frames
            // stay in the WAL, readers still see them, and the next request or the writer's own
            // bounded-WAL checkpoint tries again.
            Checkpoint(_db);
        }
    }

    /// <summary>
    /// Runs one PASSIVE checkpoint on <paramref name="db"/> (the checkpointer's own connection, or the
    /// writer's when the WAL reached its limit). One at a time: two concurrent checkpoints would make
    /// one of them fail with BUSY, and the writer's must not fail for that reason.
    /// </summary>
    /// <returns>True when every frame in the WAL was copied.</returns>
    public bool Checkpoint(sqlite3 db)
    {
        lock (_gate)
        {
            var rc = raw.sqlite3_wal_checkpoint_v2(db, null, raw.SQLITE_CHECKPOINT_PASSIVE, out var log, out var copied);
            if (rc == Native.Ok && log == copied)
            {
                Interlocked.Increment(ref _completed);
                return true;
            }

            return false;
        }
    }

    private readonly Lock _gate = new();

    public void Dispose()
    {
        _stopping = true;
        _wake.Set();
        _thread.Join();
        _wake.Dispose();
        _connection.Dispose();
    }
}
