using Overlay.Dht.Routing;

namespace Overlay.Dht.Wire;

/// <summary>
/// Remembers recently decoded contact addresses by their wire bytes, so an address seen again (every
/// NODES answer names up to k contacts, mostly the same peers over and over) costs a hash and a compare
/// instead of a string, a parse and two IP address objects. Decoding is a pure function of the bytes,
/// so a hit returns exactly what decoding would. Direct-mapped and process-wide: each slot holds one
/// immutable entry, replaced whole, so threads share it without locks.
/// </summary>
internal static class DecodedAddressCache
{
    private const int Slots = 4096;
    private static readonly Entry?[] Table = new Entry?[Slots];

    /// <summary>The cached decoding of <paramref name="utf8"/>, if present.</summary>
    public static bool TryGet(ReadOnlySpan<byte> utf8, out string address, out NetworkGroup group)
    {
        var entry = Volatile.Read(ref Table[SlotOf(utf8)]);
        if (entry is not null && utf8.SequenceEqual(entry.Utf8))
        {
            address = entry.Address;
            group = entry.Group;
            return true;
        }

        address = string.Empty;
        group = NetworkGroup.Unknown;
        return false;
    }

    /// <summary>Remembers that <paramref name="utf8"/> decodes to <paramref name="address"/> in <paramref name="group"/>.</summary>
    public static void Add(ReadOnlySpan<byte> utf8, string address, NetworkGroup group)
        => Volatile.Write(ref Table[SlotOf(utf8)], new Entry(utf8.ToArray(), address, group));

    // HashCode's per-process seed only changes which addresses share a slot, never what a lookup returns.
    private static int SlotOf(ReadOnlySpan<byte> utf8)
    {
        var hash = default(HashCode);
        hash.AddBytes(utf8);
        return hash.ToHashCode() & (Slots - 1);
    }

    private sealed record Entry(byte[] Utf8, string Address, NetworkGroup Group);
}
