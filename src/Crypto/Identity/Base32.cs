namespace Overlay.Crypto;

/// <summary>Lowercase RFC 4648 base32 without padding, for fixed-size binary identifiers.</summary>
internal static class Base32
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";

    /// <summary>Encodes <paramref name="bytes"/>; <paramref name="chars"/> must hold ceil(8·n/5) characters.</summary>
    public static void Encode(ReadOnlySpan<byte> bytes, Span<char> chars)
    {
        int buffer = 0, bits = 0, o = 0;
        foreach (var b in bytes)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                bits -= 5;
                chars[o++] = Alphabet[(buffer >> bits) & 31];
            }
        }

        if (bits > 0)
        {
            chars[o] = Alphabet[(buffer << (5 - bits)) & 31];
        }
    }

    /// <summary>
    /// Decodes <paramref name="chars"/> into <paramref name="bytes"/> (which must hold floor(5·n/8)
    /// bytes). Fails on a character outside the alphabet (<paramref name="invalidAt"/> is its index)
    /// or on non-zero trailing bits, which would give one value two spellings (invalidAt is -1).
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<char> chars, Span<byte> bytes, out int invalidAt)
    {
        int buffer = 0, bits = 0, o = 0;
        for (var i = 0; i < chars.Length; i++)
        {
            var c = chars[i];
            int v = c switch
            {
                >= 'a' and <= 'z' => c - 'a',
                >= '2' and <= '7' => c - '2' + 26,
                _ => -1,
            };
            if (v < 0)
            {
                invalidAt = i;
                return false;
            }

            buffer = ((buffer << 5) | v) & 0xFFFF;
            bits += 5;
            if (bits >= 8)
            {
                bits -= 8;
                bytes[o++] = (byte)(buffer >> bits);
            }
        }

        invalidAt = -1;
        return (buffer & ((1 << bits) - 1)) == 0;
    }
}
