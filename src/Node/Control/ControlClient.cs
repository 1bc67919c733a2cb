using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Overlay.Node.Control;

/// <summary>
/// A connection to the control API of the daemon that owns a data directory: found through
/// <c>control.endpoint</c>, authenticated with <c>control.token</c>. Requests go one at a time; every
/// failure is a <see cref="ControlClientException"/> with one sentence.
/// </summary>
public sealed class ControlClient : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly IPEndPoint _endpoint;
    private readonly string _token;
    private readonly TimeSpan _timeout;

    private ControlClient(TcpClient client, IPEndPoint endpoint, string token, TimeSpan timeout)
    {
        _client = client;
        _stream = client.GetStream();
        _endpoint = endpoint;
        _token = token;
        _timeout = timeout;
    }

    /// <summary>Connects to the daemon of <paramref name="dataDirectory"/>; <paramref name="timeout"/> bounds the connect and each request.</summary>
    public static async Task<ControlClient> ConnectAsync(string dataDirectory, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var noDaemon = $"No overlay daemon is running for data directory {dataDirectory} (start one with 'overlay run --data-dir {dataDirectory}').";
        if (!ControlFiles.TryReadEndpoint(dataDirectory, out var endpoint))
        {
            throw new ControlClientException(ControlClientError.NoDaemon, noDaemon);
        }

        byte[] token;
        try
        {
            token = ControlFiles.ReadToken(dataDirectory);
        }
        catch (FileNotFoundException e)
        {
            throw new ControlClientException(ControlClientError.NoDaemon, noDaemon, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            throw new ControlClientException(ControlClientError.BadToken, $"The control token cannot be read: {e.Message.TrimEnd('.')}; run this as the user that runs the daemon.", e);
        }

        var client = new TcpClient(AddressFamily.InterNetwork);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await client.ConnectAsync(endpoint, deadline.Token).ConfigureAwait(false);
            return new ControlClient(client, endpoint, Convert.ToHexStringLower(token), timeout);
        }
        catch (SocketException e)
        {
            client.Dispose();
            throw new ControlClientException(ControlClientError.NoDaemon, noDaemon, e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            client.Dispose();
            throw new ControlClientException(ControlClientError.NoDaemon, noDaemon, e);
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
        _client.Dispose();
    }
}
