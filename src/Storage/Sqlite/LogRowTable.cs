namespace Overlay.Storage.Sqlite;

/// <summary>
/// Shard id prefix → log row (<c>seq</c>, always positive) and the minute its verification was last
/// recorded, written by one thread and read by any number without locks. One array of slots and open
/// addressing with linear probing: no object per entry (the log's index holds millions of entries,
/// which as dictionary nodes were objects for the GC to trace, at 87 bytes each), and a slot's prefix,
/// row and minute share a cache line, so a look-up costs one miss. A slot keeps the first 12 bytes of
/// the id, not all 32 (see <see cref="IdPrefix"/>): 24 bytes per slot instead of 48, kept between 62
/// and 80 % full. One prefix has at most one entry.
/// </summary>
/// <remarks>
/// A slot's row is also its state: 0 never used (a search ends there), -1 removed (a search goes
/// on), positive an entry. The writer writes a slot's prefix before it publishes the row, and rewrites a
/// prefix only when it reuses a removed slot. A reader accepts a match only when the row it read before
/// comparing the prefix is still there after: rows are never reused, so a slot reused or changed in
/// between fails the check and is read again. Growing fills a new table and publishes it whole; the
/// old one is never written again, so a reader still on it sees the entries of that moment. The
/// verification minute is a hint that any thread may move forward (see <see cref="MarkVerified"/>).
/// </remarks>
internal sealed class LogRowTable
{
    private const long Removed = -1;

    private struct Slot
    {
        public ulong High;
        public uint Low;
        public int VerifiedMinute;
        public long Row;

        public readonly bool Holds(in IdPrefix prefix) => High == prefix.High && Low == prefix.Low;
    }

    private sealed class Slots(int capacity)
    {
        public readonly Slot[] Entries = new Slot[capacity];

        // Slots ever used (entries and removed ones); writer thread only.
        public int Used;

        public int Capacity => Entries.Length;
    }

    private Slots _slots;
    private int _count;

    public LogRowTable(int expected = 0)
    {
        _slots = new Slots(CapacityFor(expected));
    }

    /// <summary>Entries; any thread.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Bytes the arrays take.</summary>
    public long Bytes => (long)Volatile.Read(ref _slots).Capacity * System.Runtime.CompilerServices.Unsafe.SizeOf<Slot>();

    // Room for the expected entries at 80 % full.
    private static int CapacityFor(int entries) => Math.Max(64, (int)Math.Min(Array.MaxLength, (entries * 5L / 4) + 1));

    // Multiply-shift instead of a modulo: the capacity is not a power of two. The id is a uniform hash;
    // bytes 8–11 pick the slot. Not the leading bytes: a merge removes the entries of one id range, and
    // slots picked by the leading bytes would leave that range as one run of removed slots, which
    // every probe starting inside it walks to its end.
    private static int Start(uint low, int capacity) => (int)(((ulong)low * (ulong)capacity) >> 32);

    /// <summary>The log row of the entry with <paramref name="prefix"/>; any thread.</summary>
    public bool TryGet(in IdPrefix prefix, out long row) => TryGet(prefix, out row, out _);

    /// <summary>The log row of the entry with <paramref name="prefix"/> and the Unix minute its verification was last recorded; any thread.</summary>
    public bool TryGet(in IdPrefix prefix, out long row, out int verifiedMinute)
    {
        var slots = Volatile.Read(ref _slots);
        var capacity = slots.Capacity;
        var i = Start(prefix.Low, capacity);
        for (var probed = 0; probed < capacity; probed++)
        {
            while (true)
            {
                var before = Volatile.Read(ref slots.Entries[i].Row);
                if (before == 0)
                {
                    row = 0;
                    verifiedMinute = 0;
                    return false;
                }

                if (before == Removed || !slots.Entries[i].Holds(prefix))
                {
                    break;
                }

                var minute = Volatile.Read(ref slots.Entries[i].VerifiedMinute);
                // The prefix was read between the two reads of the row, not after the second.
                Interlocked.MemoryBarrier();
                if (Volatile.Read(ref slots.Entries[i].Row) == before)
                {
                    row = before;
                    verifiedMinute = minute;
                    return true;
                }
            }

            i = i + 1 == capacity ? 0 : i + 1;
        }

        row = 0;
        verifiedMinute = 0;
        return false;
    }

