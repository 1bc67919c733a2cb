using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Crypto;
using Overlay.Storage.Sqlite;
using SQLitePCL;

namespace Overlay.Storage;

/// <summary>
/// The SQLite implementation of <see cref="IShardStore"/> and <see cref="IShardStoreAdministration"/>:
/// one file (<c>shards.db</c>, WAL mode) in <see cref="StorageOptions.Directory"/>, a pool of read
/// connections with prepared statements and a memory-mapped window, and one batching writer thread.
/// Open with <see cref="Open"/>.
/// </summary>
/// <remarks>
/// This class opens the store and checks and hashes what callers hand it; the files and connections
/// are <see cref="ShardDatabaseFiles"/>'s, reads <see cref="VerifiedReads"/>'s and writes
/// <see cref="ShardWriter"/>'s.
/// </remarks>
public sealed partial class SqliteShardStore : IShardStore, IShardStoreAdministration
{
    /// <summary>Name of the database file inside <see cref="StorageOptions.Directory"/>.</summary>
    public const string FileName = "shards.db";

    private readonly StorageOptions _options;
    private readonly string _path;
    private readonly FileStream _lock;
    private readonly ShardWriter _writer;
    private readonly RecentShardIndex _recent;
    private readonly VerifiedReads _reads;
    private readonly ShardStoreMetrics _metrics;
    private readonly ILogger _logger;
    private int _disposed;

    private SqliteShardStore(StorageOptions options, TimeProvider time, string path, FileStream lockFile, ShardWriter writer, RecentShardIndex recent, ShardReader[] readers, ShardStoreMetrics metrics, ILogger logger)
    {
        _recent = recent;
        _logger = logger;
        _options = options;
        _path = path;
        _lock = lockFile;
        _writer = writer;
        _metrics = metrics;
        _reads = new VerifiedReads(readers, writer, time, metrics, logger, path, options.MaxShardBytes);
    }

    /// <summary>Benchmarks only: reads skip the hash check, to show what verification costs.</summary>
    internal bool SkipReadVerification
    {
        set => _reads.SkipVerification = value;
    }

    /// <summary>Background WAL checkpoints that copied every frame; for tests.</summary>
    internal long WalCheckpoints => _writer.CompletedCheckpoints;

    /// <summary>Merge transactions (id ranges of the log of recent shards moved into the id index) since open; for tests and benchmarks.</summary>
    internal long Merges => _writer.Merges;

    /// <summary>The longest of those merges (the longest time it held up puts).</summary>
    internal TimeSpan LongestMerge => _writer.LongestMerge;

    /// <summary>Duplicate checks the writer's id filter answered without reading the id index; for tests.</summary>
    internal long IndexLookupsSkipped => _writer.IndexLookupsSkipped;

    /// <summary>Id filters started since open; for tests.</summary>
    internal long IdFilterBuilds => _writer.FilterBuilds;

    /// <summary>Completes once the id filter built at open is ready (or its build failed); for tests and benchmarks.</summary>
    internal Task IdFilterBuilt => _writer.FirstFilterBuilt;

    /// <summary>Shards in the log of recent shards, not yet merged; for tests.</summary>
    internal int RecentCount => _recent.Count;

    /// <summary>WAL frames (database pages) the writer appended since open; for benchmarks.</summary>
    internal long WalFramesWritten => _writer.FramesWritten;

    /// <summary>Full path of the database file.</summary>
    public string FilePath => _path;

    /// <summary>The store's meter (instruments named <c>overlay.storage.*</c>).</summary>
    public Meter Meter => _metrics.Meter;

