using System.Globalization;
using Microsoft.Data.Sqlite;
using Overlay.Crypto;
using Overlay.Transport;

namespace Overlay.Dht.Persistence;

/// <summary>
/// The <c>bootstrap_pins</c> table of <c>dht.db</c>: one row per bootstrap address learned by trust on
/// first use. A file without the table (written before it existed) has no pins; a node that does not
/// know the table ignores it, so the schema version stays as it is.
/// </summary>
internal static class BootstrapPinTable
{
    /// <summary>Most pins read back; a node learns one per configured address without a PeerId.</summary>
    public const int MaxRows = 1024;

    public const string CreateSql = "CREATE TABLE bootstrap_pins (address TEXT NOT NULL PRIMARY KEY, peer_id BLOB NOT NULL, first_seen_ms INTEGER NOT NULL);";

    public static void Write(SqliteConnection connection, SqliteTransaction transaction, IReadOnlyList<BootstrapPin> pins)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT OR REPLACE INTO bootstrap_pins (address, peer_id, first_seen_ms) VALUES ($address, $peer, $seen)";
        var address = command.Parameters.Add("$address", SqliteType.Text);
        var peer = command.Parameters.Add("$peer", SqliteType.Blob);
        var seen = command.Parameters.Add("$seen", SqliteType.Integer);
        var peerBytes = new byte[PeerId.Size];
        foreach (var pin in pins)
        {
            pin.Peer.WriteTo(peerBytes);
            address.Value = pin.Address;
            peer.Value = peerBytes;
            seen.Value = Math.Max(0, pin.FirstSeen.ToUnixTimeMilliseconds());
            command.ExecuteNonQuery();
        }
    }

    /// <summary>Reads every well-formed row into <paramref name="pins"/>; a bad row is a <see cref="DhtStateError.BadBootstrapPin"/> problem and is skipped.</summary>
    public static void Read(SqliteConnection connection, string path, List<BootstrapPin> pins, List<DhtStateProblem> problems)
    {
        using (var exists = connection.CreateCommand())
        {
            exists.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'bootstrap_pins'";
            if (exists.ExecuteScalar() is not long n || n == 0)
            {
                return;
            }
        }

        using var command = connection.CreateCommand();
        command.CommandText = "SELECT address, peer_id, first_seen_ms FROM bootstrap_pins";
        using var reader = command.ExecuteReader();
        var row = 0;
        while (reader.Read())
        {
            row++;
            if (pins.Count >= MaxRows)
            {
                problems.Add(new DhtStateProblem(DhtStateError.TooManyRows, $"{path} holds more than {MaxRows} bootstrap pins; the rest were skipped."));
                return;
            }

            if (TryRead(reader, out var pin, out var why))
            {
                pins.Add(pin);
            }
            else
            {
                problems.Add(new DhtStateProblem(DhtStateError.BadBootstrapPin, string.Create(CultureInfo.InvariantCulture, $"Bootstrap pin row {row} of {path} was skipped: {why}.")));
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
