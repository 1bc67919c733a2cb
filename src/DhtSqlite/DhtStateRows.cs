using Microsoft.Data.Sqlite;
using Overlay.Crypto;
using Overlay.Dht.Records;
using Overlay.Transport;

namespace Overlay.Dht.Persistence;

/// <summary>
/// Reads one row of <c>dht.db</c> into what it stands for, or says in a few words why it cannot. Column
/// types are whatever the file says: each is checked before it is read, so no cast can throw on a
/// damaged file, and <see cref="TryReadRow"/> turns what still does into a bad row.
/// </summary>
internal static class DhtStateRows
{
    /// <summary>Latest time a row may hold: 9999-12-31T23:59:59.999Z in Unix milliseconds, the range the record encoding accepts.</summary>
    public const long MaxTimeMs = 253402300799999;

    /// <summary>
    /// Runs one row reader. The column checks make casts safe, but a damaged file may still surprise the
    /// provider (a NULL where the schema forbids one, a number out of range): any such failure costs the row only.
    /// </summary>
    public static bool TryReadRow<T>(Func<(bool Ok, T Value, string Why)> read, out T value, out string why)
    {
        try
        {
            (var ok, value, why) = read();
            return ok;
        }
        catch (Exception e) when (e is InvalidCastException or InvalidOperationException or FormatException or OverflowException or ArgumentException)
        {
            value = default!;
            why = $"a column cannot be read ({e.GetType().Name})";
            return false;
        }
    }

