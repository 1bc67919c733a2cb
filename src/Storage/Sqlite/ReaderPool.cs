namespace Overlay.Storage.Sqlite;

/// <summary>
/// The read connections, handed out without a lock: each idle reader sits in its own slot and is
/// taken with one interlocked exchange. A thread starts looking at the slot its id maps to, so two
/// threads reading side by side keep to their own connections (and their caches) instead of
/// passing one back and forth. A thread that finds every reader busy waits on a semaphore that a
/// returning reader releases only while someone waits.
/// </summary>
internal sealed class ReaderPool : IDisposable
{
    // Slots are a cache line apart, so two cores taking and returning neighbouring readers do not
    // fight over one line.
    private const int Stride = 8;

    private readonly ShardReader?[] _slots;
    private readonly int _count;
    private readonly SemaphoreSlim _returned = new(0);
    private int _waiters;

    public ReaderPool(IReadOnlyList<ShardReader> readers)
    {
        _count = readers.Count;
        _slots = new ShardReader?[_count * Stride];
        for (var i = 0; i < _count; i++)
        {
            _slots[i * Stride] = readers[i];
        }
    }

    public int Count => _count;

    /// <summary>Takes an idle reader, waiting while all are in use.</summary>
    public ShardReader Rent()
    {
        while (true)
        {
            if (TryTake(out var reader))
            {
                return reader;
            }

            Interlocked.Increment(ref _waiters);
            // Look once more after announcing the wait: a reader returned in between would
            // otherwise release nobody.
            if (TryTake(out reader))
            {
                Interlocked.Decrement(ref _waiters);
                return reader;
            }

            _returned.Wait();
            Interlocked.Decrement(ref _waiters);
        }
    }

    public void Return(ShardReader reader)
    {
        // A reader came out of a slot, so at least one slot is empty.
        var start = StartSlot();
        for (var i = 0; ; i++)
        {
            var slot = ((start + i) % _count) * Stride;
            if (Interlocked.CompareExchange(ref _slots[slot], reader, null) is null)
            {
                break;
            }
        }

        if (Volatile.Read(ref _waiters) > 0)
        {
            _returned.Release();
        }
    }

    private bool TryTake(out ShardReader reader)
    {
        var start = StartSlot();
        for (var i = 0; i < _count; i++)
        {
            var slot = ((start + i) % _count) * Stride;
            if (Volatile.Read(ref _slots[slot]) is not null && Interlocked.Exchange(ref _slots[slot], null) is { } taken)
            {
                reader = taken;
                return true;
            }
        }

        reader = null!;
        return false;
    }

    private int StartSlot() => (int)((uint)Environment.CurrentManagedThreadId % (uint)_count);

    /// <summary>Waits for every reader to come back, then closes them all.</summary>
    public void Dispose()
    {
        for (var i = 0; i < _count; i++)
        {
            Rent().Dispose();
        }

        _returned.Dispose();
    }
}
