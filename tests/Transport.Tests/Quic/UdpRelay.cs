using System.Net;
using System.Net.Sockets;

namespace Overlay.Transport.Tests.Quic;

/// <summary>
/// A loopback UDP relay between one client and one server that can go silent: after
/// <see cref="Cut"/> it drops every datagram both ways, as a dead path or a vanished peer would,
/// without either side sending anything that says so.
/// </summary>
internal sealed class UdpRelay : IAsyncDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly IPEndPoint _server;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private EndPoint? _client;
    private volatile bool _cut;

    public UdpRelay(int serverPort)
    {
        _server = new IPEndPoint(IPAddress.Loopback, serverPort);
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _loop = RelayAsync();
    }

    public int Port => ((IPEndPoint)_socket.LocalEndPoint!).Port;

    /// <summary>Datagrams dropped since <see cref="Cut"/>.</summary>
    public int Dropped { get; private set; }

    public void Cut() => _cut = true;

    private async Task RelayAsync()
    {
        var buffer = new byte[64 * 1024];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // An ICMP error for an earlier datagram surfaces here on Linux; keep relaying.
                continue;
            }

            if (_cut)
            {
                Dropped++;
                continue;
            }

            var from = (IPEndPoint)received.RemoteEndPoint;
            var to = from.Equals(_server) ? _client : _server;
            if (!from.Equals(_server))
            {
                _client = from;
            }

            if (to is null)
            {
                continue;
            }

            try
            {
                await _socket.SendToAsync(buffer.AsMemory(0, received.ReceivedBytes), SocketFlags.None, to, _stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // A lost datagram: QUIC retransmits.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        await _loop;
        _stop.Dispose();
    }
}
