using System.Text;
using Overlay.Crypto;

namespace Overlay.Node.Control;

/// <summary>
/// Maps the key a user types to a 256-bit DHT key: a 52-character PeerId-style base32 string is taken as
/// the key itself; any other text is hashed, key = BLAKE3-256(UTF-8 bytes of the text).
/// </summary>
public static class DhtKeys
{
    /// <summary>Longest key text accepted, in characters.</summary>
    public const int MaxKeyLength = 1024;

    /// <summary>Maps <paramref name="text"/>; false (with one sentence) for an empty or overlong key or one that is not valid UTF-16 text.</summary>
    public static bool TryFromText(string? text, out PeerId key, out string error)
    {
        key = default;
        if (string.IsNullOrEmpty(text))
        {
            error = "The key is empty.";
            return false;
        }

        if (text.Length > MaxKeyLength)
        {
            error = $"The key is {text.Length} characters long; at most {MaxKeyLength} are accepted.";
            return false;
        }

        if (PeerId.TryParse(text, out var id))
        {
            key = id;
            error = string.Empty;
            return true;
        }

        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        byte[] bytes;
        try
        {
            bytes = utf8.GetBytes(text);
        }
        catch (EncoderFallbackException)
        {
            error = "The key is not valid Unicode text (it has an unpaired surrogate).";
            return false;
        }

        Span<byte> hash = stackalloc byte[PeerId.Size];
        Blake3.Hash(bytes, hash);
        key = PeerId.FromBytes(hash);
        error = string.Empty;
        return true;
    }
}
