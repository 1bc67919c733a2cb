using System.Net;
using System.Net.Sockets;
using Overlay.Transport.Admission;

namespace Overlay.Transport.Tls;

/// <summary>
/// A bound TCP socket. The accept loop hands each socket to its own task so a slow or hostile
/// handshake never stalls others. Every socket passes the listener's <see cref="InboundAdmission"/>
/// first: a connection from an address whose every slot holds an authenticated connection is
/// refused with a <see cref="RefusalNotice"/>, and unauthenticated connections are shed (silent ones
/// before those in their handshake, oldest first) to stay within the per-address limits and
/// <see cref="TransportOptions.MaxPendingHandshakes"/>.
/// Until its first byte arrives a connection holds only its socket: TLS state is made once the
/// dialler speaks. The wait and the handshake together get <see cref="TransportOptions.HandshakeTimeout"/>.
/// Only cancellation ends the loop.
/// </summary>
internal sealed class TcpTlsListener : ITransportListener
{
    private readonly TcpTlsTransport _owner;
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly InboundAdmission _admission;
    private readonly FloodRelief _relief;
    private readonly AcceptedConnections _accepted = new();
    private readonly Task _loop;

    public TcpTlsListener(TcpTlsTransport owner, Socket socket, TransportAddress localAddress)
    {
        _owner = owner;
        _socket = socket;
        _admission = new InboundAdmission(owner.Options, owner.Time);
        _relief = new FloodRelief(owner.Options.MaxPendingHandshakes, owner.Time, owner.Logger, () => _admission.PendingCount);
        LocalAddress = localAddress;
        _loop = AcceptLoopAsync();
    }

    public TransportAddress LocalAddress { get; }

    /// <summary>Inbound connections admitted and not yet authenticated (tests and probes).</summary>
    internal int PendingCount => _admission.PendingCount;

    /// <summary>Remote addresses holding a connection to this listener (tests and probes).</summary>
    internal int AddressCount => _admission.AddressCount;

    public ValueTask<ITransportConnection> AcceptAsync(CancellationToken cancellationToken = default) =>
        _accepted.TakeAsync(LocalAddress, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync();
        _socket.Dispose();
        _accepted.Complete();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _owner.Forget(this);
        _relief.Dispose();
        _stop.Dispose();
    }

    private Task AcceptLoopAsync() =>
        AcceptLoop.RunAsync(_socket.AcceptAsync, ServeAsync, ex =>
        {
            // Transient accept failures (a reset before accept, descriptor exhaustion) must not stop the listener.
            if (ex is SocketException socketError)
            {
                Log.AcceptFailed(_owner.Logger, LocalAddress.ToString(), socketError);
                return true;
            }

            return false;
        }, _stop.Token);

    private async Task ServeAsync(Socket socket)
    {
        IPEndPoint remote;
        try
        {
            remote = (IPEndPoint)socket.RemoteEndPoint!;
        }
        catch (SocketException)
        {
            // Reset between accept and here.
            socket.Dispose();
            return;
        }

        var shed = new List<AdmissionTicket>(1);
        var ticket = _admission.TryAdmit(remote.Address, shed, out var refusal, () => socket.Available > 0);
        SignalAll(shed);

        if (ticket is null)
        {
            _owner.Refusals.Inbound(refusal);
            Refuse(socket, refusal.Token);
            return;
        }

        _relief.Admitted(_admission.PendingCount);

        var tlsStarted = false;
        try
        {
            using var deadline = new CancellationTokenSource(_owner.Options.HandshakeTimeout, _owner.Time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, deadline.Token, ticket.Shed);

            // Wait for the dialler's first byte before making any TLS state: a silent connection costs a socket only.
            await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, linked.Token);
            _admission.Speaking(ticket, shed);
            SignalAll(shed);
            tlsStarted = true;
            var (ssl, peer) = await _owner.AcceptAsync(socket, linked.Token);
            if (!_admission.Authenticated(ticket))
            {
                // Shed in the instant the handshake finished: the slot is already someone else's.
                await ssl.DisposeAsync();
                _owner.Refusals.Inbound(ticket.ShedReason!.Value);
                return;
            }

            _relief.Left(_admission.PendingCount);

            var remoteAddress = TransportAddress.Create(TransportScheme.Tcp, remote.Address, remote.Port, peer);
            var connection = _owner.Start(socket, ssl, peer, remoteAddress, isInitiator: false);
            connection.Closed.Register(static s =>
            {
                var (admission, t) = ((InboundAdmission, AdmissionTicket))s!;
                admission.Release(t);
            }, (_admission, ticket));
            _accepted.Offer(connection);
        }
        catch (Exception ex) when (ex is TransportException or OperationCanceledException or ObjectDisposedException or SocketException or IOException)
        {
            if (ticket.ShedReason is { } reason)
            {
                _owner.Refusals.Inbound(reason);
                if (!tlsStarted)
                {
                    Refuse(socket, reason.Token);
                }
            }
            else
            {
                Log.HandshakeFailed(_owner.Logger, remote.Address.ToString(), ex.Message);
            }

            socket.Dispose();
            _admission.Release(ticket);
            _relief.Left(_admission.PendingCount);
        }
    }

    // Outside the admission's lock: cancelling runs the shed connections' callbacks.
    private static void SignalAll(List<AdmissionTicket> shed)
    {
        foreach (var victim in shed)
        {
            victim.SignalShed();
        }

        shed.Clear();
    }

    /// <summary>
    /// Writes the refusal notice and closes. The write never waits (a fresh socket's send buffer is
    /// empty, and a full one means the dialler is not reading anyway); a failed write just closes.
    /// </summary>
    private static void Refuse(Socket socket, string reason)
    {
        try
        {
            socket.Blocking = false;
            socket.Send(RefusalNotice.Encode(reason), SocketFlags.None);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Gone already, or its buffer is full: closing is all that is left.
        }
        finally
        {
            socket.Dispose();
        }
    }
}
