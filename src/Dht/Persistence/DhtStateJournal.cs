namespace Overlay.Dht.Persistence;

/// <summary>
/// Group commit in front of an <see cref="IDhtStateStore"/>: writers queue changes and wait; one thread
/// takes everything queued so far and applies it in one transaction, then completes those writers and
/// takes the next group. Nothing waits for a timer, so a lone write costs one transaction, and while one
/// transaction commits the next group gathers behind it, so many concurrent writers share a commit
/// (and, with a full sync, an fsync). Changes are applied in queue order.
/// </summary>
/// <remarks>
/// The writer is a thread of its own because SQLite's calls block; it never runs callers' continuations
/// (they run asynchronously). The queue is unbounded, but every entry has a caller waiting for it, and
/// callers are bounded by the node's request limits.
/// </remarks>
public sealed class DhtStateJournal : IDhtStateJournal, IDisposable
{
    /// <summary>Most changes in one transaction; a longer queue is taken in several.</summary>
    public const int MaxGroup = 4096;

    private readonly IDhtStateStore _store;

    // A plain monitor: writers pulse it, the writer thread waits on it.
    private readonly object _gate = new();
    private readonly Thread _writer;
    private List<(DhtStateChange Change, TaskCompletionSource Done)> _queue = [];
    private bool _closed;
    private long _groups;
    private long _changes;

    /// <summary>Starts the writer over <paramref name="store"/>, which must have been loaded; the journal does not dispose it.</summary>
    public DhtStateJournal(IDhtStateStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _writer = new Thread(Run) { IsBackground = true, Name = "dht.db writer" };
        _writer.Start();
    }

    /// <summary>Transactions committed so far.</summary>
    public long Groups => Interlocked.Read(ref _groups);

    /// <summary>Changes committed so far.</summary>
    public long Changes => Interlocked.Read(ref _changes);

    /// <inheritdoc/>
    public Task WriteAsync(DhtStateChange change)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_closed)
            {
                return Task.FromException(new DhtStateException(DhtStateError.Io, $"DHT state in {_store.Path} is closed; the change was not saved."));
            }

            _queue.Add((change, done));
            if (_queue.Count == 1)
            {
                Monitor.Pulse(_gate);
            }
        }

        return done.Task;
    }

    /// <summary>Saves everything queued, then stops the writer. Later writes fail.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            Monitor.Pulse(_gate);
        }

        _writer.Join();
    }

    private void Run()
    {
        var batch = new List<DhtStateChange>(64);
        while (true)
        {
            List<(DhtStateChange Change, TaskCompletionSource Done)> group;
            lock (_gate)
            {
                while (_queue.Count == 0 && !_closed)
                {
                    Monitor.Wait(_gate);
                }

                if (_queue.Count == 0)
                {
                    return; // Closed and drained.
                }

                if (_queue.Count <= MaxGroup)
                {
                    group = _queue;
                    _queue = [];
                }
                else
                {
                    group = _queue.GetRange(0, MaxGroup);
                    _queue.RemoveRange(0, MaxGroup);
                }
            }

            batch.Clear();
            foreach (var (change, _) in group)
            {
                batch.Add(change);
            }

            Exception? failure = null;
            try
            {
                _store.Apply(batch);
                Interlocked.Increment(ref _groups);
                Interlocked.Add(ref _changes, batch.Count);
            }
            catch (DhtStateException e)
            {
                failure = e;
            }
#pragma warning disable CA1031 // Any other failure is a bug in the store; it fails the writers of this group, never the writer thread.
            catch (Exception e)
#pragma warning restore CA1031
            {
                failure = new DhtStateException(DhtStateError.Io, $"Saving DHT state to {_store.Path} failed: {e.Message}", e);
            }

            foreach (var (_, done) in group)
            {
                if (failure is null)
                {
                    done.SetResult();
                }
                else
                {
                    done.SetException(failure);
                }
            }
        }
    }
}
