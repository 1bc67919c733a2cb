using System.Buffers;
using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Overlay.Crypto;

namespace Overlay.Storage.Sqlite;

/// <summary>
/// The one connection that writes. A dedicated thread drains a bounded channel and commits up to
/// <see cref="StorageOptions.WriteBatchSize"/> operations per transaction; each operation's task
/// completes only after its transaction committed. When a batch fails (disk full, I/O error) it is
/// rolled back whole and its operations are retried one per transaction, so one failing put neither
/// takes the others down nor leaves anything half-written.
/// </summary>
/// <remarks>
/// This class is the loop and the group commit. What an operation does to the tables is
/// <see cref="ShardTableWriter"/>'s, the transactions and their totals <see cref="WriteTransaction"/>'s,
/// the duplicate check's filter <see cref="IdIndexFilter"/>'s, the log's merge
/// <see cref="RecentLogMerger"/>'s, last-verified times <see cref="VerificationRecorder"/>'s, the WAL's
/// size <see cref="WalGrowthLimit"/>'s, and telling callers <see cref="BatchCompletion"/>'s. Each runs
/// on this thread, between or inside the transactions this loop opens.
/// </remarks>
internal sealed class ShardWriter : IDisposable
{
    // Flush last-verified times between batches once this many are queued, not only when idle.
    private const int VerifiedFlushBacklog = 1024;

    private readonly SqliteConnection _connection;
    private readonly string _path;
    private readonly StorageOptions _options;
    private readonly ShardStoreMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Channel<WriteOperation> _queue;
    private readonly List<WriteOperation> _batch;
    private readonly ConcurrentQueue<BatchCompletion> _completions = new();
    private readonly Thread _thread;
    private readonly PutOperationPool _puts;

    private readonly WalCheckpointer _checkpointer;
    private readonly WalGrowthLimit _wal;
    private readonly HoldTable _holds;
    private readonly WriteTransaction _transaction;
    private readonly IdIndexFilter _filter;
    private readonly ShardTableWriter _tables;
    private readonly RecentLogMerger _merger;
    private readonly VerificationRecorder _verified;

    public ShardWriter(SqliteConnection connection, WalCheckpointer checkpointer, RecentShardIndex recent, string path, StorageOptions options, TimeProvider time, ShardStoreMetrics metrics, ILogger logger, Func<SqliteConnection> openScanConnection)
    {
        _logger = logger;
        _connection = connection;
        _path = path;
        _options = options;
        _metrics = metrics;
        _batch = new List<WriteOperation>(options.WriteBatchSize);
        _queue = Channel.CreateBounded<WriteOperation>(new BoundedChannelOptions(options.WriteQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });

        _holds = new HoldTable(connection);

        // Checkpoints run on the checkpointer's connection; this one only appends to the WAL.
        Schema.Execute(connection, "PRAGMA wal_autocheckpoint = 0");
        _checkpointer = checkpointer;
        _wal = new WalGrowthLimit(connection.Handle!, checkpointer);

        _transaction = new WriteTransaction(connection, recent, _holds, _wal, RecentLogLoader.Load(connection, recent));
        _puts = new PutOperationPool(options.WriteQueueCapacity + options.WriteBatchSize);
        _filter = new IdIndexFilter(_transaction.ShardCount, options, openScanConnection, logger, path);
        _tables = new ShardTableWriter(connection, _transaction, recent, _holds, _filter, path, options, time);
        _merger = new RecentLogMerger(connection, _transaction, recent, _filter, options, logger, path);
        _verified = new VerificationRecorder(connection, _transaction, recent, options, metrics);

        _thread = new Thread(Run) { IsBackground = true, Name = "Overlay shard writer" };
        _thread.Start();
    }

    public long ShardCount => _transaction.ShardCount;

    public long UsedBytes => _transaction.UsedBytes;

    /// <summary>Merge transactions (id ranges of the log moved into the id index) since open, and the longest one; for tests and benchmarks.</summary>
    public long Merges => _merger.Merges;

    public TimeSpan LongestMerge => _merger.LongestMerge;

    public long CompletedCheckpoints => _wal.CompletedCheckpoints;

    /// <summary>WAL frames (pages) appended by this writer since open.</summary>
    public long FramesWritten => _wal.FramesWritten;

    /// <summary>Id filters started since open (the first at open, then one per rebuild); for tests.</summary>
    public long FilterBuilds => _filter.Builds;

    /// <summary>Duplicate checks the id filter answered without reading the index; for tests.</summary>
    public long IndexLookupsSkipped => _filter.LookupsSkipped;

    /// <summary>Completes when the first id filter built at open is ready (or its build failed or stopped).</summary>
    public Task FirstFilterBuilt => _filter.FirstBuilt;

    /// <summary>The committed totals of one owner's holds.</summary>
    public OwnerUsage OwnerUsage(in PeerId owner) => _holds.Usage(owner);

