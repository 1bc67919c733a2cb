using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Overlay.Node.Control;

namespace Overlay.Node.Tests.Control;

/// <summary>A control connection that sends bytes as given: no token added, no framing unless asked.</summary>
public sealed class RawConnection : IDisposable
{
    private readonly TimeSpan _guard;

    private RawConnection(Socket socket, TimeSpan guard)
    {
        Socket = socket;
        Stream = new NetworkStream(socket, ownsSocket: true);
        _guard = guard;
    }

    public Socket Socket { get; }

    public NetworkStream Stream { get; }

    public static async Task<RawConnection> ConnectAsync(EndPoint endpoint, TimeSpan guard)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var socket = endpoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endpoint, TestContext.Current.CancellationToken).AsTask().WaitAsync(guard);
            return new RawConnection(socket, guard);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static byte[] Frame(byte[] body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var frame = new byte[4 + body.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)body.Length);
        body.CopyTo(frame, 4);
        return frame;
    }

    public async Task<JsonObject?> ExchangeAsync(byte[] body)
    {
        await Stream.WriteAsync(Frame(body), TestContext.Current.CancellationToken);
        return await ReadReplyAsync();
    }

    public async Task<JsonObject?> ReadReplyAsync()
    {
        var body = await ControlProtocol.ReadFrameAsync(Stream, ControlProtocol.MaxReplyBytes, CancellationToken.None).WaitAsync(_guard);
        Assert.NotNull(body);
        Assert.True(ControlProtocol.TryParseObject(body, out var json, out _));
        return json;
    }

    /// <summary>True once the server has closed the connection.</summary>
    public async Task<bool> ClosedAsync()
    {
        var buffer = new byte[1];
        try
        {
            return await Stream.ReadAsync(buffer).AsTask().WaitAsync(_guard) == 0;
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>Reads replies until the server closes; the number of whole reply frames read.</summary>
    public async Task<int> DrainRepliesAsync()
    {
        var replies = 0;
        try
        {
            while (await ControlProtocol.ReadFrameAsync(Stream, ControlProtocol.MaxReplyBytes, CancellationToken.None).WaitAsync(_guard) is not null)
            {
                replies++;
            }
        }
        catch (IOException)
        {
            // Reset by the server: it closed with bytes of ours unread (a refusal that did not read the rest).
        }

        return replies;
    }

    public void Dispose() => Stream.Dispose();
}
