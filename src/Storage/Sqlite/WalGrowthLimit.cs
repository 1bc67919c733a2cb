using SQLitePCL;

namespace Overlay.Storage.Sqlite;

/// <summary>
/// Keeps the WAL from growing without bound while puts keep coming. The writer's connection runs
/// with <c>wal_autocheckpoint = 0</c>; after each commit this counts the frames it appended, asks the
/// <see cref="WalCheckpointer"/> to copy them once enough have gathered, and past
/// <see cref="WalFrameLimit"/> completes a checkpoint on the writer's own connection. Writer thread only,
/// apart from <see cref="FramesWritten"/>.
/// </summary>
internal sealed class WalGrowthLimit
{
    /// <summary>Frames appended before the checkpointer is asked to copy them (16 MiB at 4 KiB pages).</summary>
    internal const int CheckpointRequestFrames = 4096;

    /// <summary>
    /// Frames after which the writer completes a checkpoint itself between transactions. A background
    /// checkpoint can never catch up with a writer that keeps appending, and SQLite only restarts the
    /// WAL from its beginning once every frame was copied, so without this the WAL would grow for as
    /// long as puts keep coming. By then the checkpointer has copied nearly everything, so what the
    /// writer copies here is the short tail.
    /// </summary>
    internal const int WalFrameLimit = 4 * CheckpointRequestFrames;

    private readonly sqlite3 _db;
    private readonly WalCheckpointer _checkpointer;

    // WAL frames appended since the last checkpoint request, and since the WAL was last known to be
    // fully copied. Counted from SQLite's own per-connection page-write statistic.
    private long _framesSinceRequest, _framesInWal;
    private long _framesWritten;

    public WalGrowthLimit(sqlite3 writerDb, WalCheckpointer checkpointer)
    {
        _db = writerDb;
        _checkpointer = checkpointer;
    }

    /// <summary>WAL frames (pages) appended by the writer since open.</summary>
    public long FramesWritten => Interlocked.Read(ref _framesWritten);

    public long CompletedCheckpoints => _checkpointer.Completed;

    /// <summary>Right after a commit: counts its frames, and requests or completes a checkpoint when due.</summary>
    public void Committed()
    {
        // In WAL mode every page a commit writes is one WAL frame.
        raw.sqlite3_db_status(_db, raw.SQLITE_DBSTATUS_CACHE_WRITE, out var written, out _, 1);
        Interlocked.Add(ref _framesWritten, written);
        _framesSinceRequest += written;
        _framesInWal += written;
        if (_framesSinceRequest >= CheckpointRequestFrames)
        {
            _framesSinceRequest = 0;
            _checkpointer.Request();
        }

        if (_framesInWal >= WalFrameLimit)
        {
            // Waits for a background checkpoint in progress, then copies the rest itself. Incomplete
            // (a reader still uses old frames): try again a little later.
            _framesInWal = _checkpointer.Checkpoint(_db) ? 0 : WalFrameLimit - (CheckpointRequestFrames / 4);
        }
    }

    /// <summary>The queue ran dry: let the checkpointer copy what is left, so idle readers find every page in the database file.</summary>
    public void Idle()
    {
        if (_framesSinceRequest > 0)
        {
            _framesSinceRequest = 0;
            _checkpointer.Request();
        }
    }
}
