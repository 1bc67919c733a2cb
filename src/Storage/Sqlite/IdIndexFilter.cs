using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Overlay.Storage.Sqlite;

/// <summary>
/// What the writer's duplicate check knows of the id index (<c>shards</c>) without reading it: the
/// <see cref="ShardIdFilter"/> in use, and the next one, filled from a scan of the index on its own
/// thread and connection. Until the first is ready every check reads the index, as it would without
/// a filter. Used by the writer thread; the scan only fills the filter it was given.
/// </summary>
internal sealed class IdIndexFilter
{
    private readonly StorageOptions _options;
    private readonly Func<SqliteConnection> _openScanConnection;
    private readonly ILogger _logger;
    private readonly string _path;
    private readonly TaskCompletionSource _firstFilter = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // The filter the duplicate check consults (set once built), the one being built (every id added
    // to the index goes into both), and its scan's thread.
    private ShardIdFilter? _filter;
    private ShardIdFilter? _building;
    private Thread? _builder;
    private volatile bool _stopping;
    private long _builds, _lookupsSkipped;

    /// <summary>Starts the first build, sized for <paramref name="shardCount"/> indexed shards and more.</summary>
    public IdIndexFilter(long shardCount, StorageOptions options, Func<SqliteConnection> openScanConnection, ILogger logger, string path)
    {
        _options = options;
        _openScanConnection = openScanConnection;
        _logger = logger;
        _path = path;
        StartBuild(shardCount);
    }

    /// <summary>Id filters started since open (the first at open, then one per rebuild); for tests.</summary>
    public long Builds => Interlocked.Read(ref _builds);

    /// <summary>Duplicate checks the id filter answered without reading the index; for tests.</summary>
    public long LookupsSkipped => Interlocked.Read(ref _lookupsSkipped);

    /// <summary>Completes when the first id filter built at open is ready (or its build failed or stopped).</summary>
    public Task FirstBuilt => _firstFilter.Task;

    /// <summary>False when the filter shows <paramref name="id"/> is not in <c>shards</c>, so no look-up is needed.</summary>
    public bool MayBeIndexed(in ShardId id)
    {
        if (_filter is not { } filter || filter.MayContain(id))
        {
            return true;
        }

        _lookupsSkipped++;
        return false;
    }

    /// <summary>
    /// An id went into <c>shards</c>. A filter that says "maybe" for an id whose insert rolls back
    /// costs one look-up, nothing more, so this need not wait for the commit.
    /// </summary>
    public void Add(in ShardId id)
    {
        _filter?.Add(id);
        _building?.Add(id);
    }

    /// <inheritdoc cref="Add(in ShardId)"/>
    public void Add(in IdPrefix prefix)
    {
        _filter?.Add(prefix);
        _building?.Add(prefix);
    }

    /// <summary>Between transactions: takes a finished filter into use, and starts a larger one once the current one is full.</summary>
    public void Tend(long shardCount)
    {
        if (_building is { Ready: true } built)
        {
            _filter = built;
            _building = null;
        }
        else if (_building is null && _filter is { } filter && filter.Count > filter.Capacity)
        {
            StartBuild(shardCount);
        }
    }

    /// <summary>Once the writer thread has stopped: ends a scan in progress and waits for its thread.</summary>
    public void Stop()
    {
        _stopping = true;
        _builder?.Join();
    }

    /// <summary>
    /// Starts filling a new filter from a scan of <c>shards</c> on its own thread and connection. Set
    /// as <see cref="_building"/> first, on the writer thread, so every merge committed from now on
    /// adds its ids to it too: whatever the scan's snapshot misses, a merge added.
    /// </summary>
    private void StartBuild(long shardCount)
    {
        // The previous build is done (its filter is in use); only its connection may still be closing.
        _builder?.Join();
        var filter = new ShardIdFilter(Math.Max(2 * shardCount, _options.IdFilterMinimumCapacity), _options.IdFilterMinimumCapacity);
        _building = filter;
        Interlocked.Increment(ref _builds);
        _builder = new Thread(() => Build(filter)) { IsBackground = true, Name = "Overlay shard filter" };
        _builder.Start();
    }

    private void Build(ShardIdFilter filter)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            using var connection = _openScanConnection();
            // One statement, one snapshot of the index.
            using var scan = Native.Prepare(connection, "SELECT id FROM shards");
            var db = connection.Handle!;
            var rows = 0;
            while (Native.Step(db, scan))
            {
                if ((++rows & 4095) == 0 && _stopping)
                {
                    return;
                }

                filter.Add(Native.ColumnId(scan, 0));
            }

            filter.MarkReady();
            var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            Log.FilterBuilt(_logger, _path, filter.Count, filter.Bytes, elapsed);
        }
        catch (Exception e)
        {
            // Whatever it is must not end the process from a background thread, and nothing is lost:
            // without a filter every duplicate check reads the index, as it always did.
            var reason = e is SqliteException sqlite ? Errors.Map(sqlite, _path, "building the id filter").Reason : StorageErrorReason.IoError;
            Log.FilterFailed(_logger, _path, reason);
        }
        finally
        {
            _firstFilter.TrySetResult();
        }
    }
}
