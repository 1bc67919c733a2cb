using System.Globalization;
using Microsoft.Data.Sqlite;
using Overlay.Crypto;
using Overlay.Transport;

namespace Overlay.Dht.Persistence;

/// <summary>
/// The <c>bootstrap_pins</c> table of <c>dht.db</c>: one row per bootstrap address learned by trust on
/// first use (<see cref="BootstrapPin"/>). Every open creates it when missing, and a node that does not
/// know it leaves it alone, so its arrival changed no schema version.
/// </summary>
internal static class BootstrapPinTable
{
    /// <summary>Most pins read back; a node learns one per configured address without a PeerId.</summary>
    public const int MaxRows = 1024;

    public const string CreateSql = "CREATE TABLE IF NOT EXISTS bootstrap_pins (address TEXT NOT NULL PRIMARY KEY, peer_id BLOB NOT NULL, first_seen_ms INTEGER NOT NULL);";

    public const string StoreSql = "INSERT OR REPLACE INTO bootstrap_pins (address, peer_id, first_seen_ms) VALUES ($a, $b, $c)";

    /// <summary>The values of <see cref="StoreSql"/>'s parameters for <paramref name="pin"/>.</summary>
    public static object[] Values(BootstrapPin pin) => [pin.Address, pin.Peer.ToArray(), Math.Max(0, pin.FirstSeen.ToUnixTimeMilliseconds())];

    /// <summary>
    /// Reads every well-formed row into <paramref name="pins"/>; a bad row is a <see cref="DhtStateError.BadBootstrapPin"/>
    /// problem and, like rows beyond <see cref="MaxRows"/>, its rowid goes to <paramref name="refused"/> for deletion.
    /// </summary>
    public static void Read(SqliteConnection connection, string path, List<BootstrapPin> pins, List<long> refused, Action<DhtStateError, string> problem)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT address, peer_id, first_seen_ms, rowid FROM bootstrap_pins";
        using var reader = command.ExecuteReader();
        var row = 0;
        var over = false;
        while (reader.Read())
        {
            row++;
            if (pins.Count >= MaxRows)
            {
                if (!over)
                {
                    problem(DhtStateError.TooManyRows, $"{path} holds more than {MaxRows} bootstrap pins; the rest were skipped.");
                    over = true;
                }

                refused.Add(DhtStateRows.RowId(reader, 3));
                continue;
            }

            if (DhtStateRows.TryReadRow(() => (TryRead(reader, out var p, out var w), p, w), out var pin, out var why))
            {
                pins.Add(pin);
            }
            else
            {
                problem(DhtStateError.BadBootstrapPin, string.Create(CultureInfo.InvariantCulture, $"Bootstrap pin row {row} of {path} was skipped: {why}."));
                refused.Add(DhtStateRows.RowId(reader, 3));
            }
        }
    }

    // Column types are whatever the file says: each is checked before it is read, so no cast can throw.
    private static bool TryRead(SqliteDataReader reader, out BootstrapPin pin, out string why)
    {
        pin = default;
        if (reader.GetFieldType(0) != typeof(string) || reader.GetString(0) is not { Length: > 0 and <= SqliteDhtStateStore.MaxAddressLength } text ||
            !TransportAddress.TryParse(text, out var address, out _) || address.ExpectedPeer is not null || address.Port == 0)
        {
            why = "the address is missing, malformed, pinned or without a port";
            return false;
        }

        var peerBytes = reader.GetFieldType(1) == typeof(byte[]) ? reader.GetFieldValue<byte[]>(1) : [];
        if (peerBytes.Length != PeerId.Size)
        {
            why = "the peer id is not 32 bytes";
            return false;
        }

        if (reader.GetFieldType(2) != typeof(long) || reader.GetInt64(2) is < 0 or > 253402300799999)
        {
            why = "the first-seen time is not a time in milliseconds between 1970 and 9999";
            return false;
        }

        pin = new BootstrapPin(address.ToString(), PeerId.FromBytes(peerBytes), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)));
        why = string.Empty;
        return true;
    }
}
