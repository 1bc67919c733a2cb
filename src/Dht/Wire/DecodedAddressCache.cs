using System.Diagnostics.CodeAnalysis;
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
    public static bool TryGet(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out Entry? entry)
    {
        entry = Volatile.Read(ref Table[SlotOf(utf8)]);
        if (entry is not null && utf8.SequenceEqual(entry.Utf8))
        {
            return true;
        }

        entry = null;
        return false;
    }

    /// <summary>Remembers that <paramref name="utf8"/> decodes to <paramref name="text"/>, held as <paramref name="held"/>, in <paramref name="group"/>.</summary>
    public static Entry Add(ReadOnlySpan<byte> utf8, string text, PeerAddress held, NetworkGroup group)
    {
        var entry = new Entry(utf8.ToArray(), text, held, group);
        Volatile.Write(ref Table[SlotOf(utf8)], entry);
        return entry;
    }

    // HashCode's per-process seed only changes which addresses share a slot, never what a lookup returns.
    private static int SlotOf(ReadOnlySpan<byte> utf8)
    {
        var hash = default(HashCode);
        hash.AddBytes(utf8);
        return hash.ToHashCode() & (Slots - 1);
    }

    /// <summary>One decoding: the wire bytes, their text, the form a table holds, and the network group.</summary>
    internal sealed record Entry(byte[] Utf8, string Text, PeerAddress Held, NetworkGroup Group);
}