    /// <summary>Queues an operation, waiting while the queue is full.</summary>
    public async ValueTask EnqueueAsync(WriteOperation operation, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(operation, cancellationToken);
        }
        catch (ChannelClosedException e)
        {
            throw new StorageException(StorageErrorReason.Closed, $"The shard store '{_path}' is closed.", e) { FilePath = _path };
        }
    }

    /// <summary>A pooled put operation, ready to queue.</summary>
    public PutOperation RentPut(in ShardId id, in ReadOnlySequence<byte> data, in ShardPutOptions options, CancellationToken cancellationToken)
    {
        var operation = _puts.Rent();
        operation.Prepare(_puts, id, data, options, cancellationToken);
        return operation;
    }

    /// <summary>Queues an operation if there is room now; false if the queue is full or closed.</summary>
    public bool TryEnqueue(WriteOperation operation) => _queue.Writer.TryWrite(operation);

    /// <summary>Records that a read verified a shard; written in the background, dropped when the queue is full.</summary>
    public void RecordVerified(in ShardId id, long atUnixMilliseconds) => _verified.Record(id, atUnixMilliseconds);

    private void Run()
    {
        var reader = _queue.Reader;
        while (true)
        {
            if (_merger.Due)
            {
                _merger.MergeNextRange();
            }

            if (!reader.TryPeek(out _))
            {
                _verified.Flush();
                _wal.Idle();
                if (_merger.InProgress)
                {
                    // Nothing queued: go on with the merge in progress.
                    continue;
                }

                // Blocking here is fine: this thread exists only to write.
                if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
                {
                    break;
                }
            }

            _batch.Clear();
            while (_batch.Count < _options.WriteBatchSize && reader.TryRead(out var operation))
            {
                if (operation.CancellationToken.IsCancellationRequested)
                {
                    // A put reports its cancellation with the batch, off this thread; the others report it now.
                    operation.Cancel();
                    if (operation is PutOperation)
                    {
                        _batch.Add(operation);
                    }

                    continue;
                }

                _batch.Add(operation);
            }

            if (_batch.Count > 0)
            {
                _filter.Tend(_transaction.ShardCount);
                ExecuteBatch();
            }

            if (_verified.Queued >= VerifiedFlushBacklog)
            {
                _verified.Flush();
            }
        }

        _merger.MergeBeforeClose();
        _verified.Flush();
    }

    private void ExecuteBatch()
    {
        try
        {
            _transaction.Begin();
            foreach (var operation in _batch)
            {
                if (!operation.Cancelled)
                {
                    operation.Execute(_tables);
                }
            }

            _transaction.Commit();
        }
        catch (Exception)
        {
            _transaction.Rollback();
            // Retry one by one: only the operations that fail on their own are reported as failed.
            foreach (var operation in _batch)
            {
                if (operation.Cancelled)
                {
                    continue;
                }

                try
                {
                    _transaction.Begin();
                    operation.Execute(_tables);
                    _transaction.Commit();
                }
                catch (SqliteException e)
                {
                    _transaction.Rollback();
                    CountFailure(operation, e);
                    var error = Errors.Map(e, _path, "writing");
                    Log.WriteFailed(_logger, _path, error.Reason);
                    operation.Fail(error);
                    continue;
                }
                catch (Exception e)
                {
                    // Whatever it is, it is reported to its caller and must not end the writer thread.
                    _transaction.Rollback();
                    operation.Fail(new StorageException(StorageErrorReason.IoError, $"Writing to the shard store '{_path}' failed: {e.Message}", e) { FilePath = _path });
                    continue;
                }
            }

            CompleteAfterCommit();
            return;
        }

        _metrics.BatchSize.Record(_batch.Count);
        CompleteAfterCommit();
    }

    /// <summary>Hands the committed batch to one pooled thread-pool work item that reports every outcome.</summary>
    private void CompleteAfterCommit()
    {
        if (!_completions.TryDequeue(out var completion))
        {
            completion = new BatchCompletion(_completions, _metrics, _options.WriteBatchSize);
        }

        completion.Take(_batch);
        _batch.Clear();
        ThreadPool.UnsafeQueueUserWorkItem(completion, preferLocal: false);
    }

    private void CountFailure(WriteOperation operation, SqliteException e)
    {
        if (operation is PutOperation)
        {
            _metrics.Puts.Add(1, new KeyValuePair<string, object?>("result", (e.SqliteErrorCode & 0xFF) == Native.Full ? "disk_full" : "failed"));
        }
    }

    /// <summary>Stops accepting work, drains what is queued and joins the thread.</summary>
    public void Complete()
    {
        _queue.Writer.TryComplete();
        _thread.Join();
        _filter.Stop();
    }

    public void Dispose()
    {
        Complete();
        _checkpointer.Dispose();
        _holds.Dispose();
        _tables.Dispose();
        _merger.Dispose();
        _verified.Dispose();
        _transaction.Dispose();

        try
        {
            // Fold the WAL into the database so the file alone is complete and the WAL does not linger.
            Schema.Execute(_connection, "PRAGMA wal_checkpoint(TRUNCATE)");
        }
        catch (SqliteException)
        {
            // A failed checkpoint loses nothing: the WAL is replayed at the next open.
        }

        _connection.Dispose();
    }
}
