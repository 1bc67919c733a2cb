using System.Net;
using System.Net.Sockets;
using System.Text;
using Overlay.Node.Configuration;

namespace Overlay.Node.Control;

/// <summary>Binds the control API's listening socket: a Unix socket in the data directory, or TCP on 127.0.0.1.</summary>
internal static class ControlListener
{
    private const int Backlog = 64;

    /// <summary>Binds and listens as <paramref name="options"/> say; a failure is a <see cref="ControlStartException"/> with one sentence.</summary>
    public static Socket Bind(ControlOptions options, string dataDirectory) =>
        options.Socket == ControlSocket.Unix ? BindUnix(ControlFiles.SocketPath(dataDirectory)) : BindTcp(options.Port);

    private static Socket BindTcp(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            socket.Listen(Backlog);
            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new ControlStartException($"The control API cannot listen on 127.0.0.1:{port} ({e.SocketErrorCode}); set Control:Port to a free port or 0.", e);
        }
    }

    private static Socket BindUnix(string path)
    {
        UnixDomainSocketEndPoint endpoint;
        try
        {
            endpoint = new UnixDomainSocketEndPoint(path);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new ControlStartException(
                $"The control socket path '{path}' is {Encoding.UTF8.GetByteCount(path)} bytes long, more than a Unix socket address holds; use a shorter data directory path, or set Control:Socket to \"Tcp\".", e);
        }

        RemoveStale(path, endpoint);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(endpoint);
            if (!OperatingSystem.IsWindows())
            {
                // Owner-only before listen(): until then every connect is refused, so no other user can
                // ever have connected, whatever the umask or the directory's mode.
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            socket.Listen(Backlog);
            return socket;
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
        {
            socket.Dispose();
            var reason = e is SocketException s ? s.SocketErrorCode.ToString() : e.Message.TrimEnd('.');
            throw new ControlStartException($"The control API cannot listen on {path} ({reason}); set Control:Socket to \"Tcp\" where Unix sockets cannot be made.", e);
        }
    }

    /// <summary>
    /// A socket file left by a daemon that was killed refuses connections and is removed; one that
    /// answers belongs to a daemon still running on this data directory.
    /// </summary>
    private static void RemoveStale(string path, UnixDomainSocketEndPoint endpoint)
    {
        if (!File.Exists(path))
        {
            return;
        }

        using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                probe.Connect(endpoint);
            }
            catch (SocketException)
            {
                File.Delete(path);
                return;
            }
        }

        throw new ControlStartException($"Another daemon serves the control API at {path}; stop it, or give this node a data directory of its own.");
    }
}