    /// <summary>A contact row: peer_id, address, latency_ms, last_seen_ms (columns 0 to 3).</summary>
    public static bool TryReadContact(SqliteDataReader reader, out ContactSnapshot contact, out string why)
    {
        contact = default;
        for (var i = 0; i < 4; i++)
        {
            // Only the latency may be NULL (never measured).
            if (i != 2 && reader.IsDBNull(i))
            {
                why = "a required column is NULL";
                return false;
            }
        }

        if (!TryReadId(reader, 0, out var idBytes))
        {
            why = "the peer id is not 32 bytes";
            return false;
        }

        var id = PeerId.FromBytes(idBytes);
        if (reader.GetFieldType(1) != typeof(string) || reader.GetString(1) is not { Length: > 0 and <= SqliteDhtStateStore.MaxAddressLength } text ||
            !TransportAddress.TryParse(text, out var address, out _) || (address.ExpectedPeer is { } pinned && pinned != id))
        {
            why = "the address is missing, malformed or pinned to another peer";
            return false;
        }

        var latency = double.NaN;
        if (!reader.IsDBNull(2))
        {
            if (reader.GetFieldType(2) != typeof(double) && reader.GetFieldType(2) != typeof(long))
            {
                why = "the latency is not a number";
                return false;
            }

            latency = reader.GetDouble(2);
            if (!double.IsFinite(latency) || latency < 0)
            {
                why = "the latency is negative or not finite";
                return false;
            }
        }

        if (reader.GetFieldType(3) != typeof(long) || reader.GetInt64(3) is < 0 or > MaxTimeMs)
        {
            why = "the last-seen time is not a time in milliseconds between 1970 and 9999";
            return false;
        }

        contact = new ContactSnapshot(id, address.WithPeer(null).ToString(), latency, DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)), 0, null);
        why = string.Empty;
        return true;
    }

    /// <summary>
    /// A record row: key, local, encoded (columns 0 to 2). <paramref name="encoded"/> is the encoding as
    /// stored, for checking the row's seal.
    /// </summary>
    public static bool TryReadRecord(SqliteDataReader reader, DhtOptions options, out SavedRecord saved, out byte[] encoded, out string why)
    {
        saved = default;
        encoded = [];
        if (reader.IsDBNull(0) || reader.IsDBNull(1) || reader.IsDBNull(2))
        {
            why = "a required column is NULL";
            return false;
        }

        if (!TryReadId(reader, 0, out var keyBytes))
        {
            why = "the key is not 32 bytes";
            return false;
        }

        if (!IsFlag(reader, 1))
        {
            why = "the local flag is not 0 or 1";
            return false;
        }

        if (reader.GetFieldType(2) != typeof(byte[]))
        {
            why = "the record is not a blob";
            return false;
        }

        encoded = reader.GetFieldValue<byte[]>(2);
        if (!RecordEncoding.TryDecode(encoded, options, out var record, out _, out var error) || record is null)
        {
            why = error == RecordDecodeError.None ? "it is a provider record, not a value record" : $"it does not decode ({error})";
            return false;
        }

        if (record.Key != PeerId.FromBytes(keyBytes))
        {
            why = "the key column differs from the record's key";
            return false;
        }

        saved = new SavedRecord(record, reader.GetInt64(1) == 1);
        why = string.Empty;
        return true;
    }

    /// <summary>
    /// A provider row: key, provider, local, expires_ms (columns 0 to 3), and the provider's key and signature
    /// (columns 6 and 7: both blobs, or both NULL in a row saved before signatures).
    /// </summary>
    public static bool TryReadProvider(SqliteDataReader reader, out SavedProvider saved, out string why)
    {
        saved = default;
        for (var i = 0; i < 4; i++)
        {
            if (reader.IsDBNull(i))
            {
                why = "a required column is NULL";
                return false;
            }
        }

        if (!TryReadId(reader, 0, out var keyBytes))
        {
            why = "the key is not 32 bytes";
            return false;
        }

        if (!TryReadId(reader, 1, out var providerBytes))
        {
            why = "the provider is not 32 bytes";
            return false;
        }

        if (!IsFlag(reader, 2))
        {
            why = "the local flag is not 0 or 1";
            return false;
        }

        // The range the record encoding accepts: a row outside it could not have come from a record.
        if (reader.GetFieldType(3) != typeof(long) || reader.GetInt64(3) is < 0 or > MaxTimeMs)
        {
            why = "the expiry is not a time in milliseconds between 1970 and 9999";
            return false;
        }

        var publicKey = ReadBlob(reader, 6);
        var signature = ReadBlob(reader, 7);
        if (publicKey is null != signature is null || publicKey?.Length == 0 || signature?.Length == 0)
        {
            why = "the key and signature columns are not both non-empty blobs or both NULL";
            return false;
        }

        var record = publicKey is null
            ? new ProviderRecord(PeerId.FromBytes(keyBytes), PeerId.FromBytes(providerBytes), reader.GetInt64(3))
            : new ProviderRecord(PeerId.FromBytes(keyBytes), PeerId.FromBytes(providerBytes), reader.GetInt64(3), publicKey, signature);
        saved = new SavedProvider(record, reader.GetInt64(2) == 1);
        why = string.Empty;
        return true;
    }

    /// <summary>The seal in <paramref name="column"/>: a 32-byte blob, or empty when the column is NULL or anything else.</summary>
    public static byte[] ReadSeal(SqliteDataReader reader, int column) =>
        reader.IsDBNull(column) || reader.GetFieldType(column) != typeof(byte[]) ? [] : reader.GetFieldValue<byte[]>(column);

    // A blob column, or null when NULL; any other type is an empty array (a damaged row).
    private static byte[]? ReadBlob(SqliteDataReader reader, int column) =>
        reader.IsDBNull(column) ? null : reader.GetFieldType(column) == typeof(byte[]) ? reader.GetFieldValue<byte[]>(column) : [];

    /// <summary>The row id in <paramref name="column"/> (SQLite's own rowid, always an integer).</summary>
    public static long RowId(SqliteDataReader reader, int column) => reader.GetInt64(column);

    // A 32-byte id column (contact, record key, provider): anything else is a damaged row.
    private static bool TryReadId(SqliteDataReader reader, int column, out byte[] bytes)
    {
        bytes = reader.GetFieldType(column) == typeof(byte[]) ? reader.GetFieldValue<byte[]>(column) : [];
        return bytes.Length == PeerId.Size;
    }

    private static bool IsFlag(SqliteDataReader reader, int column)
        => reader.GetFieldType(column) == typeof(long) && reader.GetInt64(column) is 0 or 1;
}
