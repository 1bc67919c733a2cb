using Microsoft.Data.Sqlite;
using Overlay.Crypto;
using Overlay.Dht.Persistence;

namespace Overlay.Dht.Tests.Persistence;

public sealed class BootstrapPinTableTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("overlay-pins").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string DbPath => Path.Combine(_dir, SqliteDhtStateStore.FileName);

    private SqliteDhtStateStore Store() => new(DbPath, new DhtOptions(), maxContacts: 1000);

    [Fact]
    public void SaveThenLoad_RoundTripsBootstrapPins()
    {
        var random = new Random(3);
        var pins = new[]
        {
            new BootstrapPin("tcp://192.0.2.7:4001", PeerId.Random(random), T0),
            new BootstrapPin("tcp://[2001:db8::1]:4001", PeerId.Random(random), T0.AddMinutes(5)),
        };

        Save(pins);
        using var store = Store();
        var loaded = store.Load(T0);

        Assert.Empty(loaded.Problems);
        Assert.Equal(pins.ToHashSet(), loaded.Snapshot.BootstrapPins.ToHashSet());
    }

    [Fact]
    public void Load_FileWithoutThePinTable_HasNoPinsAndNoProblems_AndGetsTheTable()
    {
        Save([]);
        using (var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "DROP TABLE bootstrap_pins";
            command.ExecuteNonQuery();
        }

        using var store = Store();
        var loaded = store.Load(T0);

        Assert.Empty(loaded.Problems);
        Assert.Empty(loaded.Snapshot.BootstrapPins);
        var pin = new BootstrapPin("tcp://192.0.2.9:4001", PeerId.Random(new Random(4)), T0);
        store.Apply([DhtStateChange.StoreBootstrapPin(pin)]);
        store.Dispose();
        using var again = Store();
        Assert.Equal(pin, Assert.Single(again.Load(T0).Snapshot.BootstrapPins));
    }

    [Fact]
    public void Load_PinRowsWithRandomValuesInFields_AreSkippedWithTypedProblems_NeverThrow()
    {
        var random = new Random(29);
        var good = new BootstrapPin("tcp://198.51.100.3:4001", PeerId.Random(random), T0);
        Save([good]);
        const int rows = 300;
        using (var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO bootstrap_pins VALUES ($address, $peer, $seen)";
            var fields = new[]
            {
                command.Parameters.AddWithValue("$address", DBNull.Value),
                command.Parameters.AddWithValue("$peer", DBNull.Value),
                command.Parameters.AddWithValue("$seen", DBNull.Value),
            };
            for (var row = 0; row < rows; row++)
            {
                // A valid row (a distinct address), then one field replaced by what no valid row holds.
                fields[0].Value = $"tcp://203.0.113.{row % 250}:{4000 + row}";
                fields[1].Value = PeerId.Random(random).ToArray();
                fields[2].Value = T0.ToUnixTimeMilliseconds();
                var broken = random.Next(3);
                fields[broken].Value = broken switch
                {
                    0 => random.Next(4) switch
                    {
                        0 => $"tcp://203.0.113.1:{row}/p2p/{PeerId.Random(random)}",
                        1 => $"tcp://host-{row}:4001",
                        2 => $"tcp://203.0.114.{row % 250}:0",
                        _ => RandomBytes(random, 1, 40),
                    },
                    1 => random.Next(2) == 0 ? RandomBytes(random, 0, 31) : RandomBytes(random, 33, 64),
                    _ => random.Next(2) == 0 ? -random.NextInt64(1, long.MaxValue) : random.NextInt64(253402300800000, long.MaxValue),
                };
                command.ExecuteNonQuery();
            }
        }

        DhtStateLoadResult loaded;
        using (var store = Store())
        {
            loaded = store.Load(T0);
        }

        Assert.Equal(rows, loaded.Problems.Count);
        Assert.All(loaded.Problems, p => Assert.Equal(DhtStateError.BadBootstrapPin, p.Error));
        Assert.Equal(good, Assert.Single(loaded.Snapshot.BootstrapPins));

        // The bad rows were deleted at that load.
        using var again = Store();
        var reloaded = again.Load(T0);
        Assert.Empty(reloaded.Problems);
        Assert.Equal(good, Assert.Single(reloaded.Snapshot.BootstrapPins));
    }

    private void Save(IReadOnlyList<BootstrapPin> pins)
    {
        using var store = Store();
        store.Load(T0);
        store.Apply([.. pins.Select(DhtStateChange.StoreBootstrapPin)]);
    }

    private static byte[] RandomBytes(Random random, int min, int max)
    {
        var bytes = new byte[random.Next(min, max + 1)];
        random.NextBytes(bytes);
        return bytes;
    }
}