    /// <summary>
    /// Opens (creating if needed) the store in <see cref="StorageOptions.Directory"/>, migrating its
    /// schema forward.
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid (see <see cref="StorageOptionsValidator"/>).</exception>
    /// <exception cref="StorageException">The file is not a database, is corrupted, foreign, newer, locked, read-only or cannot be opened.</exception>
    public static SqliteShardStore Open(StorageOptions options, TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null, ILogger? logger = null)
    {
        logger ??= NullLogger.Instance;
        StorageOptionsValidator.ThrowIfInvalid(options);
        var time = timeProvider ?? TimeProvider.System;
        var directory = Path.GetFullPath(options.Directory);
        var path = Path.Combine(directory, FileName);
        ShardDatabaseFiles.CreateDirectory(directory, path);
        var lockFile = ShardDatabaseFiles.Lock(directory, path);

        SqliteConnection? writerConnection = null;
        var readers = new List<ShardReader>();
        ShardWriter? writer = null;
        WalCheckpointer? checkpointer = null;
        var metrics = default(ShardStoreMetrics);
        var recent = new RecentShardIndex();
        try
        {
            ShardDatabaseFiles.CreateOwnerOnlyIfMissing(path);

            writerConnection = ShardDatabaseFiles.OpenConnection(path, options, SqliteOpenMode.ReadWriteCreate);
            Schema.Execute(writerConnection, "PRAGMA journal_mode = WAL");
            Schema.Migrate(writerConnection, path);
            if (options.MaxPageCount > 0)
            {
                Schema.Execute(writerConnection, $"PRAGMA max_page_count = {options.MaxPageCount}");
            }

            for (var i = 0; i < options.ReaderCount; i++)
            {
                var connection = ShardDatabaseFiles.OpenConnection(path, options, SqliteOpenMode.ReadWrite);
                // Readers never write; query_only turns a mistake into an error instead of a lock fight.
                Schema.Execute(connection, "PRAGMA query_only = 1");
                readers.Add(new ShardReader(connection, recent));
            }

            checkpointer = new WalCheckpointer(ShardDatabaseFiles.OpenConnection(path, options, SqliteOpenMode.ReadWrite));
            SqliteShardStore? store = null;
            metrics = new ShardStoreMetrics(meterFactory, () => store?.GetUsage() ?? default);
            writer = new ShardWriter(writerConnection, checkpointer, recent, path, options, time, metrics, logger, () => ShardDatabaseFiles.OpenScanConnection(path, options));
            store = new SqliteShardStore(options, time, path, lockFile, writer, recent, [.. readers], metrics, logger);
            var usage = store.GetUsage();
            Log.Opened(logger, path, usage.ShardCount, usage.UsedBytes, usage.ChargedBytes, usage.CapacityBytes);
            return store;
        }
        catch (Exception e)
        {
            writer?.Dispose();
            if (writer is null)
            {
                checkpointer?.Dispose();
                writerConnection?.Dispose();
            }

            foreach (var reader in readers)
            {
                reader.Dispose();
            }

            metrics?.Dispose();
            lockFile.Dispose();
            if (e is SqliteException sqlite)
            {
                throw Errors.Map(sqlite, path, "opening");
            }

            throw;
        }
    }

