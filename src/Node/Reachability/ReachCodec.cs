using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Overlay.Transport;

namespace Overlay.Node.Reachability;

/// <summary>
/// Encodes and decodes <c>reach/1</c> requests and answers (docs/PROTOCOL.md, "Reachability protocol").
/// Decoding never throws: each length is checked against what remains before it is read.
/// </summary>
public static class ReachCodec
{
    /// <summary>The protocol's version byte.</summary>
    public const byte Version = 1;

    /// <summary>Longest address carried (bytes of UTF-8), as in DHT messages.</summary>
    public const int MaxAddressBytes = 255;

    /// <summary>A TIME request.</summary>
    public static byte[] TimeRequest() => [Version, (byte)ReachRequestType.Time];

    /// <summary>A DIAL_BACK request for <paramref name="address"/> (sent without a PeerId).</summary>
    public static byte[] DialBackRequest(TransportAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var text = Encoding.UTF8.GetBytes(address.WithPeer(null).ToString());
        if (text.Length > MaxAddressBytes)
        {
            throw new ArgumentException($"The address {address} is longer than {MaxAddressBytes} bytes.", nameof(address));
        }

        var bytes = new byte[3 + text.Length];
        bytes[0] = Version;
        bytes[1] = (byte)ReachRequestType.DialBack;
        bytes[2] = (byte)text.Length;
        text.CopyTo(bytes, 3);
        return bytes;
    }

    /// <summary>
    /// Reads a request's version and type (the cheapest checks, before any rate limit). On failure
    /// <paramref name="refusal"/> is <see cref="ReachStatus.Malformed"/>, <see cref="ReachStatus.UnsupportedVersion"/>
    /// or <see cref="ReachStatus.UnknownType"/>.
    /// </summary>
    public static bool TryReadType(ReadOnlySpan<byte> request, out ReachRequestType type, out ReachStatus refusal)
    {
        type = default;
        if (request.Length < 2)
        {
            refusal = ReachStatus.Malformed;
            return false;
        }

        if (request[0] != Version)
        {
            refusal = ReachStatus.UnsupportedVersion;
            return false;
        }

        type = (ReachRequestType)request[1];
        if (type is not (ReachRequestType.Time or ReachRequestType.DialBack))
        {
            refusal = ReachStatus.UnknownType;
            return false;
        }

        refusal = default;
        return true;
    }

    /// <summary>
    /// Reads the address of a DIAL_BACK request (after <see cref="TryReadType"/>); false when it is not
    /// exactly one length-prefixed transport address with a port other than 0. A TIME request must carry nothing more.
    /// </summary>
    public static bool TryReadBody(ReadOnlySpan<byte> request, ReachRequestType type, out TransportAddress? address)
    {
        address = null;
        if (type == ReachRequestType.Time)
        {
            return request.Length == 2;
        }

        if (request.Length < 3 || request[2] == 0 || request.Length != 3 + request[2])
        {
            return false;
        }

        return TryReadAddress(request.Slice(3, request[2]), out address) && address.Port != 0;
    }

    /// <summary>Writes an answer.</summary>
    public static void WriteAnswer(IBufferWriter<byte> output, ReachStatus status, TransportError? dialError, long timeUnixMs, string observed)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(observed);
        var text = Encoding.UTF8.GetBytes(observed);
        var length = Math.Min(text.Length, MaxAddressBytes);
        var span = output.GetSpan(12 + length);
        span[0] = Version;
        span[1] = (byte)status;
        span[2] = dialError is { } e ? (byte)e : (byte)0;
        BinaryPrimitives.WriteInt64BigEndian(span[3..], timeUnixMs);
        span[11] = (byte)length;
        text.AsSpan(0, length).CopyTo(span[12..]);
        output.Advance(12 + length);
    }

    /// <summary>Decodes an answer; false (and null) when it is not one this version knows.</summary>
    public static bool TryReadAnswer(ReadOnlySpan<byte> answer, [NotNullWhen(true)] out ReachAnswer? decoded)
    {
        decoded = null;
        if (answer.Length < 12 || answer[0] != Version || answer[1] > (byte)ReachStatus.Busy || answer.Length != 12 + answer[11])
        {
            return false;
        }

        var status = (ReachStatus)answer[1];
        TransportError? error = null;
        if (status == ReachStatus.Unreachable)
        {
            if (!Enum.IsDefined((TransportError)answer[2]))
            {
                return false;
            }

            error = (TransportError)answer[2];
        }

        string observed;
        try
        {
            observed = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(answer[12..]);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }

        decoded = new ReachAnswer(status, error, BinaryPrimitives.ReadInt64BigEndian(answer[3..]), observed);
        return true;
    }

    private static bool TryReadAddress(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out TransportAddress? address)
    {
        address = null;
        foreach (var b in utf8)
        {
            // Addresses are ASCII; anything else is not one, and need not be decoded to find out.
            if (b is < 0x21 or > 0x7E)
            {
                return false;
            }
        }

        return TransportAddress.TryParse(Encoding.ASCII.GetString(utf8), out address, out _);
    }
}
