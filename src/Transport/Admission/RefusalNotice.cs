using System.Text;

namespace Overlay.Transport.Admission;

/// <summary>
/// The line a TCP listener writes, before any TLS byte, on a connection it refuses:
/// <c>OVERLAY-REFUSED reason\n</c> in ASCII (docs/PROTOCOL.md). A TLS record never starts with
/// 'O' (0x4F), so the dialler tells the two apart by the first byte and can say why it was turned
/// away instead of reporting a reset.
/// </summary>
internal static class RefusalNotice
{
    /// <summary>Longest notice, newline included; a longer line is not a notice.</summary>
    public const int MaxBytes = 64;

    /// <summary>The first byte of every notice ('O').</summary>
    public const byte FirstByte = (byte)'O';

    private static ReadOnlySpan<byte> Prefix => "OVERLAY-REFUSED "u8;

    /// <summary>The notice for <paramref name="reason"/> (lowercase letters and '_' only).</summary>
    public static byte[] Encode(string reason) => [.. Prefix, .. Encoding.ASCII.GetBytes(reason), (byte)'\n'];

    /// <summary>
    /// Reads a notice from the first bytes a dialler received. Returns true with the reason once a whole
    /// well-formed line is there; false with <paramref name="needMore"/> set while the line may still be
    /// incomplete; false otherwise (not a notice, or malformed: treat the bytes as a broken handshake).
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> received, out string reason, out bool needMore)
    {
        reason = string.Empty;
        needMore = false;
        var end = received.IndexOf((byte)'\n');
        if (end < 0)
        {
            needMore = received.Length < MaxBytes && Prefix.StartsWith(received[..Math.Min(received.Length, Prefix.Length)]);
            return false;
        }

        var line = received[..end];
        if (!line.StartsWith(Prefix) || line.Length == Prefix.Length || end + 1 > MaxBytes)
        {
            return false;
        }

        var token = line[Prefix.Length..];
        foreach (var b in token)
        {
            if (b is not ((>= (byte)'a' and <= (byte)'z') or (byte)'_'))
            {
                return false;
            }
        }

        reason = Encoding.ASCII.GetString(token);
        return true;
    }

    /// <summary>What a dialler tells its user about a refusal with <paramref name="reason"/>.</summary>
    public static string Explain(string reason) => reason switch
    {
        "address_limit" => "it already holds as many connections from this node's IP address as its per-address limit allows (Transport:MaxConnectionsPer…Address on that node) (address_limit)",
        "pending_limit" => "too many connections were waiting for their handshake there and this one was the oldest (Transport:MaxPendingHandshakes on that node) (pending_limit)",
        _ => $"it gave the reason '{reason}'",
    };
}
