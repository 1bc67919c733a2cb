using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace Overlay.Crypto;

/// <summary>
/// A node's 256-bit identifier: BLAKE3-256 of its public key material. Also a point of the DHT
/// keyspace. The text form is 52 characters of lowercase RFC 4648 base32 without padding.
/// </summary>
public readonly struct PeerId : IEquatable<PeerId>, IComparable<PeerId>, ISpanFormattable
{
    /// <summary>Length of the identifier in bytes.</summary>
    public const int Size = 32;

    /// <summary>Length of the text form in characters.</summary>
    public const int TextLength = 52;

    // Stored as four big-endian words so that comparison and XOR distance are cheap and ordering
    // matches the byte order of the identifier.
    private readonly ulong _w0, _w1, _w2, _w3;

    private PeerId(ulong w0, ulong w1, ulong w2, ulong w3)
    {
        _w0 = w0;
        _w1 = w1;
        _w2 = w2;
        _w3 = w3;
    }

    /// <summary>Reads an identifier from exactly 32 bytes.</summary>
    public static PeerId FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"A PeerId is {Size} bytes, not {bytes.Length}.", nameof(bytes));
        }

        return new PeerId(
            BinaryPrimitives.ReadUInt64BigEndian(bytes),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]));
    }

    /// <summary>The identifier of the given public key material (BLAKE3-256 over it).</summary>
    public static PeerId FromPublicKeyMaterial(ReadOnlySpan<byte> publicKeyMaterial)
    {
        Span<byte> digest = stackalloc byte[Size];
        Blake3.Hash(publicKeyMaterial, digest);
        return FromBytes(digest);
    }

    /// <summary>A uniformly random identifier drawn from <paramref name="random"/> (keyspace sampling, tests).</summary>
    public static PeerId Random(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Span<byte> bytes = stackalloc byte[Size];
        random.NextBytes(bytes);
        return FromBytes(bytes);
    }

    /// <summary>Writes the 32 bytes of the identifier.</summary>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"A PeerId needs {Size} bytes of space.", nameof(destination));
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

    /// <summary>XOR distance to <paramref name="other"/> (Kademlia §2.1), itself a point of the keyspace.</summary>
    public PeerId Xor(PeerId other) => new(_w0 ^ other._w0, _w1 ^ other._w1, _w2 ^ other._w2, _w3 ^ other._w3);

    /// <summary>Number of leading zero bits: 256 for the zero identifier.</summary>
    public int LeadingZeroCount()
    {
        if (_w0 != 0) return System.Numerics.BitOperations.LeadingZeroCount(_w0);
        if (_w1 != 0) return 64 + System.Numerics.BitOperations.LeadingZeroCount(_w1);
        if (_w2 != 0) return 128 + System.Numerics.BitOperations.LeadingZeroCount(_w2);
        if (_w3 != 0) return 192 + System.Numerics.BitOperations.LeadingZeroCount(_w3);
        return 256;
    }

    /// <summary>Bit <paramref name="index"/> counted from the most significant bit (0..255).</summary>
    public bool Bit(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(index, 255);
        var word = (index >> 6) switch { 0 => _w0, 1 => _w1, 2 => _w2, _ => _w3 };
        return ((word >> (63 - (index & 63))) & 1) != 0;
    }

    /// <summary>Parses the text form; throws <see cref="FormatException"/> with the reason on malformed text.</summary>
    public static PeerId Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!TryParse(text, out var id, out var error))
        {
            throw new FormatException(error);
        }

        return id;
    }

    /// <summary>Parses the text form without throwing.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out PeerId id) => TryParse(text, out id, out _);

    /// <summary>Parses the text form without throwing; <paramref name="error"/> says why text was refused.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out PeerId id, [NotNullWhen(false)] out string? error)
    {
        id = default;
        if (text.Length != TextLength)
        {
            error = $"A PeerId is {TextLength} base32 characters, but this text has {text.Length}.";
            return false;
        }

        Span<byte> bytes = stackalloc byte[Size + 1];
        if (!Base32.TryDecode(text, bytes, out var invalidAt))
        {
            error = invalidAt >= 0
                ? $"A PeerId uses the characters a-z and 2-7 only; '{text[invalidAt]}' at position {invalidAt + 1} is not one of them."
                : "A PeerId's last character carries bits beyond 256; this text is not a PeerId.";
            return false;
        }

        id = FromBytes(bytes[..Size]);
        error = null;
        return true;
    }

    /// <inheritdoc />
    public override string ToString()
    {
        Span<char> chars = stackalloc char[TextLength];
        TryFormat(chars, out _, default, null);
        return new string(chars);
    }

    /// <summary>The first <paramref name="characters"/> characters of the text form, for logs.</summary>
    public string ToShortString(int characters = 12) => ToString()[..Math.Clamp(characters, 1, TextLength)];

    /// <inheritdoc />
    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    /// <inheritdoc />
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        if (destination.Length < TextLength)
        {
            charsWritten = 0;
            return false;
        }

        Span<byte> bytes = stackalloc byte[Size];
        WriteTo(bytes);
        Base32.Encode(bytes, destination);
        charsWritten = TextLength;
        return true;
    }

    /// <inheritdoc />
    public bool Equals(PeerId other) => _w0 == other._w0 && _w1 == other._w1 && _w2 == other._w2 && _w3 == other._w3;

    /// <summary>Compares identifiers of equal length in constant time (for secrets derived from ids).</summary>
    public bool FixedTimeEquals(PeerId other)
    {
        Span<byte> a = stackalloc byte[Size];
        Span<byte> b = stackalloc byte[Size];
        WriteTo(a);
        other.WriteTo(b);
        return CryptographicOperations.FixedTimeEquals(a, b);
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is PeerId other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_w0, _w1, _w2, _w3);

    /// <summary>Orders identifiers as unsigned 256-bit big-endian integers (so distances compare as numbers).</summary>
    public int CompareTo(PeerId other)
    {
        var c = _w0.CompareTo(other._w0);
        if (c != 0) return c;
        c = _w1.CompareTo(other._w1);
        if (c != 0) return c;
        c = _w2.CompareTo(other._w2);
        return c != 0 ? c : _w3.CompareTo(other._w3);
    }

    public static bool operator ==(PeerId left, PeerId right) => left.Equals(right);

    public static bool operator !=(PeerId left, PeerId right) => !left.Equals(right);

    public static bool operator <(PeerId left, PeerId right) => left.CompareTo(right) < 0;

    public static bool operator >(PeerId left, PeerId right) => left.CompareTo(right) > 0;

    public static bool operator <=(PeerId left, PeerId right) => left.CompareTo(right) <= 0;

    public static bool operator >=(PeerId left, PeerId right) => left.CompareTo(right) >= 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong Word(int index) => index switch { 0 => _w0, 1 => _w1, 2 => _w2, _ => _w3 };
}