    /// <inheritdoc/>
    public ValueTask<PutResult> PutAsync(ReadOnlyMemory<byte> data, ShardPutOptions options = default, CancellationToken cancellationToken = default) =>
        PutAsync(new ReadOnlySequence<byte>(data), options, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<PutResult> PutAsync(ReadOnlySequence<byte> data, ShardPutOptions options = default, CancellationToken cancellationToken = default)
    {
        options.Validate();
        ThrowIfTooLarge(data.Length);
        ThrowIfDisposed();
        var id = Hash(data);
        ThrowIfNotExpected(id, options);
        return PutHashedAsync(id, data, options, cancellationToken);
    }

    /// <summary>
    /// Puts bytes whose hash the caller already computed. Benchmarks use it to show what hashing
    /// costs; the store's own callers always go through <see cref="PutAsync(ReadOnlySequence{byte}, ShardPutOptions, CancellationToken)"/>.
    /// </summary>
    internal ValueTask<PutResult> PutHashedAsync(ShardId id, ReadOnlySequence<byte> data, in ShardPutOptions options, CancellationToken cancellationToken)
    {
        ThrowIfTooLarge(data.Length);
        var operation = _writer.RentPut(id, data, options, cancellationToken);
        // Usual case: room in the queue, so nothing here allocates or suspends.
        return _writer.TryEnqueue(operation)
            ? new ValueTask<PutResult>(operation, operation.Version)
            : EnqueueAndAwaitAsync(operation, cancellationToken);
    }

    private async ValueTask<PutResult> EnqueueAndAwaitAsync(PutOperation operation, CancellationToken cancellationToken)
    {
        try
        {
            await _writer.EnqueueAsync(operation, cancellationToken);
        }
        catch
        {
            operation.Abandon();
            throw;
        }

        return await new ValueTask<PutResult>(operation, operation.Version);
    }

    /// <inheritdoc/>
    public ValueTask<PutResult> PutAsync(Stream data, ShardPutOptions options = default, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return StreamedPut.PutAsync(this, data, _options.MaxShardBytes, ThrowIfTooLarge, options, cancellationToken);
    }

    /// <inheritdoc/>
    public ShardReadResult Read(in ShardId id, Span<byte> destination) => _reads.Read(id, destination, null);

    /// <inheritdoc/>
    public ShardReadResult Read(in ShardId id, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        return _reads.Read(id, default, destination);
    }

    /// <inheritdoc/>
    public async ValueTask<ShardReadResult> ReadAsync(ShardId id, Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var buffer = _reads.ReadPooled(id, out var result);
        try
        {
            if (result.Status == ShardReadStatus.Found)
            {
                await destination.WriteAsync(buffer.AsMemory(0, result.Length), cancellationToken);
            }

            return result;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <inheritdoc/>
    public ShardReadResult ReadRange(in ShardId id, long offset, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        // The whole shard is read and hashed: a range is only as good as the shard it comes from.
        var buffer = _reads.ReadPooled(id, out var result);
        try
        {
            if (result.Status != ShardReadStatus.Found)
            {
                return result;
            }

            if (offset > result.Length)
            {
                return new ShardReadResult(ShardReadStatus.OffsetBeyondEnd, result.Length);
            }

            var count = (int)Math.Min(destination.Length, result.Length - offset);
            buffer.AsSpan((int)offset, count).CopyTo(destination);
            return new ShardReadResult(ShardReadStatus.Found, count);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <inheritdoc/>
    public bool Contains(in ShardId id) => _reads.Contains(id);

    /// <inheritdoc/>
    public bool TryGetInfo(in ShardId id, out ShardInfo info) => _reads.TryGetInfo(id, out info);

    /// <inheritdoc/>
    public async ValueTask<bool> DeleteAsync(ShardId id, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var operation = new DeleteOperation { Id = id, CancellationToken = cancellationToken };
        await _writer.EnqueueAsync(operation, cancellationToken);
        return await operation.Task;
    }

    /// <inheritdoc/>
    public async ValueTask<bool> RenewAsync(ShardId id, DateTimeOffset? expiresAt, PeerId? owner = null, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var operation = new RenewOperation { Id = id, ExpiresAt = expiresAt, Owner = owner, CancellationToken = cancellationToken };
        await _writer.EnqueueAsync(operation, cancellationToken);
        return await operation.Task;
    }

    /// <inheritdoc/>
    public async ValueTask<bool> SetPinnedAsync(ShardId id, bool pinned, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var operation = new SetPinnedOperation { Id = id, Pinned = pinned, CancellationToken = cancellationToken };
        await _writer.EnqueueAsync(operation, cancellationToken);
        return await operation.Task;
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<ShardInfo> EnumerateAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var page = new List<(ShardInfo Info, long DataId)>(EnumeratePageSize);
        var cursor = new ShardPageCursor(_recent);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ReadPage(cursor, page);
            foreach (var entry in page)
            {
                yield return entry.Info;
            }

            if (page.Count < EnumeratePageSize)
            {
                yield break;
            }

            // Let writers and other readers in between pages.
            await Task.Yield();
        }
    }

    private const int EnumeratePageSize = VerifiedReads.PageSize;

    private void ReadPage(ShardPageCursor cursor, List<(ShardInfo Info, long DataId)> page) => _reads.ReadPage(cursor, page);

    /// <inheritdoc/>
    public StorageUsage GetUsage()
    {
        long fileBytes = 0;
        foreach (var suffix in (ReadOnlySpan<string>)["", "-wal"])
        {
            var info = new FileInfo(_path + suffix);
            if (info.Exists)
            {
                fileBytes += info.Length;
            }
        }

        return new StorageUsage(_writer.ShardCount, _writer.UsedBytes, _options.CapacityBytes, fileBytes);
    }

    /// <inheritdoc/>
    public OwnerUsage GetOwnerUsage(in PeerId owner) => _writer.OwnerUsage(owner);

    [ThreadStatic]
    private static Blake3Hasher? t_hasher;

    private static ShardId Hash(in ReadOnlySequence<byte> data)
    {
        // One hasher per thread, reset per put: puts hash on the caller's thread, in parallel.
        var hasher = t_hasher ??= Blake3Hasher.Create();
        hasher.Reset();
        foreach (var segment in data)
        {
            hasher.Update(segment.Span);
        }

        Span<byte> digest = stackalloc byte[ShardId.Size];
        hasher.Finalize(digest);
        return ShardId.FromBytes(digest);
    }

    private void ThrowIfTooLarge(long length)
    {
        if (length > _options.MaxShardBytes)
        {
            _metrics.Puts.Add(1, new KeyValuePair<string, object?>("result", "too_large"));
            throw new StorageException(StorageErrorReason.ShardTooLarge, $"A shard of {length} bytes or more exceeds the {_options.MaxShardBytes}-byte limit of '{_path}'; nothing was written.") { FilePath = _path };
        }
    }

    private void ThrowIfNotExpected(in ShardId id, in ShardPutOptions options)
    {
        if (options.ExpectedId is { } expected && expected != id)
        {
            _metrics.Puts.Add(1, new KeyValuePair<string, object?>("result", "id_mismatch"));
            throw new StorageException(StorageErrorReason.IdMismatch, $"Bytes that hash to {id} were offered as shard {expected} to '{_path}'; nothing was written.") { FilePath = _path };
        }
    }

    private void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new StorageException(StorageErrorReason.Closed, $"The shard store '{_path}' is closed.") { FilePath = _path };
        }
    }

    /// <summary>Drains queued writes, checkpoints the WAL into the database file and closes every connection.</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return ValueTask.CompletedTask;
        }

        // Waits for reads in flight to hand their connections back, then closes them.
        _reads.Dispose();
        _writer.Dispose();
        _metrics.Dispose();
        _lock.Dispose();
        return ValueTask.CompletedTask;
    }
}
