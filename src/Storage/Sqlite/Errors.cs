using Microsoft.Data.Sqlite;

namespace Overlay.Storage.Sqlite;

/// <summary>Turns SQLite and file-system failures into <see cref="StorageException"/> with a reason and one sentence naming the file.</summary>
internal static class Errors
{
    public static StorageException Map(SqliteException e, string path, string doing) => (e.SqliteErrorCode & 0xFF) switch
    {
        Native.NotADb => new(StorageErrorReason.NotADatabase, $"The shard store file '{path}' is not an SQLite database (while {doing}).", e) { FilePath = path },
        Native.Corrupt => new(StorageErrorReason.Corrupted, $"The shard store file '{path}' is corrupted: {e.Message} (while {doing}).", e) { FilePath = path },
        Native.Full => new(StorageErrorReason.DiskFull, $"The disk holding '{path}' is full or the database reached its page limit; nothing was written (while {doing}).", e) { FilePath = path },
        Native.Busy or Native.Locked => new(StorageErrorReason.Locked, $"The shard store file '{path}' is locked by another process (while {doing}).", e) { FilePath = path },
        Native.ReadOnly => new(StorageErrorReason.ReadOnly, $"The shard store file '{path}' cannot be written (while {doing}).", e) { FilePath = path },
        Native.CantOpen => new(StorageErrorReason.CannotOpen, $"The shard store file '{path}' cannot be opened (while {doing}).", e) { FilePath = path },
        _ => new(StorageErrorReason.IoError, $"The shard store file '{path}' failed: {e.Message} (while {doing}).", e) { FilePath = path },
    };

    public static bool IsCorruption(SqliteException e) => (e.SqliteErrorCode & 0xFF) is Native.Corrupt or Native.NotADb;
}
