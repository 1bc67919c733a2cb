using Overlay.Storage.Sqlite;

namespace Overlay.Storage.Tests;

/// <summary>The log index's table against a dictionary, and under readers racing the writer.</summary>
public sealed class LogRowTableTests
{
    private static IdPrefix RandomId(Random random) => new((ulong)random.NextInt64() ^ ((ulong)random.Next(2) << 63), (uint)random.Next() ^ ((uint)random.Next(2) << 31));

    [Fact]
    public void RandomOperations_AgreeWithADictionary_AcrossGrowthAndReuse()
    {
        var random = new Random(20);
        var table = new LogRowTable();
        var model = new Dictionary<IdPrefix, (long Row, int Minute)>();
        var known = new List<IdPrefix>();
        long nextRow = 1;
        for (var op = 0; op < 200_000; op++)
        {
            var roll = random.Next(12);
            if (roll < 5 || known.Count == 0)
            {
                var id = RandomId(random);
                known.Add(id);
                var row = nextRow++;
                var minute = random.Next(1000);
                Assert.Equal(model.TryGetValue(id, out var had) ? had.Row : 0, table.Set(id, row, minute));
                model[id] = (row, minute);
            }
            else
            {
                var id = known[random.Next(known.Count)];
                if (roll < 7)
                {
                    var row = nextRow++;
                    var minute = random.Next(1000);
                    Assert.Equal(model.TryGetValue(id, out var had) ? had.Row : 0, table.Set(id, row, minute));
                    model[id] = (row, minute);
                }
                else if (roll < 9)
                {
                    // Only ever forward, and only for an entry.
                    var minute = random.Next(1000);
                    table.MarkVerified(id, minute);
                    if (model.TryGetValue(id, out var entry) && entry.Minute < minute)
                    {
                        model[id] = (entry.Row, minute);
                    }
                }
                else
                {
                    // Removal only of the row named: a stale row leaves a newer entry alone.
                    var stale = random.Next(4) == 0;
                    var row = stale ? nextRow + 1000 : (model.TryGetValue(id, out var r) ? r.Row : 1);
                    var expected = !stale && model.ContainsKey(id);
                    Assert.Equal(expected, table.Remove(id, row));
                    if (expected)
                    {
                        model.Remove(id);
                    }
                }
            }
        }

        Assert.Equal(model.Count, table.Count);
        foreach (var id in known)
        {
            var present = model.TryGetValue(id, out var entry);
            Assert.Equal(present, table.TryGet(id, out var found, out var minute));
            Assert.Equal(present ? entry.Row : 0, found);
            Assert.Equal(present ? entry.Minute : 0, minute);
        }

        var all = table.ToArray();
        Assert.Equal(model.Count, all.Length);
        Assert.All(all, item => Assert.Equal(model[item.Key].Row, item.Value));
        // Kept between about 62 and 80 % full: 24 bytes a slot, at most 39 bytes an entry.
        Assert.True(table.Bytes <= Math.Max(64 * 24, model.Count * 39L), $"{table.Bytes} bytes for {model.Count} entries");
    }

    [Fact]
    public void Readers_WhileTheWriterGrowsRemovesAndReusesSlots_NeverMissAStableEntryNorSeeAForeignRow()
    {
        var random = new Random(21);
        var table = new LogRowTable();
        // Stable entries: rows 1..1000, never removed; moving ones get rows above 1,000,000.
        var stable = new IdPrefix[1000];
        for (var i = 0; i < stable.Length; i++)
        {
            stable[i] = RandomId(random);
            table.Set(stable[i], i + 1);
        }

        // Entries whose row changes in place: a reader must see one of the rows that id ever had.
        var flipping = new IdPrefix[50];
        var flipRows = new long[flipping.Length];
        for (var i = 0; i < flipping.Length; i++)
        {
            flipping[i] = RandomId(random);
            flipRows[i] = 2_000_000 + (i * 1000);
            table.Set(flipping[i], flipRows[i]);
        }

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var readers = new Thread[2];
        for (var r = 0; r < readers.Length; r++)
        {
            readers[r] = new Thread(() =>
            {
                while (!stop.IsCancellationRequested)
                {
                    for (var i = 0; i < stable.Length; i++)
                    {
                        if (!table.TryGet(stable[i], out var row) || row != i + 1)
                        {
                            failures.Enqueue($"stable {i}: {row}");
                        }
                    }

                    for (var i = 0; i < flipping.Length; i++)
                    {
                        if (!table.TryGet(flipping[i], out var row) || row < 2_000_000 + (i * 1000) || row >= 2_000_000 + ((i + 1) * 1000))
                        {
                            failures.Enqueue($"flipping {i}: {row}");
                        }
                    }
                }
            });
            readers[r].Start();
        }

        long moving = 1_000_000;
        var live = new Queue<(IdPrefix, long)>();
        var rounds = 0;
        while (!stop.IsCancellationRequested && rounds < 2_000_000)
        {
            rounds++;
            var id = RandomId(random);
            table.Set(id, ++moving);
            live.Enqueue((id, moving));
            if (live.Count > 5000)
            {
                var (old, row) = live.Dequeue();
                Assert.True(table.Remove(old, row));
            }

            if (rounds % 97 == 0)
            {
                var f = random.Next(flipping.Length);
                var next = flipRows[f] + 1;
                if (next < 2_000_000 + ((f + 1) * 1000))
                {
                    flipRows[f] = next;
                    table.Set(flipping[f], next);
                }
            }
        }

        stop.Cancel();
        foreach (var reader in readers)
        {
            reader.Join();
        }

        Assert.Empty(failures);
        Assert.Equal(stable.Length + flipping.Length + live.Count, table.Count);
    }
}
