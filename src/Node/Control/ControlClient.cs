using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Overlay.Node.Control;

/// <summary>
/// A connection to the control API of the daemon that owns a data directory: found through
/// <c>control.endpoint</c> (a Unix socket in the data directory, or loopback TCP), authenticated with
/// <c>control.token</c>. Requests go one at a time; every failure is a <see cref="ControlClientException"/>
/// with one sentence.
/// </summary>
public sealed class ControlClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly EndPoint _endpoint;
    private readonly string _token;
    private readonly TimeSpan _timeout;

    private ControlClient(Socket socket, EndPoint endpoint, string token, TimeSpan timeout)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _endpoint = endpoint;
        _token = token;
        _timeout = timeout;
    }

    /// <summary>Connects to the daemon of <paramref name="dataDirectory"/>; <paramref name="timeout"/> bounds the connect and each request.</summary>
    public static async Task<ControlClient> ConnectAsync(string dataDirectory, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var noDaemon = $"No overlay daemon is running for data directory {dataDirectory} (start one with 'overlay run --data-dir {dataDirectory}').";
        var noAccess = $"The data directory {dataDirectory} is not readable by this user ({Environment.UserName}); run the command as the user that runs the node.";
        switch (ControlFiles.ReadEndpoint(dataDirectory, out var endpoint))
        {
            case ControlEndpointStatus.Unreadable:
                throw new ControlClientException(ControlClientError.NoAccess, noAccess);
            case ControlEndpointStatus.Missing or ControlEndpointStatus.Invalid:
                throw new ControlClientException(ControlClientError.NoDaemon, noDaemon);
        }

        byte[] token;
        try
        {
            token = ControlFiles.ReadToken(dataDirectory);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ControlClientException(ControlClientError.NoDaemon, noDaemon, e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ControlClientException(ControlClientError.NoAccess, $"The control token {ControlFiles.TokenPath(dataDirectory)} is not readable by this user ({Environment.UserName}); run the command as the user that runs the node.", e);
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            throw new ControlClientException(ControlClientError.BadToken, $"The control token cannot be read: {e.Message.TrimEnd('.')}; run this as the user that runs the daemon.", e);
        }

        var socket = endpoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(endpoint, deadline.Token).ConfigureAwait(false);
            return new ControlClient(socket, endpoint, Convert.ToHexStringLower(token), timeout);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AccessDenied)
        {
            socket.Dispose();
            throw new ControlClientException(ControlClientError.NoAccess, noAccess, e);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new ControlClientException(ControlClientError.NoDaemon, noDaemon, e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new ControlClientException(ControlClientError.NoDaemon, noDaemon, e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(token);
        }
    }

    /// <summary>Sends <paramref name="request"/> (the token is added) and returns the successful reply.</summary>
    public async Task<JsonObject> SendAsync(JsonObject request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        request["token"] = _token;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_timeout);
        JsonObject reply;
        try
        {
            await ControlProtocol.WriteFrameAsync(_stream, request, deadline.Token).ConfigureAwait(false);
            var body = await ControlProtocol.ReadFrameAsync(_stream, ControlProtocol.MaxReplyBytes, deadline.Token).ConfigureAwait(false)
                ?? throw new ControlClientException(ControlClientError.Protocol, $"The daemon at {_endpoint} closed the connection without answering.");
            if (!ControlProtocol.TryParseObject(body, out reply, out var error))
            {
                throw new ControlClientException(ControlClientError.Protocol, $"The daemon at {_endpoint} sent a malformed reply: {error}");
            }
        }
        catch (ControlProtocolException e)
        {
            throw new ControlClientException(ControlClientError.Protocol, $"The daemon at {_endpoint} sent a malformed reply: {e.Message}", e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ControlClientException(ControlClientError.Protocol, $"The daemon at {_endpoint} did not answer within {_timeout.TotalSeconds:0} s.", e);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            throw new ControlClientException(ControlClientError.Protocol, $"The connection to the daemon at {_endpoint} broke: {e.Message}", e);
        }
        finally
        {
            request.Remove("token");
        }

        if (reply["ok"] is JsonValue ok && ok.GetValueKind() == JsonValueKind.True)
        {
            return reply;
        }

        ControlProtocol.TryGetString(reply, "error", out var errorName);
        ControlProtocol.TryGetString(reply, "message", out var message);
        var daemonError = Enum.TryParse<ControlError>(errorName, out var parsed) ? parsed : ControlError.Internal;
        throw new ControlClientException(daemonError == ControlError.BadToken ? ControlClientError.BadToken : ControlClientError.Refused,
            message ?? $"The daemon refused the request ({errorName ?? "no reason given"}).")
        {
            DaemonError = daemonError,
            Reply = reply,
        };
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
    }
}