    /// <summary>
    /// Moves the verification minute of the entry with <paramref name="prefix"/> forward to <paramref name="minute"/>; any
    /// thread. Racing a writer that reuses the slot at worst gives another entry a later minute, which
    /// delays recording its next verification: the minute only spares the writer repeated records.
    /// </summary>
    public void MarkVerified(in IdPrefix prefix, int minute)
    {
        var slots = Volatile.Read(ref _slots);
        var capacity = slots.Capacity;
        var i = Start(prefix.Low, capacity);
        for (var probed = 0; probed < capacity; probed++)
        {
            var current = Volatile.Read(ref slots.Entries[i].Row);
            if (current == 0)
            {
                return;
            }

            if (current != Removed && slots.Entries[i].Holds(prefix))
            {
                if (Volatile.Read(ref slots.Entries[i].VerifiedMinute) < minute)
                {
                    Volatile.Write(ref slots.Entries[i].VerifiedMinute, minute);
                }

                return;
            }

            i = i + 1 == capacity ? 0 : i + 1;
        }
    }

    /// <summary>Adds an entry for <paramref name="prefix"/> or changes its row; writer thread. Returns the row it replaced (0: none).</summary>
    public long Set(in IdPrefix prefix, long row, int verifiedMinute = 0) => Set(prefix, row, verifiedMinute, out _);

    /// <summary>As <see cref="Set(in IdPrefix, long, int)"/>, also giving the verification minute of the entry it replaced.</summary>
    public long Set(in IdPrefix prefix, long row, int verifiedMinute, out int replacedMinute)
    {
        replacedMinute = 0;
        var slots = _slots;
        var capacity = slots.Capacity;
        var i = Start(prefix.Low, capacity);
        var free = -1;
        for (var probed = 0; probed < capacity; probed++)
        {
            var current = slots.Entries[i].Row;
            if (current == 0)
            {
                break;
            }

            if (current == Removed)
            {
                if (free < 0)
                {
                    free = i;
                }
            }
            else if (slots.Entries[i].Holds(prefix))
            {
                replacedMinute = slots.Entries[i].VerifiedMinute;
                Volatile.Write(ref slots.Entries[i].VerifiedMinute, verifiedMinute);
                Volatile.Write(ref slots.Entries[i].Row, row);
                return current;
            }

            i = i + 1 == capacity ? 0 : i + 1;
        }

        if (free < 0)
        {
            free = i;
            slots.Used++;
        }

        slots.Entries[free].High = prefix.High;
        slots.Entries[free].Low = prefix.Low;
        slots.Entries[free].VerifiedMinute = verifiedMinute;
        // Publishes the prefix and minute written above along with the row.
        Volatile.Write(ref slots.Entries[free].Row, row);
        Volatile.Write(ref _count, _count + 1);
        if (slots.Used > capacity / 5 * 4)
        {
            Rebuild();
        }

        return 0;
    }

    /// <summary>Removes the entry for <paramref name="prefix"/> if its row is still <paramref name="row"/>; writer thread.</summary>
    public bool Remove(in IdPrefix prefix, long row)
    {
        var slots = _slots;
        var capacity = slots.Capacity;
        var i = Start(prefix.Low, capacity);
        for (var probed = 0; probed < capacity; probed++)
        {
            var current = slots.Entries[i].Row;
            if (current == 0)
            {
                return false;
            }

            if (current != Removed && slots.Entries[i].Holds(prefix))
            {
                if (current != row)
                {
                    return false;
                }

                Volatile.Write(ref slots.Entries[i].Row, Removed);
                Volatile.Write(ref _count, _count - 1);
                return true;
            }

            i = i + 1 == capacity ? 0 : i + 1;
        }

        return false;
    }

    /// <summary>Every entry now; any thread (a reader sees each slot as one of its states).</summary>
    public KeyValuePair<IdPrefix, long>[] ToArray()
    {
        var slots = Volatile.Read(ref _slots);
        var entries = new List<KeyValuePair<IdPrefix, long>>(Volatile.Read(ref _count));
        for (var i = 0; i < slots.Capacity; i++)
        {
            while (true)
            {
                var before = Volatile.Read(ref slots.Entries[i].Row);
                if (before <= 0)
                {
                    break;
                }

                var prefix = new IdPrefix(slots.Entries[i].High, slots.Entries[i].Low);
                Interlocked.MemoryBarrier();
                if (Volatile.Read(ref slots.Entries[i].Row) == before)
                {
                    entries.Add(new KeyValuePair<IdPrefix, long>(prefix, before));
                    break;
                }
            }
        }

        return [.. entries];
    }

    // Into a new table sized for the entries, which drops the removed slots; published whole.
    private void Rebuild()
    {
        var old = _slots;
        var slots = new Slots(CapacityFor(_count * 8 / 5 * 4 / 5));
        for (var i = 0; i < old.Capacity; i++)
        {
            if (old.Entries[i].Row > 0)
            {
                var j = Start(old.Entries[i].Low, slots.Capacity);
                while (slots.Entries[j].Row != 0)
                {
                    j = j + 1 == slots.Capacity ? 0 : j + 1;
                }

                slots.Entries[j] = old.Entries[i];
                slots.Used++;
            }
        }

        Volatile.Write(ref _slots, slots);
    }
}
