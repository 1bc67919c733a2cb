using System.Buffers.Binary;
using System.Text;
using Overlay.Transport;

namespace Overlay.Node.Shards;

/// <summary>Reads and writes the pieces of a <c>shard/1</c> stream both sides share.</summary>
internal static class ShardStreams
{
    /// <summary>Fills <paramref name="buffer"/>; false when the peer ended its direction first.</summary>
    /// <remarks>
    /// A loop of plain awaits rather than <see cref="Stream.ReadAtLeastAsync(Memory{byte}, int, bool, CancellationToken)"/>,
    /// whose continuations leave for the thread pool: on the simulator every continuation must stay on
    /// the deterministic scheduler, or the virtual clock runs ahead of work still in flight.
    /// </remarks>
    public static async ValueTask<bool> TryReadExactlyAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer[filled..], cancellationToken);
            if (read == 0)
            {
                return false;
            }

            filled += read;
        }

        return true;
    }

    /// <summary>
    /// Reads the peer's direction to its end, discarding at most <paramref name="maxBytes"/>; false when
    /// more came. A side that returns before the peer ended its direction resets the stream, and on
    /// QUIC a reset discards what was still unsent, the answer included: so both sides read to the end.
    /// </summary>
    public static async ValueTask<bool> DrainAsync(Stream stream, int maxBytes, CancellationToken cancellationToken)
    {
        var buffer = new byte[Math.Min(maxBytes, 4096) + 1];
        var total = 0;
        while (total <= maxBytes)
        {
            var read = await stream.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                return true;
            }

            total += read;
        }

        return false;
    }

    /// <summary>Sends a refusal and ends this side's direction.</summary>
    public static async ValueTask RefuseAsync(TransportStream stream, ShardRefusal refusal, string message, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(ShardCodec.EncodeRefusal(refusal, message), cancellationToken);
        await stream.CompleteWritesAsync(cancellationToken);
    }

    /// <summary>
    /// Reads a reply's status byte: <see cref="ShardRefusal.None"/> to go on, otherwise throws the
    /// holder's refusal with its sentence. A stream that ends first is a <see cref="ShardRefusal.Failed"/>.
    /// </summary>
    public static async ValueTask ReadStatusAsync(Stream stream, Overlay.Crypto.PeerId peer, CancellationToken cancellationToken)
    {
        var status = new byte[2];
        if (!await TryReadExactlyAsync(stream, status.AsMemory(0, 1), cancellationToken))
        {
            throw new ShardExchangeException(ShardRefusal.Failed, $"{peer.ToShortString()} ended the stream without an answer.");
        }

        if (status[0] == 0)
        {
            return;
        }

        var refusal = ShardCodec.ReadRefusal(status[0]);
        var message = string.Empty;
        if (await TryReadExactlyAsync(stream, status.AsMemory(1, 1), cancellationToken))
        {
            var text = new byte[status[1]];
            if (await TryReadExactlyAsync(stream, text, cancellationToken))
            {
                message = Encoding.UTF8.GetString(text);
                await DrainAsync(stream, 0, cancellationToken);
            }
        }

        throw new ShardExchangeException(refusal, $"{peer.ToShortString()} refused ({ShardCodec.Tag(refusal)}): {Sanitize(message)}");
    }

    /// <summary>Reads a big-endian u32; throws a typed failure when the stream ends first.</summary>
    public static async ValueTask<uint> ReadUInt32Async(Stream stream, Overlay.Crypto.PeerId peer, CancellationToken cancellationToken)
    {
        var bytes = new byte[4];
        if (!await TryReadExactlyAsync(stream, bytes, cancellationToken))
        {
            throw new ShardExchangeException(ShardRefusal.Size, $"{peer.ToShortString()} ended the stream inside its answer.");
        }

        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    // The sentence is the peer's: keep it printable so it cannot forge log lines or terminal escapes.
    private static string Sanitize(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            builder.Append(char.IsControl(c) ? '?' : c);
        }

        return builder.ToString();
    }
}
