using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using Overlay.Crypto;

namespace Overlay.Storage;

/// <summary>
/// The address of a stored shard: the BLAKE3-256 hash of its bytes. A separate type from
/// <see cref="PeerId"/> (same width) so a node id cannot be passed where a content hash is meant.
/// The text form is 64 lowercase hexadecimal characters.
/// </summary>
public readonly struct ShardId : IEquatable<ShardId>, IComparable<ShardId>
{
    /// <summary>Length of the identifier in bytes.</summary>
    public const int Size = 32;

    /// <summary>Length of the text form in characters.</summary>
    public const int TextLength = 64;

    // Four big-endian words: equality and hashing without touching an array, and ordering that
    // matches the byte order (and therefore the order of the SQLite index).
    private readonly ulong _w0, _w1, _w2, _w3;

    private ShardId(ulong w0, ulong w1, ulong w2, ulong w3)
    {
        _w0 = w0;
        _w1 = w1;
        _w2 = w2;
        _w3 = w3;
    }

    /// <summary>Reads an identifier from exactly 32 bytes; throws <see cref="ArgumentException"/> otherwise.</summary>
    public static ShardId FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (!TryFromBytes(bytes, out var id))
        {
            throw new ArgumentException($"A ShardId is {Size} bytes, not {bytes.Length}.", nameof(bytes));
        }

        return id;
    }

    /// <summary>Reads an identifier from untrusted bytes: false unless exactly 32 bytes.</summary>
    public static bool TryFromBytes(ReadOnlySpan<byte> bytes, out ShardId id)
    {
        if (bytes.Length != Size)
        {
            id = default;
            return false;
        }

        id = new ShardId(
            BinaryPrimitives.ReadUInt64BigEndian(bytes),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]));
        return true;
    }

    /// <summary>The identifier of <paramref name="content"/> (BLAKE3-256 over it).</summary>
    public static ShardId Compute(ReadOnlySpan<byte> content)
    {
        Span<byte> digest = stackalloc byte[Size];
        Blake3.Hash(content, digest);
        return FromBytes(digest);
    }

    /// <summary>Writes the 32 bytes of the identifier into <paramref name="destination"/> (at least 32 bytes).</summary>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"A ShardId needs {Size} bytes of space.", nameof(destination));
        }

        BinaryPrimitives.WriteUInt64BigEndian(destination, _w0);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _w1);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _w2);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _w3);
    }

    /// <summary>The identifier as a new 32-byte array.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>Parses 64 hexadecimal characters (either case); throws <see cref="FormatException"/> otherwise.</summary>
    public static ShardId Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!TryParse(text, out var id))
        {
            throw new FormatException($"A ShardId is {TextLength} hexadecimal characters; got {text.Length} characters that do not parse.");
        }

        return id;
    }

    /// <summary>Parses untrusted text: false unless exactly 64 hexadecimal characters.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out ShardId id) => TryParse(text.AsSpan(), out id);

    /// <summary>Parses untrusted text: false unless exactly 64 hexadecimal characters.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out ShardId id)
    {
        id = default;
        if (text.Length != TextLength)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Size];
        if (Convert.FromHexString(text, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != Size)
        {
            return false;
        }

        return TryFromBytes(bytes, out id);
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Size];
        WriteTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <inheritdoc/>
    public bool Equals(ShardId other) => _w0 == other._w0 && _w1 == other._w1 && _w2 == other._w2 && _w3 == other._w3;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ShardId other && Equals(other);

    /// <inheritdoc/>
    // The words are hash output already: any 64 bits of them are uniformly distributed.
    public override int GetHashCode() => (int)_w3 ^ (int)(_w3 >> 32);

    // The leading two words, big-endian: what the in-memory log index keeps of an id (see IdPrefix).
    internal ulong Word0 => _w0;

    internal ulong Word1 => _w1;

    internal static ShardId FromWords(ulong w0, ulong w1, ulong w2, ulong w3) => new(w0, w1, w2, w3);

    /// <inheritdoc/>
    public int CompareTo(ShardId other)
    {
        var c = _w0.CompareTo(other._w0);
        if (c != 0) return c;
        c = _w1.CompareTo(other._w1);
        if (c != 0) return c;
        c = _w2.CompareTo(other._w2);
        return c != 0 ? c : _w3.CompareTo(other._w3);
    }

    /// <summary>Equality of identifiers.</summary>
    public static bool operator ==(ShardId left, ShardId right) => left.Equals(right);

    /// <summary>Inequality of identifiers.</summary>
    public static bool operator !=(ShardId left, ShardId right) => !left.Equals(right);

    /// <summary>Ordering as 256-bit big-endian numbers.</summary>
    public static bool operator <(ShardId left, ShardId right) => left.CompareTo(right) < 0;

    /// <summary>Ordering as 256-bit big-endian numbers.</summary>
    public static bool operator >(ShardId left, ShardId right) => left.CompareTo(right) > 0;

    /// <summary>Ordering as 256-bit big-endian numbers.</summary>
    public static bool operator <=(ShardId left, ShardId right) => left.CompareTo(right) <= 0;

    /// <summary>Ordering as 256-bit big-endian numbers.</summary>
    public static bool operator >=(ShardId left, ShardId right) => left.CompareTo(right) >= 0;
}
