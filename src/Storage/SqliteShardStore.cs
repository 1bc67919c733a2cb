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
public sealed partial class SqliteShardStore : IShardStore, IShardStoreAdministration
{
    /// <summary>Name of the database file inside <see cref="StorageOptions.Directory"/>.</summary>
    public const string FileName = "shards.db";

    private readonly StorageOptions _options;
    private readonly TimeProvider _time;
    private readonly string _path;
    private readonly FileStream _lock;
    private readonly ShardWriter _writer;
    private readonly RecentShardIndex _recent;
    private readonly ShardReader[] _readers;
    private readonly ReaderPool _readerPool;
    private readonly ShardStoreMetrics _metrics;
    private readonly ILogger _logger;
    private int _disposed;

    private SqliteShardStore(StorageOptions options, TimeProvider time, string path, FileStream lockFile, ShardWriter writer, RecentShardIndex recent, ShardReader[] readers, ShardStoreMetrics metrics, ILogger logger)
    {
        _recent = recent;
        _logger = logger;
        _options = options;
        _time = time;
        _path = path;
        _lock = lockFile;
        _writer = writer;
        _readers = readers;
        _metrics = metrics;
        _readerPool = new ReaderPool(readers);
    }

    /// <summary>Benchmarks only: reads skip the hash check, to show what verification costs.</summary>
    internal bool SkipReadVerification
    {
        set
        {
            foreach (var reader in _readers)
            {
                reader.SkipVerification = value;
            }
        }
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
        try
        {
            // Owner-only when this creates it: the shards are the node's and its peers' data, not the host's.
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new StorageException(StorageErrorReason.CannotOpen, $"The shard store directory '{directory}' cannot be created: {e.Message}", e) { FilePath = path };
        }

        FileStream lockFile;
        try
        {
            // The lock file keeps a second process (or a second store in this one) from opening the
            // same database: the in-memory capacity accounting assumes a single writer.
            lockFile = new FileStream(path + ".lock", OwnerOnly(FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (UnauthorizedAccessException e)
        {
            throw new StorageException(StorageErrorReason.ReadOnly, $"The shard store directory '{directory}' cannot be written (lock file '{path}.lock').", e) { FilePath = path };
        }
        catch (IOException e)
        {
            throw new StorageException(StorageErrorReason.Locked, $"The shard store '{path}' is already open in another process or store.", e) { FilePath = path };
        }

        SqliteConnection? writerConnection = null;
        var readers = new List<ShardReader>();
        ShardWriter? writer = null;
        WalCheckpointer? checkpointer = null;
        var metrics = default(ShardStoreMetrics);
        var recent = new RecentShardIndex();
        try
        {
            // SQLite creates a missing file 0644 and gives its -wal and -shm files the database's mode:
            // an empty file made owner-only first is taken as a new database and keeps all three private.
            CreateOwnerOnlyIfMissing(path);

            writerConnection = OpenConnection(path, options, SqliteOpenMode.ReadWriteCreate);
            Schema.Execute(writerConnection, "PRAGMA journal_mode = WAL");
            Schema.Migrate(writerConnection, path);
            if (options.MaxPageCount > 0)
            {
                Schema.Execute(writerConnection, $"PRAGMA max_page_count = {options.MaxPageCount}");
            }

            for (var i = 0; i < options.ReaderCount; i++)
            {
                var connection = OpenConnection(path, options, SqliteOpenMode.ReadWrite);
                // Readers never write; query_only turns a mistake into an error instead of a lock fight.
                Schema.Execute(connection, "PRAGMA query_only = 1");
                readers.Add(new ShardReader(connection, recent));
            }

            checkpointer = new WalCheckpointer(OpenConnection(path, options, SqliteOpenMode.ReadWrite));
            SqliteShardStore? store = null;
            metrics = new ShardStoreMetrics(meterFactory, () => store?.GetUsage() ?? default);
            writer = new ShardWriter(writerConnection, checkpointer, recent, path, options, time, metrics, logger, () => OpenScanConnection(path, options));
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

    /// <summary>Options that create a missing file with mode 0600 (an existing file keeps its mode).</summary>
    private static FileStreamOptions OwnerOnly(FileMode mode, FileAccess access, FileShare share)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = share, BufferSize = 0 };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return options;
    }

    private static void CreateOwnerOnlyIfMissing(string path)
    {
        try
        {
            using var file = new FileStream(path, OwnerOnly(FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // It exists (and keeps its mode), or cannot be made: opening it reports why.
        }
    }

    /// <summary>A read-only connection for one background scan (the writer's id filter).</summary>
    private static SqliteConnection OpenScanConnection(string path, StorageOptions options)
    {
        var connection = OpenConnection(path, options, SqliteOpenMode.ReadWrite);
        try
        {
            Schema.Execute(connection, "PRAGMA query_only = 1");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static SqliteConnection OpenConnection(string path, StorageOptions options, SqliteOpenMode mode)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = DatabaseUri(path),
            Mode = mode,
            // The store keeps its own connections for its whole life; pooling would only keep the
            // file open after disposal.
            Pooling = false,
            DefaultTimeout = 5,
        };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            connection.Open();
            var synchronous = options.Durability == StorageDurability.Full ? "FULL" : "NORMAL";
            Schema.Execute(connection, $"PRAGMA synchronous = {synchronous}; PRAGMA busy_timeout = 5000; PRAGMA cache_size = -{options.CacheKibibytes}; PRAGMA mmap_size = {options.MmapBytes};");
            // Touch the header now, so a file that is not a database fails at open, not at the first read.
            Schema.Scalar(connection, "PRAGMA schema_version");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The database as an SQLite URI. On Unix it names the "unix-excl" VFS: the lock file already
    /// keeps every other process out, so the WAL index can live in this process's heap instead of a
    /// shared-memory file, and starting a read or write transaction no longer takes <c>fcntl</c>
    /// locks on it (a large part of a point read's cost, and the lock two reading threads
    /// contended on). Other connections of this process still share the file normally.
    /// </summary>
    internal static string DatabaseUri(string path)
    {
        var uri = "file:" + Uri.EscapeDataString(path).Replace("%2F", "/", StringComparison.Ordinal);
        return OperatingSystem.IsWindows() ? uri : uri + "?vfs=unix-excl";
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
    public ShardReadResult Read(in ShardId id, Span<byte> destination) => Read(id, destination, null);

    /// <inheritdoc/>
    public ShardReadResult Read(in ShardId id, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        return Read(id, default, destination);
    }

    /// <summary>Reads into <paramref name="buffer"/>, or with a <paramref name="writer"/> into a span of it sized for the shard.</summary>
    private ShardReadResult Read(in ShardId id, Span<byte> buffer, IBufferWriter<byte>? writer)
    {
        var reader = RentReader();
        try
        {
            // Twice at most: the second time past a log entry that was another shard's (see ReadVerified).
            for (var consultLog = true; ; consultLog = false)
            {
                if (!reader.BeginRead(id, out var dataId, out var size, out var lastVerified, consultLog))
                {
                    return new ShardReadResult(ShardReadStatus.NotFound, 0);
                }

                if (writer is null && buffer.Length < size)
                {
                    return new ShardReadResult(ShardReadStatus.DestinationTooSmall, size);
                }

                var destination = writer is null ? buffer[..size] : writer.GetSpan(size)[..size];
                var status = reader.ReadVerified(id, dataId, destination, out var unreadable);
                if (status == ShardReadStatus.NotFound && consultLog)
                {
                    reader.EndRead();
                    continue;
                }

                var result = Finish(id, status, unreadable, size, lastVerified, "read");
                if (result.Status == ShardReadStatus.Found)
                {
                    // Only verified bytes are committed to the writer.
                    writer?.Advance(size);
                }

                return result;
            }
        }
        catch (SqliteException e) when (Errors.IsCorruption(e))
        {
            return Unreadable(id, "read");
        }
        catch (SqliteException e)
        {
            throw Errors.Map(e, _path, "reading a shard");
        }
        finally
        {
            reader.EndRead();
            ReturnReader(reader);
        }
    }

    /// <inheritdoc/>
    public async ValueTask<ShardReadResult> ReadAsync(ShardId id, Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var buffer = ReadPooled(id, out var result);
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
        var buffer = ReadPooled(id, out var result);
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

    /// <summary>Reads a whole shard into a pooled buffer, which the caller returns whatever the result.</summary>
    private byte[] ReadPooled(in ShardId id, out ShardReadResult result)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(_options.MaxShardBytes);
        try
        {
            result = Read(id, buffer.AsSpan());
            if (result.Status == ShardReadStatus.DestinationTooSmall)
            {
                // A shard stored under a larger MaxShardBytes than the store now runs with.
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = ArrayPool<byte>.Shared.Rent(result.Length);
                result = Read(id, buffer.AsSpan());
            }

            return buffer;
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <inheritdoc/>
    public bool Contains(in ShardId id)
    {
        var reader = RentReader();
        try
        {
            return reader.Contains(id);
        }
        catch (SqliteException e)
        {
            throw Errors.Map(e, _path, "looking up a shard");
        }
        finally
        {
            ReturnReader(reader);
        }
    }

    /// <inheritdoc/>
    public bool TryGetInfo(in ShardId id, out ShardInfo info)
    {
        var reader = RentReader();
        try
        {
            return reader.TryGetInfo(id, out info);
        }
        catch (SqliteException e)
        {
            throw Errors.Map(e, _path, "reading shard metadata");
        }
        finally
        {
            ReturnReader(reader);
        }
    }

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

    private const int EnumeratePageSize = 512;

    private void ReadPage(ShardPageCursor cursor, List<(ShardInfo Info, long DataId)> page)
    {
        var reader = RentReader();
        try
        {
            cursor.ReadNext(reader.Connection, EnumeratePageSize, page);
        }
        catch (SqliteException e)
        {
            throw Errors.Map(e, _path, "listing shards");
        }
        finally
        {
            ReturnReader(reader);
        }
    }

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

    private ShardReadResult Finish(in ShardId id, ShardReadStatus status, bool unreadable, int size, long lastVerified, string source)
    {
        if (status == ShardReadStatus.Found)
        {
            // A hot shard read thousands of times a second needs its verification time written at
            // most once per interval, or the bookkeeping would cost the writer as much as the reads.
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            if (now - lastVerified >= ShardInfo.VerifiedRecordIntervalMilliseconds)
            {
                _writer.RecordVerified(id, now);
            }

            return new ShardReadResult(ShardReadStatus.Found, size);
        }

        if (unreadable)
        {
            return Unreadable(id, source);
        }

        _metrics.Corrupted.Add(1, new KeyValuePair<string, object?>("reason", "hash_mismatch"), new KeyValuePair<string, object?>("source", source));
        Log.Corrupted(_logger, id, _path, "hash_mismatch", source);
        QueueQuarantine(id, "hash_mismatch");
        return new ShardReadResult(ShardReadStatus.Corrupted, 0);
    }

    private ShardReadResult Unreadable(in ShardId id, string source)
    {
        _metrics.Corrupted.Add(1, new KeyValuePair<string, object?>("reason", "unreadable"), new KeyValuePair<string, object?>("source", source));
        Log.Corrupted(_logger, id, _path, "unreadable", source);
        QueueQuarantine(id, "unreadable");
        return new ShardReadResult(ShardReadStatus.Corrupted, 0);
    }

    private void QueueQuarantine(in ShardId id, string reason)
    {
        // Best effort: if the queue is full the next read finds the same damage and tries again;
        // until then every read re-verifies, so the bad bytes are never served either way.
        _writer.TryEnqueue(new QuarantineOperation { Id = id, Reason = reason });
    }

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

    private ShardReader RentReader()
    {
        ThrowIfDisposed();
        var reader = _readerPool.Rent();
        if (Volatile.Read(ref _disposed) != 0)
        {
            // Disposal started meanwhile and is waiting for this reader to come back.
            _readerPool.Return(reader);
            ThrowIfDisposed();
        }

        return reader;
    }

    private void ReturnReader(ShardReader reader) => _readerPool.Return(reader);

    /// <summary>Drains queued writes, checkpoints the WAL into the database file and closes every connection.</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return ValueTask.CompletedTask;
        }

        // Waits for reads in flight to hand their connections back, then closes them.
        _readerPool.Dispose();
        _writer.Dispose();
        _metrics.Dispose();
        _lock.Dispose();
        return ValueTask.CompletedTask;
    }
}
