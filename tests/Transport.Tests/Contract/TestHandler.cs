using System.Buffers;
using System.Text;
using System.Threading.Channels;
using Overlay.Crypto;

namespace Overlay.Transport.Tests.Contract;

/// <summary>
/// The contract suite's server for <see cref="TestProtocols.Control"/> and <see cref="TestProtocols.Bulk"/>:
/// echoes requests ("fail" throws, "hang" never answers), records messages ("hang" holds its handler
/// until the connection closes), and serves streams whose first byte picks a mode: 'H' reads to the
/// end and answers the SHA-256 hash and byte count, 'E' echoes until the end, 'W' reads no more. A stream that fails
/// under the handler (a reset, a dead connection) is recorded in <see cref="StreamFailures"/>.
/// </summary>
public sealed class TestHandler : IProtocolHandler
{
    public TestHandler()
    {
        Protocols = new ProtocolDispatcher();
        Protocols.Register(TestProtocols.Control, this);
        Protocols.Register(TestProtocols.Bulk, this);
        Protocols.Register(TestProtocols.NotStarted);
    }

    /// <summary>What a node with this handler serves: <see cref="TestProtocols.Control"/> and <see cref="TestProtocols.Bulk"/>, and <see cref="TestProtocols.NotStarted"/> registered but not started.</summary>
    public ProtocolDispatcher Protocols { get; }

    public Channel<byte[]> Messages { get; } = Channel.CreateUnbounded<byte[]>();

    public Channel<TransportException> StreamFailures { get; } = Channel.CreateUnbounded<TransportException>();

    private int _streamsServing;

    /// <summary>Stream handlers running now.</summary>
    public int StreamsServing => Volatile.Read(ref _streamsServing);

    private int _requestsServed;

    public int RequestsServed => Volatile.Read(ref _requestsServed);


    public async ValueTask HandleRequestAsync(ITransportConnection connection, ReadOnlyMemory<byte> request, IBufferWriter<byte> response, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _requestsServed);
        if (request.Span.SequenceEqual("fail"u8))
        {
            throw new InvalidOperationException("asked to fail");
        }

        if (request.Span.SequenceEqual("hang"u8))
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        if (request.Span.SequenceEqual("whoami"u8))
        {
            response.Write(Encoding.ASCII.GetBytes(connection.RemotePeer.ToString()));
            return;
        }

        response.Write(request.Span);
    }

    public async ValueTask HandleMessageAsync(ITransportConnection connection, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        Messages.Writer.TryWrite(message.ToArray());
        if (message.Span.SequenceEqual("hang"u8))
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
    }

    public async ValueTask HandleStreamAsync(ITransportConnection connection, TransportStream stream, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _streamsServing);
        try
        {
            await ServeStreamAsync(stream, cancellationToken);
        }
        catch (TransportException ex)
        {
            StreamFailures.Writer.TryWrite(ex);
            throw;
        }
        finally
        {
            Interlocked.Decrement(ref _streamsServing);
        }
    }

    private static async Task ServeStreamAsync(TransportStream stream, CancellationToken cancellationToken)
    {
        var mode = new byte[1];
        if (await stream.ReadAsync(mode, cancellationToken) == 0)
        {
            return;
        }

        var buffer = new byte[64 * 1024];
        if (mode[0] == (byte)'H')
        {
            using var hasher = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
            long total = 0;
            int n;
            while ((n = await stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                hasher.AppendData(buffer.AsSpan(0, n));
                total += n;
            }

            var answer = new byte[40];
            hasher.GetHashAndReset(answer.AsSpan(0, 32));
            BitConverter.TryWriteBytes(answer.AsSpan(32), total);
            await stream.WriteAsync(answer, cancellationToken);
            await stream.CompleteWritesAsync(cancellationToken);
        }
        else if (mode[0] == (byte)'W')
        {
            // Reads nothing more: the opener runs out of window.
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        else if (mode[0] == (byte)'E')
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                await stream.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
            }

            await stream.CompleteWritesAsync(cancellationToken);
        }
    }
}
