using Overlay.Node.Concurrency;
using Overlay.Storage;

namespace Overlay.Node.Shards;

/// <summary>
/// One lock per shard of the owner's: operations on one shard (put, audit, renewal, repair) run one at a
/// time, so a challenge is never spent twice and two repairs never race; operations on different shards
/// never wait for each other. A repair or renewal holds its shard's lock while it waits on holders (a dial
/// or stream timeout at worst), so a lock shared by several shards (striping) would make a repair of one wait
/// out another's timeouts. A lock exists only while an operation holds or awaits it: a million shards at rest cost nothing.
/// </summary>
public sealed class ShardLocks
{
    private readonly Dictionary<ShardId, Entry> _entries = [];

    /// <summary>Shards with an operation holding or awaiting their lock (for tests).</summary>
    public int InUse
    {
        get
        {
            lock (_entries)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Waits for the lock of <paramref name="id"/>; dispose the result to release it.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired before the lock was taken.</exception>
    public async Task<IDisposable> EnterAsync(ShardId id, CancellationToken cancellationToken)
    {
        Entry entry;
        lock (_entries)
        {
            if (!_entries.TryGetValue(id, out entry!))
            {
                entry = new Entry();
                _entries.Add(id, entry);
            }

            entry.Users++;
        }

        try
        {
            await entry.Gate.WaitAsync(cancellationToken).ConfigureAwait(true);
        }
        catch (OperationCanceledException)
        {
            Leave(id, entry);
            throw;
        }

        return new Held(this, id, entry);
    }

    private void Leave(ShardId id, Entry entry)
    {
        lock (_entries)
        {
            if (--entry.Users == 0)
            {
                _entries.Remove(id);
            }
        }
    }

    private sealed class Entry
    {
        public AsyncGate Gate { get; } = new(1);

        /// <summary>Holders and waiters; guarded by the dictionary's lock.</summary>
        public int Users { get; set; }
    }

    private sealed class Held(ShardLocks locks, ShardId id, Entry entry) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                // Released before it is left: a waiter already counted keeps the entry, and the gate hands it the lock.
                entry.Gate.Release();
                locks.Leave(id, entry);
            }
        }
    }
}
